"""docs/tutorial.md cannot rot: every ``bash`` block runs, in order, in one shell.

The ``console`` blocks (installing poc2prod and the project) are what this test's
environment has already done: poc2prod is this checkout, the project's dependencies are in
the test virtual environment, and the clone of the template is made here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"


def bash_blocks(text: str) -> list[str]:
    """The ``bash`` code blocks of a Markdown page, in order."""
    return re.findall(r"^```bash\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.slow
def test_every_command_of_the_tutorial_runs(tmp_path: Path) -> None:
    blocks = bash_blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    subprocess.run(["git", "clone", "-q", "--no-tags", str(REPO), str(tmp_path / "acme-template")], check=True)
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(tmp_path / "churn" / "src"),  # `pip install -e .` of the project
        "GIT_AUTHOR_NAME": "Tutorial",
        "GIT_AUTHOR_EMAIL": "tutorial@example.com",
        "GIT_COMMITTER_NAME": "Tutorial",
        "GIT_COMMITTER_EMAIL": "tutorial@example.com",
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    # What the tutorial says happens, happens.
    assert "registered model version 1 as champion" in output
    assert "REFUSED" in output and "promote exited with 1" in output
    assert "predictions served and logged" in output
    assert "champion: version 1 -> version 2 (force-promote)" in output
    assert "champion: version 2 -> version 1 (rollback)" in output
    assert "trained version 3" in output
    assert "check exited with 1: behind" in output
    assert "update exited with 1: conflicted" in output and "UU data/README.md" in output
    assert "check exited with 1: still conflicted" in output
    project = tmp_path / "churn"
    assert "Call-centre data arrives every Monday." in (project / "README.md").read_text()
    data_readme = (project / "data" / "README.md").read_text()
    assert "Personal data never leaves data/" in data_readme
    assert data_readme.endswith(
        "Exports arrive from the call centre every Monday.\nDelete the extracts you no longer need.\n"
    )
    assert "v1.2.0" in (project / ".copier-answers.yml").read_text()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert not (project / "serve.pid").exists()
