"""What the checks read from a repository, computed lazily and read-only.

One :class:`Repository` per linted folder is the ``p2p_repo`` fixture of the repo-review
plugin: every check takes it and asks for the facts it needs (the files git tracks, the
package under ``src/``, the parsed workflows, the Dockerfile's instructions...). Each fact
is computed once, on first use, so a check that is not selected costs nothing.

Nothing here writes: git is only asked read-only questions (``ls-files``,
``check-ignore``, ``rev-parse``) with ``GIT_OPTIONAL_LOCKS=0`` so that not even the index
is refreshed, and Python sources are parsed, never imported.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

#: Folders never looked into when a folder that is not a git repository is walked.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".ipynb_checkpoints",
        ".tox",
        ".nox",
        "build",
        "dist",
    }
)

#: The answers file Copier writes and ``poc2prod update`` reads.
ANSWERS_FILE = ".copier-answers.yml"


def table(value: Any, *keys: str) -> dict[str, Any]:
    """Return the table at ``keys`` inside a parsed TOML or YAML value.

    Returns ``{}`` where a level is missing or is not a table: the files are the
    repository's, so a scalar or a list may stand where a table is expected.
    """
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else ``[]`` (a parsed value where a list is expected)."""
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword (upper case), arguments and stage index."""

    keyword: str
    arguments: str
    stage: int
    line: int


@dataclass(frozen=True)
class Package:
    """The Python package of the repository: ``src/<name>/`` (or ``<name>/`` at the root)."""

    name: str
    folder: str
    src_layout: bool
    has_init: bool


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions: continuation lines joined, comments dropped.

    ``FROM`` starts a new stage (numbered from 0). Heredocs are kept as part of the
    instruction that opens them, which is all the checks here need.
    """
    instructions: list[Instruction] = []
    stage = -1
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        line = " ".join(part.strip() for part in pending if part.strip())
        pending = []
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), max(stage, 0), start))
    return instructions


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith("GIT_CONFIG")}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never refresh (write) the index
    env["LC_ALL"] = "C"
    return env


class Repository:
    """A repository (or any folder) as the lint checks see it.

    Parameters
    ----------
    root : Traversable
        The folder: a :class:`pathlib.Path` for a local checkout (git questions are asked
        only then), or any ``Traversable`` (repo-review's GitHub path, say).
    """

    def __init__(self, root: Traversable) -> None:
        self.root = root
        self.path: Path | None = Path(os.fspath(root)) if isinstance(root, Path) else None

    # Fixtures are deep-copied by repo-review after each check; this object never changes
    # once made (its cached facts are pure functions of the folder), so a copy is itself.
    def __deepcopy__(self, memo: dict[int, Any]) -> Repository:
        return self

    def __repr__(self) -> str:
        return f"Repository({str(self.root)!r})"

    # Files

    def _git(self, *args: str) -> str | None:
        """Stdout of a read-only git command in the folder, or ``None`` if it fails."""
        if self.path is None:
            return None
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.path,
                env=_git_env(),
                capture_output=True,
                text=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except OSError:  # git is not installed
            return None
        return done.stdout if done.returncode == 0 else None

    @functools.cached_property
    def is_git(self) -> bool:
        """Whether the folder is inside a git work tree (and git is installed)."""
        return (self._git("rev-parse", "--is-inside-work-tree") or "").strip() == "true"

    @functools.cached_property
    def tracked(self) -> tuple[str, ...]:
        """Files git tracks under the folder (posix paths relative to it); empty outside git."""
        if not self.is_git:
            return ()
        listed = self._git("ls-files", "--cached", "-z") or ""
        return tuple(dict.fromkeys(name for name in listed.split("\0") if name))

    @functools.cached_property
    def files(self) -> tuple[str, ...]:
        """The repository's files: tracked or about to be (untracked, not ignored), existing.

        Outside git, every file under the folder that the root ``.gitignore`` does not
        ignore, skipping virtual environments and caches.
        """
        if self.is_git:
            listed = self._git("ls-files", "--cached", "--others", "--exclude-standard", "-z") or ""
            names = dict.fromkeys(name for name in listed.split("\0") if name)
            return tuple(sorted(name for name in names if self.is_file(name)))
        return tuple(sorted(name for name in self._walk(self.root, "") if not self._ignored_by_spec(name)))

    def _walk(self, folder: Traversable, prefix: str) -> Iterator[str]:
        try:
            children = sorted(folder.iterdir(), key=lambda child: child.name)
        except OSError:
            return
        for child in children:
            name = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name not in SKIPPED_DIRS and not child.name.endswith(".egg-info"):
                    yield from self._walk(child, f"{name}/")
            elif child.is_file():
                yield name

    def is_file(self, name: str) -> bool:
        """Whether ``name`` (posix, relative to the folder) is a file."""
        return bool(self.root.joinpath(*PurePosixPath(name).parts).is_file())

    def is_dir(self, name: str) -> bool:
        """Whether ``name`` (posix, relative to the folder) is a folder."""
        return bool(self.root.joinpath(*PurePosixPath(name).parts).is_dir())

    def read_text(self, name: str) -> str | None:
        """Return the text of a file, or ``None`` when it is missing or not UTF-8 text."""
        target = self.root.joinpath(*PurePosixPath(name).parts)
        try:
            if not target.is_file():
                return None
            return str(target.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None

    def size(self, name: str) -> int | None:
        """Size in bytes of a file in a local folder, ``None`` if unknown."""
        if self.path is None:
            return None
        try:
            return (self.path / name).stat().st_size
        except OSError:
            return None

    def first_file(self, *names: str) -> str | None:
        """Return the first of ``names`` that is a file, or ``None``."""
        return next((name for name in names if self.is_file(name)), None)

    # Ignore rules

    @functools.cached_property
    def _gitignore_spec(self) -> Any:
        import pathspec

        text = self.read_text(".gitignore") or ""
        return pathspec.GitIgnoreSpec.from_lines(text.splitlines())

    def _ignored_by_spec(self, name: str) -> bool:
        return bool(self._gitignore_spec.match_file(name))

    def is_ignored(self, name: str) -> bool:
        """Whether git would ignore a (new) file at ``name``: its ignore rules, not the index.

        In a git repository this is ``git check-ignore --no-index``, which reads every
        ``.gitignore``, ``.git/info/exclude`` and the global excludes file; elsewhere the
        root ``.gitignore`` is matched with ``pathspec``.
        """
        if self.is_git:
            return self._git("check-ignore", "--no-index", "--quiet", name) is not None
        return self._ignored_by_spec(name)

    # Python

    @functools.cached_property
    def package(self) -> Package | None:
        """The package: a folder under ``src/`` holding Python files, else one at the root.

        With several candidates, the one named like ``[project] name`` wins, then the
        first in alphabetical order.
        """
        candidates: dict[str, Package] = {}
        for name in self.files:
            parts = name.split("/")
            if not name.endswith(".py"):
                continue
            if len(parts) >= 3 and parts[0] == "src" and parts[1].isidentifier():
                folder = f"src/{parts[1]}"
                candidates.setdefault(folder, Package(parts[1], folder, True, self.is_file(f"{folder}/__init__.py")))
        if not candidates:
            for name in self.files:
                parts = name.split("/")
                if (
                    len(parts) == 2
                    and parts[1] == "__init__.py"
                    and parts[0].isidentifier()
                    and parts[0] not in {"tests", "test", "docs", "notebooks", "scripts"}
                ):
                    candidates.setdefault(parts[0], Package(parts[0], parts[0], False, True))
        if not candidates:
            return None
        project = str(table(self.pyproject, "project").get("name", ""))
        wanted = re.sub(r"[-_.]+", "_", project).lower()
        for package in candidates.values():
            if package.name.lower() == wanted:
                return package
        return candidates[min(candidates)]

    @functools.cached_property
    def package_sources(self) -> dict[str, ast.Module]:
        """The package's modules that parse, by path (files that do not parse are left out)."""
        if self.package is None:
            return {}
        found: dict[str, ast.Module] = {}
        for name in self.files:
            if name.startswith(f"{self.package.folder}/") and name.endswith(".py"):
                text = self.read_text(name)
                if text is None:
                    continue
                try:
                    found[name] = ast.parse(text, filename=name)
                except (SyntaxError, ValueError):
                    continue
        return found

    # Configuration files

    @functools.cached_property
    def pyproject(self) -> dict[str, Any]:
        """``pyproject.toml`` as a dict; empty when missing or invalid."""
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib

        text = self.read_text("pyproject.toml")
        if text is None:
            return {}
        try:
            loaded: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {}
        return loaded

    def load_yaml(self, name: str) -> Any:
        """Return a YAML file's content; ``None`` when missing, invalid or empty."""
        text = self.read_text(name)
        if text is None:
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return None

    @functools.cached_property
    def workflows(self) -> dict[str, Any]:
        """GitHub Actions workflows by path (``.github/workflows/*.yml``), parsed."""
        return {
            name: self.load_yaml(name)
            for name in self.files
            if name.startswith(".github/workflows/") and name.count("/") == 2 and name.endswith((".yml", ".yaml"))
        }

    @functools.cached_property
    def gitlab_ci(self) -> dict[str, Any] | None:
        """``.gitlab-ci.yml``, parsed; ``None`` when the repository has none."""
        if not self.is_file(".gitlab-ci.yml"):
            return None
        loaded = self.load_yaml(".gitlab-ci.yml")
        return loaded if isinstance(loaded, dict) else {}

    @functools.cached_property
    def dockerfile_name(self) -> str | None:
        """The root Dockerfile's name (``Dockerfile`` or ``Containerfile``), if any."""
        return self.first_file("Dockerfile", "Containerfile")

    @functools.cached_property
    def dockerfile(self) -> list[Instruction] | None:
        """The root Dockerfile's instructions, or ``None`` without one."""
        if self.dockerfile_name is None:
            return None
        return parse_dockerfile(self.read_text(self.dockerfile_name) or "")

    @functools.cached_property
    def notebooks(self) -> dict[str, dict[str, Any] | None]:
        """Jupyter notebooks by path, parsed (``None`` for one that is not valid JSON)."""
        found: dict[str, dict[str, Any] | None] = {}
        for name in self.files:
            if not name.endswith(".ipynb") or ".ipynb_checkpoints/" in name:
                continue
            try:
                loaded = json.loads(self.read_text(name) or "")
            except ValueError:
                loaded = None
            found[name] = loaded if isinstance(loaded, dict) else None
        return found


def repository(root: Traversable) -> Repository:
    """Fixture ``p2p_repo``: the linted folder as a :class:`Repository`."""
    return Repository(root)
