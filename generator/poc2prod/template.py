"""The template: where it comes from and which version of it to render.

A template source is either a path or URL the user gave (``--template``), this source
tree when poc2prod runs from a git checkout, or the copy of the template bundled in the
installed package. The bundled copy is not a git repository, and Copier can only update
projects whose template source is one, so it is materialised once per poc2prod version
into a local git repository (one commit and one tag ``v<version>`` per version). A project
rendered from it records that repository's absolute path, and a later poc2prod version
adds its own tag to the same repository, so ``poc2prod update`` finds both versions.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from poc2prod import __version__
from poc2prod.errors import TemplateSourceError
from poc2prod.vcs import git

#: Root of this source tree when poc2prod runs from a checkout (``generator/poc2prod/..``).
SOURCE_TREE = Path(__file__).resolve().parents[2]
#: Config file names Copier accepts at the root of a template.
CONFIG_FILES = ("copier.yml", "copier.yaml")
_URL_PREFIXES = ("http://", "https://", "ssh://", "git://", "git+", "git@", "gh:", "gl:", "file://")


@dataclass(frozen=True)
class TemplateSource:
    """A template location as Copier records it in the answers file.

    Attributes
    ----------
    location : str
        Absolute path or URL; never relative, so the answers file works from any folder.
    vcs_ref : str or None
        Git ref to render (tag, branch, commit); ``None`` lets Copier pick the newest tag,
        or ``HEAD`` when the repository has no tags.
    """

    location: str
    vcs_ref: str | None = None


def is_url(location: str) -> bool:
    """Return whether ``location`` is a remote (URL-like) template source."""
    return location.startswith(_URL_PREFIXES)


def resolve_source(location: str | None, vcs_ref: str | None = None) -> TemplateSource:
    """Turn the user's ``--template`` value (or ``None``) into a :class:`TemplateSource`.

    Raises
    ------
    TemplateSourceError
        A local path that does not exist or holds no ``copier.yml``.
    """
    if location is None:
        default = default_source()
        return TemplateSource(default.location, vcs_ref or default.vcs_ref)
    if is_url(location):
        return TemplateSource(location, vcs_ref)
    path = Path(location).expanduser().resolve()
    if not path.exists():
        raise TemplateSourceError(
            f"template source {location!r} does not exist: pass --template with the path or URL of a poc2prod template"
        )
    if not any((path / name).is_file() for name in CONFIG_FILES):
        raise TemplateSourceError(
            f"template source {location!r} is not a Copier template (no copier.yml in it): "
            "pass --template with the root of a poc2prod template"
        )
    return TemplateSource(str(path), vcs_ref)


def default_source() -> TemplateSource:
    """Return the template poc2prod renders when no ``--template`` is given.

    This source tree when it is a git checkout (development, or an editable install), at
    its ``HEAD``: the template as checked out, not its newest release tag, which may be
    older; otherwise the bundled copy, materialised as a git repository (see module
    docstring), at the tag of this poc2prod version.
    """
    if (SOURCE_TREE / "copier.yml").is_file() and (SOURCE_TREE / ".git").exists():
        return TemplateSource(str(SOURCE_TREE), "HEAD")
    return _bundled_source()


def template_home() -> Path:
    """Folder of the local git repository that holds the bundled template versions.

    ``$POC2PROD_HOME/template`` when that variable is set, else the platform's user data
    folder (``~/.local/share/poc2prod/template`` on Linux).
    """
    import platformdirs  # a dependency of copier; imported lazily to keep --help fast

    home = os.environ.get("POC2PROD_HOME") or platformdirs.user_data_dir("poc2prod")
    return Path(home).expanduser().resolve() / "template"


def _bundled_source() -> TemplateSource:
    bundled = resources.files("poc2prod") / "_template"
    if not bundled.joinpath("copier.yml").is_file():
        raise TemplateSourceError(
            "this poc2prod installation has no bundled template: pass --template with the "
            "path or URL of the poc2prod repository"
        )
    repo = template_home()
    tag = f"v{__version__}"
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        git("init", "-q", "-b", "main", cwd=repo, identity=True)
    if git("tag", "--list", tag, cwd=repo, identity=True) != tag:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        with resources.as_file(bundled) as source:
            shutil.copytree(source, repo, dirs_exist_ok=True)
        git("add", "-A", cwd=repo, identity=True)
        git("commit", "-q", "--allow-empty", "-m", f"poc2prod template {tag}", cwd=repo, identity=True)
        git("tag", tag, cwd=repo, identity=True)
    return TemplateSource(str(repo), tag)
