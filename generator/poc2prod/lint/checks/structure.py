"""Structure (P2P1xx): the source layout, the tests, the README and the license."""

from __future__ import annotations

import re

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Repository

#: Commands that install a Python project, as a README would show them.
INSTALL_COMMAND = re.compile(
    r"pip install|uv sync|uv pip install|poetry install|pdm install|pipenv install|"
    r"conda env create|mamba env create|make install|hatch env create"
)
#: Commands that run a test suite.
TEST_COMMAND = re.compile(r"\bpytest\b|make test|\btox\b|\bnox\b|hatch test|python -m unittest")

README_NAMES = ("README.md", "README.rst", "README.txt", "README")
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "LICENCE.txt", "COPYING")


class Structure(Poc2ProdCheck):
    short_family = "structure"


class P2P101(Structure):
    """Package in a src layout (src/<package>/__init__.py)"""

    what = (
        "Finds the package: a folder under `src/` holding Python files, else one at the root (with several, "
        "the one named like `[project] name`). Fails when there is none, when it sits at the root instead of "
        "under `src/`, or when it has no `__init__.py`."
    )
    why = (
        "With the package at the root, `import package` in a test finds the working folder, so tests pass "
        "although the installed package (what the image and the API run) lacks a module or a data file. Under "
        "`src/` the tests can only import what was installed."
    )

    file = "src"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Move the package to `src/<package>/` with an `__init__.py`, so tests run against
        the installed package rather than the working folder."""
        package = p2p_repo.package
        if package is None:
            return cls.fail("no Python package under `src/`")
        if not package.src_layout:
            return cls.fail(f"the package `{package.name}` is at the root, not under `src/`")
        if not package.has_init:
            return cls.fail(f"`{package.folder}/__init__.py` is missing")
        return True


class P2P102(Structure):
    """Tests in a tests/ folder"""

    what = "Fails when no file under `tests/` is named `test_*.py` or `*_test.py`."
    why = (
        "One known place for the tests is what lets CI, `make test` and a new team member run them without "
        "reading the code, and lets `poc2prod update` add the template's new tests beside the team's."
    )

    file = "tests"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Put pytest tests in `tests/` (files named `test_*.py` or `*_test.py`)."""
        tests = [
            name
            for name in p2p_repo.files
            if name.startswith("tests/") and re.search(r"(^|/)(test_[^/]*|[^/]*_test)\.py$", name)
        ]
        if not tests:
            return cls.fail("`tests/` holds no `test_*.py` file")
        return True


class P2P103(Structure):
    """README with the install and test commands"""

    what = (
        "Reads the README (`README.md`, `.rst`, `.txt` or plain `README`). Fails when there is none, or when "
        "it shows no install command (`pip install`, `uv sync`, `poetry install`, `make install`, `conda env "
        "create`...) or no test command (`pytest`, `make test`, `tox`, `nox`, `hatch test`, `python -m "
        "unittest`)."
    )
    why = (
        "The README is what a reviewer, an on-call engineer or an auditor opens first; a model nobody can "
        "install or test from it cannot be checked, retrained or handed over."
    )

    file = "README.md"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Write a README.md that shows how to install the project (`pip install --group dev -e .`,
        `make install`, `uv sync`...) and how to run its tests (`pytest`, `make test`...)."""
        name = p2p_repo.first_file(*README_NAMES)
        if name is None:
            return cls.fail("no README")
        text = p2p_repo.read_text(name) or ""
        missing = [
            what for what, pattern in (("install", INSTALL_COMMAND), ("test", TEST_COMMAND)) if not pattern.search(text)
        ]
        if missing:
            return cls.fail(f"{name} shows no {' and no '.join(missing)} command")
        return True


class P2P104(Structure):
    """A LICENSE file"""

    what = (
        "Fails when there is no `LICENSE` (or `LICENSE.md`, `LICENSE.txt`, `LICENCE`, `COPYING`...) file, or "
        "when it is empty."
    )
    why = (
        "Without a license nobody outside the author may legally use, copy or deploy the code; a model that "
        "reaches production needs its terms stated, even when they are 'internal use only'."
    )

    file = "LICENSE"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Add a `LICENSE` file with the license text (or the proprietary notice), so the
        terms of use are known."""
        found = p2p_repo.first_file(*LICENSE_NAMES)
        if found is None or not (p2p_repo.read_text(found) or "").strip():
            return cls.fail("no LICENSE file" if found is None else f"{found} is empty")
        return True


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the structure checks."""
    return checks_of(P2P101, P2P102, P2P103, P2P104)
