"""Argument checks of the weight-only ops that need no GPU: refused before any work."""
import pytest
import torch

import qgemm


def _qw(n=128, k=256, scheme="int4", group=128):
    return qgemm.quantize(torch.randn(n, k, dtype=torch.float16), scheme, group)


def test_prepack_refuses_cpu_device():
    with pytest.raises(ValueError, match="device.*CUDA"):
        qgemm.prepack(_qw(), "cpu")


@pytest.mark.parametrize("n,k,match", [(96, 256, "N.*multiple of 64"), (128, 192, "K.*multiple of 128")])
def test_prepack_refuses_misaligned_shapes(n, k, match):
    with pytest.raises(ValueError, match=match):
        qgemm.prepack(_qw(n, k, group=64), "cpu")


@pytest.mark.parametrize("scheme", ["fp6_e3m2", "fp8_e4m3", "fp4_e2m1"])
def test_prepack_refuses_schemes_without_weight_only_kernel(scheme):
    with pytest.raises(ValueError, match="scheme"):
        qgemm.prepack(_qw(scheme=scheme), "cpu")


def test_prepack_refuses_non_quantized_weight():
    with pytest.raises(ValueError, match="qw.*QuantizedWeight"):
        qgemm.prepack(torch.zeros(128, 256), "cpu")


def test_linear_refuses_unknown_weight_type():
    with pytest.raises(ValueError, match="w.*PackedWeight"):
        qgemm.linear(torch.zeros(2, 256, dtype=torch.float16), torch.zeros(128, 256))


def test_dense_path_table_is_printable():
    from qgemm import ops
    assert all(v is None or v > 0 for v in ops.DENSE_MIN_M.values())


def test_prepack_awq_refuses_cpu_tensors():
    qw = qgemm.quantize(torch.randn(128, 256, dtype=torch.float16), "uint4", 128)
    qweight, qzeros, scales = qgemm.export_awq(qw)
    with pytest.raises(ValueError, match="qweight.*CUDA"):
        qgemm.prepack_awq(qweight, qzeros, scales, 128)
    with pytest.raises(ValueError, match="qzeros.*shape"):
        qgemm.prepack_awq(qweight, qzeros[:1], scales, 128)


def test_prepack_gptq_refuses_cpu_tensors_and_bad_format():
    qw = qgemm.quantize(torch.randn(128, 256, dtype=torch.float16), "uint4", 128)
    gq, gz, gs, g_idx = qgemm.export_gptq(qw)
    with pytest.raises(ValueError, match="qweight.*CUDA"):
        qgemm.prepack_gptq(gq, gz, gs, 128, g_idx)
    with pytest.raises(ValueError, match="checkpoint_format"):
        qgemm.prepack_gptq(gq, gz, gs, 128, g_idx, checkpoint_format="gptq_v3")


@pytest.mark.skipif(not hasattr(qgemm._ext._C, "wna16_plan"), reason="built without the CUDA kernels")
def test_dispatch_table_names_a_plan_for_every_shape(monkeypatch):
    # The plan is host code: it can be printed on a machine without a GPU.
    from qgemm import ops
    monkeypatch.setattr(qgemm._ext, "num_sms", lambda device: 132)
    monkeypatch.setattr(ops, "dense_min_m", lambda device: 1024)
    monkeypatch.setattr(qgemm._ext, "runs_sm90a", lambda device: False)
    lines = ops.dispatch_table(device="cuda:0").splitlines()
    assert lines[0] == "fragment-format weights (and k64 ones below that):"
    lines = lines[1:]
    assert len(lines) == 12  # 6 M values x 2 shapes
    for line in lines:
        m = int(line.split()[0][2:])
        assert ("dense" in line) == (m >= 1024), line
        assert ("splits=" in line) == (m < 1024), line
    assert "decode" in lines[0]


def test_status_codes_become_named_errors():
    from qgemm import _ext

    _ext.check_status("linear", 0)  # success: nothing raised
    with pytest.raises(RuntimeError, match=r"qgemm.linear: kernel launch failed: invalid argument "
                                           r".*\(M=3, N=64, K=128\)"):
        _ext.check_status("linear", 1, M=3, N=64, K=128)
    with pytest.raises(RuntimeError, match=r"qgemm.scaled_mm: kernel launch failed: unsupported"):
        _ext.check_status("scaled_mm", 2)
    with pytest.raises(RuntimeError, match=r"repack kernel failed: status 9"):
        _ext.check_status("prepack", 9, "repack kernel")


def _k64_weight(scheme):
    """A PackedWeight in a k64 format with placeholder tensors: enough for the routing."""
    from qgemm.packed import PackedWeight, _KIND, k64_format
    z = torch.zeros(1)
    return PackedWeight(scheme, _KIND[scheme], 128, 256, 128, torch.float16, z, z, None, None,
                        format=k64_format(scheme))


def test_decode_routing_by_scheme(monkeypatch):
    # k64 weights on a 90a build: the decode kernel up to K64_DECODE_MAX_M rows within the
    # scheme's limit (none by default), the sm80 kernel up to K64_FUSED_MAX_M, then sm90a.
    from qgemm import _ext, ops
    monkeypatch.setattr(_ext, "runs_sm90a", lambda device: True)
    monkeypatch.setattr(ops, "dense_min_m", lambda device: None)
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    ms = (1, 8, 9, 16, 17)
    route = lambda scheme: [ops._choose_path("linear", _k64_weight(scheme), m) for m in ms]
    assert route("int4") == route("uint4") == route("int8") == ["decode"] * 4 + ["sm90"]
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M_BY_SCHEME", {"int4": 8})
    assert route("int4") == ["decode", "decode", "fused", "fused", "sm90"]
    assert route("uint4") == ["decode"] * 4 + ["sm90"]
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M_BY_SCHEME", {})
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", 8)
    assert route("int8") == ["decode", "decode", "fused", "fused", "sm90"]
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", None)
    assert route("uint4") == ["fused"] * 4 + ["sm90"]
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", 16)
    for bad in ({"int4": -1}, {"int4": 8.0}, {"Int4": 8}, [8]):
        monkeypatch.setattr(ops, "K64_DECODE_MAX_M_BY_SCHEME", bad)
        with pytest.raises(ValueError, match="K64_DECODE_MAX_M_BY_SCHEME"):
            ops._choose_path("linear", _k64_weight("int4"), 1)
