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


def test_sm90_schedule_splits_underfilled_waves():
    # Host-side dispatch (wna16_sm90_choose_schedule): stream-K (3) where every tile fits one
    # wave filling half to 70 % of the SMs, and for 4-bit weights on the rows of up to 128
    # tokens where two or more waves, the last at least half full, keep under 90 % of the SM
    # time busy; else CUTLASS's heuristic (0).
    from qgemm import _ext, ops
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    ext = _ext.extension()
    heuristic, stream_k = 0, ops.SM90_DECOMPOSITIONS.index("stream_k")
    int4, uint4, int8 = 0, 1, 2

    def schedule(m, n, k, cfg=-1, kind=int4, sms=132):
        return ext.wna16_sm90_schedule(m, n, k, sms, cfg, kind)

    # One wave: 70B qkv at 256 tokens, 80 tiles of 128 x 256 on 132 SMs; the band's edges, 66
    # and 92 tiles, and just outside them, 65 and 93; every weight kind alike.
    for kind in (int4, uint4, int8):
        assert schedule(256, 10240, 8192, kind=kind) == stream_k
        assert schedule(256, 66 * 128, 8192, kind=kind) == stream_k
        assert schedule(256, 92 * 128, 8192, kind=kind) == stream_k
        assert schedule(256, 65 * 128, 8192, kind=kind) == heuristic
        assert schedule(256, 93 * 128, 8192, kind=kind) == heuristic
    # Several waves: 70B gate_up at 32 / 64 / 128 tokens, 224 tiles of 256 wide (2 waves, the
    # last 92 / 132 full, 85 % busy): stream-K for int4 and uint4, the heuristic for int8.
    for m in (17, 32, 64, 100, 128):
        assert schedule(m, 57344, 8192) == stream_k, m
        assert schedule(m, 57344, 8192, kind=uint4) == stream_k, m
        assert schedule(m, 57344, 8192, kind=int8) == heuristic, m
    # Its edges at 256-wide tiles: a last wave of 66 tiles (198) and 65 (197); 90 % busy
    # is 237.6 tiles (237 splits, 238 does not); three waves, 330 / 356 / 357 tiles.
    assert schedule(64, 198 * 256, 8192) == stream_k
    assert schedule(64, 197 * 256, 8192) == heuristic
    assert schedule(64, 237 * 256, 8192) == stream_k
    assert schedule(64, 238 * 256, 8192) == heuristic
    assert schedule(64, 330 * 256, 8192) == stream_k
    assert schedule(64, 356 * 256, 8192) == stream_k
    assert schedule(64, 357 * 256, 8192) == heuristic
    # Not on the rows of more than 128 tokens (gate_up at 1024: 1792 tiles of 128 x 256, and
    # at 192 tokens, 448 tiles of 128 x 192, whose last wave is under half).
    assert schedule(1024, 57344, 8192) == heuristic
    assert schedule(192, 57344, 8192) == heuristic
    # Fewer than half a wave (CUTLASS splits those itself), a nearly full wave, full waves.
    assert schedule(256, 8192, 8192) == heuristic    # 64 tiles
    assert schedule(512, 8192, 8192) == heuristic    # 128 tiles
    assert schedule(64, 28672, 4096) == heuristic    # 8B gate_up: 112 tiles, one wave
    assert schedule(1024, 8192, 28672) == heuristic  # 256 tiles
    # Too few k-tiles to split; a forced row is planned by its own tile; no such row or kind.
    assert schedule(256, 10240, 512) == heuristic
    assert schedule(64, 57344, 512) == heuristic
    assert schedule(256, 10240, 8192, cfg=1) == heuristic  # 256 x 64: 160 tiles, 61 % busy
    assert schedule(256, 10240, 8192, cfg=99) == -1
    assert schedule(64, 57344, 8192, kind=3) == -1
    assert schedule(64, 57344, 8192, kind=-1) == -1


def test_sm90_reduction_by_weight_kind_and_row():
    # Split tiles: peer slots for 4-bit weights on the rows of up to 128 tokens, CUTLASS's
    # turnstile for int8 and the larger rows (measured, include/qgemm/gemm/wna16_dispatch.hpp);
    # the workspace covers the larger (slots).
    from qgemm import _ext, ops
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    ext = _ext.extension()
    slots, turnstile = ops.SM90_REDUCTIONS.index("slots"), ops.SM90_REDUCTIONS.index("turnstile")
    for m, n, k in [(17, 8192, 8192), (64, 8192, 8192), (64, 57344, 8192), (128, 10240, 8192),
                    (129, 10240, 8192), (256, 10240, 8192), (4096, 8192, 28672)]:
        four_bit = slots if m <= 128 else turnstile
        assert ext.wna16_sm90_reduction(m, n, k, 132, -1, 0) == four_bit
        assert ext.wna16_sm90_reduction(m, n, k, 132, -1, 1) == four_bit
        assert ext.wna16_sm90_reduction(m, n, k, 132, -1, 2) == turnstile
        assert ext.wna16_sm90_reduction(m, n, k, 132, 4, 0) == turnstile  # a forced 128 x 256 row
        assert ext.wna16_sm90_workspace_bytes(m, n, k, 132, -1, -1, 1, 1) >= \
            ext.wna16_sm90_workspace_bytes(m, n, k, 132, -1, 0, 1, 2)
    assert ext.wna16_sm90_reduction(64, 8192, 8192, 132, 99, 0) == -1
    assert ext.wna16_sm90_reduction(64, 8192, 8192, 132, -1, 3) == -1
    # o at 64 tokens: stream-K either way, so the dispatch's workspace is the slots'.
    assert ext.wna16_sm90_workspace_bytes(64, 8192, 8192, 132, -1, -1, 1, 1) == \
        ext.wna16_sm90_workspace_bytes(64, 8192, 8192, 132, -1, 0, 1, 1) > \
        ext.wna16_sm90_workspace_bytes(64, 8192, 8192, 132, -1, 0, 1, 2)


def test_sm90_workspace_covers_either_weight_kind():
    # The dispatch's schedule depends on the weight kind, the workspace size does not take
    # it: where 4-bit weights run stream-K and int8 the heuristic, it is stream-K's.
    from qgemm import _ext
    if "90a" not in _ext.compiled_archs():
        pytest.skip("build without 90a kernels")
    ext = _ext.extension()
    args = (64, 57344, 8192, 132, -1)
    assert ext.wna16_sm90_schedule(*args, 0) != ext.wna16_sm90_schedule(*args, 2)
    assert ext.wna16_sm90_workspace_bytes(*args, -1, 1, 1) == ext.wna16_sm90_workspace_bytes(*args, 3, 1, 1) > 0


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
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 1, 3) == 0  # reductions: 0 arrival, 1 slots, 2 turnstile
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 1, -1) == 0
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 1, 1) > 0           # stream-K: partials
    # Peer slots hold a partial a peer, the turnstile one a tile.
    assert ext.wna16_sm90_workspace_bytes(*args, 3, 1, 1) > ext.wna16_sm90_workspace_bytes(*args, 3, 1, 2) > 0
    assert ext.wna16_sm90_workspace_bytes(*args, 2, 4, 1) > 0           # split-K: partials
    # The dispatch's at 256 tokens: stream-K (qkv, one short wave) with the turnstile (128 x 256 row).
    assert ext.wna16_sm90_workspace_bytes(*args, -1, 1, 1) == ext.wna16_sm90_workspace_bytes(*args, 3, 1, 2)


@pytest.mark.parametrize("schedule", [("streamk", 1, True), ("split_k", 0, True), ("stream_k", 4, True),
                                      ("data_parallel", 2, True), "stream_k", 5, ("stream_k", 1, "fast"),
                                      ("stream_k", 1, 1)])
def test_bad_sm90_schedule_is_a_value_error(monkeypatch, schedule):
    from qgemm import ops
    monkeypatch.setattr(ops, "SM90_SCHEDULE", schedule)
    with pytest.raises(ValueError, match="SM90_SCHEDULE"):
        ops._sm90_schedule()


def test_good_sm90_schedules_map_to_the_extension_ints(monkeypatch):
    from qgemm import ops
    for schedule, ints in [(None, (-1, 1, 1)), (("stream_k", 1, True), (3, 1, 1)), (("split_k", 4, True), (2, 4, 1)),
                           (("heuristic", 2, False), (0, 2, 0)), (("data_parallel", 1, True), (1, 1, 1)),
                           (("stream_k", 1, "slots"), (3, 1, 1)), (("stream_k", 1, "turnstile"), (3, 1, 2)),
                           (("split_k", 2, "arrival"), (2, 2, 0))]:
        monkeypatch.setattr(ops, "SM90_SCHEDULE", schedule)
        assert ops._sm90_schedule() == ints
