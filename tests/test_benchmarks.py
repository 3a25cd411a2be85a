"""``python benchmarks/run.py`` works: a smoke run of its quickest benchmark (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_benchmark_command_writes_its_table(tmp_path: Path) -> None:
    output = tmp_path / "table.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--only", "start", "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    text = output.read_text()
    assert text.startswith("Measured by `python benchmarks/run.py --quick --only start --output")
    assert " CPUs (" in text and "Python " in text
    [row] = [line for line in text.splitlines() if line.startswith("| `poc2prod --help`")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2].startswith("`python -c pass`: ")
    float(cells[3])  # the ratio to the reference of the same run


def test_an_unknown_benchmark_is_refused_with_the_names_to_use(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--only", "start,speed", "--output", str(tmp_path / "t")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown benchmark(s) speed: use start, render, update,")
    assert not (tmp_path / "t").exists()
