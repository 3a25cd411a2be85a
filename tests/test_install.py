"""Install as users do, in fresh virtual environments: the wheel, and the README's demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO


def make_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin" / "python"


def run(
    args: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_installed_wheel_renders_offline_from_its_bundled_template(template_repo: Path, tmp_path: Path) -> None:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", template_repo])
    (wheel,) = (tmp_path / "dist").glob("poc2prod-*.whl")
    python = make_venv(tmp_path / "venv")
    run([python, "-m", "pip", "install", "-q", wheel])
    home = tmp_path / "home"
    env = {**os.environ, "POC2PROD_HOME": str(home)}
    run([python, "-m", "poc2prod", "new", "project", "--defaults", "-q"], cwd=tmp_path, env=env)
    answers = yaml.safe_load((tmp_path / "project" / ".copier-answers.yml").read_text())
    # The bundled template was materialised as a tagged git repository, so the project
    # records a source and version that `copier update` can start from.
    assert answers["_src_path"] == str(home / "template")
    assert answers["_commit"] == "v0.1.0"
    tags = run(["git", "tag"], cwd=home / "template").stdout.split()
    assert tags == ["v0.1.0"]
    assert (tmp_path / "project" / "src" / "churn_model" / "train.py").is_file()
    # A second project reuses the same tag instead of adding a commit.
    run([python, "-m", "poc2prod", "new", "second", "--defaults", "-q"], cwd=tmp_path, env=env)
    log = run(["git", "log", "--oneline"], cwd=home / "template").stdout.splitlines()
    assert len(log) == 1


@pytest.mark.slow
def test_readme_demo_command_runs_from_a_clean_clone(template_repo: Path, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    command = re.search(r"<!-- demo-command -->\n```bash\n(.+?)\n```", readme, re.S)
    assert command is not None
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", template_repo, clone])
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    done = run(["bash", "-c", command.group(1)], cwd=clone, env=env, timeout=1500)
    assert "candidate beats the baseline" in done.stdout
    assert re.search(r"candidate\s+0\.99\d*", done.stdout), done.stdout
    assert (clone / "demo" / "models" / "predictions.csv").is_file()
    assert (clone / "demo" / "reports" / "report.html").is_file()
    assert "## Quantitative analyses" in (clone / "demo" / "docs" / "model_card.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the hint is a POSIX shell line")
def test_the_next_hint_of_poc2prod_new_works_as_written(template_repo: Path, tmp_path: Path) -> None:
    """Copy the ``Next:`` line ``poc2prod new`` prints into a shell: it installs and runs."""
    new = run(
        [sys.executable, "-m", "poc2prod", "new", "churn", "--defaults", "-q", "--template", template_repo],
        cwd=tmp_path,
    )
    (hint,) = [line for line in new.stdout.splitlines() if line.startswith("Next: ")]
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    done = run(["bash", "-c", hint.removeprefix("Next: ")], cwd=tmp_path, env=env, timeout=1500)
    assert "candidate beats the baseline" in done.stdout
    project = tmp_path / "churn"
    assert (project / ".venv" / "bin" / "python").is_file()
    assert (project / "models" / "predictions.csv").is_file()
    assert ".venv/bin/python -m churn_model train" in done.stdout
