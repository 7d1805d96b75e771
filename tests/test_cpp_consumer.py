"""The header-only install: cmake --install exports qgemm::qgemm, and downstream
projects find it, include the headers and run them on the host: tests/cpp/consumer packs
weights, tests/cpp/layout checks layouts against CuTe's MMA atoms."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("c++") is None,
                                reason="needs cmake and a C++ compiler")


def _run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """qgemm's headers and CMake package, installed once for this module."""
    tmp = tmp_path_factory.mktemp("qgemm_install")
    build, prefix = tmp / "build", tmp / "prefix"
    _run(["cmake", "-S", ROOT, "-B", build, f"-DCMAKE_INSTALL_PREFIX={prefix}"])
    _run(["cmake", "--install", build])
    return prefix


def _build(project: str, prefix: Path, tmp_path: Path) -> Path:
    out = tmp_path / project
    _run(["cmake", "-S", ROOT / "tests/cpp" / project, "-B", out, f"-DCMAKE_PREFIX_PATH={prefix}"])
    _run(["cmake", "--build", out, "-j", str(os.cpu_count() or 1)])
    return out


def test_downstream_project_builds_against_installed_headers(prefix, tmp_path):
    assert (prefix / "include/qgemm/layout/int4_fragment.hpp").exists()
    assert (prefix / "lib/cmake/qgemm/qgemmConfig.cmake").exists()
    out = _run([_build("consumer", prefix, tmp_path) / "pack_on_host"])
    assert "ok" in out


def test_int4_k64_layout_matches_wgmma_and_formula(prefix, tmp_path):
    # static_asserts fail the build; the program repeats the checks at run time.
    out = _run([_build("layout", prefix, tmp_path) / "int4_k64_layout"])
    assert "ok" in out
