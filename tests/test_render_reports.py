"""Render projects and run interpretation, the HTML report, MLflow tracking and notebooks.

Two render-and-run cases, each covering many answers at once:

- binary on the bundled data with ``tracking=mlflow``: the project's own suite (which
  executes the four notebooks and checks the MLflow run), its linters, then
  ``train`` → ``interpret`` → ``report`` through its command line into the default local
  MLflow store;
- regression on the Palmer penguins CSV (string categories, missing values, a date), with
  the ``random`` split and the default ``hist_gradient_boosting`` family: linters,
  ``train`` → ``interpret`` → ``report``, asserting what the model relies on, then the four
  POC notebooks on that table.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.helpers import penguins_csv_with_dates, run_notebooks
from tests.test_render_matrix import check, render_case

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command in a rendered project: its ``src`` importable, no outside MLflow store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(project / "src")
    return subprocess.run(list(args), cwd=project, env=env, capture_output=True, text=True, timeout=1800, check=False)


class Page(HTMLParser):
    """The image sources and the metric cells (``data-model``, ``data-metric``) of a report."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[str] = []
        self.metrics: dict[str, dict[str, float]] = {}
        self._cell: tuple[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        elif tag == "td" and "data-metric" in values:
            self._cell = (values["data-model"] or "", values["data-metric"] or "")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            model, metric = self._cell
            self.metrics.setdefault(model, {})[metric] = float(data)
            self._cell = None


def lint(project: Path) -> None:
    python = sys.executable
    for args in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        check(run(project, python, "-m", *args))


def pipeline_report(project: Path, package: str) -> tuple[Page, dict[str, Any]]:
    """Run train, interpret and report through the project's CLI; parse what they wrote."""
    for command in ("train", "interpret", "report"):
        check(run(project, sys.executable, "-m", package, command))
    text = (project / "reports" / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert "http" not in text and "<script" not in text and "<link" not in text
    for source in page.images:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        assert base64.b64decode(source[len(prefix) :], validate=True).startswith(PNG_SIGNATURE)
    written = json.loads((project / "reports" / "metrics.json").read_text())
    for model in ("baseline", "candidate"):
        assert page.metrics[model] == {name: round(value, 4) for name, value in written[model].items()}
    return page, written


@pytest.mark.slow
def test_binary_bundled_with_mlflow_runs_suite_notebooks_and_report(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "tracked"
    answers = {"project_name": "tracked model", "problem_type": "binary", "tracking": "mlflow"}
    render_case(template_repo, project, answers, plain_copier=False)
    assert (project / "src" / "tracked_model" / "tracking.py").is_file()
    assert len(list((project / "notebooks").glob("*.ipynb"))) == 4
    lint(project)
    suite = check(run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"))
    # Every test ran, the notebook executions and the MLflow checks included.
    assert " failed" not in suite and " skipped" not in suite and "deselected" not in suite

    page, written = pipeline_report(project, "tracked_model")
    # classification: confusion matrix, ROC, precision-recall, calibration, importance, PD
    assert len(page.images) == 6
    assert page.metrics["baseline"]["roc_auc"] == 0.5
    assert page.metrics["candidate"]["roc_auc"] > 0.9
    assert written["candidate_beats_baseline"] is True

    # Training and report were logged to the default local store: sqlite mlflow.db + mlruns/.
    from mlflow.tracking import MlflowClient

    record = json.loads((project / "models" / "mlflow_run.json").read_text())
    assert record["tracking_uri"] == f"sqlite:///{project.resolve() / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=record["tracking_uri"])
    run_ = client.get_run(record["run_id"])
    assert run_.data.metrics["candidate_roc_auc"] == pytest.approx(written["candidate"]["roc_auc"])
    assert run_.data.metrics["baseline_roc_auc"] == 0.5
    report_files = {item.path for item in client.list_artifacts(record["run_id"], "report")}
    assert report_files == {"report/report.html", "report/metrics.json"}
    assert (project / "mlruns").is_dir()
    ignored = (project / ".gitignore").read_text().splitlines()
    assert {"/mlflow.db", "/mlruns/", "/reports/"} <= set(ignored)


@pytest.mark.slow
def test_regression_on_penguins_interprets_and_reports(template_repo: Path, penguins_csv: Path, tmp_path: Path) -> None:
    project = tmp_path / "penguins"
    answers = {
        "project_name": "penguin mass",
        "problem_type": "regression",
        "data_path": "data/penguins.csv",
        "target_column": "body_mass_g",
        "python_version": "3.10",
        "split_strategy": "random",
        "model_family": "hist_gradient_boosting",
    }
    render_case(template_repo, project, answers, plain_copier=False)
    penguins_csv_with_dates(penguins_csv, project / "data" / "penguins.csv")
    assert not (project / "src" / "penguin_mass" / "tracking.py").exists()
    lint(project)

    page, written = pipeline_report(project, "penguin_mass")
    # regression: predicted vs actual, residuals, importance, partial dependence
    assert len(page.images) == 4
    assert page.metrics["candidate"]["r2"] > 0.7
    assert abs(page.metrics["baseline"]["r2"]) < 0.05
    assert page.metrics["candidate"]["rmse"] < 0.6 * page.metrics["baseline"]["rmse"]

    importance = pd.read_csv(project / "reports" / "permutation_importance.csv")
    assert sorted(importance["feature"]) == sorted(
        ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "sex", "year", "measured"]
    )
    # Body mass follows species, flipper length and sex (Gorman et al. 2014), in grams of RMSE.
    assert set(importance["feature"][:3]) == {"species", "flipper_length_mm", "sex"}
    assert importance["importance_mean"].iloc[0] > 100
    details = json.loads((project / "reports" / "permutation_importance.json").read_text())
    assert details["partial_dependence_features"][0] == "flipper_length_mm"
    assert (project / "models" / "validation.parquet").is_file()
    split = written["split"]
    assert written["validation_rows"] == split["validation"]
    # 342 birds with a body mass: the default 10 % online holdout first, then 20 % of the
    # rest to validation.
    assert split["train"] + split["validation"] + split["holdout"] == 342
    assert (split["holdout"], split["validation"]) == (35, 62)  # ceil(10 % of 342), ceil(20 % of 307)
    assert split["strategy"] == "random"
    metadata = json.loads((project / "models" / "metadata.json").read_text())
    assert (metadata["split_strategy"], metadata["model_family"]) == ("random", "hist_gradient_boosting")
    assert metadata["datetime_features"] == ["measured"]

    # The four POC notebooks on this real table, with the random split.
    run_notebooks(project, tmp_path / "jupyter")
