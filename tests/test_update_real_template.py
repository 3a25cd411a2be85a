"""Upgrade a project rendered from this repository's own template across a real change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import GIT_IDENTITY
from tests.helpers import run_cli, run_in


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_project_from_v0_1_0_upgrades_to_head_and_keeps_team_edits(template_repo: Path, tmp_path: Path) -> None:
    # A private copy of the template snapshot (tagged v0.1.0), so adding commits and tags
    # does not disturb the session-wide fixture.
    template = tmp_path / "template"
    shutil.copytree(template_repo, template)
    project = tmp_path / "churn"
    done = run_cli("new", str(project), "--defaults", "--template", str(template), "-q")
    assert done.returncode == 0, done.stderr

    # The team edits a module the template will also change, in another place.
    config = project / "src" / "churn_model" / "config.py"
    config.write_text(config.read_text().replace("validation_size: float = 0.2", "validation_size: float = 0.25"))
    git("commit", "-qam", "Hold out 25%", cwd=project)

    # HEAD of the template: a real change to a rendered module and a new documentation file.
    config_template = template / "template" / "src" / "{{package_name}}" / "config.py.jinja"
    config_template.write_text(
        config_template.read_text().replace(
            "    random_state: int = 42\n", "    random_state: int = 42\n    #: Version of the settings layout.\n"
        )
    )
    (template / "template" / "docs").mkdir(exist_ok=True)
    (template / "template" / "docs" / "iteration_log.md.jinja").write_text(
        "# Iteration log of {{ project_name }}\n\nOne entry per iteration: what changed, what it gained.\n"
    )
    git("add", "-A", cwd=template)
    git("commit", "-qm", "Document the settings layout; add an iteration log", cwd=template)
    git("tag", "v0.2.0", cwd=template)

    done = run_cli("update", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"
    text = config.read_text()
    assert "validation_size: float = 0.25" in text  # the team's edit
    assert "#: Version of the settings layout." in text  # the template's change
    assert (project / "docs" / "iteration_log.md").read_text().startswith("# Iteration log of Churn Model")

    tests = run_in(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-3000:]


#: Commit of this repository released as template version v0.1.0 (see CHANGELOG.md). Tags
#: may not travel with a clone, commits do: the test rebuilds the tag from this id.
V0_1_0 = "65a088430ccd34f59e7ffcd8214f8e26250ed789"


@pytest.mark.slow
def test_project_from_the_released_v0_1_0_upgrades_to_this_checkout(template_repo: Path, tmp_path: Path) -> None:
    """The real upgrade users make: v0.1.0 as released, to the template as it is now."""
    from tests.conftest import REPO

    if subprocess.run(["git", "cat-file", "-e", f"{V0_1_0}^{{commit}}"], cwd=REPO).returncode != 0:
        pytest.skip(f"this clone lacks commit {V0_1_0} of v0.1.0 (shallow clone): fetch full history")
    template = tmp_path / "template"
    template.mkdir()
    git("init", "-q", "-b", "main", cwd=template)
    archive = subprocess.run(["git", "archive", "--format=tar", V0_1_0], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(template)], input=archive.stdout, check=True)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v0.1.0 as released", cwd=template)
    git("tag", "v0.1.0", cwd=template)
    # The next version: this checkout's template (the session snapshot), on top of v0.1.0.
    git("rm", "-rq", ".", cwd=template)
    shutil.copytree(template_repo, template, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    git("add", "-A", cwd=template)
    git("commit", "-qm", "this checkout", "--allow-empty", cwd=template)
    git("tag", "v9.0.0", cwd=template)

    project = tmp_path / "churn"
    done = run_cli("new", str(project), "--defaults", "--template", str(template), "--vcs-ref", "v0.1.0", "-q")
    assert done.returncode == 0, done.stderr
    # The team's own work: a module and its test, which no template version knows about.
    (project / "src" / "churn_model" / "team_rules.py").write_text(
        '"""Rules of the team."""\n\n\n'
        "def minimum_tenure_months() -> int:\n"
        '    """Return the tenure, in months, below which a customer is new."""\n'
        "    return 3\n"
    )
    (project / "tests" / "test_team_rules.py").write_text(
        "from churn_model.team_rules import minimum_tenure_months\n\n\n"
        "def test_minimum_tenure() -> None:\n    assert minimum_tenure_months() == 3\n"
    )
    git("add", "-A", cwd=project)
    git("commit", "-qm", "Team rules", cwd=project)

    done = run_cli("update", str(project), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v9.0.0"
    assert (project / "src" / "churn_model" / "team_rules.py").read_text().endswith("return 3\n")
    # The updated project is what v9.0.0 renders, plus the team's files: same file list.
    fresh = tmp_path / "fresh"
    done = run_cli("new", str(fresh), "--defaults", "--template", str(template), "--no-git", "-q")
    assert done.returncode == 0, done.stderr
    listed = set(git("ls-files", cwd=project).splitlines()) | set(
        git("ls-files", "--others", "--exclude-standard", cwd=project).splitlines()
    )
    expected = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
    assert listed == expected | {"src/churn_model/team_rules.py", "tests/test_team_rules.py"}

    python = sys.executable
    for args in (["-m", "ruff", "check", "."], ["-m", "mypy"], ["-m", "pytest", "-q", "-p", "no:cacheprovider"]):
        done = run_in(project, python, *args)
        assert done.returncode == 0, f"{args}: {done.stdout[-3000:]}{done.stderr[-2000:]}"
