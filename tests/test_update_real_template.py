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
