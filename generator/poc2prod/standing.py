"""Where a project stands against its template: the one answer to "is this project behind?".

``check`` reports the answer and ``update`` acts on it, so both decide it here, from the
version the project records (``_commit``) and the template's tags and default branch:

- a newer release tag than the project's version: behind, and an update goes to that tag;
- else, a project at a commit rather than a release (``v0.1.0-3-gabc1234``, or ``abc1234``
  of an untagged template): behind when the template's default branch (``HEAD``) has moved
  on from that commit; a plain update cannot follow a branch, so it says to pass ``--to HEAD``;
- else: up to date (a project at a pre-release newer than every release, after ``--to``
  one, is told so: a plain update waits for the next release).

Pre-releases count only when named with ``--to``; versions are compared as PEP 440.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from poc2prod.errors import ProjectError, TemplateSourceError
from poc2prod.versions import (
    commit_id,
    head_of,
    parse_version,
    recorded_version,
    release_tags,
    require_known_version,
)


@dataclass(frozen=True)
class Standing:
    """Where one project stands against its template.

    Attributes
    ----------
    current : str
        Template version the project records (``_commit``).
    newest : str or None
        The newest version, as shown: the newest release tag, or ``HEAD (abc1234)`` when
        the project is compared with the template's default branch; ``None`` when unknown.
    newest_release : str or None
        The newest release tag, ``None`` when the template has none.
    behind : bool
        A newer version exists.
    target : str or None
        The ref a plain update renders: the newest release tag when the project is behind
        it, the template's ``HEAD`` commit when the project follows the default branch,
        else the project's own version (an update that only changes answers). ``None``
        when the project is behind a branch and an update needs ``--to``.
    hint : str or None
        What to do when a plain ``poc2prod update`` cannot bring the project up to date, or,
        for a project at a pre-release, what a plain update will do.
    """

    current: str
    newest: str | None
    newest_release: str | None
    behind: bool
    target: str | None
    hint: str | None = None


def project_standing(project: str, recorded: str, source: str, tags: Callable[[], Collection[str]]) -> Standing:
    """Decide whether the project at ``recorded`` is behind the template at ``source``.

    Parameters
    ----------
    project : str
        The project as the user named it (for messages).
    recorded : str
        The version its answers file records (``_commit``).
    source : str
        Template source (absolute path or URL); its ``HEAD`` is read only for a project
        at a commit rather than a release.
    tags : callable
        Returns the template's tag names.

    Raises
    ------
    ProjectError
        ``recorded`` is no version, tag or commit of the template.
    TemplateSourceError
        The template cannot be read.
    """
    require_known_version(project, recorded, tags)
    releases = release_tags(list(tags()))
    newest_release = releases[-1] if releases else None
    current = recorded_version(recorded, tags)
    newest = parse_version(newest_release or "")
    if newest is not None and (current is None or newest > current):
        # A newer release, or a commit id that no version orders against a release: behind.
        return Standing(recorded, newest_release, newest_release, behind=True, target=newest_release)
    if current is not None and not current.is_postrelease and current.local is None:
        hint = None
        if current.is_prerelease:
            # Newer than every release (else it would be behind): say so, rather than "up to date" alone.
            hint = (
                f"at pre-release {recorded}; "
                + (f"newest release {newest_release}" if newest_release is not None else "no release yet")
                + ": a plain update takes the first release after it, --to a newer pre-release"
            )
        return Standing(recorded, newest_release, newest_release, behind=False, target=recorded, hint=hint)
    # No newer release, and the project is at a commit between releases (``v0.1.0-3-gabc1234``)
    # or of an untagged template (``abc1234``): behind if the default branch moved on.
    head = head_of(source)
    recorded_commit = commit_id(recorded)
    if head is None or (recorded_commit is not None and head.startswith(recorded_commit)):
        shown = f"HEAD ({head[:7]})" if head is not None and newest_release is None else newest_release
        return Standing(recorded, shown, newest_release, behind=False, target=head or recorded)
    hint = (
        f"the template's default branch moved on since {recorded} "
        + ("and has no newer version tag" if newest_release is not None else "and has no version tags")
        + ": update with --to HEAD, or tag a release of the template"
    )
    return Standing(recorded, f"HEAD ({head[:7]})", newest_release, behind=True, target=None, hint=hint)


def update_target(
    project: str,
    recorded: str,
    source: str,
    tags: Callable[[], Collection[str]],
    *,
    to: str | None,
    changes_answers: bool,
) -> tuple[str | None, str | None]:
    """Return the ref an update of the project goes to (``None`` when it is up to date), and a note.

    Parameters
    ----------
    project, recorded, source, tags
        As :func:`project_standing`.
    to : str or None
        The ref the user asked for (``--to``), or ``None`` for the newest version.
    changes_answers : bool
        The update changes answers (``--data``), so a project at the target version is
        updated all the same.

    Returns
    -------
    tuple
        The target ref or ``None``; and what to tell about a project that stays where it
        is (at a pre-release, see :attr:`Standing.hint`) or ``None``.

    Raises
    ------
    ProjectError
        ``recorded`` is unknown; ``to`` is older than the project (a downgrade); or the
        project is behind a branch of a tagged template, which needs ``--to``.
    TemplateSourceError
        The template cannot be read, or is untagged and its default branch moved on.
    """
    if to is None:
        standing = project_standing(project, recorded, source, tags)
        if standing.behind and standing.target is None:
            if standing.newest_release is None:
                raise TemplateSourceError(
                    f"template source {source!r} has no version tags (v0.1.0, …) and its default branch moved on: "
                    "update with --to HEAD (or another branch or commit), or tag a release of the template"
                )
            raise ProjectError(
                f"{project}: is at {recorded}, a commit after the newest release {standing.newest_release}: "
                "pass --to HEAD (or --to a branch or commit) to update it to the template's latest commit"
            )
        if standing.behind or changes_answers:
            return standing.target, None
        return None, standing.hint
    require_known_version(project, recorded, tags)
    current = recorded_version(recorded, tags)
    target = parse_version(to)
    if current is not None and target is not None:
        if target < current:
            raise ProjectError(
                f"{project}: is at {recorded}, newer than {to}: downgrades are not supported; "
                "pass --to with a newer version"
            )
        if target == current and not changes_answers:
            return None, None
    return to, None
