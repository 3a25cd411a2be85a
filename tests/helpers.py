"""Helpers shared by the tests: run the CLI and rendered projects as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m poc2prod ARGS`` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "poc2prod", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def run_in(project: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a command in a rendered project with its ``src`` importable, capturing output."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        list(args), cwd=project, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
