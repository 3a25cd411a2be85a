"""Updating a project to a newer template version without losing a line of local work.

The merge itself is Copier's (``Worker.run_update``: render the old version, diff it
against the project to find the team's changes, render the new version, re-apply the
team's changes, mark what does not apply as a conflict). poc2prod wraps it so that:

- nothing is touched before every refusal check has passed (a git work tree, clean,
  with a readable answers file, a reachable template, answers for every new question);
- the update runs in a throwaway clone of the project, so a failed or aborted update
  leaves the project exactly as it was, and ``--dry-run`` is the same run, shown as a
  diff and thrown away;
- the result is checked before it is copied back: a file the team edited that the new
  version no longer renders (removed or renamed) is kept, where Copier deletes it; a
  file the team deleted stays deleted and is listed when the template changed it;
  conflicts are found from unmerged entries, conflict markers and ``.rej`` files,
  because Copier reports success either way;
- the copy back is journalled, deaf to signals but between files, and undone if it is
  interrupted; the answers file recording the new version is written last;
- Copier (and so the template's migrations) runs in its own process group, ended with
  the update when it is interrupted (:mod:`poc2prod.interruption`).

This module runs the refusal checks and puts the steps together; each step has its module:
whether the project is behind (:mod:`poc2prod.standing`), the merge in the clone
(:mod:`poc2prod.merge`), the copy back (:mod:`poc2prod.copy_back`), many projects at
once (:mod:`poc2prod.fleet`). Copier runs with ``unsafe=True``: the template source a project records is trusted, as
its migrations must run for the update to be correct (see ``docs/updates.md``).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from poc2prod.answers import project_folder, read_answers
from poc2prod.copy_back import copy_back
from poc2prod.errors import Poc2ProdError, ProjectError, UpdateFailedError
from poc2prod.interruption import sigterm_raises
from poc2prod.merge import CheckedProject, merge_in_clone
from poc2prod.standing import update_target
from poc2prod.vcs import head_commit, repository_top, uncommitted_paths
from poc2prod.versions import list_tags


class UpdateStatus(str, Enum):
    """Outcome of updating one project."""

    UPDATED = "updated"
    UP_TO_DATE = "up to date"
    CONFLICTED = "conflicted"
    REFUSED = "refused"
    FAILED = "failed"

    @property
    def exit_code(self) -> int:
        """Exit code this outcome asks for: 0 done, 1 needs attention, 2 bad input."""
        return {"updated": 0, "up to date": 0, "conflicted": 1, "failed": 1, "refused": 2}[self.value]


@dataclass(frozen=True)
class UpdateOptions:
    """What the user asked of an update.

    Attributes
    ----------
    to : str or None
        Template git ref to update to; ``None`` for the newest version tag.
    template : str or None
        Template source replacing the one the project records (a moved repository).
    data : dict
        Answers to set or change (``--data key=value``).
    conflict : {"inline", "rej"}
        Leave conflicts as markers in the file, or as ``.rej`` files beside it.
    dry_run : bool
        Compute the update and its diff, change nothing.
    """

    to: str | None = None
    template: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    conflict: Literal["inline", "rej"] = "inline"
    dry_run: bool = False


@dataclass
class UpdateResult:
    """What happened to one project.

    Attributes
    ----------
    project : str
        The path as the user gave it.
    status : UpdateStatus
        The outcome.
    from_version, to_version : str or None
        Template version before and after (``None`` when unknown, e.g. refused early).
    message : str or None
        Why it was refused or failed: one line, with the fix. For a project up to date at a
        pre-release: where it stands and what a plain update will do (``at pre-release
        v1.0.0rc1; newest release v0.9.0: …``).
    changed : list of str
        Files the update changed, relative to the project.
    conflicts : list of str
        Files left with conflict markers, unmerged, or with a ``.rej`` file.
    kept : list of str
        Files edited here that the new version no longer renders (removed or renamed):
        kept as they were, where Copier would have deleted them.
    stayed_deleted : list of str
        Files deleted here that the new version changed: still deleted.
    ignored_kept : list of str
        Files the project's git ignores (the team's own, untracked) at a path where the
        new version renders a file: kept as they were, the template's file not written.
    binary_conflicts : list of str
        Of the conflicts, the binary files changed on both sides: the team's version is in
        place, the template's is "theirs" in the index (``git checkout --theirs -- FILE``).
    diff : str or None
        With ``dry_run``: the diff the update would apply.
    """

    project: str
    status: UpdateStatus
    from_version: str | None = None
    to_version: str | None = None
    message: str | None = None
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    stayed_deleted: list[str] = field(default_factory=list)
    ignored_kept: list[str] = field(default_factory=list)
    binary_conflicts: list[str] = field(default_factory=list)
    diff: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping (``status`` as its text)."""
        return {
            "project": self.project,
            "status": self.status.value,
            "from": self.from_version,
            "to": self.to_version,
            "message": self.message,
            "changed": self.changed,
            "conflicts": self.conflicts,
            "kept": self.kept,
            "stayed_deleted": self.stayed_deleted,
            "ignored_kept": self.ignored_kept,
            "binary_conflicts": self.binary_conflicts,
            **({"diff": self.diff} if self.diff is not None else {}),
        }


def exit_code(results: Iterable[UpdateResult]) -> int:
    """Return the exit code for a set of results: 2 if any was refused, else 1 if any conflicted or failed."""
    return max((result.status.exit_code for result in results), default=0)


def update_project(path: Path, options: UpdateOptions, *, label: str | None = None) -> UpdateResult:
    """Update one project, and report what happened rather than raising.

    Parameters
    ----------
    path : Path
        Folder of the project (its root, or a sub-project folder inside a git repository).
    options : UpdateOptions
        What to update to, and how.
    label : str, optional
        Name of the project in the result (default: ``path`` as given).

    Returns
    -------
    UpdateResult
        ``refused`` for bad input (nothing touched), ``failed`` when the update broke
        part-way (project restored as it was), else ``updated``, ``up to date`` or
        ``conflicted``.

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C, or SIGTERM (as :class:`~poc2prod.interruption.Terminated`; it is turned
        into an exception while the update runs, so that it unwinds the same way):
        re-raised after the project was restored as it was, or once it was fully updated
        when the signal came as the copy back ended.
    """
    name = label or str(path)
    try:
        with sigterm_raises():
            return _update(path, options, name)
    except UpdateFailedError as exc:
        return UpdateResult(name, UpdateStatus.FAILED, _recorded_version(path), message=exc.message)
    except Poc2ProdError as exc:
        return UpdateResult(name, UpdateStatus.REFUSED, _recorded_version(path), message=exc.message)
    except Exception as exc:  # a bug or an unexpected state: report it on one line, like the others
        message = f"unexpected {type(exc).__name__}: {exc}; the project was not changed"
        return UpdateResult(name, UpdateStatus.FAILED, _recorded_version(path), message=message)


def _recorded_version(path: Path) -> str | None:
    """Return the version a project's answers file records, or ``None`` when it cannot be read."""
    try:
        return read_answers(path.expanduser().absolute()).commit
    except Poc2ProdError:
        return None


def inspect_project(path: Path, template: str | None = None, *, uncommitted_ok: bool = False) -> CheckedProject:
    """Run the checks that come before any change, and describe the project.

    ``uncommitted_ok`` lets uncommitted changes pass: a dry run updates a clone of the last
    commit and never writes to the project, so they cannot be lost (after ``make all`` the
    new model card is one).

    Raises
    ------
    ProjectError
        Not a folder, not in a git work tree, no commit, uncommitted changes (unless
        ``uncommitted_ok``), or no usable answers file.
    TemplateSourceError
        ``template`` does not exist or is not a template.
    """
    project = project_folder(path)
    recorded = read_answers(project)  # first: a folder that is not a project is told so, git or not
    top = repository_top(project)
    if top is None:
        raise ProjectError(
            f"{path}: not a git repository, and updates merge through git: "
            "run git init && git add -A && git commit -m 'Initial commit' first"
        )
    subdir = project.resolve().relative_to(top).as_posix()
    subdir = "" if subdir == "." else subdir
    head = head_commit(top)
    dirty = [] if uncommitted_ok else uncommitted_paths(top, subdir)
    if dirty:
        raise ProjectError(
            f"{path}: uncommitted changes ({_shown(dirty)}): commit or stash them (git stash -u), then update again"
        )
    source = recorded.source_location(project, template)
    return CheckedProject(project, top, subdir, head, recorded, source)


def _shown(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _update(path: Path, options: UpdateOptions, name: str) -> UpdateResult:
    project = inspect_project(path, options.template, uncommitted_ok=options.dry_run)
    dirty = uncommitted_paths(project.top, project.subdir) if options.dry_run else []
    from_version = project.recorded.commit
    tags = functools.cache(functools.partial(list_tags, project.source))  # one ls-remote at most
    target_ref, note = update_target(
        str(path), from_version, project.source, tags, to=options.to, changes_answers=bool(options.data)
    )
    if target_ref is None:
        result = UpdateResult(name, UpdateStatus.UP_TO_DATE, from_version, from_version, message=note)
    else:
        with tempfile.TemporaryDirectory(prefix="poc2prod-update.") as tmp:
            result = _update_in_clone(project, options, target_ref, Path(tmp), name)
    if dirty:
        uncommitted = (
            f"uncommitted changes ({_shown(dirty)}) are not in this preview of the last commit: "
            "commit or stash them (git stash -u) before the update itself"
        )
        lead = result.message or (f"at {from_version}" if result.status is UpdateStatus.UP_TO_DATE else None)
        result.message = f"{lead}; {uncommitted}" if lead else uncommitted
    return result


def _update_in_clone(
    project: CheckedProject, options: UpdateOptions, target_ref: str, work: Path, name: str
) -> UpdateResult:
    merge = merge_in_clone(
        project,
        target_ref=target_ref,
        data=options.data,
        conflict=options.conflict,
        diff=options.dry_run,
        work=work,
    )
    result = UpdateResult(
        name,
        UpdateStatus.CONFLICTED
        if merge.conflicts
        else UpdateStatus.UPDATED
        if merge.changed
        else UpdateStatus.UP_TO_DATE,
        project.recorded.commit,
        merge.to_version,
        changed=[project.relative(p) for p in merge.changed],
        conflicts=[project.relative(p) for p in merge.conflicts],
        kept=[project.relative(p) for p in merge.kept],
        stayed_deleted=merge.stayed_deleted,
        binary_conflicts=[project.relative(p) for p in merge.binary_conflicts],
        diff=merge.diff,
    )
    if not options.dry_run and merge.changed:
        result.ignored_kept = [project.relative(p) for p in copy_back(merge.clone, project, merge.changed)]
    return result
