"""Template versions: the git tags of a template repository, and what changed in each.

A template version is a git tag that parses as a PEP 440 version (``v0.1.0``, ``v0.2.0``…),
compared as Copier compares them; pre-releases count only when asked for. What changed
in a version is that version's section of ``CHANGELOG.md``, read at its own tag.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from poc2prod.answers import ANSWERS_FILE
from poc2prod.errors import ProjectError, TemplateSourceError
from poc2prod.template import is_url
from poc2prod.vcs import GitCommandError, git, git_bytes, repository_top

#: File at the root of a template repository with one ``## vX.Y.Z`` section per version.
CHANGELOG = "CHANGELOG.md"
_DESCRIBE = re.compile(r"^(?P<base>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$")
_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_HEADING = re.compile(r"^##\s+\[?(?P<version>[^\]\s]+)\]?.*$")


@dataclass(frozen=True)
class TemplateVersion:
    """One released version of a template.

    Attributes
    ----------
    tag : str
        The git tag, e.g. ``v0.2.0``.
    changes : str or None
        Its ``CHANGELOG.md`` section (without the heading), or ``None`` when it has none.
    """

    tag: str
    changes: str | None = None

    @property
    def version(self) -> Version:
        """The tag as a PEP 440 version."""
        parsed = parse_version(self.tag)
        assert parsed is not None  # only valid tags become TemplateVersion
        return parsed


def parse_version(ref: str) -> Version | None:
    """Return the PEP 440 version of a tag or ``git describe`` output, as Copier reads it.

    ``v0.1.0`` is 0.1.0; ``v0.1.0-3-gabc1234`` (three commits after the tag) is
    ``0.1.0.post3+gabc1234``; a branch name or a bare commit id is ``None``.
    """
    match = _DESCRIBE.match(ref)
    if match is not None:
        ref = f"{match['base']}.post{match['count']}+g{match['hash']}"
    try:
        return Version(ref)
    except InvalidVersion:
        return None


def version_base(ref: str) -> str:
    """Return the tag a ``git describe`` version counts from (``v0.1.0`` for ``v0.1.0-3-gabc1234``), else ``ref``."""
    match = _DESCRIBE.match(ref)
    return match["base"] if match is not None else ref


def recorded_version(ref: str, tags: Callable[[], Collection[str]]) -> Version | None:
    """Return the PEP 440 version of the template version an answers file records, or ``None``.

    Like :func:`parse_version`, except that a bare commit id is never a version, even when
    PEP 440 would read it (``1234567``, or ``12c3456`` as a release candidate): Copier
    records a template without tags by its abbreviated commit id. The one exception is a
    template that really has a tag of that name (``20240101``); ``tags`` (the template's
    tag names) is called only for such a ref.
    """
    if commit_id(ref) == ref and ref not in tags():
        return None
    return parse_version(ref)


def require_known_version(project: str, ref: str, tags: Callable[[], Collection[str]]) -> None:
    """Refuse a recorded ``_commit`` that names no version, commit or tag of the template.

    Copier records ``_commit`` as ``git describe --tags --always`` output: a tag, a tag
    followed by ``-N-gHASH``, or a bare commit id. Anything else (a hand edit, a bad merge
    of the answers file) cannot be rendered, so the old version an update merges from is
    unknown. ``tags`` (the template's tag names) is called only for such a ref.

    Raises
    ------
    ProjectError
        ``ref`` is none of those, and no tag of the template has that name.
    """
    if parse_version(ref) is not None or commit_id(ref) is not None or ref in tags():
        return
    raise ProjectError(
        f"{project}: {ANSWERS_FILE} records _commit {ref!r}, which is no version tag or commit of the template: "
        f"restore the file from git history (git log -p -- {ANSWERS_FILE})"
    )


def git_url(location: str) -> str:
    """Return ``location`` in the form git understands, as Copier reads it.

    Expands the ``gh:`` and ``gl:`` shortcuts and drops a ``git+`` prefix; a local path
    becomes absolute.

    Raises
    ------
    TemplateSourceError
        A local path that does not exist, or is not the root of a git repository.
    """
    for prefix, base in _SHORTCUTS.items():
        if location.startswith(prefix):
            url = base + location.removeprefix(prefix)
            return url if url.endswith(".git") else f"{url}.git"
    if is_url(location):
        return location.removeprefix("git+")
    path = Path(location).expanduser().resolve()
    if not path.exists():
        raise TemplateSourceError(
            f"template source {location!r} does not exist (moved or deleted?): "
            "pass --template with its current path or URL"
        )
    if repository_top(path) != path and not path.is_file():  # a file may be a git bundle
        raise TemplateSourceError(
            f"template source {location!r} is not a git repository: template versions are git tags, "
            "so pass --template with the path or URL of the template's git repository"
        )
    return str(path)


def _ls_remote(location: str, options: tuple[str, ...] = (), refs: tuple[str, ...] = ()) -> str:
    """Run ``git ls-remote [options] -- <url> [refs]`` on the template at ``location``."""
    url = git_url(location)
    try:
        return git("ls-remote", *options, "--", url, *refs, cwd=Path(tempfile.gettempdir()))
    except GitCommandError as exc:
        reason = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else "no details"
        raise TemplateSourceError(
            f"template source {location!r} cannot be read by git ({reason}): "
            "check the path or URL, or pass --template with its new location"
        ) from None


def list_tags(location: str) -> list[str]:
    """Return every tag of the template repository at ``location`` (path or URL), unsorted.

    Raises
    ------
    TemplateSourceError
        The repository cannot be reached or read.
    """
    out = _ls_remote(location, options=("--tags", "--refs"))
    return [line.split("\t", 1)[1].removeprefix("refs/tags/") for line in out.splitlines() if "\t" in line]


def head_of(location: str) -> str | None:
    """Return the commit id of the default branch (``HEAD``) of the template at ``location``.

    ``None`` when the repository has no commits.

    Raises
    ------
    TemplateSourceError
        The repository cannot be reached or read.
    """
    out = _ls_remote(location, refs=("HEAD",))
    first = out.split("\t", 1)[0].strip()
    return first or None


def commit_id(ref: str) -> str | None:
    """Return the (abbreviated) commit id in a recorded template version, or ``None``.

    ``v0.1.0-3-gabc1234`` (``git describe`` output, as Copier records a commit after a tag)
    gives ``abc1234``; a bare hexadecimal id of 7 to 40 digits is returned as is; a tag or
    branch name gives ``None``.
    """
    match = _DESCRIBE.match(ref)
    if match is not None:
        return match["hash"]
    return ref if re.fullmatch(r"[0-9a-f]{7,40}", ref) else None


def release_tags(tags: list[str], *, prereleases: bool = False) -> list[str]:
    """Keep the tags that are PEP 440 versions (pre-releases only if asked), oldest first."""
    versions = {tag: parse_version(tag) for tag in tags if _DESCRIBE.match(tag) is None}
    kept = [(v, tag) for tag, v in versions.items() if v is not None and (prereleases or not v.is_prerelease)]
    return [tag for _, tag in sorted(kept)]


def describe_version(repository: Path) -> str:
    """Return the template version of the commit checked out in ``repository``, from version tags only.

    This is what the answers file records as ``_commit``. Copier records ``git describe
    --tags --always``, which takes any tag: a ``latest`` or ``stable`` tag on the release
    commit would be recorded instead of ``v0.2.0``, and from then on no version compares
    with it. Here only PEP 440 tags count: the highest one on the commit itself, else the
    newest reachable one with the commits since (``v0.2.0-3-gabc1234``), else the
    abbreviated commit id.

    Raises
    ------
    GitCommandError
        ``repository`` is not a git repository with a commit.
    """
    tags = git("tag", "--list", cwd=repository).splitlines()
    versions = set(release_tags(tags, prereleases=True))
    here = [tag for tag in git("tag", "--points-at", "HEAD", cwd=repository).splitlines() if tag in versions]
    if here:
        return max(here, key=lambda tag: parse_version(tag) or Version("0"))
    excluded = [option for tag in tags if tag not in versions for option in ("--exclude", tag)]
    return git("describe", "--tags", "--always", *excluded, cwd=repository)


def newest_tag(location: str, *, prereleases: bool = False) -> str | None:
    """Return the newest version tag of the template at ``location``, or ``None`` if it has none.

    Raises
    ------
    TemplateSourceError
        The repository cannot be reached or read.
    """
    tags = release_tags(list_tags(location), prereleases=prereleases)
    return tags[-1] if tags else None


def changelog_section(text: str, version: Version) -> str | None:
    """Return the body of the ``## <version>`` section of a changelog, or ``None``.

    Headings may be ``## v0.2.0``, ``## [0.2.0] - 2026-11-01`` and the like; the version in
    them is compared as PEP 440, so ``v0.2.0`` and ``0.2.0`` are the same section.
    """
    lines = text.splitlines()
    start: int | None = None
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match is None:
            continue
        if start is not None:
            return "\n".join(lines[start:index]).strip() or None
        if parse_version(match["version"]) == version:
            start = index + 1
    if start is None:
        return None
    return "\n".join(lines[start:]).strip() or None


def template_versions(location: str, *, prereleases: bool = False) -> list[TemplateVersion]:
    """List the versions of the template at ``location``, newest first, with their changes.

    Each version's changes are its section of ``CHANGELOG.md`` as committed at its tag.

    Raises
    ------
    TemplateSourceError
        The repository cannot be reached or read.
    """
    tags = release_tags(list_tags(location), prereleases=prereleases)
    if not tags:
        return []
    url = git_url(location)
    local = Path(url)
    clone: Path | None = None
    if not local.is_dir():
        clone = Path(tempfile.mkdtemp(prefix="poc2prod-versions."))
        try:
            git("clone", "--quiet", "--bare", "--filter=blob:none", "--", url, str(clone), cwd=clone)
        except GitCommandError as exc:
            shutil.rmtree(clone, ignore_errors=True)
            raise TemplateSourceError(
                f"template source {location!r} cannot be cloned ({exc.stderr.strip() or 'no details'}): "
                "check the URL and your access to it"
            ) from None
        local = clone
    try:
        result = []
        for tag in reversed(tags):
            try:
                text = git_bytes("show", f"refs/tags/{tag}:{CHANGELOG}", cwd=local).decode(errors="replace")
            except GitCommandError:
                text = ""
            version = parse_version(tag)
            assert version is not None
            result.append(TemplateVersion(tag, changelog_section(text, version)))
        return result
    finally:
        if clone is not None:
            shutil.rmtree(clone, ignore_errors=True)
