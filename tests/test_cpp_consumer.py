"""The header-only install: cmake --install exports qgemm::qgemm, and a downstream
project (tests/cpp/consumer) finds it, includes the headers and packs on the host."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("c++") is None,
                    reason="needs cmake and a C++ compiler")
def test_downstream_project_builds_against_installed_headers(tmp_path):
    build, prefix, consumer = tmp_path / "build", tmp_path / "prefix", tmp_path / "consumer"
    _run(["cmake", "-S", ROOT, "-B", build, f"-DCMAKE_INSTALL_PREFIX={prefix}"])
    _run(["cmake", "--install", build])
    assert (prefix / "include/qgemm/layout/int4_fragment.hpp").exists()
    assert (prefix / "lib/cmake/qgemm/qgemmConfig.cmake").exists()
    _run(["cmake", "-S", ROOT / "tests/cpp/consumer", "-B", consumer,
          f"-DCMAKE_PREFIX_PATH={prefix}"])
    _run(["cmake", "--build", consumer, "-j", str(os.cpu_count() or 1)])
    out = _run([consumer / "pack_on_host"])
    assert "ok" in out
