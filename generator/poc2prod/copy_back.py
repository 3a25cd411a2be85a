"""Copying files into a project's work tree, all or nothing: an update from its clone, an adoption.

The copy is journalled: every path written and every folder created is remembered, and
if anything fails (a full disk, Ctrl-C, SIGTERM) the project is put back as its ``HEAD`` had
it, index included. It is atomic with respect to signals: Ctrl-C and SIGTERM are only noted
while it runs (:func:`poc2prod.interruption.deferred`) and acted on between two files, by
restoring the project, which no further signal can interrupt. The answers file, which
records the new version, is written last, so a project never records a version whose
files it does not have.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

from poc2prod.answers import ANSWERS_FILE
from poc2prod.errors import UpdateFailedError
from poc2prod.interruption import deferred
from poc2prod.merge import CheckedProject
from poc2prod.vcs import GitCommandError, git, git_bytes, git_paths

#: Test hook, read only here: seconds to pause after each file written, so that a test can
#: send a signal in the middle of a copy (tests/test_update_signals.py). Never set it otherwise.
TEST_DELAY_VARIABLE = "POC2PROD_TEST_COPY_DELAY"


def copy_back(clone: Path, project: CheckedProject, changed: list[str]) -> list[str]:
    """Copy the update from the clone into the project; undo everything if that fails.

    Returns the ignored local files that the update would have overwritten and that
    were kept instead.

    Raises
    ------
    UpdateFailedError
        Copying failed; the project was restored as it was.
    KeyboardInterrupt
        Ctrl-C or (as :class:`~poc2prod.interruption.Terminated`) SIGTERM during the copy:
        raised after restoring the project.
    """
    tracked = set(git_paths("ls-tree", "-r", "-z", "--name-only", project.head, "--", project.spec, cwd=clone))
    answers = f"{project.subdir}/{ANSWERS_FILE}" if project.subdir else ANSWERS_FILE
    try:
        return copy_into(
            clone,
            project.top,
            project.head,
            sorted(changed, key=lambda path: path == answers),  # the new version is recorded last
            tracked=tracked,
            finish=lambda: _copy_unmerged_entries(clone, project.top, project.spec),
        )
    except Exception as exc:
        raise UpdateFailedError(
            f"{project.path}: copying the update into the project failed ({exc}); the project was restored as it was"
        ) from None


def copy_into(
    source: Path,
    top: Path,
    head: str,
    paths: list[str],
    *,
    tracked: set[str],
    finish: Callable[[], None] | None = None,
) -> list[str]:
    """Copy ``paths`` from the tree at ``source`` into the work tree at ``top``, all or nothing.

    A path that exists in ``source`` is copied (file, mode or symlink); one that does not
    is deleted from ``top``, in the order given. ``finish`` runs last, inside the journal
    (to stage or commit what was copied). If anything fails, every path written is put
    back as ``head`` has it (or removed when ``head`` has none), and every folder created
    is removed. Ctrl-C and SIGTERM are deferred throughout: one received during the copy
    stops it between two files and the tree is restored; the restore itself cannot be
    interrupted.

    Parameters
    ----------
    source : Path
        Root of the tree to copy from, laid out as ``top``.
    top : Path
        Top of the git work tree to copy into.
    head : str
        The commit ``top`` is restored to on failure.
    paths : list of str
        Paths relative to ``top`` (and to ``source``).
    tracked : set of str
        Paths that ``head`` tracks. An untracked path that exists in ``top`` is an
        ignored file of the team's (a clean tree has no other untracked files): it is
        never overwritten.
    finish : callable, optional
        Last step, undone with the rest if it fails.

    Returns
    -------
    list of str
        The ignored files of the team's that were kept where ``source`` has a different file.

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C or (as :class:`~poc2prod.interruption.Terminated`) SIGTERM was received:
        raised after ``top`` was restored, or, when it came after the last step, after the
        copy completed.
    BaseException
        Whatever failed, re-raised after ``top`` was restored.
    """
    written: list[str] = []
    created_dirs: list[Path] = []
    kept: list[str] = []
    delay = float(os.environ.get(TEST_DELAY_VARIABLE) or 0)
    with deferred() as interruptions:
        try:
            for path in paths:
                interruptions.check()
                src, dst = source / path, top / path
                if os.path.lexists(src):
                    if path not in tracked and os.path.lexists(dst):
                        if not _same_file(src, dst):
                            kept.append(path)
                        continue
                    written.append(path)
                    created_dirs.extend(_make_parents(dst.parent, top))
                    _copy_file(src, dst)
                elif os.path.lexists(dst):
                    written.append(path)
                    dst.unlink()
                    _remove_empty_parents(dst.parent, top)
                if delay:
                    time.sleep(delay)
            interruptions.check()
            if finish is not None:
                finish()
        except BaseException:
            _restore(top, head, written, tracked, created_dirs)
            raise
    return kept


def _same_file(a: Path, b: Path) -> bool:
    if a.is_symlink() or b.is_symlink():
        return a.is_symlink() and b.is_symlink() and a.readlink() == b.readlink()
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def _make_parents(folder: Path, top: Path) -> list[Path]:
    missing = []
    while not folder.exists() and folder != top:
        missing.append(folder)
        folder = folder.parent
    for item in reversed(missing):
        item.mkdir()
    return missing


def _copy_file(src: Path, dst: Path) -> None:
    if os.path.lexists(dst) and (dst.is_symlink() or not dst.is_file()):
        dst.unlink()
    if src.is_symlink():
        dst.symlink_to(src.readlink())
    else:
        shutil.copyfile(src, dst)
        mode = src.stat().st_mode
        dst.chmod(stat.S_IMODE(mode))


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _copy_unmerged_entries(clone: Path, top: Path, spec: str) -> None:
    """Mark in the project's index the files Copier left unmerged in the clone (``git status`` ``UU``)."""
    lines = git("ls-files", "-z", "--unmerged", "--", spec, cwd=clone).split("\0")
    entries = [line for line in lines if line]
    if not entries:
        return
    index_info = []
    for path in sorted({entry.split("\t", 1)[1] for entry in entries}):
        index_info.append(f"0 {'0' * 40}\t{path}")
    for entry in entries:
        info, path = entry.split("\t", 1)
        mode, sha, stage = info.split()
        blob = git_bytes("cat-file", "blob", sha, cwd=clone)
        git_bytes("hash-object", "-w", "--stdin", cwd=top, stdin=blob)
        index_info.append(f"{mode} {sha} {stage}\t{path}")
    git_bytes("update-index", "--index-info", cwd=top, stdin=("\n".join(index_info) + "\n").encode())


def _restore(top: Path, head: str, written: list[str], tracked: set[str], created_dirs: list[Path]) -> None:
    """Put back the files :func:`copy_into` touched: HEAD's version, or nothing when HEAD had none."""
    restore = [path for path in written if path in tracked]
    for start in range(0, max(len(written), 1), 200):
        # reset drops the unmerged entries copied into the index; checkout puts HEAD's files back.
        for args in (
            ("reset", "--quiet", head, "--", *written[start : start + 200]),
            ("checkout", "--quiet", head, "--", *restore[start : start + 200]),
        ):
            if args[-1] != "--":
                # Best effort: the lines below still remove what the update added.
                with contextlib.suppress(GitCommandError):
                    git(*args, cwd=top)
    for path in written:
        if path not in tracked and os.path.lexists(top / path):
            (top / path).unlink()
    for folder in sorted(created_dirs, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
