"""Git, as poc2prod uses it: inspecting a project's work tree without changing it.

Every read-only command runs with ``--no-optional-locks`` so that inspecting a project
(``poc2prod check``, or an update that is refused) never rewrites even ``.git/index``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from poc2prod.errors import ProjectError, ToolMissingError
from poc2prod.interruption import shielding_children

#: Identity of the throwaway commits poc2prod makes in temporary clones (never in a project).
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "poc2prod",
    "GIT_AUTHOR_EMAIL": "poc2prod@localhost",
    "GIT_COMMITTER_NAME": "poc2prod",
    "GIT_COMMITTER_EMAIL": "poc2prod@localhost",
}
#: First lines of the conflict markers Copier (and git) leave where a merge failed.
_CONFLICT_START = b"<<<<<<< "
_CONFLICT_END = b">>>>>>> "


class GitCommandError(Exception):
    """A git command failed; internal, turned into a user-facing error by its caller.

    Attributes
    ----------
    stderr : str
        What git printed on stderr.
    """

    def __init__(self, args: tuple[str, ...], stderr: str) -> None:
        super().__init__(f"git {' '.join(args)} failed: {stderr.strip()}")
        self.stderr = stderr


def commit_env(cwd: Path, name: str, email: str) -> dict[str, str]:
    """Return the environment for a commit in ``cwd``, with ``name`` and ``email`` where git has no identity.

    Machines without a git identity (CI, containers) commit as the project's author, so a
    commit poc2prod makes for the user never fails for lack of one; a configured identity
    (``user.email``, or ``GIT_AUTHOR_*`` set) is left alone.
    """
    env = dict(os.environ)
    has_identity = subprocess.run(["git", "config", "user.email"], cwd=cwd, capture_output=True).returncode == 0
    if not has_identity:
        for role in ("AUTHOR", "COMMITTER"):
            env.setdefault(f"GIT_{role}_NAME", name)
            env.setdefault(f"GIT_{role}_EMAIL", email)
    return env


def git_bytes(
    *args: str, cwd: Path, stdin: bytes | None = None, identity: bool = False, ok_codes: tuple[int, ...] = (0,)
) -> bytes:
    """Run ``git ARGS`` in ``cwd`` and return its standard output.

    Parameters
    ----------
    *args : str
        Arguments after ``git``.
    cwd : Path
        Folder to run in.
    stdin : bytes, optional
        Bytes fed to git's standard input.
    identity : bool
        Commit as :data:`GIT_IDENTITY` (only for temporary clones).
    ok_codes : tuple of int
        Exit statuses that are not failures (``git grep`` exits 1 when nothing matches).

    Raises
    ------
    ToolMissingError
        git is not installed.
    GitCommandError
        git exited with a non-zero status.
    """
    if shutil.which("git") is None:
        raise ToolMissingError("git is not installed: install git, which updates need")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if identity:
        env.update(GIT_IDENTITY)
    # Inside a critical section (the copy of an update) git runs in its own session, so that
    # the terminal's Ctrl-C cannot kill it half-way through (see poc2prod.interruption).
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, start_new_session=shielding_children()
    )
    if done.returncode not in ok_codes:
        raise GitCommandError(args, done.stderr.decode(errors="replace"))
    return done.stdout


def git(*args: str, cwd: Path, identity: bool = False) -> str:
    """Run ``git ARGS`` in ``cwd`` and return its standard output as text, stripped.

    Raises
    ------
    ToolMissingError, GitCommandError
        As :func:`git_bytes`.
    """
    return git_bytes(*args, cwd=cwd, identity=identity).decode(errors="replace").strip()


def git_paths(*args: str, cwd: Path) -> list[str]:
    """Run a git command that prints NUL-separated paths (``-z``) and return them.

    Raises
    ------
    ToolMissingError, GitCommandError
        As :func:`git_bytes`.
    """
    out = git_bytes(*args, cwd=cwd).decode(errors="surrogateescape")
    return [path for path in out.split("\0") if path]


def repository_top(path: Path) -> Path | None:
    """Return the top folder of the git work tree holding ``path``, or ``None`` if there is none.

    Raises
    ------
    ToolMissingError
        git is not installed.
    """
    try:
        top = git("--no-optional-locks", "rev-parse", "--show-toplevel", cwd=path)
    except GitCommandError:
        return None
    return Path(top).resolve() if top else None


def head_commit(top: Path) -> str:
    """Return the commit id of ``HEAD``.

    Raises
    ------
    ProjectError
        The repository has no commit yet.
    """
    try:
        return git("--no-optional-locks", "rev-parse", "--verify", "HEAD^{commit}", cwd=top)
    except GitCommandError:
        raise ProjectError(
            f"{top} has no commit yet: commit the rendered project first (git add -A && git commit)"
        ) from None


def uncommitted_paths(top: Path, subdir: str) -> list[str]:
    """Return the paths under ``subdir`` that are modified, staged, unmerged or untracked.

    Ignored files do not count: they are the team's own (data, virtualenvs), and an
    update never touches them.

    Raises
    ------
    ToolMissingError, GitCommandError
        As :func:`git_bytes`.
    """
    out = git_bytes(
        "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", subdir or ".", cwd=top
    ).decode(errors="surrogateescape")
    paths: list[str] = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename is followed by its source path
            next(entries, None)
    return paths


def has_conflict_markers(path: Path) -> bool:
    """Return whether a file holds a conflict block (a ``<<<<<<<`` line, later a ``>>>>>>>`` line)."""
    try:
        content = path.read_bytes()
    except OSError:
        return False
    if b"\0" in content[:8000]:  # binary
        return False
    started = False
    for line in content.splitlines():
        if line.startswith(_CONFLICT_START):
            started = True
        elif started and line.startswith(_CONFLICT_END):
            return True
    return False


def unresolved_conflicts(top: Path, subdir: str) -> list[str]:
    """List the files under ``subdir`` that still carry an unresolved update conflict.

    A file counts when git records it as unmerged (``UU``), when it holds conflict
    markers, or when it is a ``.rej`` file Copier left beside it. Paths are relative to
    ``top``, sorted.

    Raises
    ------
    ToolMissingError, GitCommandError
        As :func:`git_bytes`.
    """
    spec = subdir or "."
    found = set(git_paths("--no-optional-locks", "diff", "--name-only", "-z", "--diff-filter=U", "--", spec, cwd=top))
    grep = ("--no-optional-locks", "grep", "-z", "-l", "-I", "--untracked", "-e", "^<<<<<<< ", "--", spec)
    candidates = git_bytes(*grep, cwd=top, ok_codes=(0, 1)).decode(errors="surrogateescape").split("\0")
    found.update(path for path in candidates if path and has_conflict_markers(top / path))
    # Ignored files too (no --exclude-standard): a project may well ignore "*.rej".
    rejects = f"{subdir}/*.rej" if subdir else "*.rej"
    found.update(git_paths("--no-optional-locks", "ls-files", "-z", "--others", "--", rejects, cwd=top))
    return sorted(found)
