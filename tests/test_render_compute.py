"""compute=dask: a rendered project trains on a real Dask cluster (slow, about a minute).

One render, LightGBM on a binary target: the project's ``ruff`` and ``mypy``, the tests of its
Dask training (``tests/test_distributed.py``: a partitioned Parquet table the test writes, a
``LocalCluster`` of two in-process workers: split properties, baseline, candidate, the saved
model against one trained on one machine, the unreachable scheduler), then ``train`` from the
command line on a folder of Parquet files with a local cluster of two worker processes, and
``predict`` with the model it saved. The rest of the project's suite is the single-machine one
that the other render tests run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import run_in
from tests.test_render_matrix import check, render_case


def write_parts(folder: Path, parts: int, rows: int) -> None:
    """A learnable binary table (numbers, a text category), as ``parts`` Parquet files."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for part in range(parts):
        x = rng.normal(size=(rows, 2))
        color = rng.choice(["red", "blue"], size=rows)
        score = 2 * x[:, 0] - x[:, 1] + (color == "red")
        label = np.where(rng.random(rows) < 1 / (1 + np.exp(-2 * score)), "churned", "stayed")
        frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "color": color, "label": label})
        frame.to_parquet(folder / f"part-{part}.parquet", index=False)


@pytest.mark.slow
def test_compute_dask_project_passes_its_checks_and_trains_on_a_local_cluster(
    template_repo: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    render_case(template_repo, project, {"compute": "dask", "model_family": "lightgbm"}, plain_copier=False)
    python = sys.executable
    check(run_in(project, python, "-m", "ruff", "check", "."))
    check(run_in(project, python, "-m", "ruff", "format", "--check", "."))
    check(run_in(project, python, "-m", "mypy"))
    tests = check(run_in(project, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_distributed.py"))
    assert "17 passed" in tests and "failed" not in tests

    write_parts(project / "data" / "table", parts=3, rows=700)
    train = ["-m", "churn_model", "train", "--data", "data/table", "--target", "label", "--workers", "2"]
    done = run_in(project, python, *train, "--worker-memory", "1GB")
    output = check(done)
    assert "dask: local cluster of 2 workers, dashboard http" in done.stderr
    assert "100% Completed" in done.stderr  # the progress bar over the partitions
    # 2,100 rows: validation is round(20 % of what the 10 % holdout leaves), as on one machine;
    # the holdout is cut per class, ceil(10 %) each, so one row more than 210 here.
    assert "split (stratified): 1511 train / 378 validation rows" in output
    assert "holdout: 211 rows written to data/holdout/holdout.parquet" in output
    assert "registered model version 1 as champion" in output
    predicted = project / "predictions.csv"
    predict = ["-m", "churn_model", "predict", "--input", "models/sample_input.csv", "--output", str(predicted)]
    check(run_in(project, python, *predict))
    assert set(pd.read_csv(predicted)["prediction"]) <= {"churned", "stayed"}
