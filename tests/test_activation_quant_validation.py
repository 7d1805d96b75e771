"""Argument checks of the activation-quantization ops that need no GPU: every bad
argument is refused with a ValueError naming it, before the extension is touched."""
import math

import pytest
import torch

import qgemm
from qgemm import _ext


@pytest.fixture(autouse=True)
def no_extension(monkeypatch):
    def touched():
        raise AssertionError("the extension was reached before validation failed")
    monkeypatch.setattr(_ext, "extension", touched)


X = torch.zeros(4, 64, dtype=torch.float16)  # valid but for its device (CPU)


@pytest.mark.parametrize("call", [
    lambda: qgemm.quantize_per_token_int8(X),
    lambda: qgemm.quantize_per_token_int8(X, symmetric=False),
    lambda: qgemm.quantize_per_token_fp8(X),
    lambda: qgemm.quantize_per_tensor_int8(X, torch.ones(())),
    lambda: qgemm.quantize_per_tensor_fp8(X, torch.ones(1)),
    lambda: qgemm.fused_add_rmsnorm_quant(X, X.clone(), torch.ones(64), 1e-6),
], ids=["int8", "int8-asym", "fp8", "static-int8", "static-fp8", "fused"])
def test_cpu_tensors_are_refused_by_name(call):
    with pytest.raises(ValueError, match=r"qgemm\.\w+: x must be on a CUDA device, got cpu"):
        call()


@pytest.mark.parametrize("x,match", [
    (torch.zeros(4, 64, dtype=torch.int32), "x must have dtype in"),
    (torch.zeros(4, 64, dtype=torch.float64), "x must have dtype in"),
    (torch.zeros(4, 0, dtype=torch.float16), r"x must be \[..., K\] with K >= 1"),
    (torch.zeros((), dtype=torch.float16), r"x must be \[..., K\] with K >= 1"),
    (torch.zeros(64, 4, dtype=torch.float16).t(), "x must be contiguous"),
    ([[1.0, 2.0]], "x must be a torch.Tensor"),
])
def test_bad_activations_are_refused(x, match):
    for fn in (qgemm.quantize_per_token_int8, qgemm.quantize_per_token_fp8,
               lambda x: qgemm.quantize_per_tensor_int8(x, torch.ones(()))):
        with pytest.raises(ValueError, match=match):
            fn(x)


def test_symmetric_must_be_a_bool():
    with pytest.raises(ValueError, match="symmetric must be one of"):
        qgemm.quantize_per_token_int8(X, symmetric="yes")


@pytest.mark.parametrize("ub,match", [
    (0.0, "scale_ub must be positive and finite, got 0.0"),
    (-1.0, "scale_ub must be positive and finite"),
    (math.inf, "scale_ub must be positive and finite"),
    (math.nan, "scale_ub must be positive and finite"),
    (True, "scale_ub must be None, a number or a tensor, got bool"),
    ("1.0", "scale_ub must be None, a number or a tensor, got str"),
    (torch.ones(1, dtype=torch.float64), "scale_ub must have dtype in"),
    (torch.ones(2), r"scale_ub must have one element, got shape \(2,\)"),
])
def test_bad_scale_ub_is_refused(ub, match):
    with pytest.raises(ValueError, match=match):
        qgemm.quantize_per_token_fp8(X, scale_ub=ub)
    with pytest.raises(ValueError, match=match):
        qgemm.fused_add_rmsnorm_quant(X, X.clone(), torch.ones(64), 1e-6, dtype="fp8", scale_ub=ub)


@pytest.mark.parametrize("scale,match", [
    (0.5, "scale must be a torch.Tensor, got float"),
    (torch.ones((), dtype=torch.float16), "scale must have dtype in"),
    (torch.ones(2), r"scale must have shape \[\], \[1\] or \[1, 1\], got shape \(2,\)"),
    (torch.ones(1, 1, 1), r"scale must have shape \[\], \[1\] or \[1, 1\]"),
])
def test_bad_static_scale_is_refused(scale, match):
    for fn in (qgemm.quantize_per_tensor_int8, qgemm.quantize_per_tensor_fp8):
        with pytest.raises(ValueError, match=match):
            fn(X, scale)


@pytest.mark.parametrize("kwargs,match", [
    (dict(residual=X.float()), "residual must have dtype in"),
    (dict(residual=torch.zeros(4, 32, dtype=torch.float16)), r"residual must have shape \[4, 64\]"),
    (dict(weight=torch.ones(32)), r"weight must have shape \[64\]"),
    (dict(weight=torch.ones(64, dtype=torch.bfloat16)), "weight must have dtype in"),
    (dict(weight=torch.ones(128)[::2]), "weight must be contiguous"),
    (dict(eps=0.0), "eps must be a positive finite number"),
    (dict(eps=-1e-6), "eps must be a positive finite number"),
    (dict(eps=math.nan), "eps must be a positive finite number"),
    (dict(eps=1e-50), r"eps must be a positive finite number, a normal float32 \(>= 2\*\*-126\)"),
    (dict(eps=1e-39), "eps must be a positive finite number, a normal float32"),
    (dict(eps=1e300), "eps must be a positive finite number"),
    (dict(eps=True), "eps must be a positive finite number"),
    (dict(dtype="int4"), "dtype must be one of"),
    (dict(scale_ub=1.0), "scale_ub must be None unless dtype='fp8'"),
])
def test_bad_fused_arguments_are_refused(kwargs, match):
    args = dict(x=X, residual=X.clone(), weight=torch.ones(64), eps=1e-6, dtype="int8")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        qgemm.fused_add_rmsnorm_quant(**args)


def test_non_contiguous_residual_is_refused():
    residual = torch.zeros(64, 4, dtype=torch.float16).t()
    x = torch.zeros(4, 64, dtype=torch.float16)
    with pytest.raises(ValueError, match="residual must be contiguous"):
        qgemm.fused_add_rmsnorm_quant(x, residual, torch.ones(64), 1e-6)


def test_ops_are_registered_with_fake_implementations():
    # The schemas torch.compile sees; fake kernels give shapes without a GPU.
    ops = torch.ops.qgemm
    assert "Tensor(a1!) residual" in str(ops.fused_add_rmsnorm_quant.default._schema)
    with torch._subclasses.fake_tensor.FakeTensorMode():
        x = torch.empty(3, 5, 40, dtype=torch.bfloat16, device="cuda")
        q, s = ops.per_token_quant_int8(x)
        assert q.shape == (3, 5, 40) and q.dtype == torch.int8 and s.shape == (3, 5, 1)
        q, s, zp = ops.per_token_quant_int8_asym(x)
        assert zp.dtype == torch.int32 and zp.shape == (3, 5, 1)
        q, s = ops.fused_add_rmsnorm_quant(x, x, torch.empty(40, device="cuda"), 1e-6, True, None, math.inf)
        assert q.dtype == torch.float8_e4m3fn and s.dtype == torch.float32
