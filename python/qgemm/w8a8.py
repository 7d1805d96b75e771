"""W8A8 GEMM: int8 x int8 or fp8 e4m3 x e4m3 on the tensor cores, scales in the epilogue.

    out[M, N] = a_scale * b_scale * (a_q @ b_q.T - azp * colsum(b_q)) + bias

scaled_mm() validates here, in Python, then calls the custom op qgemm::scaled_mm, which
passes data pointers, sizes and torch's current stream to the extension (no libtorch
link, no host sync, CUDA-graph safe). The math, the scale shapes and the reference are
in qgemm.reference.scaled_mm; the kernel table in include/qgemm/gemm/scaled_mm_dispatch.hpp.

Kernel families: sm90 (CUTLASS 3.x wgmma, built for 90a, sm_90 devices), sm80
(mma.sync: int8 on sm_80+, fp8 on sm_89+) and decode (mma.sync, M <= 16 and K % 64 == 0,
the weights streamed as the mma's A operand: include/qgemm/gemm/w8a8_decode_kernel.cuh).
With no FORCE_PATH the device's general family runs, except at decode sizes (M <= 16),
which scaled_mm_dispatch.hpp (by measurement) may send to another family: where the general
family is sm90, M = 1 (int8) or M <= 8 (fp8) on a shape whose decode plan fills the GPU's CTA
slots (kScaledMmDecodeFullFill, e.g. Llama-3-70B's o and down) to the decode kernel; otherwise
kScaledMmDecodeSizeRoute: int8 to sm80 on H100, fp8 to the decode kernel where the general
family is sm80.
"""
from __future__ import annotations

import functools
from typing import Optional

import torch

from qgemm import _ext
from qgemm.ops import _new  # NaN-poisoned outputs when tests ask (ops.POISON_OUTPUTS)
from qgemm._validate import check_broadcast_vector, check_choice, check_operand_pair, check_tensor, fail

CODE_DTYPES = (torch.int8, torch.float8_e4m3fn)
OUT_DTYPES = (torch.float16, torch.bfloat16)
_OPERAND = {torch.int8: 0, torch.float8_e4m3fn: 1}
_OUT = {torch.float16: 0, torch.bfloat16: 1}
_PATHS = {None: 0, "sm80": 1, "sm90": 2, "decode": 3}
_PATH_NAMES = {v: k for k, v in _PATHS.items() if k}
DECODE_MAX_M = 16  # the decode kernel's limit (w8a8_decode_launch.cuh)

# Tests and benchmarks pin a kernel family ("sm80" / "sm90" / "decode") and a row of its
# dispatch table (an index; for "decode" the number of K splits); None lets the tables
# decide.
FORCE_PATH: Optional[str] = None
FORCE_CONFIG: Optional[int] = None


def _config() -> int:
    return -1 if FORCE_CONFIG is None else int(FORCE_CONFIG)


# --------------------------------------------------------------------------- custom op
@torch.library.custom_op("qgemm::scaled_mm", mutates_args=(), device_types="cuda")
def scaled_mm_op(a_q: torch.Tensor, b_q: torch.Tensor, a_scale: torch.Tensor, b_scale: torch.Tensor,
                 out_dtype: torch.dtype, bias: Optional[torch.Tensor], azp: Optional[torch.Tensor],
                 b_colsum: Optional[torch.Tensor], path: int, config: int) -> torch.Tensor:
    """The kernel call; arguments already validated by scaled_mm(). Checks that need
    real tensors (addresses, the device's kernels) run here, where torch.compile does
    not trace."""
    ext = _ext.extension()
    for arg, t in (("a_q", a_q), ("b_q", b_q)):
        if t.numel() and t.data_ptr() % 16:
            fail("scaled_mm", arg, f"data_ptr {t.data_ptr():#x}", "must be 16-byte aligned")
    _resolve(path, a_q.dtype, a_q.device)  # a RuntimeError naming why, if no family runs here
    m, k = a_q.shape
    n = b_q.shape[0]
    out = _new((m, n), out_dtype, a_q.device)
    if m == 0:
        return out
    sms = _ext.num_sms(a_q.device)
    operand, out_code = _OPERAND[a_q.dtype], _OUT[out_dtype]
    ws_bytes = ext.scaled_mm_workspace_bytes(m, n, k, operand, out_code, azp is not None, sms, path,
                                              config)
    ws = torch.empty((max(ws_bytes, 1),), dtype=torch.uint8, device=a_q.device)

    def ptr(t):
        return 0 if t is None else t.data_ptr()

    with _ext.launch_on(a_q):
        status = ext.scaled_mm(
            operand, out_code, a_q.data_ptr(), a_q.stride(0), b_q.data_ptr(), b_q.stride(0),
            a_scale.data_ptr(), a_scale.numel() != 1, b_scale.data_ptr(), b_scale.numel() != 1,
            ptr(bias), ptr(azp), azp is not None and azp.numel() != 1, ptr(b_colsum),
            out.data_ptr(), out.stride(0), m, n, k, ws.data_ptr(), ws_bytes, sms, path,
            config, _ext.current_stream())
    _ext.check_status("scaled_mm", status, M=m, N=n, K=k, operand=a_q.dtype, out_dtype=out_dtype,
                      path=_PATH_NAMES.get(path, "auto"), config=config)
    return out


@scaled_mm_op.register_fake
def _(a_q, b_q, a_scale, b_scale, out_dtype, bias, azp, b_colsum, path, config):
    return a_q.new_empty((a_q.shape[0], b_q.shape[0]), dtype=out_dtype)


# --------------------------------------------------------------------------- public API
def _resolve(path: int, operand: torch.dtype, device) -> int:
    """The kernel family (1 sm80, 2 sm90) that `path` (0 auto) gives `operand` on
    `device`, or a RuntimeError saying why there is none."""
    _ext.require_cuda("scaled_mm")
    index = _ext.device_index(device)
    got = _resolve_on(index, path, _OPERAND[operand])
    if got < 0:
        major, minor = torch.cuda.get_device_capability(index)
        need = ("sm_90 with a 90a build" if path == _PATHS["sm90"] else
                "sm_89+ (fp8 tensor cores)" if operand == torch.float8_e4m3fn else "sm_80+")
        forced = _PATH_NAMES.get(path, "auto")
        raise RuntimeError(f"qgemm.scaled_mm: no {operand} kernel for sm_{major}{minor} "
                           f"(path {forced} needs {need}); compiled for {_ext.compiled_archs()}")
    return got


@functools.lru_cache(maxsize=None)
def _resolve_on(device_index: int, path: int, operand_code: int) -> int:
    with torch.cuda.device(device_index):
        return _ext.extension().scaled_mm_resolve_path(path, operand_code)


def resolve_path(operand: torch.dtype, device=None) -> str:
    """The kernel family that serves `operand` on `device` ("sm80", "sm90" or "decode")
    under FORCE_PATH, or a RuntimeError saying why none can. Unforced, the general family
    (decode sizes still go to the decode kernel)."""
    return _PATH_NAMES[_resolve(_PATHS[FORCE_PATH], operand, device)]


def scaled_mm(a_q: torch.Tensor, b_q: torch.Tensor, a_scale: torch.Tensor, b_scale: torch.Tensor,
              out_dtype: torch.dtype, bias: Optional[torch.Tensor] = None,
              azp: Optional[torch.Tensor] = None,
              b_colsum: Optional[torch.Tensor] = None) -> torch.Tensor:
    """out [M, N] = a_scale * b_scale * (a_q @ b_q.T - azp * colsum(b_q)) + bias.

    a_q [M, K], b_q [N, K]: both int8 or both float8_e4m3fn, contiguous, on one CUDA
    device; K % 16 == 0 and N % 8 == 0; any M >= 0.
    a_scale: float32 per tensor ([], [1], [1, 1]) or per token [M, 1].
    b_scale: float32 per tensor or per channel [1, N].
    out_dtype: torch.float16 or torch.bfloat16. bias: [N] in out_dtype.
    azp (int8 only): int32 activation zero point, per tensor or per token [M, 1].
    b_colsum: int32 [1, N] = b_q.sum(1); computed here when azp is given without it
    (pass it precomputed: that sum reads all of b_q). Accumulation is int32 (int8) or
    fp32 (fp8); the scales are applied once, in the kernel's epilogue.
    """
    fn = "scaled_mm"
    m, n, k = check_operand_pair(fn, a_q, b_q, CODE_DTYPES)
    dev = a_q.device
    if k % 16:
        fail(fn, "a_q", f"K = {k}", "must have K a positive multiple of 16")
    if n % 8:
        fail(fn, "b_q", f"N = {n}", "must have N a positive multiple of 8")
    if FORCE_PATH == "decode" and (m > DECODE_MAX_M or k % 64):
        fail(fn, "a_q", f"shape [{m}, {k}]",
             f"must have M <= {DECODE_MAX_M} and K % 64 == 0 with FORCE_PATH 'decode'")
    check_broadcast_vector(fn, "a_scale", a_scale, dev, (m, 1), torch.float32)
    check_broadcast_vector(fn, "b_scale", b_scale, dev, (1, n), torch.float32)
    check_choice(fn, "out_dtype", out_dtype, OUT_DTYPES)
    if bias is not None:
        check_tensor(fn, "bias", bias, dtypes=(out_dtype,), shape=(n,), device=dev)
    if azp is None and b_colsum is not None:
        fail(fn, "b_colsum", "a tensor", "must be None when azp is None")
    if azp is not None:
        if a_q.dtype != torch.int8:
            fail(fn, "azp", "a tensor", "must be None for float8_e4m3fn operands")
        check_broadcast_vector(fn, "azp", azp, dev, (m, 1), torch.int32)
        if b_colsum is None:
            b_colsum = b_q.sum(dim=1, dtype=torch.int32).view(1, n)
        check_tensor(fn, "b_colsum", b_colsum, dtypes=(torch.int32,), shape=(1, n), device=dev)
    if dev.type != "cuda":  # checked last, so that the rules above are testable on the CPU
        fail(fn, "a_q", dev, "must be on a CUDA device")
    return scaled_mm_op(a_q, b_q, a_scale, b_scale, out_dtype, bias, azp, b_colsum,
                        _PATHS[FORCE_PATH], _config())


def table_rows(operand: torch.dtype = torch.int8, device=None) -> list[str]:
    """The names of the kernel family's table rows (index = FORCE_CONFIG), including
    compiled alternatives the dispatch never picks, for benchmarks that compare them."""
    dev = torch.device(device or "cuda")
    path = _resolve(_PATHS[FORCE_PATH], operand, dev)
    ext = _ext.extension()
    rows = []
    while len(rows) < 64:
        plan = ext.scaled_mm_plan(1, 64, 64, _OPERAND[operand], 0, False, 1, path, len(rows))
        name = plan.split(" ", 1)[-1]
        if not plan.startswith(("sm80 ", "sm90 ")) or name == "no row" or " " in name:
            break  # past the last row, or no kernels at all ("no fp8 kernels (...)")
        rows.append(name)
    return rows


def dispatch_table(ms=(1, 16, 64, 256, 1024, 4096), shapes=((8192, 8192), (57344, 8192)),
                   operand: torch.dtype = torch.int8, out_dtype: torch.dtype = torch.bfloat16,
                   device=None) -> str:
    """The kernel each (M, N, K) gets on `device`, as the dispatch table decides."""
    dev = torch.device(device or "cuda")
    _resolve(_PATHS[FORCE_PATH], operand, dev)
    path = _PATHS[FORCE_PATH]  # unresolved: auto shows the decode-size routing
    sms = _ext.num_sms(dev)
    ext = _ext.extension()
    lines = []
    for n, k in shapes:
        for m in ms:
            plan = ext.scaled_mm_plan(m, n, k, _OPERAND[operand], _OUT[out_dtype], False, sms,
                                      path, _config())
            lines.append(f"M={m:<5} N={n:<6} K={k:<6} {plan}")
    return "\n".join(lines)
