"""The rendered project's dependency ranges are the ones this test environment runs.

poc2prod's ``project`` extra installs what a rendered project declares, so the render
matrix runs rendered projects against exactly those ranges; this test keeps the two lists
equal and checks that the installed versions fall inside every range.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def requirements(names: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(name) for name in names]
    return {req.name.lower(): req for req in parsed}


def test_project_extra_equals_rendered_dependencies(render: Callable[..., Path]) -> None:
    pyproject = tomllib.loads((render() / "pyproject.toml").read_text())
    rendered = pyproject["project"]
    # The runtime dependencies, the dev dependency group and the model-family extras.
    lists = [rendered["dependencies"], *pyproject["dependency-groups"].values()]
    lists += rendered["optional-dependencies"].values()
    declared = requirements([req for names in lists for req in names])
    ours = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["project"]
    assert {name: str(req) for name, req in declared.items()} == {
        name: str(req) for name, req in requirements(ours).items()
    }


def test_tracking_extra_equals_what_mlflow_projects_add(render: Callable[..., Path]) -> None:
    default = tomllib.loads((render("default") / "pyproject.toml").read_text())["project"]
    mlflow = tomllib.loads((render("mlflow", tracking="mlflow") / "pyproject.toml").read_text())["project"]
    added = sorted(set(mlflow["dependencies"]) - set(default["dependencies"]))
    assert set(default["dependencies"]) <= set(mlflow["dependencies"])
    ours = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["tracking"]
    assert added == sorted(ours)
    for name, req in requirements(added).items():
        installed = version(name)
        assert req.specifier.contains(installed), f"{name} {installed} is outside {req.specifier}"


def test_compute_extra_equals_what_dask_projects_add(render: Callable[..., Path]) -> None:
    local = tomllib.loads((render("local", model_family="lightgbm") / "pyproject.toml").read_text())["project"]
    dask = tomllib.loads((render("dask", compute="dask", model_family="lightgbm") / "pyproject.toml").read_text())
    added = sorted(set(dask["project"]["dependencies"]) - set(local["dependencies"]))
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    # dask, and the model family's package, which a compute=local project has as an extra.
    assert added == sorted([*extras["compute"], *dask["project"]["optional-dependencies"]["lightgbm"]])
    for name, req in requirements(added).items():
        installed = version(name)
        assert req.specifier.contains(installed), f"{name} {installed} is outside {req.specifier}"


def test_installed_versions_are_inside_the_declared_ranges(render: Callable[..., Path]) -> None:
    rendered = tomllib.loads((render() / "pyproject.toml").read_text())["project"]
    for name, req in requirements(rendered["dependencies"]).items():
        installed = version(name)
        assert req.specifier.contains(installed), f"{name} {installed} is outside {req.specifier}"


def test_default_render_manifest(render: Callable[..., Path]) -> None:
    # The files a default render produces: an addition or removal shows up in review.
    project: Path = render()
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [
        ".copier-answers.yml",
        ".dockerignore",
        ".github/dependabot.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/monitor.yml",
        ".github/workflows/release.yml",
        ".github/workflows/template-updates.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "Dockerfile",
        "LICENSE",
        "Makefile",
        "README.md",
        "data/README.md",
        "deploy/k8s/base/deployment.yaml",
        "deploy/k8s/base/kustomization.yaml",
        "deploy/k8s/base/service.yaml",
        "deploy/k8s/deploy.sh",
        "deploy/k8s/overlays/production/kustomization.yaml",
        "deploy/k8s/overlays/staging/kustomization.yaml",
        "docs/architecture.md",
        "docs/rollout.md",
        "docs/use_case.md",
        "models/.gitkeep",
        "notebooks/01_use_case_and_data.ipynb",
        "notebooks/02_split_and_features.ipynb",
        "notebooks/03_baseline_and_interpretation.ipynb",
        "notebooks/04_evaluation_and_next_steps.ipynb",
        "pyproject.toml",
        "src/churn_model/__init__.py",
        "src/churn_model/__main__.py",
        "src/churn_model/api.py",
        "src/churn_model/artifacts.py",
        "src/churn_model/business_rules.py",
        "src/churn_model/cli.py",
        "src/churn_model/comparison.py",
        "src/churn_model/config.py",
        "src/churn_model/data.py",
        "src/churn_model/data_report.py",
        "src/churn_model/drift.py",
        "src/churn_model/estimators.py",
        "src/churn_model/evaluate.py",
        "src/churn_model/features.py",
        "src/churn_model/interpret.py",
        "src/churn_model/iteration.py",
        "src/churn_model/model_card.py",
        "src/churn_model/notebook.py",
        "src/churn_model/online.py",
        "src/churn_model/predict.py",
        "src/churn_model/promotion.py",
        "src/churn_model/py.typed",
        "src/churn_model/registry.py",
        "src/churn_model/report.py",
        "src/churn_model/schema.py",
        "src/churn_model/split.py",
        "src/churn_model/train.py",
        "src/churn_model/validation.py",
        "tests/conftest.py",
        "tests/test_api.py",
        "tests/test_artifacts.py",
        "tests/test_business_rules.py",
        "tests/test_cli.py",
        "tests/test_comparison.py",
        "tests/test_data.py",
        "tests/test_data_report.py",
        "tests/test_datetime_features.py",
        "tests/test_drift.py",
        "tests/test_evaluate.py",
        "tests/test_features.py",
        "tests/test_interpret.py",
        "tests/test_model_card.py",
        "tests/test_model_family.py",
        "tests/test_notebooks.py",
        "tests/test_online.py",
        "tests/test_predict.py",
        "tests/test_registry.py",
        "tests/test_report.py",
        "tests/test_schema.py",
        "tests/test_split.py",
        "tests/test_split_strategies.py",
        "tests/test_train.py",
    ]
    text = "".join((project / name).read_text() for name in files if not name.endswith(".gitkeep"))
    # GitHub Actions expressions `${{ ... }}` are meant to be there; Jinja leftovers are not.
    assert not re.search(r"(?<!\$)\{\{", text) and "{%" not in text
    assert "TODO" not in text
