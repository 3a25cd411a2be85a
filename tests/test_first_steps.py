"""A new user's first steps, followed literally: ``poc2prod new``'s hint and the Makefile's interpreter."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_dry_run(project: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """The commands ``make ARGS`` would run, one per line (``make -n``)."""
    base = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHON", "MAKEFLAGS"}}
    done = subprocess.run(
        ["make", "-n", *args], cwd=project, env={**base, **(env or {})}, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def fake_interpreter(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.symlink_to(sys.executable)


@pytest.mark.parametrize(
    ("family", "target"),
    [("hist_gradient_boosting", "."), ("linear", "."), ("lightgbm", '".[lightgbm]"'), ("xgboost", '".[xgboost]"')],
)
def test_the_next_hint_installs_what_the_model_family_needs(
    template_repo: Path, tmp_path: Path, family: str, target: str
) -> None:
    dest = tmp_path / "my project"
    done = run_cli(
        "new",
        str(dest),
        "--defaults",
        "--no-git",
        "-q",
        "--template",
        str(template_repo),
        "-d",
        f"model_family={family}",
    )
    assert done.returncode == 0, done.stderr
    hint, without_make = done.stdout.splitlines()[-2:]
    assert hint == f"Next: cd '{dest}' && python3 -m venv .venv && make install && make all"
    install = f".venv/bin/python -m pip install --group dev -e {target}"
    assert without_make.startswith(f"Without make: cd '{dest}' && python3 -m venv .venv && ")
    assert f"&& {install}, then the Commands table in README.md" in without_make
    # Once the virtual environment exists, `make install` runs the same install command.
    fake_interpreter(dest / ".venv" / "bin" / "python")
    assert make_dry_run(dest, "install") == [
        '.venv/bin/python -m pip install --upgrade "pip>=25.1"',
        install,
    ]


@pytest.mark.parametrize("api", ["fastapi", "none"])
def test_make_runs_the_environment_interpreter_else_python3(
    render: Callable[..., Path], tmp_path: Path, api: str
) -> None:
    project = render(api=api)
    recipes = re.findall(r"^\t(.*)$", (project / "Makefile").read_text(), flags=re.M)
    # Every recipe that runs Python runs $(PYTHON): no bare `python` anywhere.
    assert not [line for line in recipes if re.match(r"python\d*\b", line)]
    targets = ["train", "evaluate", "interpret", "report", "predict", "model-card", "test", "lint"]
    if api == "fastapi":
        targets.append("serve")
    for target in targets:
        commands = make_dry_run(project, target)
        assert commands and all(line.startswith("python3 -m ") for line in commands), (target, commands)
    # An explicit PYTHON wins; then an active virtual environment; then the project's .venv.
    assert make_dry_run(project, "train", "PYTHON=/opt/py/bin/python") == ["/opt/py/bin/python -m churn_model train"]
    fake_interpreter(project / ".venv" / "bin" / "python")
    assert make_dry_run(project, "train") == [".venv/bin/python -m churn_model train"]
    active = tmp_path / "active"
    fake_interpreter(active / "bin" / "python")
    assert make_dry_run(project, "train", env={"VIRTUAL_ENV": str(active)}) == [
        f"{active}/bin/python -m churn_model train"
    ]
    readme = (project / "README.md").read_text()
    assert "make train PYTHON=/opt/conda/bin/python" in readme


def git_status(project: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    "answers",
    [{}, {"api": "none", "tracking": "mlflow", "problem_type": "regression", "ci_provider": "gitlab"}],
    ids=["default", "mlflow-regression"],
)
def test_what_the_commands_write_is_git_ignored_but_the_model_card(
    render: Callable[..., Path], answers: dict[str, str]
) -> None:
    """After ``make all`` (and batch scoring, monitoring) only the model card is left to commit."""
    project = render(git=True, **answers)
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    env.pop("VIRTUAL_ENV", None)

    def run(*args: str) -> None:
        done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, f"{args}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"

    python = sys.executable
    run("make", "all", f"PYTHON={python}")
    run(python, "-m", "churn_model", "score", "models/sample_input.csv", "--log", "logs/predictions.jsonl")
    run(python, "-m", "churn_model", "monitor", "--log", "logs/predictions.jsonl")
    assert git_status(project) == "?? docs/model_card.md\n"

    # A dry run of the template update is not blocked by it; it says what it left out.
    done = run_cli("update", str(project), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "uncommitted changes (docs/model_card.md) are not in this preview" in done.stdout

    # The team answers the card's questions and commits it; the next card goes beside it.
    card = project / "docs" / "model_card.md"
    card.write_text(card.read_text().replace("- [ ] Who are the intended users", "- [x] Who are the intended users"))
    subprocess.run(["git", "add", "docs/model_card.md"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "Model card answered"], cwd=project, check=True)
    run("make", "train", "report", f"PYTHON={python}")
    assert (project / "docs" / "model_card.new.md").is_file()
    assert git_status(project) == ""
    done = run_cli("update", str(project))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("quiet", [True, False])
def test_the_next_hint_asks_for_the_data_file_the_answers_name(
    template_repo: Path, tmp_path: Path, quiet: bool
) -> None:
    """A data file cannot be in a project not yet rendered: the hint makes it a step, even with -q."""
    dest = tmp_path / "churn"
    args = ["-d", "data_path=data/churn.csv", "-d", "target_column=churned", *(["-q"] if quiet else [])]
    done = run_cli("new", str(dest), "--defaults", "--no-git", "--template", str(template_repo), *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2] == (
        f"Next: cd {dest} && python3 -m venv .venv && make install && "
        "copy or link your table to data/churn.csv (data/ is git-ignored), then make all"
    )
