"""Packaging (P2P2xx): PEP 621 metadata, dependency ranges, one Python version."""

from __future__ import annotations

import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Repository, entries, table

#: Lock files that pin every dependency, by the tools that write them.
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml", "Pipfile.lock", "conda-lock.yml")

_VERSION = re.compile(r"^(\d+)\.(\d+)")


class Packaging(Poc2ProdCheck):
    short_family = "packaging"


class P2P201(Packaging):
    """PEP 621 project metadata: name, version, description, requires-python"""

    what = (
        "Reads `pyproject.toml`. Fails when it is missing, has no `[project]` table (or does not parse), or "
        "when `[project]` lacks `name`, `version`, `description` or `requires-python` (a key listed in "
        "`dynamic` counts as present)."
    )
    why = (
        "Tools read the project from `[project]`: pip and uv install it, the API reports its version, CI "
        "picks the Python version, and `poc2prod lint` itself finds the package name there."
    )

    file = "pyproject.toml"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Declare the project in `pyproject.toml` under `[project]` with `name`, `version`
        (or `dynamic = ["version"]`), `description` and `requires-python`."""
        if not p2p_repo.is_file("pyproject.toml"):
            return cls.fail("no pyproject.toml")
        project = p2p_repo.pyproject.get("project")
        if not isinstance(project, dict):
            return cls.fail("pyproject.toml has no `[project]` table (or does not parse)")
        dynamic = project.get("dynamic", [])
        missing = [
            key
            for key in ("name", "version", "description", "requires-python")
            if not project.get(key) and not (isinstance(dynamic, list) and key in dynamic)
        ]
        if missing:
            return cls.fail(f"`[project]` lacks {', '.join(f'`{key}`' for key in missing)}")
        return True


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _unranged(requirements: Any, project: str) -> list[str]:
    """The requirements with neither a version specifier nor a direct URL.

    The project itself (``"churn-model[dev]"`` in an extra) needs no range.
    """
    if not isinstance(requirements, list):
        return []
    bare = []
    for line in requirements:
        try:
            requirement = Requirement(str(line))
        except InvalidRequirement:
            bare.append(str(line))
            continue
        if not requirement.specifier and requirement.url is None and _normalized(requirement.name) != project:
            bare.append(requirement.name)
    return bare


class P2P202(Packaging):
    """Dependencies have version ranges, or a lock file pins them"""

    what = (
        "Passes when a lock file is committed (`uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml`, "
        "`Pipfile.lock`, `conda-lock.yml`). Otherwise fails when a requirement of `[project] dependencies` or "
        "of an optional-dependencies extra has neither a version specifier nor a direct URL (the project "
        "naming itself in an extra is fine)."
    )
    why = (
        "An unbounded dependency is whatever its newest release is on the day of the build: the model trained "
        "last month and the image built today may run different code, and a major release can break the "
        "pipeline or change predictions silently."
    )

    file = "pyproject.toml"
    requires = frozenset({"P2P201"})

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Give every dependency a range (`"pandas>=2.3,<4"`), the versions the project was
        tested with, or commit a lock file (`uv lock` writes `uv.lock`)."""
        if p2p_repo.first_file(*LOCK_FILES) is not None:
            return True
        project = table(p2p_repo.pyproject, "project")
        name = _normalized(str(project.get("name", "")))
        bare = _unranged(project.get("dependencies"), name)
        extras = project.get("optional-dependencies", {})
        if isinstance(extras, dict):
            for requirements in extras.values():
                bare.extend(_unranged(requirements, name))
        if bare:
            names = ", ".join(f"`{name}`" for name in dict.fromkeys(bare))
            return cls.fail(f"no lock file, and no version range for {names}")
        return True


def python_floor(requires_python: str) -> str | None:
    """The lowest ``X.Y`` a ``requires-python`` specifier admits (``>=3.11`` -> ``3.11``)."""
    try:
        specifiers = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    for minor in range(0, 40):
        if any(specifiers.contains(f"3.{minor}.{micro}") for micro in range(0, 20)):
            return f"3.{minor}"
    return None


def minor_version(text: Any) -> str | None:
    """``X.Y`` of a version written in a config (``3.11``, ``"3.11.4"``, ``3.11-slim``)."""
    if isinstance(text, float):
        text = repr(text)
    found = _VERSION.match(str(text).strip())
    return f"{found.group(1)}.{found.group(2)}" if found else None


def _matrix_values(job: dict[str, Any], expression: str) -> list[Any] | None:
    """The values of ``${{ matrix.KEY }}`` in a job's ``strategy.matrix``, if literal."""
    found = re.fullmatch(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", expression.strip())
    if not found:
        return None
    matrix = table(job, "strategy", "matrix")
    values = matrix.get(found.group(1))
    if not isinstance(values, list):
        return None
    included = [item.get(found.group(1)) for item in entries(matrix.get("include")) if isinstance(item, dict)]
    return [*values, *(value for value in included if value is not None)]


def github_python_versions(workflows: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The Python versions ``actions/setup-python`` installs, per (workflow, job).

    A job with a matrix gives every version of it; expressions that are not a plain
    matrix lookup are left out.
    """
    found: list[tuple[str, list[str]]] = []
    for path, workflow in workflows.items():
        for job_name, job in table(workflow, "jobs").items():
            if not isinstance(job, dict):
                continue
            for step in entries(job.get("steps")):
                if not isinstance(step, dict) or "setup-python" not in str(step.get("uses", "")):
                    continue
                value = table(step, "with").get("python-version")
                if value is None:
                    continue
                values = [value] if not isinstance(value, list) else value
                versions: list[str] = []
                for item in values:
                    expanded = _matrix_values(job, str(item)) if "${{" in str(item) else [item]
                    versions.extend(v for v in map(minor_version, expanded or []) if v)
                if versions:
                    found.append((f"{path} (job `{job_name}`)", versions))
    return found


def gitlab_python_versions(config: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The versions of the ``python:X`` images of ``.gitlab-ci.yml``, per job (or default)."""
    found: list[tuple[str, list[str]]] = []
    for name, job in config.items():
        if not isinstance(job, dict):
            continue
        image = job.get("image")
        if isinstance(image, dict):
            image = image.get("name")
        if isinstance(image, str):
            found_image = re.match(r"^(?:docker\.io/)?(?:library/)?python:(\S+)", image)
            version = minor_version(found_image.group(1)) if found_image else None
            if version:
                found.append((f".gitlab-ci.yml (`{name}`)", [version]))
    return found


def docker_python_versions(p2p_repo: Repository) -> list[tuple[str, list[str]]]:
    """The versions of the ``FROM python:X`` images of the Dockerfile."""
    found: list[tuple[str, list[str]]] = []
    for instruction in p2p_repo.dockerfile or []:
        if instruction.keyword != "FROM":
            continue
        image = next((word for word in instruction.arguments.split() if not word.startswith("--")), "")
        matched = re.match(r"^(?:docker\.io/)?(?:library/)?python:(\S+)", image)
        version = minor_version(matched.group(1)) if matched else None
        if version:
            found.append((f"{p2p_repo.dockerfile_name} (line {instruction.line})", [version]))
    return found


class P2P203(Packaging):
    """One Python version across pyproject.toml, CI and the Dockerfile"""

    what = (
        "Takes the lowest Python that `requires-python` admits (`>=3.11` gives 3.11) and compares it with the "
        "`python-version` of every `actions/setup-python` step (a matrix must include it), the `python:X` "
        "images of `.gitlab-ci.yml`, the `FROM python:X` lines of the Dockerfile and `.python-version`. Fails "
        "on any other version; n/a when `requires-python` is missing or none of those places names a version."
    )
    why = (
        "A model trained on one Python and served on another may load differently or not at all; when the "
        "package, CI and the image agree on one version, what the tests checked is what production runs."
    )

    file = "pyproject.toml"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Use the `requires-python` minimum everywhere: `python-version` of
        `actions/setup-python` (a test matrix must include it), the `python:X` image of
        `.gitlab-ci.yml`, the `FROM python:X` of the Dockerfile and `.python-version`."""
        requires = table(p2p_repo.pyproject, "project").get("requires-python")
        floor = python_floor(str(requires)) if requires else None
        if floor is None:
            return None  # P2P201 reports a missing requires-python
        places = [
            *github_python_versions(p2p_repo.workflows),
            *gitlab_python_versions(p2p_repo.gitlab_ci or {}),
            *docker_python_versions(p2p_repo),
        ]
        pinned = minor_version((p2p_repo.read_text(".python-version") or "").strip())
        if pinned:
            places.append((".python-version", [pinned]))
        if not places:
            return None
        wrong = []
        for where, versions in places:
            matrix = len(versions) > 1
            if (matrix and floor not in versions) or (not matrix and versions[0] != floor):
                wrong.append(f"{where} uses {', '.join(versions)}")
        if wrong:
            return cls.fail(f'`requires-python = "{requires}"` means {floor}, but {"; ".join(wrong)}')
        return True


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the packaging checks."""
    return checks_of(P2P201, P2P202, P2P203)
