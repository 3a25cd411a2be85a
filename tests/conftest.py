"""Fixtures for the tests of poc2prod: the template, rendering, real data files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

#: A fixed git identity, so commits work on machines without one and stay reproducible.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git snapshot of this repository's working tree (template included), tagged v0.1.0.

    Rendering from a snapshot keeps the tests independent of uncommitted changes in the
    checkout and gives Copier a clean, tagged template source.
    """
    snapshot = tmp_path_factory.mktemp("template") / "poc2prod"
    snapshot.mkdir()
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    env = {**os.environ, **GIT_IDENTITY}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"], ["tag", "v0.1.0"]):
        subprocess.run(["git", *args], cwd=snapshot, env=env, check=True, capture_output=True)
    return snapshot


@pytest.fixture(scope="session")
def penguins_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Palmer penguins table (344 rows; string categoricals, missing values), as CSV.

    Shipped by the ``palmerpenguins`` package: real data, no network.
    """
    from palmerpenguins import load_penguins

    path = tmp_path_factory.mktemp("data") / "penguins.csv"
    load_penguins().to_csv(path, index=False)
    return path


@pytest.fixture
def render(template_repo: Path, tmp_path: Path) -> Callable[..., Path]:
    """Return a function that renders the template with answers into a new folder."""
    from poc2prod.project import create_project
    from poc2prod.template import resolve_source

    def _render(name: str = "project", git: bool = False, **answers: Any) -> Path:
        dest = tmp_path / name
        create_project(dest, resolve_source(str(template_repo)), answers, defaults=True, git=git, quiet=True)
        return dest

    return _render


@pytest.fixture(scope="session")
def session_git_identity() -> Iterator[None]:
    """The same git identity as ``_git_identity``, for session-scoped fixtures that commit."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in GIT_IDENTITY.items():
            patch.setenv(key, value)
        yield


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, session_git_identity: None) -> Path:
    """The demo template repository, tagged v1.0.0 … v2.1.0, for update tests (see update_support)."""
    from tests.update_support import build_demo_template

    return build_demo_template(tmp_path_factory.mktemp("templates") / "demo")
