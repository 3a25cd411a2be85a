"""Render projects for each split strategy and model family and train them on real data.

Three render-and-run cases (slow), each on a real table with missing values, string
categoricals and a datetime column:

- Seattle weather (``vega_datasets``, 1461 days of 2012-2015): ``time`` split, LightGBM,
  regression of the day's maximum temperature, with a 10 % online holdout;
- Palmer penguins (344 birds of 2007-2009): ``group`` split on the study year, XGBoost,
  multiclass species, with a datetime column derived from the study year;
- the same penguins: ``stratified`` split, ``linear`` family (logistic regression),
  binary sex.

The ``random`` split with the default ``hist_gradient_boosting`` family runs on the same
real table in ``test_render_reports``. Each case runs the rendered project's own suite
(which covers every split and all four model families in-process on generated tables),
``ruff`` and ``mypy``, then ``train``, ``evaluate``, ``predict``, ``interpret``, ``report``
and the four POC notebooks on the real table, and checks the split properties on the
data the run wrote.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import penguins_csv_with_dates, run_in, run_notebooks
from tests.test_render_matrix import check, render_case
from tests.test_render_reports import Page


def seattle_weather_csv(path: Path) -> Path:
    """Seattle weather, rows shuffled, with every 11th wind reading blanked out."""
    from vega_datasets import data  # type: ignore[import-untyped]

    frame = data.seattle_weather()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    frame.loc[::11, "wind"] = np.nan
    frame.sample(frac=1.0, random_state=7).to_csv(path, index=False)
    return path


CASES = {
    "time-lightgbm-weather": {
        "answers": {
            "project_name": "weather model",
            "problem_type": "regression",
            "python_version": "3.10",
            "data_path": "data/weather.csv",
            "target_column": "temp_max",
            "split_strategy": "time",
            "time_column": "date",
            "model_family": "lightgbm",
        },
        "train_args": ["--holdout-fraction", "0.1"],
    },
    "group-xgboost-penguins": {
        "answers": {
            "project_name": "penguin model",
            "problem_type": "multiclass",
            "python_version": "3.13",
            "data_path": "data/penguins.csv",
            "target_column": "species",
            "split_strategy": "group",
            "group_column": "year",
            "model_family": "xgboost",
        },
        "train_args": ["--holdout-fraction", "0"],  # three study years: none to spare
    },
    "stratified-linear-penguins": {
        "answers": {
            "project_name": "penguin sex",
            "problem_type": "binary",
            "python_version": "3.12",
            "license": "Proprietary",
            "data_path": "data/penguins.csv",
            "target_column": "sex",
            "split_strategy": "stratified",
            "model_family": "linear",
        },
        "train_args": [],
    },
}

#: The optional extra that ``make install`` adds for a model family (none for scikit-learn's).
EXTRAS = {"lightgbm": '".[lightgbm]"', "xgboost": '".[xgboost]"', "linear": "."}

#: Print, as JSON, the group sets of each side of the split the saved run used.
GROUP_SIDES = """
import json
from PACKAGE.config import Settings
from PACKAGE.data import load_dataset
from PACKAGE.split import train_validation_split
meta = json.load(open("models/metadata.json"))
s = Settings()
d = load_dataset(s.data_path, s.target, meta["problem_type"], group_column=meta["group_column"])
sp = train_validation_split(d.features, d.target, problem_type=meta["problem_type"],
    strategy="group", groups=d.groups, validation_size=meta["validation_size"],
    random_state=meta["random_state"], holdout_fraction=meta["holdout_fraction"])
print(json.dumps({k: sorted(map(int, d.groups.loc[x.index].unique()))
    for k, x in (("train", sp.X_train), ("validation", sp.X_valid))}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_split_strategy_and_model_family_on_real_data(
    template_repo: Path, penguins_csv: Path, tmp_path: Path, case: str
) -> None:
    answers = CASES[case]["answers"]
    assert isinstance(answers, dict)
    project = tmp_path / "project"
    render_case(template_repo, project, answers, plain_copier=False)
    package = answers["project_name"].replace(" ", "_")
    family = answers["model_family"]
    assert f"pip install --group dev -e {EXTRAS[family]}\n" in (project / "Makefile").read_text()
    if answers["split_strategy"] == "time":
        data = seattle_weather_csv(project / "data" / "weather.csv")
    else:
        data = penguins_csv_with_dates(penguins_csv, project / "data" / "penguins.csv")

    python = sys.executable
    check(run_in(project, python, "-m", "ruff", "check", "."))
    check(run_in(project, python, "-m", "ruff", "format", "--check", "."))
    check(run_in(project, python, "-m", "mypy"))
    # The notebooks run below, on the real table, instead of on the bundled data.
    tests = check(run_in(project, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not notebooks"))
    assert " passed" in tests and "failed" not in tests and "skipped" not in tests

    train_args = CASES[case]["train_args"]
    assert isinstance(train_args, list)
    check(run_in(project, python, "-m", package, "train", *train_args))
    metrics = json.loads((project / "models" / "metrics.json").read_text())
    metadata = json.loads((project / "models" / "metadata.json").read_text())
    report = json.loads((project / "models" / "data_report.json").read_text())
    assert metadata["model_family"] == family
    assert metadata["split_strategy"] == metrics["split"]["strategy"] == answers["split_strategy"]
    assert metrics["candidate_beats_baseline"] is True
    assert {column["kind"] for column in report["columns"]} == {"numeric", "categorical", "datetime"}
    frame = pd.read_csv(data)
    sides = metadata["split_sides"]

    if answers["split_strategy"] == "time":
        # 1461 days: 147 (10 %) latest days held out, then 20 % of the rest validated.
        assert metrics["split"] == {"train": 1051, "validation": 263, "holdout": 147, "strategy": "time"}
        assert sides["train"]["time_max"] <= sides["validation"]["time_min"]
        assert sides["validation"]["time_max"] <= sides["holdout"]["time_min"]
        holdout = pd.read_parquet(project / "data" / "holdout" / "holdout.parquet")
        latest = sorted(frame["date"])[-147:]
        assert sorted(holdout["date"].dt.strftime("%Y-%m-%d")) == latest
        assert metadata["holdout"] == {"rows": 147, "path": "data/holdout/holdout.parquet"}
        assert metadata["datetime_features"] == ["date"]
        assert next(c for c in report["columns"] if c["name"] == "wind")["missing_share"] == pytest.approx(133 / 1461)
        candidate, baseline = metrics["candidate"], metrics["baseline"]
        assert candidate["rmse"] < 0.5 * baseline["rmse"]
        assert candidate["r2"] > 0.8  # 0.846 measured (LightGBM 4.7, scikit-learn 1.9)
    elif answers["split_strategy"] == "stratified":
        # 344 birds, 11 of unknown sex dropped: 333; 34 (10 %) to the online holdout, then
        # 20 % of the other 299 (60) validate.
        assert metrics["split"] == {"train": 239, "validation": 60, "holdout": 34, "strategy": "stratified"}
        validation = pd.read_parquet(project / "models" / "validation.parquet")
        shares = frame["sex"].value_counts().to_dict()
        for sex, count in validation["sex"].value_counts().to_dict().items():
            # Each class keeps its share of the table on the validation side, within one row.
            assert abs(count - shares[sex] * 60 / 333) <= 1
        assert metadata["categorical_features"] == ["species", "island"]
        assert metadata["datetime_features"] == ["measured"]
        assert metrics["candidate"]["roc_auc"] > 0.93  # 0.954 measured (scikit-learn 1.9)
        assert metrics["baseline"]["roc_auc"] == 0.5
    else:
        # Three study years: two train, the third validates; no year on both sides.
        assert metrics["split"]["holdout"] == 0
        assert {side: sides[side]["groups"] for side in ("train", "validation")} == {"train": 2, "validation": 1}
        done = check(run_in(project, python, "-c", GROUP_SIDES.replace("PACKAGE", package)))
        groups = json.loads(done)
        assert set(groups["train"]).isdisjoint(groups["validation"])
        assert set(groups["train"]) | set(groups["validation"]) == {2007, 2008, 2009}
        assert metrics["split"]["validation"] == int((frame["year"] == groups["validation"][0]).sum())
        assert "year" not in [feature["name"] for feature in metadata["features"]]
        assert metrics["candidate"]["roc_auc"] > 0.97
        assert metrics["baseline"]["roc_auc"] == 0.5

    check(run_in(project, python, "-m", package, "evaluate"))
    evaluation = json.loads((project / "models" / "evaluation.json").read_text())
    assert evaluation["candidate"] == pytest.approx(metrics["candidate"])
    check(
        run_in(project, python, "-m", package, "predict", "--input", "models/sample_input.csv", "--output", "out.csv")
    )
    assert len(pd.read_csv(project / "out.csv")) == 20

    # Steps I.8-9 on the real table and this split: interpretation, then the offline report.
    check(run_in(project, python, "-m", package, "interpret"))
    check(run_in(project, python, "-m", package, "report"))
    page = Page((project / "reports" / "report.html").read_text(encoding="utf-8"))
    # regression: predicted vs actual, residuals; classification: confusion matrix, ROC,
    # precision-recall, calibration; both: importance and partial dependence.
    assert len(page.images) == (4 if answers["problem_type"] == "regression" else 6)
    assert all(source.startswith("data:image/png;base64,") for source in page.images)
    assert page.metrics["candidate"] == {name: round(value, 4) for name, value in metrics["candidate"].items()}
    importance = pd.read_csv(project / "reports" / "permutation_importance.csv")
    assert set(importance["feature"]) == {feature["name"] for feature in metadata["features"]}

    # The four POC notebooks, top to bottom, on this real table with its split strategy.
    run_notebooks(project, tmp_path / "jupyter")
    assert json.loads((project / "models" / "metadata.json").read_text())["split_strategy"] == answers["split_strategy"]
