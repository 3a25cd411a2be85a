"""Render every problem type on its bundled data and run each project as its users and CI will.

Each case renders the template, runs the project's checks, then ``train`` and ``predict``
through its command line, asserting on the metrics it writes. Each case is also the run of
one CI configuration, so that no render pays for the same suite twice:

- binary, rendered with plain ``copier copy`` (no poc2prod): every ``run:`` step of the
  rendered GitHub workflow, in order (install, ruff, format, mypy, tests, notebooks, the
  layout lint, the image's training step);
- multiclass without the API: ``ruff check``, ``ruff format --check``, ``mypy`` and the
  project's whole suite, as ``make lint test`` runs them;
- regression: every script of the rendered ``.gitlab-ci.yml`` jobs, stage by stage.

Answers vary license and Python version too; projects on real CSVs run in
test_render_part1, the API over HTTP in test_render_api.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.helpers import run_in
from tests.test_render_ops import project_venv, run_script

#: Steps of the rendered ci.yml that cannot run here, by step name, and why.
GITHUB_SKIPPED_STEPS = {"Build the image": "needs a Docker engine"}
#: GitLab jobs that cannot run here, and why.
GITLAB_SKIPPED_JOBS = {
    "image": "needs a Docker engine (docker:dind)",
    "deploy-staging": "needs a Kubernetes cluster",
    "deploy-production": "needs a Kubernetes cluster",
    "monitor": "runs in pipeline schedules only (its steps run in test_render_ops)",
}

CASES: list[dict[str, Any]] = [
    {
        "answers": {"problem_type": "binary", "python_version": "3.11", "license": "MIT", "ci_provider": "github"},
        "plain_copier": True,
        "run": "github-ci",
    },
    {
        "answers": {
            "problem_type": "multiclass",
            "python_version": "3.12",
            "license": "BSD-3-Clause",
            "api": "none",
        },
        "plain_copier": False,
        "run": "checks",
    },
    {
        "answers": {
            "problem_type": "regression",
            "python_version": "3.10",
            "license": "Apache-2.0",
            "ci_provider": "gitlab",
        },
        "plain_copier": False,
        "run": "gitlab-ci",
    },
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


def run_github_ci(project: Path, tmp: Path) -> None:
    """Run every ``run:`` step of the rendered ``ci.yml``, in order; assert which ran."""
    env = project_venv(project, tmp)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    ran, skipped = [], []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" not in step:
                continue
            if step["name"] in GITHUB_SKIPPED_STEPS:
                skipped.append(step["name"])
                continue
            output = run_script(step["run"], project, env)
            ran.append(step["name"])
            if step["name"] == "Test":
                assert re.search(r"\d+ passed", output)
                assert "failed" not in output
    assert skipped == list(GITHUB_SKIPPED_STEPS)
    assert ran == [
        "Install",
        "Lint",
        "Check formatting",
        "Type-check",
        "Test",
        "Execute notebooks",
        "Lint the layout",  # skips, saying so: the project was rendered from a local path
        "Install",
        "Train the model baked into the image",
    ]
    assert (project / "models" / "model.skops").is_file()  # what the image build copies in


def run_gitlab_ci(project: Path, tmp: Path) -> None:
    """Run the scripts of every rendered GitLab job that can run here, stage by stage."""
    env = project_venv(project, tmp)
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    jobs = {name: job for name, job in config.items() if isinstance(job, dict) and "stage" in job}
    ran = []
    for stage in config["stages"]:
        for name, job in jobs.items():
            if job["stage"] != stage or name in GITLAB_SKIPPED_JOBS:
                continue
            merged = {**config.get(job.get("extends", ""), {}), **job}
            for line in [*merged.get("before_script", []), *merged["script"]]:
                run_script(line, project, env)
            ran.append(name)
    assert ran == ["lint", "test", "layout", "train"]  # layout skips: rendered from a local path
    assert sorted(set(jobs) - set(ran)) == sorted(GITLAB_SKIPPED_JOBS)


def run_checks(project: Path) -> None:
    """ruff, ruff format, mypy and the project's whole suite (notebooks included)."""
    python = sys.executable
    check(run_in(project, python, "-m", "ruff", "check", "."))
    check(run_in(project, python, "-m", "ruff", "format", "--check", "."))
    check(run_in(project, python, "-m", "mypy"))
    tests = check(run_in(project, python, "-m", "pytest", "-q", "-p", "no:cacheprovider"))
    assert " passed" in tests and "failed" not in tests


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c['answers']['problem_type']}-{c['run']}" for c in CASES])
def test_rendered_project_passes_its_checks_and_ci_and_trains(
    template_repo: Path, tmp_path: Path, case: dict[str, Any]
) -> None:
    answers = case["answers"]
    problem_type = answers["problem_type"]
    package = f"{problem_type}_bundled_model"
    project = tmp_path / "project"
    answers = {"project_name": f"{problem_type} bundled model", **answers}
    render_case(template_repo, project, answers, case["plain_copier"])
    assert (project / "src" / package / "train.py").is_file()
    assert (project / "src" / package / "api.py").exists() == (answers.get("api", "fastapi") == "fastapi")

    python = sys.executable
    if case["run"] == "github-ci":
        run_github_ci(project, tmp_path)  # trains, in its image step
    elif case["run"] == "gitlab-ci":
        run_gitlab_ci(project, tmp_path)  # trains, in its train job
    else:
        run_checks(project)
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
    total = metrics["split"]["train"] + metrics["split"]["validation"] + metrics["split"]["holdout"]
    assert total == {"binary": 569, "multiclass": 178, "regression": 442}[problem_type]
    assert metrics["split"]["holdout"] == -(-total // 10)  # the default 10 % online holdout

    check(
        run_in(project, python, "-m", package, "predict", "--input", "models/sample_input.csv", "--output", "out.csv")
    )
    predictions = pd.read_csv(project / "out.csv")
    assert len(predictions) == 20
    if problem_type != "regression":
        assert predictions.filter(like="proba_").sum(axis=1).round(6).eq(1).all()
