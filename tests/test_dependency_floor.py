"""The lower ends of the rendered project's dependency ranges really work, and it locks.

A rendered project is installed into a fresh environment with uv's
``--resolution lowest-direct`` (the oldest release each declared range admits: the
versions a Python 3.10 user gets, such as scikit-learn 1.7 and pandas 2.3) and its own
test suite runs there; then ``make lock``'s command writes ``uv.lock``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def uv(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "uv", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    assert done.returncode == 0, f"uv {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_oldest_allowed_versions_pass_the_project_tests_and_lock_works(render: Callable[..., Path]) -> None:
    project = render(python_version="3.10")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    uv("venv", "-q", "--python", sys.executable, ".venv", cwd=project, env=env)
    python = project / ".venv" / "bin" / "python"
    uv(
        "pip",
        "install",
        "-q",
        "--python",
        str(python),
        "--resolution",
        "lowest-direct",
        "--group",
        "dev",
        "-e",
        ".",
        cwd=project,
        env=env,
    )
    versions = subprocess.run(
        [str(python), "-c", "import sklearn, pandas; print(sklearn.__version__, pandas.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions[0].startswith("1.7.") and versions[1].startswith("2.3.")
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
    uv("lock", cwd=project, env=env)
    lock = (project / "uv.lock").read_text()
    assert 'name = "scikit-learn"' in lock
    assert 'requires-python = ">=3.10"' in lock
