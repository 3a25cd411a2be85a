"""Measure poc2prod's start-up, rendering, a rendered project's training and its test suite.

Prints a Markdown table (the figures in docs/performance.md). Wall-clock times on a shared
machine are noisy: each figure is the median of several runs, and the start-up figure is
reported as a ratio to a reference measured in the same run (``import copier``), which is
what the lazy imports are for.

Usage: python benchmarks/bench_cli.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def timed(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env={**os.environ, **GIT, **(env or {})}, check=True, capture_output=True)
    return time.perf_counter() - start


def median(args: list[str], repeat: int, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    return statistics.median(timed(args, cwd=cwd, env=env) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    python = sys.executable
    rows: list[tuple[str, str]] = []

    help_time = median([python, "-m", "poc2prod", "--help"], repeat)
    copier_time = median([python, "-c", "import copier"], repeat)
    rows.append(("`poc2prod --help`", f"{help_time:.2f} s"))
    rows.append(("`python -c 'import copier'` (reference)", f"{copier_time:.2f} s"))
    rows.append(("ratio help / import copier", f"{help_time / copier_time:.2f}"))

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        renders = []
        for i in range(repeat):
            renders.append(timed([python, "-m", "poc2prod", "new", str(work / f"p{i}"), "--defaults", "-q"]))
        rows.append(("`poc2prod new --defaults` (render + git commit)", f"{statistics.median(renders):.2f} s"))
        for problem in ("binary", "multiclass", "regression"):
            project = work / f"train_{problem}"
            subprocess.run(
                [
                    python,
                    "-m",
                    "poc2prod",
                    "new",
                    str(project),
                    "--defaults",
                    "-q",
                    "--no-git",
                    "--data",
                    f"problem_type={problem}",
                ],
                check=True,
                capture_output=True,
                env={**os.environ, **GIT},
            )
            env = {"PYTHONPATH": str(project / "src")}
            seconds = median([python, "-m", "churn_model", "train"], max(1, repeat // 2), cwd=project, env=env)
            rows.append((f"rendered project `train`, {problem} (bundled data)", f"{seconds:.2f} s"))
        # The default project's own suite, in its two CI steps: most of poc2prod's own CI
        # time is spent running rendered projects' suites like this one.
        project, env = work / "p0", {"PYTHONPATH": str(work / "p0" / "src")}
        for marker in ("not notebooks", "notebooks"):
            seconds = median([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker], 1, project, env)
            rows.append((f'rendered project `pytest -m "{marker}"` (default answers)', f"{seconds:.2f} s"))

    print("| measurement | median |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
