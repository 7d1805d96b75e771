"""CPU checks of the k64-format / sm90 plumbing: prepack's format rules (no GPU needed)."""
import pytest
import torch

import qgemm
from qgemm.packed import FORMATS, PackedWeight, check_format


def _qw(scheme, group, n=128, k=256):
    w = torch.randn(n, k) * 0.05
    return qgemm.quantize(w, scheme, group, zero_point="int")


def test_default_formats():
    assert check_format("prepack", _qw("int4", 128), None) == "int4_fragment"
    assert check_format("prepack", _qw("uint4", 64), None) == "int4_fragment"
    assert check_format("prepack", _qw("int8", 128), None) == "int8_fragment"
    assert "int4_k64" in FORMATS and "int8_k64" in FORMATS
    assert PackedWeight.__dataclass_fields__["format"].default == "int4_fragment"


@pytest.mark.parametrize("scheme,group", [("int4", 64), ("int4", 128), ("uint4", 128), ("uint4", -1)])
def test_int4_k64_accepted(scheme, group):
    assert check_format("prepack", _qw(scheme, group), "int4_k64") == "int4_k64"


@pytest.mark.parametrize("group", [64, 128, -1])
def test_int8_k64_accepted(group):
    assert check_format("prepack", _qw("int8", group), "int8_k64") == "int8_k64"


@pytest.mark.parametrize("scheme,group,fmt,match", [
    ("int8", 128, "int4_k64", "scheme 'int8'"),
    ("int4", 32, "int4_k64", "multiple of 64"),
    ("int4", 128, "int8_k64", "scheme 'int4'"),
    ("uint4", 128, "int8_k64", "scheme 'uint4'"),
    ("int8", 32, "int8_k64", "multiple of 64"),
])
def test_k64_refused_by_name(scheme, group, fmt, match):
    with pytest.raises(ValueError, match=match):
        qgemm.prepack(_qw(scheme, group), "cuda", torch.float16, format=fmt)


def test_unknown_and_mismatched_formats_refused():
    with pytest.raises(ValueError, match="format"):
        check_format("prepack", _qw("int4", 128), "marlin")
    with pytest.raises(ValueError, match="int4_fragment"):
        check_format("prepack", _qw("int4", 128), "int8_fragment")


def test_gpu_tests_cover_every_sm90_row():
    # test_wna16_sm90_gpu.py forces each row by index; a row added to kWna16Sm90Configs
    # without raising its NUM_CONFIGS would go untested on the GPU.
    from qgemm import _ext, ops
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    from test_wna16_sm90_gpu import NUM_CONFIGS
    assert ops.sm90_table_rows() == NUM_CONFIGS


def test_sm90_schedule_splits_only_a_single_underfilled_wave():
    # Host-side dispatch (wna16_sm90_choose_schedule): stream-K (3) where every tile fits one
    # wave filling half to 70 % of the SMs, else CUTLASS's heuristic (0).
    from qgemm import _ext, ops
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    ext = _ext.extension()
    heuristic, stream_k = 0, ops.SM90_DECOMPOSITIONS.index("stream_k")
    # 70B qkv at 256 tokens: 80 tiles of 128 x 256 on 132 SMs; the band's edges, 66 and 92
    # tiles, and just outside them, 65 and 93.
    assert ext.wna16_sm90_schedule(256, 10240, 8192, 132, -1) == stream_k
    assert ext.wna16_sm90_schedule(256, 66 * 128, 8192, 132, -1) == stream_k
    assert ext.wna16_sm90_schedule(256, 92 * 128, 8192, 132, -1) == stream_k
    assert ext.wna16_sm90_schedule(256, 65 * 128, 8192, 132, -1) == heuristic
    assert ext.wna16_sm90_schedule(256, 93 * 128, 8192, 132, -1) == heuristic
    # Fewer than half a wave (CUTLASS splits those itself), a nearly full wave, several waves.
    assert ext.wna16_sm90_schedule(256, 8192, 8192, 132, -1) == heuristic   # 64 tiles
    assert ext.wna16_sm90_schedule(512, 8192, 8192, 132, -1) == heuristic   # 128 tiles
    assert ext.wna16_sm90_schedule(64, 57344, 8192, 132, -1) == heuristic   # 224 tiles
    assert ext.wna16_sm90_schedule(1024, 8192, 28672, 132, -1) == heuristic  # 256 tiles
    # Too few k-tiles to split; and a forced row is planned by its own tile.
    assert ext.wna16_sm90_schedule(256, 10240, 512, 132, -1) == heuristic
    assert ext.wna16_sm90_schedule(256, 10240, 8192, 132, 1) == heuristic  # 256 x 64: 160 tiles
    assert ext.wna16_sm90_schedule(256, 10240, 8192, 132, 99) == -1


def test_sm90_workspace_refuses_a_bad_forced_schedule():
    # A forced schedule outside CUTLASS's decompositions, or with no split, sizes no
    # workspace (and the launcher refuses it with kInvalidArgument); a valid one does.
    from qgemm import _ext
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    ext = _ext.extension()
    args = (256, 10240, 8192, 132, -1)
    assert ext.wna16_sm90_workspace_bytes(*args, 7, 1, 1) == 0
    assert ext.wna16_sm90_workspace_bytes(*args, 2, 0, 1) == 0
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 4, 1) == 0  # splits > 1 only with split-K / heuristic
    assert ext.wna16_sm90_workspace_bytes(*args, 1, 2, 1) == 0
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 1, 1) > 0           # stream-K: partials
    assert ext.wna16_sm90_workspace_bytes(*args, 2, 4, 1) > 0           # split-K: partials
    assert ext.wna16_sm90_workspace_bytes(*args, -1, 1, 1) == ext.wna16_sm90_workspace_bytes(*args, 3, 1, 1)


@pytest.mark.parametrize("schedule", [("streamk", 1, True), ("split_k", 0, True), ("stream_k", 4, True),
                                      ("data_parallel", 2, True), "stream_k", 5])
def test_bad_sm90_schedule_is_a_value_error(monkeypatch, schedule):
    from qgemm import ops
    monkeypatch.setattr(ops, "SM90_SCHEDULE", schedule)
    with pytest.raises(ValueError, match="SM90_SCHEDULE"):
        ops._sm90_schedule()


def test_good_sm90_schedules_map_to_the_extension_ints(monkeypatch):
    from qgemm import ops
    for schedule, ints in [(None, (-1, 1, 1)), (("stream_k", 1, True), (3, 1, 1)), (("split_k", 4, True), (2, 4, 1)),
                           (("heuristic", 2, False), (0, 2, 0)), (("data_parallel", 1, True), (1, 1, 1))]:
        monkeypatch.setattr(ops, "SM90_SCHEDULE", schedule)
        assert ops._sm90_schedule() == ints
