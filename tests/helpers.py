"""Helpers shared by the tests: run the CLI and rendered projects as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd


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


def penguins_csv_with_dates(penguins_csv: Path, path: Path) -> Path:
    """Penguins with a ``measured`` date: the study year plus the row's day in that year."""
    frame = pd.read_csv(penguins_csv)
    day = frame.groupby("year").cumcount()
    frame["measured"] = (
        pd.to_datetime(frame["year"].astype(str) + "-11-01") + pd.to_timedelta(day, unit="D")
    ).dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    return path


#: Execute the project's four POC notebooks on its configured data (not the bundled data
#: the project's own notebook tests use); print the errors of each, as JSON.
RUN_NOTEBOOKS = """
import json, os, sys
from pathlib import Path
import nbformat
from ipykernel.kernelspec import install
from nbclient import NotebookClient
prefix = Path(sys.argv[1])
install(kernel_name="poc-notebooks", prefix=str(prefix))
os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
errors = {}
for path in sorted(Path("notebooks").glob("*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, kernel_name="poc-notebooks", timeout=900,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors[path.name] = [o["ename"] + ": " + o["evalue"] for c in notebook.cells
                         if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
print(json.dumps(errors))
"""


def run_notebooks(project: Path, kernel_prefix: Path) -> None:
    """Execute the project's four POC notebooks on its configured data; assert no cell errs.

    Notebook 04 writes the HTML report, so the report is removed first and checked after.
    """
    report = project / "reports" / "report.html"
    report.unlink(missing_ok=True)
    done = run_in(project, sys.executable, "-c", RUN_NOTEBOOKS, str(kernel_prefix))
    assert done.returncode == 0, f"notebooks failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    errors = json.loads(done.stdout.strip().splitlines()[-1])
    assert errors == {
        "01_use_case_and_data.ipynb": [],
        "02_split_and_features.ipynb": [],
        "03_baseline_and_interpretation.ipynb": [],
        "04_evaluation_and_next_steps.ipynb": [],
    }
    assert report.is_file()  # written by notebook 04
