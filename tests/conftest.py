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


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder that every pytest-xdist worker of this run shares (their base temps share a parent)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One mypy cache for every rendered project that this run type-checks.

    A cold ``mypy`` of a rendered project spends most of its minute on the stubs of pandas,
    numpy and the other dependencies, which are the same for every render of one Python
    version. mypy's incremental mode rechecks whatever changed (a module is looked up by its
    source's hash and the options), and writes each cache file atomically, so the workers can
    share it. Every project is still checked in full.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYPY_CACHE_DIR", str(shared_folder(tmp_path_factory, "mypy-cache")))
        yield


#: One thread per native thread pool in every process the tests start (rendered projects'
#: suites, ``train``, notebooks' kernels). pytest-xdist already runs one test per core, so a
#: pool per process only oversubscribes the cores: OpenMP's waiting threads spin, and on the
#: 2-core machine a rendered project's suite used 86 s of CPU with scikit-learn's default
#: pools and 51 s with one thread each, under the same load.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_subprocesses() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in SINGLE_THREADED.items():
            patch.setenv(key, value)
        yield


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


#: Rough cost of the longest tests, in seconds (``--durations`` of a fresh-clone ``.ci/run``
#: on the 2-core machine, 2026-12-06): the order in which they are handed out, longest
#: first. Another slow test counts as SLOW_DEFAULT, a fast one as 0; a wrong figure only
#: costs some balance, never a test.
SLOW_COSTS = {
    "test_render_part1.py::test_split_strategy_and_model_family_on_real_data[group-xgboost-penguins]": 114,
    "test_render_reports.py::test_binary_bundled_with_mlflow_runs_suite_notebooks_and_report": 95,
    "test_render_matrix.py::test_rendered_project_passes_its_checks_and_ci_and_trains[regression-gitlab-ci]": 93,
    "test_render_part1.py::test_split_strategy_and_model_family_on_real_data[stratified-linear-penguins]": 83,
    "test_render_matrix.py::test_rendered_project_passes_its_checks_and_ci_and_trains[binary-github-ci]": 82,
    "test_update_real_template.py::test_project_from_the_released_v0_1_0_upgrades_to_this_checkout": 82,
    "test_dependency_floor.py::test_oldest_allowed_versions_pass_the_project_tests_and_lock_works": 77,
    "test_render_matrix.py::test_rendered_project_passes_its_checks_and_ci_and_trains[multiclass-checks]": 62,
    "test_render_part1.py::test_split_strategy_and_model_family_on_real_data[time-lightgbm-weather]": 60,
    "test_update_real_template.py::test_project_from_v0_1_0_upgrades_to_head_and_keeps_team_edits": 55,
    "test_render_api.py::test_penguins_regression_is_served_logged_evaluated_and_monitored": 53,
    "test_install.py::test_the_next_hint_of_poc2prod_new_works_as_written": 48,
    "test_install.py::test_readme_demo_command_runs_from_a_clean_clone": 46,
    "test_answers_property.py::test_hostile_answers_pass_the_projects_own_checks": 46,
    "test_answers_property.py::test_hostile_answers_render_valid_files_or_are_refused": 43,
    "test_render_compute.py::test_compute_dask_project_passes_its_checks_and_trains_on_a_local_cluster": 37,
    "test_first_steps.py::test_what_the_commands_write_is_git_ignored_but_the_model_card[mlflow-regression]": 33,
    "test_tutorial.py::test_every_command_of_the_tutorial_runs": 32,
    "test_render_reports.py::test_regression_on_penguins_interprets_and_reports": 25,
    "test_first_steps.py::test_what_the_commands_write_is_git_ignored_but_the_model_card[default]": 25,
    "test_docs.py::test_the_generated_pages_match_the_code": 19,
    "test_render_ops.py::test_pre_commit_run_all_files_passes_on_a_fresh_project[github-none]": 19,
    "test_render_ops.py::test_scheduled_scoring_and_monitoring_steps_run_in_order_and_fail_on_drift": 13,
    "test_render_ops.py::test_pre_commit_run_all_files_passes_on_a_fresh_project[github-fastapi]": 13,
    "test_install.py::test_installed_wheel_renders_offline_from_its_bundled_template": 12,
}
SLOW_DEFAULT = 30


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hand the slow tests out first, longest first, to the half of the run with less work so far.

    ``--dist worksteal`` gives the first half of the collected tests to one worker and the
    second half to the other, then moves queued tests from a busy worker to an idle one. A
    render that starts last keeps one worker busy for minutes while the other idles, so the
    slow tests are split between the halves by their costs, longest first (the greedy
    longest-processing-time rule), and each half's fast tests follow them.
    """

    def cost(item: pytest.Item) -> int:
        default = SLOW_DEFAULT if item.get_closest_marker("slow") else 0
        return SLOW_COSTS.get(f"{item.path.name}::{item.name}", default)

    halves: tuple[list[pytest.Item], list[pytest.Item]] = ([], [])
    totals = [0, 0]
    for item in sorted((item for item in items if cost(item)), key=cost, reverse=True):
        lighter = totals.index(min(totals))
        halves[lighter].append(item)
        totals[lighter] += cost(item)
    first_slow, second_slow = halves
    fast = [item for item in items if not cost(item)]
    first_fast = fast[: max(0, len(items) // 2 - len(first_slow))]
    items[:] = [*first_slow, *first_fast, *second_slow, *fast[len(first_fast) :]]
