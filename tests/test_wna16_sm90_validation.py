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
