"""Loading the compiled extension and telling the user why kernels are missing."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

try:
    from qgemm import _C  # type: ignore[attr-defined]

    _IMPORT_ERROR = None
except ImportError as exc:  # the build found no CUDA headers, or a broken install
    _C = None
    _IMPORT_ERROR = str(exc)


@dataclass(frozen=True)
class KernelAvailability:
    """Truthy when qgemm's CUDA kernels can run here; `reason` says why not otherwise."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"KernelAvailability(ok={self.ok}, reason={self.reason!r})"


def extension():
    """The compiled module, or RuntimeError saying why it is missing."""
    if _C is None:
        raise RuntimeError(
            "qgemm's C++ extension is not available: it was built without CUDA toolkit "
            f"headers, or failed to load ({_IMPORT_ERROR}). Reinstall with the CUDA toolkit "
            "(nvcc) on PATH."
        )
    return _C


def compiled_archs() -> list[str]:
    if _C is None or not _C.cuda_kernels:
        return []
    return [a for a in _C.cuda_archs.split(",") if a]


def _arch_runs_on(arch: str, major: int, minor: int) -> bool:
    """Can code built for `arch` (e.g. '80', '90a', '80-virtual') run on sm_{major}{minor}?"""
    virtual = arch.endswith("-virtual")
    base = arch.split("-")[0]
    specific = base.endswith("a")
    num = int(base.rstrip("a"))
    a_major, a_minor = divmod(num, 10)
    if virtual:  # PTX JIT-compiles forward
        return (major, minor) >= (a_major, a_minor)
    if specific:  # sm_90a cubins run on sm_90 only
        return (major, minor) == (a_major, a_minor)
    return major == a_major and minor >= a_minor  # cubins run within one major version


def cuda_available() -> KernelAvailability:
    """Whether qgemm's kernels can run on the current CUDA device, and if not, why."""
    if _C is None:
        return KernelAvailability(False, f"the C++ extension is missing: {_IMPORT_ERROR}")
    if not _C.cuda_kernels:
        return KernelAvailability(
            False, "qgemm was built without nvcc: only the host packers are compiled; "
            "reinstall with the CUDA toolkit on PATH to get the kernels")
    if not torch.cuda.is_available():
        return KernelAvailability(False, "torch sees no CUDA device (CPU-only torch or no GPU)")
    major, minor = torch.cuda.get_device_capability()
    archs = compiled_archs()
    if not any(_arch_runs_on(a, major, minor) for a in archs):
        return KernelAvailability(
            False, f"the device is sm_{major}{minor} but qgemm was compiled for {archs}; "
            f"rebuild with QGEMM_CUDA_ARCHS including {major}{minor}")
    return KernelAvailability(True, f"kernels compiled for {archs} run on sm_{major}{minor}")


def require_cuda(fn: str) -> None:
    avail = cuda_available()
    if not avail:
        raise RuntimeError(f"qgemm.{fn}: CUDA kernels unavailable: {avail.reason}")


def device_index(device) -> int:
    """The CUDA device index of a torch.device (or "cuda"), the current one when unset."""
    device = torch.device(device if device is not None else "cuda")
    return device.index if device.index is not None else torch.cuda.current_device()


@functools.lru_cache(maxsize=None)
def _sm_count(index: int) -> int:
    return torch.cuda.get_device_properties(index).multi_processor_count


def runs_sm90a(device) -> bool:
    """Whether the sm90a (wgmma) kernels of this build run on `device`: an sm_90 device
    and 90a among the compiled architectures."""
    if "90a" not in compiled_archs():
        return False
    return torch.cuda.get_device_capability(device_index(device)) == (9, 0)


def num_sms(device) -> int:
    """Streaming multiprocessors of `device` (queried once per device): the launchers'
    num_sms."""
    return _sm_count(device_index(device))


def launch_on(t: torch.Tensor):
    """Context for a launch on t's device: kernels launch on the current device, and
    current_stream() below is that device's stream, so an op whose tensors live on
    another GPU than the current one must switch first."""
    return torch.cuda.device(t.device)


def set_dependent_launch(enabled: bool) -> None:
    """Turn programmatic dependent launch (sm_90+) on or off for every qgemm kernel launched
    after the call, process-wide. On by default (QGEMM_PDL=0 in the environment starts it
    off). With it, a kernel may start while the one before it on the stream finishes and
    waits for it before touching memory: results are identical, kernel boundaries cheaper
    (include/qgemm/dependent_launch.cuh)."""
    extension().set_dependent_launch(bool(enabled))


def dependent_launch_enabled() -> bool:
    """The switch of set_dependent_launch."""
    return bool(extension().dependent_launch_enabled())


def dependent_launch_active() -> bool:
    """Whether qgemm's kernels launch with PDL on the current device now: the switch is on
    and the build's binary for the device was compiled for sm_90+."""
    require_cuda("dependent_launch_active")
    return bool(extension().dependent_launch_active())


def current_stream() -> int:
    """The raw cudaStream_t of torch's current stream, read at call time (CUDA graphs)."""
    return torch.cuda.current_stream().cuda_stream


# qgemm::Status (include/qgemm/status.hpp) in words.
STATUS_TEXT = {
    1: "invalid argument (a size, stride, alignment or pointer breaks the launcher's rule)",
    2: "unsupported configuration (no kernel compiled for it, or the device cannot run it)",
    3: "workspace too small",
    4: "CUDA error",
}


def check_status(fn: str, status: int, what: str = "kernel launch", **context) -> None:
    """Raise RuntimeError naming the entry, the status in words and the call's sizes,
    for callers that reach an op directly (torch.ops.qgemm.*) without the Python checks."""
    if status == 0:
        return
    ctx = ", ".join(f"{k}={v}" for k, v in context.items())
    raise RuntimeError(f"qgemm.{fn}: {what} failed: {STATUS_TEXT.get(status, f'status {status}')}"
                       + (f" ({ctx})" if ctx else ""))
