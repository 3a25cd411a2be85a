"""``python benchmarks/run.py`` works: a smoke run of its quickest benchmark (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (["--rows", "abc"], "--rows 'abc' is not a list of row counts"),
        (["--rows", "10000,0"], "--rows '10000,0' is not a list of row counts"),
        (["--dask-rows", "1e6"], "--dask-rows '1e6' is not a list of row counts"),
        (["--families", "linear,forest"], "unknown model family forest: use some of hist_gradient_boosting,"),
        (["--runs", "0"], "--runs 0 must be 1 or more"),
        (["--fleet", "-2"], "--fleet -2 must be 1 or more"),
        (["--seconds", "0"], "--seconds 0.0 must be a number of seconds above 0"),
        (["--seconds", "nan"], "--seconds nan must be a number of seconds above 0"),
        (["--rows", "1000,1000"], "--rows '1000,1000' repeats a size"),
        (["--max-rows", "0"], "--max-rows 0 must be 1 or more"),
        (["--dask-local-max", "-1"], "--dask-local-max -1 must be 0 or more"),
        (["--only", ",,"], "no benchmark given to --only"),
        (["--quick", "--runs", "0"], "--runs 0 must be 1 or more"),  # --quick keeps what is given
    ],
)
def test_a_bad_option_is_one_line_naming_it_and_nothing_runs(tmp_path: Path, option: list[str], fragment: str) -> None:
    output = tmp_path / "t"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), *option, "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {fragment}"), done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert not output.exists()


def test_an_output_that_cannot_be_written_is_refused_before_anything_runs(tmp_path: Path) -> None:
    for output in (tmp_path, tmp_path / "missing" / "t.md"):
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "run.py"), "--only", "start", "--output", str(output)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr == f"error: --output {str(output)!r} is not a file that can be written: " + (
            "give a file path in a writable folder\n"
        )
