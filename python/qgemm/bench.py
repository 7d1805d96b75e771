"""`python -m qgemm.bench`: qgemm's weight-only GEMM beside the torch baselines.

Side by side, in one process, on the same shapes and inputs: cuBLAS fp16 and bf16
(torch.nn.functional.linear), torch's tinygemm int4 (`_weight_int4pack_mm`, bf16, g128),
torch's `_weight_int8pack_mm` (bf16, per-channel), and qgemm W4A16 (int4 and uint4, g128)
and W8A16 (int8 per-channel) in fp16 and bf16; W8A8 int8 and fp8 (whole op with the
activation quantization, and the GEMM alone) beside torch `_int_mm` and row-wise
`_scaled_mm` with torch's own activation quantization. Shapes: the four linears of one
Llama-3-70B or Llama-3-8B layer; times are summed over the four, in microseconds.

Timing: each measurement is a CUDA graph of many calls, replayed several times; the
median replay over the number of calls. Weights are rotated through enough copies that
consecutive calls never find their weight in L2. Prints us, GB/s (weight bytes moved
over time), TFLOP/s and the speedup over cuBLAS of the same dtype; writes JSON, and a
PNG when matplotlib is importable (`--plot results.json` draws one from a JSON later).
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import torch

LAYERS = {
    "llama3-70b": [("qkv", 10240, 8192), ("o", 8192, 8192), ("gate_up", 57344, 8192), ("down", 8192, 28672)],
    "llama3-8b": [("qkv", 6144, 4096), ("o", 4096, 4096), ("gate_up", 28672, 4096), ("down", 4096, 14336)],
}
M_VALUES = [1, 16, 64, 256, 1024, 4096]
ROTATE_BYTES = 256 << 20  # > 2x the H100's 50 MB L2 per rotation cycle


def _graph_time_us(fn, calls_per_graph: int, replays: int) -> float:
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i in range(2):
            fn(i)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(calls_per_graph):
            fn(i)
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(replays):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / calls_per_graph)
    del graph
    return statistics.median(times)


def _time_us(fn, budget_ms: float = 60.0) -> float:
    # One probe call sizes the graph so that a replay takes about budget_ms.
    fn(0)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn(1)
    end.record()
    end.synchronize()
    probe_us = max(start.elapsed_time(end) * 1e3, 1.0)
    calls = int(min(200, max(3, budget_ms * 1e3 / probe_us)))
    return _graph_time_us(fn, calls, replays=5)


class _Method:
    """One way to compute y = x @ W^T for a shape: builds rotated weights, then calls."""

    def __init__(self, name, dtype, bytes_per_weight, build, call, max_m=1 << 30, min_m=1):
        self.name, self.dtype, self.bytes_per_weight = name, dtype, bytes_per_weight
        self.max_m = max_m  # larger M is not measured (a baseline that takes seconds there)
        self.min_m = min_m  # smaller M is not measured (torch._int_mm refuses M <= 16)
        self.build, self.call = build, call


def _methods():
    import qgemm

    def dense(dtype):
        return _Method(f"cublas_{_short(dtype)}", dtype, 2.0,
                       lambda w: w.to(dtype),
                       lambda x, w: torch.nn.functional.linear(x, w))

    def tinygemm():
        def build(w):
            n, k = w.shape
            qw = qgemm.quantize(w, "uint4", 128)
            # tinygemm's asymmetric form: w = (q - 8) * s + zero_tiny, zero_tiny = (8 - z) * s
            q = qw.qdata.to(torch.int32)
            packed = torch._convert_weight_to_int4pack((q[:, ::2] << 4 | q[:, 1::2]).to(torch.uint8), 8)
            s = qw.scales.float().t()
            z = (8 - qw.zeros.float().t()) * s
            sz = torch.stack([s, z], dim=-1).to(torch.bfloat16).contiguous()
            return packed, sz
        return _Method("torch_int4pack_bf16", torch.bfloat16, 0.5 + 4 / 128,
                       build, lambda x, w: torch._weight_int4pack_mm(x, w[0], 128, w[1]))

    def int8pack():
        def build(w):
            qw = qgemm.quantize(w, "int8", -1)
            return qw.qdata.contiguous(), qw.scales.reshape(-1).to(torch.bfloat16)
        return _Method("torch_int8pack_bf16", torch.bfloat16, 1.0,
                       build, lambda x, w: torch._weight_int8pack_mm(x, w[0], w[1]), max_m=64)

    return [dense(torch.float16), dense(torch.bfloat16), tinygemm(), int8pack(),
            _ours("int4", 128, torch.float16), _ours("int4", 128, torch.bfloat16),
            _ours("uint4", 128, torch.float16), _ours("int8", -1, torch.float16),
            _ours("int8", -1, torch.bfloat16)]


def _name_matches(name: str, pattern: str) -> bool:
    """--methods: a substring of the name, or the whole name with a trailing '$'."""
    return name == pattern[:-1] if pattern.endswith("$") else pattern in name


def _sm90_kernel_here() -> bool:
    """This build has the sm90a kernels and this GPU runs them."""
    from qgemm import ops
    return bool(ops.sm90_table_rows()) and torch.cuda.get_device_capability() == (9, 0)


def _path_methods():
    """Every path of the dispatch, forced, to set the table by measurement: the sm80
    kernel on both tilings, dequantize + GEMM, and each row of the sm90a table (when built)."""
    from qgemm import ops
    weights = (("int4", 128, torch.float16), ("uint4", 128, torch.bfloat16), ("int8", -1, torch.float16))
    methods = [_ours(s, g, dt, path) for path in ("fused", "dense") for s, g, dt in weights if s != "uint4"]
    methods += [_ours(s, g, dt, "fused", k64=True) for s, g, dt in weights]
    methods += [_ours(s, g, dt, "decode", k64=True, max_m=16) for s, g, dt in weights]
    if _sm90_kernel_here():
        rows = range(ops.sm90_table_rows())
        methods += [_ours(s, g, dt, "sm90", row) for row in [None, *rows] for s, g, dt in weights]
    return methods


def _decode_ab_methods():
    """The default weights on the k64 format with each decode-size kernel forced at M <= 16:
    the sm80 kernel (the decode path before the k64 decode kernel) and the k64 decode
    kernel (which the dispatch takes up to ops.K64_DECODE_MAX_M), beside the default methods."""
    weights = (("int4", 128, torch.float16), ("int4", 128, torch.bfloat16), ("uint4", 128, torch.float16),
               ("int8", -1, torch.float16), ("int8", -1, torch.bfloat16))
    return [_ours(s, g, dt, path, k64=True, max_m=16) for path in ("fused", "decode") for s, g, dt in weights]


def _int8_scale_ab_methods():
    """int8 with 128-wide groups beside the default per-channel methods: the sm90 kernel
    scales per-channel int8 in its epilogue, and grouped int8 in its mainloop (an HMUL2 a
    register pair and one scale row a k-tile, as it scaled per-channel int8 before the
    epilogue did). The scales add 1.6 % to g128's bytes: where the sm90 kernel
    runs (above 16 tokens) and is not bandwidth-bound, the pair times where the scale is applied."""
    return [_ours("int8", 128, dt) for dt in (torch.float16, torch.bfloat16)]


def _schedule_methods():
    """The default weights with the sm90 kernel's schedule forced (ops.SM90_SCHEDULE): each
    CUTLASS decomposition (split-K by 2, 4, 8), the heuristic and stream-K with CUTLASS's
    turnstile and arrival-order reductions, beside the dispatch's schedule (the default methods)."""
    if not _sm90_kernel_here():
        return []
    weights = (("int4", 128, torch.float16), ("int8", -1, torch.float16))
    schedules = [("heuristic", 1, "slots"), ("data_parallel", 1, "slots"), ("stream_k", 1, "slots"),
                 ("split_k", 2, "slots"), ("split_k", 4, "slots"), ("split_k", 8, "slots"),
                 ("heuristic", 1, "turnstile"), ("stream_k", 1, "turnstile"), ("stream_k", 1, "arrival")]
    return [_ours(s, g, dt, "sm90", schedule=sch) for sch in schedules for s, g, dt in weights]


def _ours(scheme, group, dtype, path=None, sm90_row=None, k64=False, max_m=1 << 30, schedule=None):
    import qgemm
    from qgemm import ops
    from qgemm.packed import fragment_format, k64_format
    # A forced path gets its format named: k64 for sm90 (and fused with k64), else fragment.
    fmt = None if path is None else k64_format(scheme) if path == "sm90" or k64 else fragment_format(scheme)

    def build(w):
        return qgemm.prepack(qgemm.quantize(w, scheme, group, scale_dtype=dtype), w.device, dtype, format=fmt)
    bits = 8 if scheme == "int8" else 4
    # 16-bit scale (and zero for uint4) per group; per-channel adds next to nothing
    extra = 0.0 if group <= 0 else 2 / group * (2 if scheme == "uint4" else 1)
    def call(x, w):
        ops.FORCE_PATH, ops.SM90_CONFIG, ops.SM90_SCHEDULE = path, sm90_row, schedule
        try:
            return qgemm.linear(x, w)
        finally:
            ops.FORCE_PATH = ops.SM90_CONFIG = ops.SM90_SCHEDULE = None
    suffix = (f"_{path}" if path else "") + ("_k64" if k64 else "") + (f"_row{sm90_row}" if sm90_row is not None else "")
    if schedule is not None:
        name, splits, reduction = schedule
        reduction = ops.SM90_REDUCTIONS[ops._sm90_reduction_code(reduction)]
        suffix += f"_{name}" + (f"{splits}" if name == "split_k" else "") + {"slots": "", "arrival": "_nondet"}.get(
            reduction, f"_{reduction}")
    return _Method(f"qgemm_{scheme}_{'g' + str(group) if group > 0 else 'pc'}_{_short(dtype)}{suffix}",
                   dtype, bits / 8 + extra, build, call, max_m=max_m)


def _w8a8_methods(rows: bool = False, general: bool = False):
    """W8A8 int8 and fp8, bf16 activations and output: qgemm's whole op (per-token
    activation quantization kernel + scaled_mm) and its GEMM alone, beside torch's
    `_int_mm` and row-wise `_scaled_mm` with the same quantization written in torch.
    general: instead, ours with each family the device has forced (sm90, sm80, decode) at
    M <= 16, where the unforced dispatch picks one by its table (--decode-ab)."""
    from qgemm.reference import activation_quant as ref
    from qgemm.w8a8 import scaled_mm

    bf16 = torch.bfloat16

    def weights(kind):
        def build(w):
            q, s = (ref.quantize_per_token_int8(w)[:2] if kind == "int8"
                    else ref.quantize_per_token_fp8(w))
            return q.contiguous(), s.view(1, -1).contiguous()
        return build

    def quant_ours(kind, x):
        from qgemm import activation_quant as aq
        return aq.quantize_per_token_int8(x)[:2] if kind == "int8" else aq.quantize_per_token_fp8(x)

    def quant_torch(kind, x):
        xf = x.float()
        amax = xf.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12)
        if kind == "int8":
            s = amax / 127
            return torch.round(xf / s).clamp(-127, 127).to(torch.int8), s
        s = amax / 448
        return (xf / s).clamp(-448, 448).to(torch.float8_e4m3fn), s

    from qgemm import w8a8

    def forced(path, row, fn):
        w8a8.FORCE_PATH, w8a8.FORCE_CONFIG = path, row
        try:
            return fn()
        finally:
            w8a8.FORCE_PATH = w8a8.FORCE_CONFIG = None

    def whole_op(kind, path=None):
        def call(x, w):
            q, s = quant_ours(kind, x)
            return forced(path, None, lambda: scaled_mm(q, w[0], s, w[1], bf16))
        suffix = f"_{path}" if path else ""
        return _Method(f"qgemm_w8a8_{kind}{suffix}_bf16", bf16, 1.0, weights(kind), call,
                       max_m=16 if path else 1 << 30)

    def gemm_only(kind, row=None, path=None):
        cache = {}
        def call(x, w):  # activations quantized once, outside the timed graph
            key = (x.data_ptr(), x.shape)
            if key not in cache:
                cache.clear()
                cache[key] = quant_ours(kind, x)
            q, s = cache[key]
            return forced(path, row, lambda: scaled_mm(q, w[0], s, w[1], bf16))
        suffix = ("" if row is None else f"_row{row}") + (f"_{path}" if path else "")
        return _Method(f"qgemm_w8a8_{kind}_gemm_only{suffix}_bf16", bf16, 1.0, weights(kind), call,
                       max_m=16 if path else 1 << 30)

    def torch_int8():
        def call(x, w):
            q, s = quant_torch("int8", x)
            return (torch._int_mm(q, w[0].t()).float() * s * w[1]).to(bf16)
        return _Method("torch_w8a8_int8_bf16", bf16, 1.0, weights("int8"), call, min_m=17)

    def torch_fp8():
        def call(x, w):
            q, s = quant_torch("fp8", x)
            return torch._scaled_mm(q, w[0].t(), scale_a=s, scale_b=w[1], out_dtype=bf16,
                                    use_fast_accum=True)
        return _Method("torch_scaled_mm_fp8_rowwise_bf16", bf16, 1.0, weights("fp8"), call)

    if general:
        paths = []
        for path in ("sm90", "sm80", "decode"):
            w8a8.FORCE_PATH = path
            try:
                w8a8.resolve_path(torch.int8)
                paths.append(path)
            except RuntimeError:
                pass
            finally:
                w8a8.FORCE_PATH = None
        return [m(kind, path=path) for path in paths for kind in ("int8", "fp8") for m in (whole_op, gemm_only)]
    if rows:  # every row of the W8A8 table, forced, to set its max_m by measurement
        from qgemm.w8a8 import table_rows
        return [gemm_only(kind, i) for kind, dt in (("int8", torch.int8), ("fp8", torch.float8_e4m3fn))
                for i in range(len(table_rows(dt)))]
    return [whole_op("int8"), whole_op("fp8"), gemm_only("int8"), gemm_only("fp8"),
            torch_int8(), torch_fp8()]


def _without_pdl(method: "_Method") -> "_Method":
    """The same method with qgemm's kernels launched the ordinary way (no programmatic
    dependent launch), to measure what PDL buys in the same process. The switch is read at
    launch time, so graph capture records ordinary launches."""
    import qgemm

    def call(x, w):
        before = qgemm.dependent_launch_enabled()  # QGEMM_PDL=0 runs stay off afterwards
        qgemm.set_dependent_launch(False)
        try:
            return method.call(x, w)
        finally:
            qgemm.set_dependent_launch(before)
    return _Method(method.name + "_nopdl", method.dtype, method.bytes_per_weight, method.build, call,
                   method.max_m, method.min_m)


def _short(dtype):
    return {torch.float16: "fp16", torch.bfloat16: "bf16"}[dtype]


def run(models, m_values, methods_filter=None, paths=False, w8a8=True, w8a8_rows=False, pdl_ab=False,
        decode_ab=False, schedules=False, int8_scale_ab=False):
    torch.manual_seed(0)
    results = []
    methods = (_methods() + (_decode_ab_methods() if decode_ab else []) + (_path_methods() if paths else [])
               + (_schedule_methods() if schedules else []) + (_int8_scale_ab_methods() if int8_scale_ab else [])
               + (_w8a8_methods() if w8a8 else []) + (_w8a8_methods(rows=True) if w8a8_rows else [])
               + (_w8a8_methods(general=True) if w8a8 and decode_ab else []))
    methods = [m for m in methods if not methods_filter or any(_name_matches(m.name, f) for f in methods_filter)]
    if pdl_ab:
        methods += [_without_pdl(m) for m in methods if m.name.startswith("qgemm_")]
    for model in models:
        layers = LAYERS[model]
        for method in methods:
            per_m = {m: 0.0 for m in m_values}
            per_layer = {m: {} for m in m_values}
            for lname, n, k in layers:
                w = (torch.randn(n, k, device="cuda") * 0.02).to(torch.float16)
                copies = max(1, math.ceil(ROTATE_BYTES / (n * k * method.bytes_per_weight)))
                copies = min(copies, 16)
                weights = [method.build(w.to(method.dtype) if i == 0 else w.roll(i, 0).to(method.dtype))
                           for i in range(copies)]
                del w
                for m in m_values:
                    if not method.min_m <= m <= method.max_m:
                        per_m[m] = float("nan")
                        continue
                    x = torch.randn(m, k, device="cuda").to(method.dtype)
                    per_layer[m][lname] = _time_us(lambda i: method.call(x, weights[i % copies]))
                    per_m[m] += per_layer[m][lname]
                del weights
                torch.cuda.empty_cache()
            weight_bytes = sum(n * k for _, n, k in layers) * method.bytes_per_weight
            flops_per_m = sum(2 * n * k for _, n, k in layers)
            for m, us in per_m.items():
                results.append(dict(model=model, method=method.name, m=m, us=us,
                                    gbps=weight_bytes / us / 1e3, tflops=flops_per_m * m / us / 1e6,
                                    layers=per_layer[m]))
                print(f"  {model} {method.name:<24} M={m:<5} {us:9.1f} us", flush=True)
    return results


def table(results) -> str:
    lines = []
    for model in dict.fromkeys(r["model"] for r in results):
        rows = [r for r in results if r["model"] == model]
        ms = sorted(dict.fromkeys(r["m"] for r in rows))
        base = {(r["m"], _dtype_tag(r["method"])): r["us"] for r in rows if r["method"].startswith("cublas")}
        lines.append(f"\n{model}: summed us over its 4 linears (GB/s of weights | TFLOP/s | x cuBLAS same dtype)")
        lines.append("| method | " + " | ".join(f"M={m}" for m in ms) + " |")
        lines.append("|---|" + "---|" * len(ms))
        for method in dict.fromkeys(r["method"] for r in rows):
            cells = []
            for m in ms:
                r = next(r for r in rows if r["method"] == method and r["m"] == m)
                if math.isnan(r["us"]):
                    cells.append("not run")
                    continue
                ref = base.get((m, _dtype_tag(method)))
                speed = f" | {ref / r['us']:.2f}x" if ref else ""
                cells.append(f"{r['us']:.0f} ({r['gbps']:.0f} GB/s | {r['tflops']:.0f}{speed})")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _dtype_tag(method: str) -> str:
    return "fp16" if "fp16" in method else "bf16"


def plot(results, path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    models = list(dict.fromkeys(r["model"] for r in results))
    fig, axes = plt.subplots(1, len(models), figsize=(7 * len(models), 5), squeeze=False)
    for ax, model in zip(axes[0], models):
        rows = [r for r in results if r["model"] == model]
        for method in dict.fromkeys(r["method"] for r in rows):
            pts = sorted((r["m"], r["us"]) for r in rows if r["method"] == method)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("M (tokens)")
        ax.set_ylabel("us, summed over the layer's 4 linears")
        ax.set_title(model)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


LLAMA2_7B_LAYER = [(4096, 4096)] * 4 + [(11008, 4096)] * 2 + [(4096, 11008)]
LLAMA2_7B_LAYERS = 32  # 6.5 B linear weights in all


def repack_7b() -> dict:
    """Time AWQ checkpoint tensors on the GPU -> qgemm kernel format for all linear
    weights of a 7B model (32 identical layers' worth: the work is the same)."""
    import qgemm
    g = 128
    layer = []
    for n, k in LLAMA2_7B_LAYER:
        qweight = torch.randint(-2**31, 2**31 - 1, (k, n // 8), dtype=torch.int32, device="cuda")
        qzeros = torch.randint(-2**31, 2**31 - 1, (k // g, n // 8), dtype=torch.int32, device="cuda")
        scales = torch.rand(k // g, n, device="cuda").half() * 0.01
        layer.append((qweight, qzeros, scales))

    imported = [qgemm.import_awq(qw, qz, sc, g) for qw, qz, sc in layer]

    def model_ms(one_layer) -> float:
        one_layer()
        torch.cuda.synchronize()
        times = []
        for _ in range(3):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(LLAMA2_7B_LAYERS):
                one_layer()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        return statistics.median(times)

    params = LLAMA2_7B_LAYERS * sum(n * k for n, k in LLAMA2_7B_LAYER)
    direct = model_ms(lambda: [qgemm.prepack_awq(qw, qz, sc, g) for qw, qz, sc in layer])
    both = model_ms(lambda: [qgemm.prepack(qgemm.import_awq(qw, qz, sc, g), "cuda") for qw, qz, sc in layer])
    pack = model_ms(lambda: [qgemm.prepack(q, "cuda") for q in imported])
    print(f"7B repack, {params / 1e9:.2f} B weights on the GPU: AWQ tensors -> kernel format in one "
          f"pass (prepack_awq) {direct:.1f} ms; import_awq + prepack {both:.1f} ms; "
          f"imported QuantizedWeight -> kernel format (prepack alone) {pack:.1f} ms")
    return dict(params=params, prepack_awq_ms=direct, import_and_prepack_ms=both, prepack_ms=pack)


def _commit() -> str:
    import os
    if os.environ.get("QGEMM_COMMIT"):  # set by whoever runs an installed copy
        return os.environ["QGEMM_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qgemm.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(LAYERS), choices=list(LAYERS))
    parser.add_argument("--m", nargs="+", type=int, default=M_VALUES)
    parser.add_argument("--methods", nargs="*", help="substrings of method names to keep ('name$': that name only)")
    parser.add_argument("--out", default="bench_results.json")
    parser.add_argument("--plot", metavar="JSON", help="only draw the PNG of an earlier JSON")
    parser.add_argument("--repack", action="store_true", help="also time the 7B repack")
    parser.add_argument("--paths", action="store_true",
                        help="also time the fused kernel and dequantize + GEMM at every M")
    parser.add_argument("--w8a8-rows", action="store_true",
                        help="also time every row of the W8A8 dispatch table (GEMM alone), forced")
    parser.add_argument("--decode-ab", action="store_true",
                        help="also time, at M <= 16, the default weights on each decode-size kernel forced "
                             "(k64 format: the sm80 kernel, the k64 decode kernel) and W8A8 on the device's general "
                             "family (the path before the W8A8 decode kernel)")
    parser.add_argument("--schedules", action="store_true",
                        help="also time the sm90 kernel with each tile-scheduler decomposition forced "
                             "(int4 g128 and int8 per-channel, fp16)")
    parser.add_argument("--int8-scale-ab", action="store_true",
                        help="also time int8 with 128-wide groups (scaled in the sm90 kernel's mainloop) "
                             "beside per-channel int8 (scaled in its epilogue)")
    parser.add_argument("--pdl-ab", action="store_true",
                        help="also time each qgemm method with programmatic dependent launch off")
    args = parser.parse_args(argv)

    if args.plot:
        data = json.loads(Path(args.plot).read_text())
        png = Path(args.plot).with_suffix(".png")
        print(f"wrote {png}" if plot(data["results"], png) else "matplotlib is not installed")
        return 0
    import qgemm
    avail = qgemm.cuda_available()
    if not avail:
        print(f"qgemm.bench: nothing to measure here: {avail.reason}")
        return 0
    repack = repack_7b() if args.repack else None
    results = run(args.models, args.m, args.methods, args.paths, w8a8_rows=args.w8a8_rows,
                  pdl_ab=args.pdl_ab, decode_ab=args.decode_ab, schedules=args.schedules,
                  int8_scale_ab=args.int8_scale_ab)
    record = dict(device=torch.cuda.get_device_name(), date=datetime.date.today().isoformat(),
                  commit=_commit(), torch=torch.__version__, results=results, repack_7b=repack,
                  dependent_launch=qgemm.dependent_launch_active())
    out = Path(args.out)
    out.write_text(json.dumps(record, indent=1))
    if not results:
        print(f"device {record['device']}, commit {record['commit']}; wrote {out}")
        return 0
    print(table(results))
    print(f"\ndevice {record['device']}, commit {record['commit']}, {record['date']}; wrote {out}")
    if plot(results, out.with_suffix(".png")):
        print(f"wrote {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
