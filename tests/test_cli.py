"""The command-line entries run everywhere: on a machine without a GPU they say so and
exit 0 (GPU machines run them for real: README, benchmarks/results/)."""
import subprocess
import sys

import pytest

import qgemm


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300)


def test_info_quantizes_every_scheme():
    res = _run("qgemm", "--n", "128", "--k", "256")
    assert res.returncode == 0, res.stderr
    for scheme in ("int4", "uint4", "int8", "fp6_e3m2", "fp4_e2m1", "fp8_e4m3"):
        assert scheme in res.stdout
    assert "CUDA kernels" in res.stdout


@pytest.mark.skipif(bool(qgemm.cuda_available()), reason="runs for real on a GPU machine")
@pytest.mark.parametrize("args", [("qgemm", "demo"), ("qgemm.bench", "--models", "llama3-8b"),
                                  ("qgemm.bench", "--int8-scale-ab", "--models", "llama3-8b")])
def test_gpu_entries_exit_cleanly_without_kernels(args):
    res = _run(*args)
    assert res.returncode == 0, res.stderr
    assert qgemm.cuda_available().reason in res.stdout


def test_bench_int8_scale_ab_pairs_grouped_with_per_channel_int8():
    # --int8-scale-ab adds int8 g128 (scaled in the sm90 mainloop) beside the default
    # per-channel int8 methods (scaled in its epilogue), both activation types.
    from qgemm import bench
    assert [m.name for m in bench._int8_scale_ab_methods()] == ["qgemm_int8_g128_fp16", "qgemm_int8_g128_bf16"]
    assert {"qgemm_int8_pc_fp16", "qgemm_int8_pc_bf16"} <= {m.name for m in bench._methods()}


def test_built_extension_imports():
    # A _C library that is present but fails to load (an undefined symbol, say) must fail
    # CI loudly rather than leave every test that needs it skipped.
    from pathlib import Path

    import qgemm
    from qgemm import _ext

    built = list(Path(qgemm.__file__).parent.glob("_C*.so")) + \
        list(Path(qgemm.__file__).parent.glob("_C*.pyd"))
    if built:
        assert _ext._C is not None, f"{built[0].name} is installed but does not load: {_ext._IMPORT_ERROR}"
