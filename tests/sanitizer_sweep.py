"""A small GPU sweep for compute-sanitizer (memcheck, racecheck):

    compute-sanitizer --tool memcheck python tests/sanitizer_sweep.py

Every kernel family and every dispatch config at least once (tails, split-K, group
sizes, both dtypes, the repack and dequantize kernels); shapes are small so the
sanitizer finishes in minutes. Exits non-zero if a result is off.
"""
import sys

import torch

import qgemm


def main() -> int:
    torch.manual_seed(0)
    bad = 0
    cases = [("int4", "int", 128), ("uint4", "int", 32), ("uint4", "float", 64), ("int8", "int", -1)]
    for dtype in (torch.float16, torch.bfloat16):
        for scheme, zp, group in cases:
            n, k = 192, 1024
            w = (torch.randn(n, k) * 0.05).to(dtype)
            qw = qgemm.quantize(w, scheme, group, zero_point=zp, scale_dtype=dtype)
            pw = qgemm.prepack(qw, "cuda", dtype)
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
    torch.cuda.synchronize()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
