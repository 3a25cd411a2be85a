"""The answers split_strategy, time_column, group_column, model_family and compute reach the project.

Fast checks (render only); tests/test_render_part1.py trains rendered projects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_cli


def config_values(project: Path, package: str = "churn_model") -> dict[str, str]:
    text = (project / "src" / package / "config.py").read_text()
    return dict(re.findall(r"^([A-Z_]+): [^=]+ = (.+)$", text, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("answers", "expected", "extra"),
    [
        (
            {"problem_type": "regression", "model_family": "linear"},
            {"SPLIT_STRATEGY": '"random"', "TIME_COLUMN": "None", "GROUP_COLUMN": "None", "MODEL_FAMILY": '"linear"'},
            ".",
        ),
        (
            {"data_path": "d.csv", "split_strategy": "time", "time_column": "day", "model_family": "lightgbm"},
            {"SPLIT_STRATEGY": '"time"', "TIME_COLUMN": '"day"', "GROUP_COLUMN": "None", "MODEL_FAMILY": '"lightgbm"'},
            '".[lightgbm]"',
        ),
        (
            {"data_path": "d.csv", "split_strategy": "group", "group_column": "customer", "model_family": "xgboost"},
            {
                "SPLIT_STRATEGY": '"group"',
                "TIME_COLUMN": "None",
                "GROUP_COLUMN": '"customer"',
                "MODEL_FAMILY": '"xgboost"',
            },
            '".[xgboost]"',
        ),
        (
            {"compute": "dask", "model_family": "xgboost"},
            {"MODEL_FAMILY": '"xgboost"', "COMPUTE": '"dask"'},
            '".[xgboost]"',
        ),
    ],
)
def test_answers_are_rendered_into_config_and_makefile(
    render: Callable[..., Path], answers: dict[str, str], expected: dict[str, str], extra: str
) -> None:
    project = render(**answers)
    values = config_values(project)
    assert {key: values[key] for key in expected} == expected
    assert f"pip install --group dev -e {extra}\n" in (project / "Makefile").read_text()


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        (["split_strategy=stratified", "problem_type=regression"], "needs a class target"),
        (["split_strategy=time"], "needs your own data"),
        (["data_path=d.csv", "target_column=day", "split_strategy=time", "time_column=day"], "is the target column"),
        (["data_path=d.csv", "target_column=y", "split_strategy=group", "group_column=y"], "is the target column"),
        (["model_family=catboost"], "'catboost' is not in"),
        (
            ["compute=dask"],
            'compute "dask" needs a model family with a distributed learner, and hist_gradient_boosting has '
            "none: use model_family=lightgbm or model_family=xgboost, or compute=local",
        ),
        (["compute=dask", "model_family=linear"], "linear has none: use model_family=lightgbm or"),
    ],
)
def test_inconsistent_answers_are_refused(
    template_repo: Path, tmp_path: Path, answers: list[str], fragment: str
) -> None:
    args = [arg for answer in answers for arg in ("--data", answer)]
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--template", str(template_repo), *args)
    assert done.returncode != 0
    assert fragment in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()


def test_compute_dask_adds_dask_and_the_family_and_local_renders_no_dask(render: Callable[..., Path]) -> None:
    dask = render("dask", compute="dask", model_family="lightgbm")
    local = render("local", model_family="lightgbm")
    dependencies = (dask / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]
    assert '"dask[dataframe,distributed]>=2025.1,<2027"' in dependencies
    assert '"lightgbm>=4.6,<5"' in dependencies
    assert (dask / "src/churn_model/distributed.py").is_file()
    assert (dask / "tests/test_distributed.py").is_file()
    assert not (local / "src/churn_model/distributed.py").exists()
    assert not any("dask" in path.read_text().lower() for path in (local / "src").rglob("*.py"))
    assert "dask" not in (local / "pyproject.toml").read_text().lower()
