"""A small GPU sweep for compute-sanitizer (memcheck, racecheck):

    compute-sanitizer --tool memcheck python tests/sanitizer_sweep.py [wna16] [wna16_k64] [wna16_sm90] [scaled_mm] [scaled_mm_decode] [quant]

Every kernel family and every dispatch config at least once (tails, split-K, group
sizes, both dtypes, the repack and dequantize kernels, the activation quantizers on
each launch shape); shapes are small so the sanitizer finishes in minutes. Exits
non-zero if a result is off.
"""
import sys

import torch

import qgemm
from qgemm import reference


def wna16_sweep() -> int:
    bad = 0
    cases = [("int4", "int", 128), ("uint4", "int", 32), ("uint4", "float", 64), ("int8", "int", -1)]
    for dtype in (torch.float16, torch.bfloat16):
        for scheme, zp, group in cases:
            n, k = 192, 1024
            w = (torch.randn(n, k) * 0.05).to(dtype)
            qw = qgemm.quantize(w, scheme, group, zero_point=zp, scale_dtype=dtype)
            pw = qgemm.prepack(qw, "cuda", dtype, format="int8_fragment" if scheme == "int8" else "int4_fragment")
            ref_w = qw.dequantize().double().cuda()
            for m in (1, 17, 100, 300):
                x = torch.randn(m, k, device="cuda").to(dtype)
                out = qgemm.linear(x, pw)
                ref = x.double() @ ref_w.t()
                err = ((out.double() - ref).norm() / ref.norm()).item()
                ok = err < (2e-3 if dtype == torch.float16 else 1.5e-2)
                bad += not ok
                print(f"{dtype} {scheme}/{zp} g{group} m={m}: rel err {err:.2e} {'ok' if ok else 'FAIL'}")
            g = torch.randn(3, n, device="cuda").to(dtype)
            qgemm.linear_t(g, pw)
    return bad


def _k64_linear_checks(tag, dtype, scheme, zp, group, n, k, ms) -> int:
    """linear() with bias on a k64-format weight (whatever path ops.FORCE_PATH names) at
    each M, against the float64 product; returns the number of failures."""
    w = (torch.randn(n, k) * 0.05).to(dtype)
    qw = qgemm.quantize(w, scheme, group, zero_point=zp, scale_dtype=dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format=qgemm.packed.k64_format(scheme))
    ref_w = qw.dequantize().double().cuda()
    bias = torch.randn(n, device="cuda").to(dtype)
    bad = 0
    for m in ms:
        x = torch.randn(m, k, device="cuda").to(dtype)
        out = qgemm.linear(x, pw, bias)
        ref = x.double() @ ref_w.t() + bias.double()
        err = ((out.double() - ref).norm() / ref.norm()).item()
        ok = err < (2e-3 if dtype == torch.float16 else 1.5e-2)
        bad += not ok
        print(f"{tag} {dtype} {scheme}/{zp} g{group} n={n} k={k} m={m}: rel err {err:.2e} {'ok' if ok else 'FAIL'}")
    return bad


def wna16_sm90_sweep() -> int:
    """The sm90a wgmma kernel on int4_k64 / int8_k64 (needs an sm_90 GPU and a 90a build):
    every config row, int4 / uint4 / int8, g 64 / 128 / K, a last tile partly outside N, tails in M, bias."""
    from qgemm import ops

    if torch.cuda.get_device_capability() != (9, 0):
        print("wna16_sm90: skipped (not an sm_90 device)")
        return 0
    bad = 0
    ops.FORCE_PATH = "sm90"
    try:
        cases = [("int4", "int", 128), ("uint4", "int", 64), ("uint4", "float", -1), ("int8", "int", -1),
                 ("int8", "int", 128)]
        for config in range(ops.sm90_table_rows()):
            ops.SM90_CONFIG = config
            for dtype in (torch.float16, torch.bfloat16):
                for scheme, zp, group in cases:
                    bad += _k64_linear_checks(f"sm90 cfg{config}", dtype, scheme, zp, group, 320, 512,
                                              (1, 65, 300))
        # Each forced scheduler decomposition, with peers sharing tiles (64 k-tiles a tile).
        for config in (1, 4):
            ops.SM90_CONFIG = config
            for schedule in [("data_parallel", 1, "slots"), ("split_k", 3, "slots"), ("stream_k", 1, "slots"),
                             ("stream_k", 1, "turnstile"), ("stream_k", 1, "arrival")]:
                ops.SM90_SCHEDULE = schedule
                bad += _k64_linear_checks(f"sm90 cfg{config} {schedule}", torch.float16, "int4", "int", 128, 320,
                                          4096, (65, 300))
    finally:
        ops.FORCE_PATH = None
        ops.SM90_CONFIG = None
        ops.SM90_SCHEDULE = None
    return bad


def wna16_k64_sweep() -> int:
    """The sm80 kernel on int4_k64 / int8_k64 (any GPU): every table row (M = 1, 17, 100,
    300), int4 / uint4 / int8, g 64 / 128 / K, split-K at decode, a half-outside last N tile, bias."""
    from qgemm import ops

    bad = 0
    ops.FORCE_PATH = "fused"
    try:
        cases = [("int4", "int", 128), ("uint4", "float", 64), ("int8", "int", -1)]
        for dtype in (torch.float16, torch.bfloat16):
            for scheme, zp, group in cases:
                for n, k in ((192, 2048), (320, 256)):
                    bad += _k64_linear_checks("fused k64", dtype, scheme, zp, group, n, k, (1, 17, 100, 300))
    finally:
        ops.FORCE_PATH = None
    return bad


def wna16_decode_sweep() -> int:
    """The k64 decode kernel (any GPU): one and two token blocks (M = 1, 9, 16), int4 / uint4
    / int8, g 64 / 128 / K, split-K, one split and stream-K, an odd n64 column count (the last
    CTA's second column past N at M > 8), bias."""
    from qgemm import ops

    bad = 0
    ops.FORCE_PATH = "decode"
    try:
        cases = [("int4", "int", 128), ("uint4", "float", 64), ("int8", "int", -1)]
        for dtype in (torch.float16, torch.bfloat16):
            for scheme, zp, group in cases:
                for n, k in ((192, 2048), (320, 256)):
                    bad += _k64_linear_checks("decode", dtype, scheme, zp, group, n, k, (1, 9, 16))
        # Stream-K: more two-column groups than CTA slots (2 a SM), a fraction of a wave over.
        sms = torch.cuda.get_device_properties(0).multi_processor_count
        bad += _k64_linear_checks("decode stream-K", torch.float16, "int4", "int", 128, 128 * (3 * sms + 7), 256,
                                  (1, 9))
    finally:
        ops.FORCE_PATH = None
    return bad


def _scaled_mm_cases(path, configs, shapes) -> int:
    """One W8A8 family (skipped where the device has none) at each forced config, int8
    (with azp) and fp8, on each (m, n, k); rel err against the reference."""
    from qgemm import w8a8
    from qgemm.reference.scaled_mm import scaled_mm as ref

    bad = 0
    w8a8.FORCE_PATH = path
    try:
        w8a8.resolve_path(torch.int8)
    except RuntimeError as exc:
        print(f"scaled_mm {path}: skipped ({exc})")
        w8a8.FORCE_PATH = None
        return 0
    for config in configs:
        w8a8.FORCE_CONFIG = config
        for dtype in (torch.int8, torch.float8_e4m3fn):
            for m, n, k in shapes:
                if dtype == torch.int8:
                    a = torch.randint(-128, 128, (m, k), dtype=dtype, device="cuda")
                    b = torch.randint(-127, 128, (n, k), dtype=dtype, device="cuda")
                    kw = dict(azp=torch.randint(-9, 9, (m, 1), dtype=torch.int32, device="cuda"))
                else:
                    a = torch.randn(m, k, device="cuda").to(dtype)
                    b = torch.randn(n, k, device="cuda").to(dtype)
                    kw = {}
                args = (a, b, torch.rand(m, 1, device="cuda"), torch.rand(1, n, device="cuda"),
                        torch.bfloat16)
                kw["bias"] = torch.randn(n, device="cuda").to(torch.bfloat16)
                out, want = w8a8.scaled_mm(*args, **kw).double(), ref(*args, **kw).double()
                err = ((out - want).norm() / want.norm()).item()
                ok = err < 3e-3
                bad += not ok
                print(f"scaled_mm {path} config {config} {dtype} m={m} n={n} k={k}: rel err "
                      f"{err:.2e} {'ok' if ok else 'FAIL'}")
    w8a8.FORCE_PATH = w8a8.FORCE_CONFIG = None
    return bad


def scaled_mm_sweep() -> int:
    """Every general W8A8 family and table row once, tails in M and N."""
    from qgemm import w8a8

    bad = 0
    for path in ("sm90", "sm80"):
        w8a8.FORCE_PATH = path
        try:
            rows = len(w8a8.table_rows(torch.int8))
        except RuntimeError:
            rows = 1  # no such family here: _scaled_mm_cases says so
        w8a8.FORCE_PATH = None
        bad += _scaled_mm_cases(path, range(rows), ((1, 72, 256), (33, 200, 528)))
    return bad


def scaled_mm_decode_sweep() -> int:
    """The W8A8 decode kernel: one and two token blocks, a row block cut by N (N % 64 = 8,
    N % 16 = 8), one split and several (the reduce kernel)."""
    return _scaled_mm_cases("decode", (None, 1, 3), ((1, 72, 512), (9, 200, 1024), (16, 136, 640)))


def activation_quant_sweep() -> int:
    """Each quantizer on each launch shape: warp per row (K <= 1024), a CTA with the row
    in registers (per-token: up to 1024 threads x 4 chunks, K <= 32768; fused: K <= 16384),
    a streamed row, an element-by-element tail (K % 8 != 0)."""
    bad = 0
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        for m, k in ((3, 13), (9, 520), (2, 4104), (2, 16392), (2, 20001), (2, 28680), (1, 32776)):
            x = torch.randn(m, k, device="cuda").to(dtype)
            residual = torch.randn(m, k, device="cuda").to(dtype)
            weight = torch.rand(k, device="cuda").to(dtype)
            scale = torch.tensor(0.02, device="cuda")
            ub = torch.tensor([1.0], device="cuda")
            checks = {
                "int8": (qgemm.quantize_per_token_int8(x)[0], reference.quantize_per_token_int8(x)[0]),
                "int8 asym": (qgemm.quantize_per_token_int8(x, False)[0],
                              reference.quantize_per_token_int8(x, False)[0]),
                "fp8 ub": (qgemm.quantize_per_token_fp8(x, ub)[0], reference.quantize_per_token_fp8(x, ub)[0]),
                "static int8": (qgemm.quantize_per_tensor_int8(x, scale),
                                reference.quantize_per_tensor_int8(x, scale)),
                "static fp8": (qgemm.quantize_per_tensor_fp8(x, scale),
                               reference.quantize_per_tensor_fp8(x, scale)),
                "fused residual": (qgemm.fused_add_rmsnorm_quant(x, residual.clone(), weight, 1e-6, "fp8")[2],
                                   x + residual),
            }
            for name, (out, ref) in checks.items():
                ok = torch.equal(out.view(torch.uint8) if out.dtype == torch.float8_e4m3fn else out,
                                 ref.view(torch.uint8) if ref.dtype == torch.float8_e4m3fn else ref)
                bad += not ok
                print(f"{dtype} quant {name} m={m} k={k}: {'ok' if ok else 'FAIL'}")
    return bad


SWEEPS = {"wna16": wna16_sweep, "wna16_k64": wna16_k64_sweep, "wna16_decode": wna16_decode_sweep,
          "wna16_sm90": wna16_sm90_sweep,
          "scaled_mm": scaled_mm_sweep, "scaled_mm_decode": scaled_mm_decode_sweep,
          "quant": activation_quant_sweep}


def main(names) -> int:
    """Runs the named sweeps (all by default); non-zero if a result is off."""
    torch.manual_seed(0)
    bad = sum(SWEEPS[name]() for name in (names or SWEEPS))
    torch.cuda.synchronize()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
