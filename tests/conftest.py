"""Shared fixtures: a fixed git identity (machines here have none) and the demo template."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "poc2prod tests",
    "GIT_AUTHOR_EMAIL": "tests@poc2prod.invalid",
    "GIT_COMMITTER_NAME": "poc2prod tests",
    "GIT_COMMITTER_EMAIL": "tests@poc2prod.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True, scope="session")
def git_identity() -> Iterator[None]:
    """Give every git command of the test session (and its subprocesses) the same identity."""
    saved = {key: os.environ.get(key) for key in GIT_ENV}
    os.environ.update(GIT_ENV)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    """The demo template repository with tags v1.0.0 … v2.1.0 (see update_support)."""
    from update_support import build_demo_template

    return build_demo_template(tmp_path_factory.mktemp("templates") / "demo")
