"""Weight-only GEMM ops (W4A16 / W8A16) as torch.library custom ops.

Public entries: linear(x, w, bias) and linear_t(g, w). Both validate here, in Python,
and then call custom ops that pass data pointers, sizes and torch's current stream to
the extension (no libtorch link). Every op has a fake implementation, so they trace
under torch.compile(fullgraph=True) and capture in CUDA graphs: no host sync, no
allocation outside torch's caching allocator.

Which path serves which M lives in _choose_path, DENSE_MIN_M and K64_FUSED_MAX_M below
(the kernels' own tile choices live in include/qgemm/gemm/wna16_dispatch.hpp).
"""
from __future__ import annotations

from typing import Optional, Union

import torch

from qgemm import _ext
from qgemm._validate import check_tensor, fail
from qgemm.packed import _KIND, ACT_DTYPES, K64_FORMATS, KIND_INT4, KIND_INT8, KIND_UINT4, PackedWeight, prepack
from qgemm.quantized import QuantizedWeight

_DTYPE_CODE = {torch.float16: 0, torch.bfloat16: 1}
# Packed weights are [K / tile_k, N / 64, tile bytes]; the tile bytes name the format:
# 512 int4_fragment, 1024 int8_fragment (k16 tiles), 2048 int4_k64, 4096 int8_k64 (k64 tiles).
_FORMAT_OF_TILE = {512: 0, 1024: 1, 2048: 2, 4096: 3}  # -> tiled format code of kernel_format
_CONST_ZERO = {KIND_INT4: 8.0, KIND_INT8: 128.0}       # stored offset of symmetric codes

# From this many rows on, dequantizing W to a 16-bit matrix and running torch's GEMM
# beats the fused kernel (measured on H100, benchmarks/results/). None: never.
DENSE_MIN_M: dict[tuple[int, int], Optional[int]] = {(9, 0): 1024}
DENSE_MIN_M_DEFAULT: Optional[int] = 1024

# Tests set this to fill every op output and workspace with NaN before the kernel runs,
# so an element the kernel forgets to write fails the comparison.
POISON_OUTPUTS = False


def _new(shape, dtype, device) -> torch.Tensor:
    if POISON_OUTPUTS:
        fill = float("nan") if dtype.is_floating_point else 0xFF
        return torch.full(shape, fill, dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device)


# Benchmarks and tests pin one path: None (the tables decide), "fused" (the sm80 mma.sync
# kernel, which reads every format), "dense" (dequantize + torch GEMM), "sm90" (the sm90a
# wgmma kernel: k64 formats, sm_90 with a 90a build) or "decode" (the k64 decode kernel:
# k64 formats, M <= 16).
FORCE_PATH: Optional[str] = None
PATHS = ("fused", "dense", "sm90", "decode")
# k64-format weights with at most this many rows run the decode kernel
# (include/qgemm/gemm/k64_decode_kernel.cuh, any sm_80+ GPU), within the per-scheme limits
# below; None: never. Its limit is 16.
K64_DECODE_MAX_M: Optional[int] = 16
DECODE_MAX_M_LIMIT = 16
# Schemes whose rows beyond a limit run the sm80 kernel (scheme -> rows the decode kernel
# keeps); none since four-column CTAs at 9-16 tokens. H100, 70B block, M = 9 / 12 / 16
# (benchmarks/results/decode_cols2_ab_h100_wip_491ef57.json), decode kernel vs sm80 kernel,
# us: int4 fp16 169-171 / 171-172 / 175-176 vs 187-196 / 189-190 / 189-193 (before, int4
# kept the sm80 kernel past 8: H200 9050af9, decode 195 / 200 / 204 vs 186 / 188 / 189).
K64_DECODE_MAX_M_BY_SCHEME: dict = {}
# Split-K factor of the decode kernel to force (benchmarks), or None (its plan's). The plan
# cuts K on even k64 blocks, so a request can become fewer splits (the extension's
# wna16_decode_plan(..., forced_splits=s) says how many).
DECODE_SPLITS: Optional[int] = None
# Where the sm90a kernel runs, k64-format weights with at most this many rows go to the
# sm80 kernel instead (None: never). At decode sizes the wgmma mainloop's per-k-tile round
# trip bounds it (~500 cycles per k64 tile) and the mma.sync pipeline streams faster.
K64_FUSED_MAX_M: Optional[int] = 16
# Split-K factor of the sm80 kernel to force (benchmarks, to set its table by measurement),
# or None (the dispatch's choice, include/qgemm/gemm/wna16_dispatch.hpp).
SM80_SPLITS: Optional[int] = None
# Row of the sm90 kernel's table (include/qgemm/gemm/wna16_dispatch.hpp,
# kWna16Sm90Configs) to force, or None (chosen by M).
SM90_CONFIG: Optional[int] = None
# How the sm90 kernel's stream-K rows spread tiles over the SMs, to force (benchmarks), or
# None (the dispatch's, wna16_sm90_choose_schedule): (decomposition, splits, reduction)
# with decomposition one of SM90_DECOMPOSITIONS (CUTLASS's DecompositionMode), splits the
# split-K factor, and reduction one of SM90_REDUCTIONS (how a split tile's partials are
# summed, include/qgemm/gemm/wna16_dispatch.hpp: "slots" and CUTLASS's "turnstile" give the
# same result run after run; "arrival" does not: measurement only).
# True and False stand for "slots" and "arrival".
SM90_SCHEDULE: Optional[tuple] = None
SM90_DECOMPOSITIONS = ("heuristic", "data_parallel", "split_k", "stream_k")
SM90_REDUCTIONS = ("arrival", "slots", "turnstile")


def _sm90_reduction_code(reduction) -> int:
    if reduction is True or reduction is False:
        return int(reduction)
    return SM90_REDUCTIONS.index(reduction)  # ValueError for any other name


def _sm90_schedule() -> tuple:
    """SM90_SCHEDULE as the extension's three ints ((-1, 1, 1): the dispatch's)."""
    if SM90_SCHEDULE is None:
        return (-1, 1, 1)
    try:
        name, splits, reduction = SM90_SCHEDULE
        splits = int(splits)
        code = _sm90_reduction_code(reduction)
        # More than one split only where CUTLASS takes it (its can_implement refuses the rest).
        ok = name in SM90_DECOMPOSITIONS and (splits == 1 or (splits > 1 and name in ("heuristic", "split_k")))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"qgemm.ops.SM90_SCHEDULE = {SM90_SCHEDULE!r}: must be None or (decomposition, splits, "
                         f"reduction) with decomposition one of {SM90_DECOMPOSITIONS}, splits 1 (or more "
                         f"with split_k or heuristic) and reduction one of {SM90_REDUCTIONS} (or True / False)")
    return (SM90_DECOMPOSITIONS.index(name), splits, code)


def sm90_table_rows() -> int:
    """Rows of the sm90a kernel's table; 0 when this build has no 90a kernels."""
    return len(_ext.extension().wna16_sm90_configs().splitlines())


def dense_min_m(device: torch.device) -> Optional[int]:
    return DENSE_MIN_M.get(torch.cuda.get_device_capability(device), DENSE_MIN_M_DEFAULT)


def dispatch_table(ms=(1, 16, 64, 256, 1024, 4096), shapes=((8192, 8192), (57344, 8192)),
                   kind: int = KIND_INT4, device=None) -> str:
    """The dispatch decision for each (M, N, K) (dense path or the sm80 kernel's plan, the
    same for both tilings), after the sm90a table that k64-format weights run on above
    K64_FUSED_MAX_M rows (prepack's default format where that kernel runs)."""
    dev = torch.device(device or "cuda")
    sms = _ext.num_sms(dev)
    threshold = dense_min_m(dev)
    lines = []
    if _ext.runs_sm90a(dev):
        lines += [f"int4_k64 / int8_k64 weights above M = {K64_FUSED_MAX_M}: sm90a wgmma kernel, row by M:",
                  _ext.extension().wna16_sm90_configs()]
    lines.append("fragment-format weights (and k64 ones below that):")
    for n, k in shapes:
        for m in ms:
            plan = ("dense: dequantize + torch GEMM" if threshold is not None and m >= threshold
                    else _ext.extension().wna16_plan(m, n, k, sms, kind))
            lines.append(f"M={m:<5} N={n:<6} K={k:<6} {plan}")
    return "\n".join(lines)


def _ptr(t: Optional[torch.Tensor]) -> int:
    return 0 if t is None else t.data_ptr()


def _n_of(w: torch.Tensor) -> int:
    return w.shape[1] * 64


def _tiling_of(w: torch.Tensor) -> int:
    return 1 if w.shape[2] >= 2048 else 0  # WeightTiling: fragment (k16 tiles) / k64


def _k_of(w: torch.Tensor) -> int:
    return w.shape[0] * (64 if w.shape[2] >= 2048 else 16)  # a comparison, not a lookup: symbolic under compile


# --------------------------------------------------------------------------- custom ops
@torch.library.custom_op("qgemm::wna16_gemm", mutates_args=(), device_types="cuda")
def wna16_gemm(x: torch.Tensor, w: torch.Tensor, scales: torch.Tensor,
               zeros: Optional[torch.Tensor], bias: Optional[torch.Tensor],
               kind: int, group_size: int, splits: int) -> torch.Tensor:
    """out[M, N] = x[M, K] @ dequant(w)^T (+ bias): the sm80 mma.sync kernel, w in any
    tiled format (fragment or k64 tiling, told apart by the tile bytes).
    splits: a split-K factor to force, or 0 (the dispatch's choice)."""
    ext = _ext.extension()
    m, k = x.shape
    n = _n_of(w)
    out = _new((m, n), x.dtype, x.device)
    sms = _ext.num_sms(x.device)
    ws = _new((max(ext.wna16_workspace_bytes(m, n, k, sms), 4 * splits * m * n),), torch.uint8, x.device)
    with _ext.launch_on(x):
        status = ext.wna16_gemm(_DTYPE_CODE[x.dtype], kind, _tiling_of(w), x.data_ptr(), x.stride(0), w.data_ptr(),
                                scales.data_ptr(), _ptr(zeros), _ptr(bias), out.data_ptr(),
                                out.stride(0), m, n, k, group_size, ws.data_ptr(), ws.numel(), sms, splits,
                                _ext.current_stream())
    _ext.check_status("linear", status, M=m, N=n, K=k, group_size=group_size, kind=kind,
                      dtype=x.dtype, ldx=x.stride(0))
    return out


@wna16_gemm.register_fake
def _(x, w, scales, zeros, bias, kind, group_size, splits):
    return x.new_empty((x.shape[0], _n_of(w)))


@torch.library.custom_op("qgemm::wna16_sm90_gemm", mutates_args=(), device_types="cuda")
def wna16_sm90_gemm(x: torch.Tensor, w: torch.Tensor, scales: torch.Tensor,
                    zeros: Optional[torch.Tensor], bias: Optional[torch.Tensor],
                    kind: int, group_size: int, config: int, decomposition: int = -1, splits: int = 1,
                    reduction: int = 1) -> torch.Tensor:
    """out[M, N] = x[M, K] @ dequant(w)^T (+ bias): sm90a wgmma kernel, w in int4_k64
    (int4 / uint4 kinds) or int8_k64 (int8).
    config: a row of kWna16Sm90Configs, or -1 (chosen by M). decomposition, splits,
    reduction: a schedule to force (see SM90_SCHEDULE), or decomposition -1 (the dispatch's)."""
    ext = _ext.extension()
    m, k = x.shape
    n = _n_of(w)
    out = _new((m, n), x.dtype, x.device)
    sms = _ext.num_sms(x.device)
    schedule = (decomposition, splits, reduction)
    ws = _new((ext.wna16_sm90_workspace_bytes(m, n, k, sms, config, *schedule),), torch.uint8, x.device)
    if bias is not None and bias.data_ptr() % 16:
        bias = bias.clone()  # the TMA epilogue reads the bias in 16-byte vectors
    with _ext.launch_on(x):
        status = ext.wna16_sm90_gemm(_DTYPE_CODE[x.dtype], kind, x.data_ptr(), x.stride(0), w.data_ptr(),
                                     scales.data_ptr(), _ptr(zeros), _ptr(bias), out.data_ptr(),
                                     out.stride(0), m, n, k, group_size, ws.data_ptr(), ws.numel(), sms,
                                     config, *schedule, _ext.current_stream())
    _ext.check_status("linear", status, "sm90 weight-only kernel", M=m, N=n, K=k, group_size=group_size,
                      kind=kind, dtype=x.dtype, ldx=x.stride(0), config=config, schedule=schedule)
    return out


@wna16_sm90_gemm.register_fake
def _(x, w, scales, zeros, bias, kind, group_size, config, decomposition=-1, splits=1, reduction=1):
    return x.new_empty((x.shape[0], _n_of(w)))


@torch.library.custom_op("qgemm::wna16_dequantize", mutates_args=(), device_types="cuda")
def wna16_dequantize(w: torch.Tensor, scales: torch.Tensor, zeros: Optional[torch.Tensor],
                     kind: int, group_size: int) -> torch.Tensor:
    """dense W [N, K] in scales' dtype from the packed kernel format."""
    n, k = _n_of(w), _k_of(w)
    out = _new((n, k), scales.dtype, w.device)
    with _ext.launch_on(w):
        status = _ext.extension().dequantize_tiled_cuda(
            _FORMAT_OF_TILE[w.shape[2]], _DTYPE_CODE[scales.dtype], w.data_ptr(), scales.data_ptr(),
            _ptr(zeros), _CONST_ZERO.get(kind, 0.0), n, k, group_size, out.data_ptr(), k,
            _ext.current_stream())
    _ext.check_status("wna16_dequantize", status, "dequantize kernel", N=n, K=k,
                      group_size=group_size, kind=kind, dtype=scales.dtype)
    return out


@wna16_dequantize.register_fake
def _(w, scales, zeros, kind, group_size):
    return scales.new_empty((_n_of(w), _k_of(w)))


def _setup_context(ctx, inputs, output):
    x, w, scales, zeros, bias, kind, group_size = inputs[:7]  # then splits (sm80) or config (sm90)
    ctx.save_for_backward(w, scales, zeros)
    ctx.kind, ctx.group_size, ctx.num_inputs = kind, group_size, len(inputs)


def _backward(ctx, grad):
    # Frozen quantized weights: only the activation gets a gradient (QLoRA-style).
    w, scales, zeros = ctx.saved_tensors
    dense = wna16_dequantize(w, scales, zeros, ctx.kind, ctx.group_size)
    grad_x = grad @ dense if ctx.needs_input_grad[0] else None
    grad_bias = grad.sum(0) if ctx.needs_input_grad[4] else None
    return (grad_x, None, None, None, grad_bias) + (None,) * (ctx.num_inputs - 5)


@torch.library.custom_op("qgemm::wna16_decode_gemm", mutates_args=(), device_types="cuda")
def wna16_decode_gemm(x: torch.Tensor, w: torch.Tensor, scales: torch.Tensor,
                      zeros: Optional[torch.Tensor], bias: Optional[torch.Tensor],
                      kind: int, group_size: int, splits: int) -> torch.Tensor:
    """out[M, N] = x[M, K] @ dequant(w)^T (+ bias) for M <= 16: the k64 decode kernel, w in
    int4_k64 (int4 / uint4 kinds) or int8_k64 (int8), group size >= 64.
    splits: a split-K factor to force, or 0 (the kernel's plan)."""
    ext = _ext.extension()
    m, k = x.shape
    n = _n_of(w)
    out = _new((m, n), x.dtype, x.device)
    sms = _ext.num_sms(x.device)
    ws = _new((max(ext.wna16_decode_workspace_bytes(m, n, k, sms), 4 * splits * m * n),), torch.uint8, x.device)
    with _ext.launch_on(x):
        status = ext.wna16_decode_gemm(_DTYPE_CODE[x.dtype], kind, x.data_ptr(), x.stride(0), w.data_ptr(),
                                       scales.data_ptr(), _ptr(zeros), _ptr(bias), out.data_ptr(),
                                       out.stride(0), m, n, k, group_size, ws.data_ptr(), ws.numel(), sms, splits,
                                       _ext.current_stream())
    _ext.check_status("linear", status, "k64 decode kernel", M=m, N=n, K=k, group_size=group_size, kind=kind,
                      dtype=x.dtype, ldx=x.stride(0))
    return out


@wna16_decode_gemm.register_fake
def _(x, w, scales, zeros, bias, kind, group_size, splits):
    return x.new_empty((x.shape[0], _n_of(w)))


torch.library.register_autograd("qgemm::wna16_gemm", _backward, setup_context=_setup_context)
torch.library.register_autograd("qgemm::wna16_decode_gemm", _backward, setup_context=_setup_context)
torch.library.register_autograd("qgemm::wna16_sm90_gemm", _backward, setup_context=_setup_context)


def _choose_path(fn: str, w: PackedWeight, m: int) -> str:
    """"decode", "sm90", "fused" or "dense" for m rows on w: FORCE_PATH if set, else the
    decode kernel for k64 weights up to K64_DECODE_MAX_M rows (and their scheme's limit in
    K64_DECODE_MAX_M_BY_SCHEME), the sm90a kernel for k64
    weights above K64_FUSED_MAX_M rows where it runs, else dense from DENSE_MIN_M rows,
    else the sm80 kernel. Every path computes the same products (to rounding)."""
    for name, val in (("ops.SM80_SPLITS", SM80_SPLITS), ("ops.DECODE_SPLITS", DECODE_SPLITS)):
        if val is not None and (type(val) is not int or val < 1):
            fail(fn, name, val, "must be None or an int >= 1")
    if K64_DECODE_MAX_M is not None and (type(K64_DECODE_MAX_M) is not int
                                         or not 0 <= K64_DECODE_MAX_M <= DECODE_MAX_M_LIMIT):
        fail(fn, "ops.K64_DECODE_MAX_M", K64_DECODE_MAX_M, f"must be None or an int in [0, {DECODE_MAX_M_LIMIT}]")
    if not isinstance(K64_DECODE_MAX_M_BY_SCHEME, dict) or any(
            k not in _KIND or type(v) is not int or v < 0 for k, v in K64_DECODE_MAX_M_BY_SCHEME.items()):
        fail(fn, "ops.K64_DECODE_MAX_M_BY_SCHEME", K64_DECODE_MAX_M_BY_SCHEME,
             f"must be a dict of scheme (one of {tuple(_KIND)}) -> int >= 0")
    if FORCE_PATH is not None:
        if FORCE_PATH not in PATHS:
            fail(fn, "ops.FORCE_PATH", FORCE_PATH, f"must be None or one of {PATHS}")
        if FORCE_PATH in ("sm90", "decode") and w.format not in K64_FORMATS:
            fail(fn, "w.format", w.format, f"must be one of {K64_FORMATS} on the {FORCE_PATH} path "
                                           "(prepack(..., format=...))")
        if FORCE_PATH == "decode" and m > DECODE_MAX_M_LIMIT:
            fail(fn, "x", f"{m} rows", f"must have at most {DECODE_MAX_M_LIMIT} rows on the decode path")
        return FORCE_PATH
    if (w.format in K64_FORMATS and K64_DECODE_MAX_M is not None and m <= K64_DECODE_MAX_M
            and m <= K64_DECODE_MAX_M_BY_SCHEME.get(w.scheme, DECODE_MAX_M_LIMIT)):
        return "decode"
    if (w.format in K64_FORMATS and _ext.runs_sm90a(w.device)
            and (K64_FUSED_MAX_M is None or m > K64_FUSED_MAX_M)):
        return "sm90"
    threshold = dense_min_m(w.device)
    return "dense" if threshold is not None and m >= threshold else "fused"


# --------------------------------------------------------------------------- public API
def _resolve(fn: str, w, x: torch.Tensor) -> PackedWeight:
    if isinstance(w, QuantizedWeight):  # convenience path: repacks on every call
        return prepack(w, x.device, x.dtype)
    if not isinstance(w, PackedWeight):
        fail(fn, "w", type(w).__name__, "must be a qgemm.PackedWeight (see qgemm.prepack) or QuantizedWeight")
    return w


def _check_activation(fn: str, arg: str, x, w: PackedWeight, width: int) -> None:
    check_tensor(fn, arg, x, dtypes=ACT_DTYPES, contiguous=False)
    if x.dim() < 1 or x.shape[-1] != width:
        fail(fn, arg, f"shape {tuple(x.shape)}", f"must have last dimension {width}")
    if x.device != w.device:
        fail(fn, arg, x.device, f"must be on the weight's device {w.device}")
    if x.dtype != w.dtype:
        fail(fn, arg, x.dtype, f"must match the weight's activation dtype {w.dtype} (prepack(dtype=...))")


def linear(x: torch.Tensor, w: Union[PackedWeight, QuantizedWeight],
           bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """y[..., N] = x[..., K] @ W^T (+ bias) for int4 / uint4 / int8 weights, fp32 accumulation.

    x: fp16 or bf16, any leading shape (M = their product, any M >= 0; a strided x is
    made contiguous first). w: a PackedWeight from prepack() (a QuantizedWeight is
    accepted too, but is repacked on every call). bias: [N] in x's dtype.
    """
    fn = "linear"
    w = _resolve(fn, w, x)
    _check_activation(fn, "x", x, w, w.k)
    if bias is not None:
        check_tensor(fn, "bias", bias, dtypes=(x.dtype,), shape=(w.n,), device=x.device)
    lead = x.shape[:-1]
    x2 = x.reshape(-1, w.k)
    if w.perm is not None:
        x2 = x2.index_select(1, w.perm)
    x2 = x2.contiguous()
    if x2.shape[0] == 0:
        return x.new_empty((*lead, w.n))
    path = _choose_path(fn, w, x2.shape[0])
    if path == "sm90":
        config = -1 if SM90_CONFIG is None else SM90_CONFIG
        y = wna16_sm90_gemm(x2, w.packed, w.scales, w.zeros, bias, w.kind, w.group_size, config, *_sm90_schedule())
    elif path == "decode":
        y = wna16_decode_gemm(x2, w.packed, w.scales, w.zeros, bias, w.kind, w.group_size, DECODE_SPLITS or 0)
    elif path == "dense":
        dense = wna16_dequantize(w.packed, w.scales, w.zeros, w.kind, w.group_size)
        y = torch.nn.functional.linear(x2, dense, bias)
    else:
        y = wna16_gemm(x2, w.packed, w.scales, w.zeros, bias, w.kind, w.group_size, SM80_SPLITS or 0)
    return y.reshape(*lead, w.n)


def linear_t(g: torch.Tensor, w: Union[PackedWeight, QuantizedWeight]) -> torch.Tensor:
    """The transposed product on the same packed weight: y[..., K] = g[..., N] @ W.

    For backward passes and fine-tuning; no repacking. Dequantizes W once into a
    16-bit matrix (torch's allocator) and runs torch's GEMM.
    """
    fn = "linear_t"
    w = _resolve(fn, w, g)
    _check_activation(fn, "g", g, w, w.n)
    lead = g.shape[:-1]
    dense = wna16_dequantize(w.packed, w.scales, w.zeros, w.kind, w.group_size)
    y = g.reshape(-1, w.n) @ dense
    if w.perm is not None:  # columns of dense are input channels perm[j]
        y = torch.empty_like(y).index_copy_(1, w.perm, y)
    return y.reshape(*lead, w.k)
