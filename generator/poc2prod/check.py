"""Checking projects against their template: which version they are at, and what is pending.

A check only reads: the project's answers file, its git status, and the template's tags
(``git ls-remote``, no clone). It is cheap enough to run in every CI build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poc2prod.answers import project_folder, read_answers
from poc2prod.errors import Poc2ProdError
from poc2prod.standing import project_standing
from poc2prod.vcs import repository_top, unresolved_conflicts
from poc2prod.versions import list_tags


@dataclass
class ProjectCheck:
    """Where one project stands against its template.

    Attributes
    ----------
    project : str
        The path as the user gave it.
    source : str or None
        Template source the project records (absolute path or URL).
    current : str or None
        Template version the project is at.
    newest : str or None
        Newest version tag of the template.
    behind : bool
        A newer version exists.
    conflicts : list of str
        Files that still carry an update conflict (unmerged, markers, ``.rej``).
    error : str or None
        Why the project could not be checked (then the other fields may be ``None``).
    hint : str or None
        What to do about it when the plain ``poc2prod update`` cannot: e.g. the template has
        no newer version tag but its default branch moved on, so ``--to HEAD`` is needed.
    """

    project: str
    source: str | None = None
    current: str | None = None
    newest: str | None = None
    behind: bool = False
    conflicts: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None

    @property
    def status(self) -> str:
        """One word for the table: ``error``, ``conflicted``, ``behind`` or ``up to date``."""
        if self.error is not None:
            return "error"
        if self.conflicts:
            return "conflicted"
        return "behind" if self.behind else "up to date"

    def to_json(self) -> dict[str, Any]:
        """Return the check as a JSON-ready mapping."""
        return {
            "project": self.project,
            "status": self.status,
            "source": self.source,
            "current": self.current,
            "newest": self.newest,
            "behind": self.behind,
            "conflicts": self.conflicts,
            "error": self.error,
            "hint": self.hint,
        }


def check_project(
    path: Path, *, tags_cache: dict[str, list[str]] | None = None, template: str | None = None
) -> ProjectCheck:
    """Check one project; problems are reported in :attr:`ProjectCheck.error`, never raised.

    Parameters
    ----------
    path : Path
        Folder of the project.
    tags_cache : dict, optional
        Tags already listed per template source, shared across a fleet so each source
        is asked once.
    template : str, optional
        Template source (path or URL) to compare with, for a template that moved since
        the answers file recorded it (as ``update --template``).
    """
    result = ProjectCheck(str(path))
    try:
        project = project_folder(path)
        recorded = read_answers(project)
        result.source = recorded.source_location(project, template)
        result.current = recorded.commit
        top = repository_top(project)
        if top is not None:
            subdir = project.resolve().relative_to(top).as_posix()
            subdir = "" if subdir == "." else subdir
            result.conflicts = [
                path[len(subdir) + 1 :] if subdir else path for path in unresolved_conflicts(top, subdir)
            ]
        cache = tags_cache if tags_cache is not None else {}
        if result.source not in cache:
            cache[result.source] = list_tags(result.source)
        all_tags = cache[result.source]
        standing = project_standing(str(path), recorded.commit, result.source, lambda: all_tags)
        result.newest, result.behind, result.hint = standing.newest, standing.behind, standing.hint
    except Poc2ProdError as exc:
        result.error = exc.message
    return result


def check_projects(paths: Iterable[Path], *, template: str | None = None) -> list[ProjectCheck]:
    """Check several projects, asking each template source for its tags once.

    ``template`` overrides the recorded template source of every project (see
    :func:`check_project`).
    """
    cache: dict[str, list[str]] = {}
    return [check_project(path, tags_cache=cache, template=template) for path in paths]


def exit_code(checks: Iterable[ProjectCheck]) -> int:
    """Return 2 if a project could not be checked, else 1 if one is behind or conflicted, else 0."""
    codes = [2 if c.error is not None else 1 if (c.behind or c.conflicts) else 0 for c in checks]
    return max(codes, default=0)
