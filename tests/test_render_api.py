"""The ``api`` answer: FastAPI serving, A/B log, online evaluation and drift monitor.

A fast check renders ``api=none`` and ``api=fastapi`` and compares the files; two slow
cases render whole projects and run them: penguins regression with the API served for
real by its own ``serve`` command (string categories, missing values), and a bundled
multiclass project without the API, whose suite and linters must pass all the same.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_in

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

API_FILES = {"src/{pkg}/api.py", "tests/test_api.py"}
API_DEPENDENCIES = {"fastapi", "pydantic", "pydantic-settings", "uvicorn", "httpx", "schemathesis"}


def files_of(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def dependency_names(project: Path) -> set[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    names = pyproject["project"]["dependencies"] + pyproject["dependency-groups"]["dev"]
    return {n.split(">")[0].split("<")[0].split("=")[0].strip() for n in names}


def test_api_none_renders_no_api_files_nor_dependencies(render: Callable[..., Path]) -> None:
    with_api = render("with_api", project_name="Served Model")
    without = render("without_api", project_name="Plain Model", api="none")
    assert {f.format(pkg="served_model") for f in API_FILES} <= files_of(with_api)
    assert not {f.format(pkg="plain_model") for f in API_FILES} & files_of(without)
    assert dependency_names(with_api) >= API_DEPENDENCIES
    assert not API_DEPENDENCIES & dependency_names(without)
    assert "serve:" in (with_api / "Makefile").read_text()
    assert "serve" not in (without / "Makefile").read_text()
    assert "def serve(" in (with_api / "src/served_model/cli.py").read_text()
    cli = (without / "src/plain_model/cli.py").read_text()
    assert "def serve(" not in cli and "evaluate-online" in cli and "def monitor(" in cli
    for project in (with_api, without):
        assert "/logs/" in (project / ".gitignore").read_text()


def check(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def lint_and_test(project: Path) -> str:
    python = sys.executable
    check(run_in(project, python, "-m", "ruff", "check", "."))
    check(run_in(project, python, "-m", "ruff", "format", "--check", "."))
    check(run_in(project, python, "-m", "mypy"))
    return check(run_in(project, python, "-m", "pytest", "-q", "-p", "no:cacheprovider"))


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_penguins_regression_is_served_logged_evaluated_and_monitored(
    render: Callable[..., Path], penguins_csv: Path
) -> None:
    project = render(
        "penguins_api",
        project_name="Penguin Mass",
        problem_type="regression",
        python_version="3.12",
        data_path="data/penguins.csv",
        target_column="body_mass_g",
        api="fastapi",
    )
    shutil.copy(penguins_csv, project / "data" / "penguins.csv")
    tests = lint_and_test(project)
    assert "failed" not in tests and " passed" in tests
    check(run_in(project, sys.executable, "-m", "penguin_mass", "train"))
    schema = json.loads((project / "models" / "schema.json").read_text())
    specs = {spec["name"]: spec for spec in schema["features"]}
    assert specs["island"]["categories"] == ["Biscoe", "Dream", "Torgersen"]
    assert specs["sex"]["nullable"] is True  # 9 weighed penguins have no recorded sex
    assert specs["sex"]["categories"] == ["female", "male"]
    assert 32.1 <= specs["bill_length_mm"]["min"] < 40 < specs["bill_length_mm"]["max"] <= 59.6

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "PENGUIN_MASS_CHALLENGER_DIR": "models",
        "PENGUIN_MASS_CHALLENGER_SHARE": "0.5",
        "PENGUIN_MASS_MAX_BATCH_SIZE": "50",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "penguin_mass", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if http("GET", f"{base}/ready")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert http("GET", f"{base}/health") == (200, {"status": "ok"})
        status, single = http("POST", f"{base}/predict", schema["example"], {"X-Request-Key": "penguin-1"})
        assert status == 200
        # A Gentoo-sized bird: 2700 g to 6300 g were seen in training.
        assert 2700 <= single["predictions"][0]["prediction"] <= 6300
        rows = [{**schema["example"], "sex": None}] * 3
        status, batch = http("POST", f"{base}/predict", {"records": rows})
        assert status == 200 and len(batch["predictions"]) == 3
        ids = [item["prediction_id"] for item in batch["predictions"]]
        assert ids == [f"{batch['request_id']}:{i}" for i in range(3)]
        status, error = http("POST", f"{base}/predict", {**schema["example"], "island": "Atlantis"})
        assert status == 422 and error["detail"][0]["loc"][-1] == "island"
        status, error = http("POST", f"{base}/predict", {"records": [schema["example"]] * 51})
        assert status == 413
        status, metadata = http("GET", f"{base}/metadata")
        assert status == 200 and metadata["data"]["source"] == "data/penguins.csv"
        assert metadata["challenger"]["share"] == 0.5
        # Forty keys: each request is sent to the variant its key hashes to.
        for i in range(40):
            http("POST", f"{base}/predict", schema["example"], {"X-Request-Key": f"penguin-{i}"})
    finally:
        server.terminate()
        server.wait(timeout=30)

    log_path = project / "logs" / "predictions.jsonl"
    log = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(log) == 1 + 3 + 40
    assert {entry["variant"] for entry in log} == {"champion", "challenger"}
    outcomes = project / "outcomes.csv"
    outcomes.write_text(
        "request_id,outcome\n" + "".join(f"{e['prediction_id']},{e['prediction'] + 100}\n" for e in log)
    )
    package = [sys.executable, "-m", "penguin_mass"]
    evaluation = check(
        run_in(project, *package, "evaluate-online", "--log", str(log_path), "--outcomes", str(outcomes))
    )
    assert "mae" in evaluation
    report = json.loads((project / "reports" / "online_evaluation.json").read_text())
    assert report["matched"] == 44
    for values in report["variants"].values():
        assert values["value"] == pytest.approx(100.0)
    # Every error is 100 g on both sides: the difference and its bootstrap interval are 0.
    assert report["difference"] == report["difference_ci_low"] == report["difference_ci_high"] == pytest.approx(0.0)
    check(run_in(project, *package, "monitor", "--log", str(log_path)))
    drift = json.loads((project / "reports" / "drift.json").read_text())
    # Every live request repeats one bird: every feature is far from the training mix.
    assert drift["rows"] == 44
    # 44 rows are few: PSI's noise floor, (bins - 1) / 44, passes the 0.1 threshold; one
    # bird repeated 44 times is still far above the noise limit of each feature.
    assert drift["too_few_rows"] is True
    assert drift["outside_range"] == 0.0  # the example record is a training-range bird
    assert set(drift["drifted"]) >= {"bill_length_mm", "island", "species"}
    assert (project / "reports" / "drift.md").is_file()
