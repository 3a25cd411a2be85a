"""Signals during an update: the project ends exactly as before or fully updated, never in between.

A real ``poc2prod update`` runs in a subprocess and gets SIGTERM (what ``timeout`` and a
cancelled CI job send) or a quick series of Ctrl-C (SIGINT) while it copies the update
into the project. The copy pauses after each file (``POC2PROD_TEST_COPY_DELAY``, a hook
read only by ``poc2prod.copy_back``), so the signal lands between two files; the test
waits for the project to start changing, not for a time. Then the whole tree, index
included, must equal the state before or the state a clean update leaves, and the version
recorded must be that state's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from poc2prod.copy_back import TEST_DELAY_VARIABLE
from poc2prod.update import UpdateOptions, UpdateStatus, update_project
from tests.update_support import (
    ANSWERS_TEMPLATE,
    COPIER_V1,
    commit_all,
    git_status,
    new_project,
    recorded_version,
    run_git,
    tree_digest,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: Runs the CLI with Python's own Ctrl-C handler, even where the test runner ignores SIGINT
#: (a child inherits an ignored SIGINT, and Python then installs no handler).
CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'poc2prod'; from poc2prod.cli import main; main()"
)
#: Longest wait for a state the update must reach; only a hung update ever waits this long.
PATIENCE_SECONDS = 120


def start_update(project: Path, *args: str, delay: str = "0.3") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "update", str(project), *args],
        env={**os.environ, TEST_DELAY_VARIABLE: delay},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert process.poll() is None, f"the update ended first: {process.communicate()}"
        assert time.monotonic() < deadline, "the update never got there"
        time.sleep(0.02)


def work_tree(project: Path) -> dict[str, str]:
    return {name: digest for name, digest in tree_digest(project).items() if not name.startswith(".git/")}


def changed_files(project: Path, before: dict[str, str]) -> int:
    now = work_tree(project)
    return sum(now.get(name) != before.get(name) for name in set(now) | set(before))


@pytest.fixture
def updated_twin(demo_template: Path, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The work tree and ``git status`` of the project after a clean update to v2.0.0."""
    twin = new_project(demo_template, tmp_path / "twin", "v1.0.0")
    assert update_project(twin, UpdateOptions(to="v2.0.0")).status is UpdateStatus.UPDATED
    return work_tree(twin), git_status(twin)


@pytest.mark.parametrize(
    ("signals", "after_files", "exit_code"),
    [
        ([signal.SIGTERM], 1, 143),
        ([signal.SIGINT, signal.SIGINT, signal.SIGINT], 1, 130),
        ([signal.SIGTERM], 4, 143),
    ],
    ids=["sigterm-first-file", "three-ctrl-c", "sigterm-mid-copy"],
)
def test_a_signal_during_the_copy_back_leaves_the_project_before_or_after_never_between(
    demo_template: Path,
    tmp_path: Path,
    updated_twin: tuple[dict[str, str], str],
    signals: list[int],
    after_files: int,
    exit_code: int,
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    before, before_status = work_tree(project), git_status(project)
    after, after_status = updated_twin

    process = start_update(project, "--to", "v2.0.0")
    wait_for(lambda: changed_files(project, before) >= after_files, process)
    for signum in signals:
        process.send_signal(signum)
        time.sleep(0.05)  # a quick series, as a user repeats Ctrl-C; not an assertion on time
    _, err = process.communicate(timeout=PATIENCE_SECONDS)

    assert process.returncode == exit_code, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    state = work_tree(project), git_status(project), recorded_version(project)
    assert state in ((before, before_status, "v1.0.0"), (after, after_status, "v2.0.0"))


@pytest.fixture
def slow_migration_template(tmp_path: Path, demo_template: Path) -> tuple[Path, Path]:
    """A template whose v2.0.0 migration starts a child of its own and waits; both write their pids."""
    pids = tmp_path / "pids"
    pids.mkdir()
    repo = tmp_path / "tpl"
    (repo / "template").mkdir(parents=True)
    (repo / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS_TEMPLATE)
    (repo / "template" / "app.txt").write_text("v1\n")
    (repo / "copier.yml").write_text(COPIER_V1)
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "v1")
    run_git("tag", "v1.0.0", cwd=repo)
    # Each pid file appears whole (written aside, then renamed), so that a reader never sees
    # it created and still empty.
    script = (
        "import os, pathlib, subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
        f"folder = pathlib.Path({str(pids)!r}); "
        "[((folder / f'.{name}').write_text(str(pid)), (folder / f'.{name}').rename(folder / name)) "
        "for name, pid in (('child', child.pid), ('migration', os.getpid()))]; "
        "time.sleep(600)"
    )
    (repo / "template" / "app.txt").write_text("v2\n")
    (repo / "copier.yml").write_text(
        COPIER_V1 + "_migrations:\n  - version: v2.0.0\n    command:\n"
        '      - "{{ _copier_python }}"\n      - "-c"\n'
        f"      - {script!r}\n"
    )
    commit_all(repo, "v2")
    run_git("tag", "v2.0.0", cwd=repo)
    return repo, pids


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, ended and not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_processes_of_a_migration_end_with_an_interrupted_update(
    slow_migration_template: tuple[Path, Path], tmp_path: Path, signum: int
) -> None:
    template, pids = slow_migration_template
    project = new_project(template, tmp_path / "p", "v1.0.0")
    before = tree_digest(project)

    process = start_update(project, delay="0")
    try:
        wait_for(lambda: (pids / "migration").is_file() and (pids / "child").is_file(), process)
        started = [int((pids / name).read_text()) for name in ("migration", "child")]
        assert all(alive(pid) for pid in started)
        process.send_signal(signum)
        _, err = process.communicate(timeout=PATIENCE_SECONDS)

        assert process.returncode == (143 if signum == signal.SIGTERM else 130), err
        deadline = time.monotonic() + PATIENCE_SECONDS
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)  # the kernel may take a moment to reap; never a condition of the test
        assert not any(alive(pid) for pid in started)
        assert tree_digest(project) == before
        assert recorded_version(project) == "v1.0.0"
    finally:  # a regression must not leave sleeping processes behind, nor hang on their pipes
        for name in ("migration", "child"):
            written = pids / name
            pid = int(written.read_text()) if written.is_file() else None
            if pid is not None and alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=PATIENCE_SECONDS)
