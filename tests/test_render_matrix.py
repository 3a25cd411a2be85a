"""Render every problem type on its bundled data and run each project as its users will.

Each case renders the template, then in the rendered project runs its own test suite,
``ruff check``, ``ruff format --check``, ``mypy``, and ``train`` + ``predict`` through its
command line, asserting on the metrics it writes. Answers vary license and Python version
so that every problem type, both rendering paths (plain Copier and poc2prod) and several
Python versions are covered; projects on real CSVs run in test_render_part1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import run_in

CASES = [
    # (problem type, data source, python version, license, render with plain `copier copy`)
    # Three cases, so that CI stays within its time budget; the answers of Part I and II
    # (split, model family, tracking, api, CI provider) are rendered and run by
    # test_render_part1 (which also runs multiclass and binary projects on the penguins
    # CSV), test_render_reports, test_render_api and test_render_ops.
    ("binary", "bundled", "3.11", "MIT", True),
    ("multiclass", "bundled", "3.12", "BSD-3-Clause", False),
    ("regression", "bundled", "3.13", "Apache-2.0", False),
]


def render_case(template_repo: Path, dest: Path, answers: dict[str, str], plain_copier: bool) -> None:
    """Render with plain Copier (no poc2prod) or through poc2prod's own code path."""
    if plain_copier:
        copier = shutil.which("copier", path=str(Path(sys.executable).parent)) or "copier"
        args = [copier, "copy", "--defaults", "--quiet"]
        for key, value in answers.items():
            args += ["--data", f"{key}={value}"]
        subprocess.run([*args, str(template_repo), str(dest)], check=True, capture_output=True, text=True)
    else:
        from poc2prod.project import create_project
        from poc2prod.template import resolve_source

        create_project(dest, resolve_source(str(template_repo)), dict(answers), defaults=True, git=False, quiet=True)


def check(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("problem_type", "source", "python_version", "license_", "plain_copier"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-py{c[2]}" for c in CASES],
)
def test_rendered_project_passes_its_own_checks_and_trains(
    template_repo: Path,
    tmp_path: Path,
    problem_type: str,
    source: str,
    python_version: str,
    license_: str,
    plain_copier: bool,
) -> None:
    package = f"{problem_type}_{source}_model"
    answers = {
        "project_name": f"{problem_type} {source} model",
        "problem_type": problem_type,
        "python_version": python_version,
        "license": license_,
    }
    project = tmp_path / "project"
    render_case(template_repo, project, answers, plain_copier)
    assert (project / "src" / package / "train.py").is_file()

    python = sys.executable
    check(run_in(project, python, "-m", "ruff", "check", "."))
    check(run_in(project, python, "-m", "ruff", "format", "--check", "."))
    check(run_in(project, python, "-m", "mypy"))
    tests = check(run_in(project, python, "-m", "pytest", "-q", "-p", "no:cacheprovider"))
    assert " passed" in tests and "failed" not in tests

    check(run_in(project, python, "-m", package, "train"))
    metrics = json.loads((project / "models" / "metrics.json").read_text())
    assert metrics["candidate_beats_baseline"] is True
    candidate, baseline = metrics["candidate"], metrics["baseline"]
    if problem_type == "regression":
        assert candidate["rmse"] < baseline["rmse"]
        assert candidate["r2"] > 0.3
    else:
        assert baseline["roc_auc"] == 0.5
        assert candidate["roc_auc"] > 0.9
    total = metrics["split"]["train"] + metrics["split"]["validation"]
    assert total == {"binary": 569, "multiclass": 178, "regression": 442}[problem_type]

    check(
        run_in(project, python, "-m", package, "predict", "--input", "models/sample_input.csv", "--output", "out.csv")
    )
    predictions = pd.read_csv(project / "out.csv")
    assert len(predictions) == 20
    if problem_type != "regression":
        assert predictions.filter(like="proba_").sum(axis=1).round(6).eq(1).all()
