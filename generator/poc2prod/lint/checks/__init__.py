"""The lint checks of poc2prod, one module per family, and what they share.

A check is a class named by its ID (``P2P101``): its docstring is the one-line title, its
``check`` classmethod takes repo-review fixtures by name (``p2p_repo``) and returns
``True`` (pass), ``None`` (not applicable) or a failure message in Markdown that ends with
the fix; the ``check`` docstring is that fix; ``what`` says what it checks and ``why`` why
it matters. repo-review reads ``family``, ``requires`` and ``url``; ``poc2prod lint`` also
reads ``file`` (where a GitHub annotation points); the docs page of a check
(``docs/lint/<ID>.md``) shows all of them.
"""

from __future__ import annotations

import textwrap
from typing import Any, ClassVar

from poc2prod.lint import DOCS_URL

#: The families, in report order: key, display name, one-line description.
FAMILIES: dict[str, tuple[str, str]] = {
    "structure": ("Structure", "Source layout, tests, README and license."),
    "packaging": ("Packaging", "Project metadata, dependency ranges, one Python version."),
    "reproducibility": (
        "Reproducibility",
        "Template answers, artefacts out of git, no large files, seeded training.",
    ),
    "notebooks": ("Notebooks", "Notebooks without outputs that import the package."),
    "serving": ("Serving", "Health and readiness endpoints; models loaded without pickle."),
    "container": ("Container", "Non-root image with a health check and a .dockerignore."),
    "ci": ("CI", "Tests in CI, least-privilege permissions, pinned actions."),
    "docs": ("Docs", "Model card, roll-out plan and architecture, filled in."),
}

#: Prefix of the family keys under repo-review, where families share one namespace with
#: other plugins' (sp-repo-review has ``general``, ``github``, ``pyproject``...).
FAMILY_PREFIX = "poc2prod-"


def family_key(short: str) -> str:
    """Return the repo-review family key of a family: ``structure`` -> ``poc2prod-structure``."""
    return f"{FAMILY_PREFIX}{short}"


def short_family(key: str) -> str:
    """Return the short name of a family key: ``poc2prod-structure`` -> ``structure``."""
    return key.removeprefix(FAMILY_PREFIX)


class Poc2ProdCheck:
    """Base of the checks: sets the family key and the docs URL of each subclass."""

    #: Short family name (``structure``); ``family`` is the repo-review key.
    short_family: ClassVar[str]
    family: ClassVar[str]
    url: ClassVar[str]
    #: File a GitHub annotation of a failure points at, relative to the repository.
    file: ClassVar[str] = ""
    requires: ClassVar[frozenset[str]] = frozenset()
    #: What the check looks at, when it fails and when it does not apply (its docs page).
    what: ClassVar[str]
    #: Why the check matters, a paragraph of its docs page.
    why: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "short_family" in cls.__dict__:
            cls.family = family_key(cls.short_family)
        if cls.__name__.startswith("P2P"):
            cls.url = f"{DOCS_URL}{cls.__name__}/"
            missing = [name for name in ("what", "why") if not cls.__dict__.get(name)]
            if missing:  # its docs page would lack a section
                raise TypeError(f"lint check {cls.__name__} lacks {' and '.join(missing)}")

    @classmethod
    def fix(cls) -> str:
        """Return the fix: the ``check`` docstring, on one line."""
        doc = getattr(cls, "check").__doc__ or ""  # noqa: B009 - subclasses define check
        return " ".join(textwrap.dedent(doc).split())

    @classmethod
    def fail(cls, detail: str) -> str:
        """Return a failure message: what is wrong (``detail``), then the fix."""
        return f"{detail.rstrip('.')}. {cls.fix()}"


def checks_of(*classes: type[Poc2ProdCheck]) -> dict[str, type[Poc2ProdCheck]]:
    """Return the ``repo_review.checks`` mapping of a family module: ID -> class."""
    return {cls.__name__: cls for cls in classes}


def all_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Every poc2prod check, by ID, in ID order."""
    from poc2prod.lint.checks import ci, container, docs, notebooks, packaging, reproducibility, serving, structure

    found: dict[str, type[Poc2ProdCheck]] = {}
    for module in (structure, packaging, reproducibility, notebooks, serving, container, ci, docs):
        found.update(module.repo_review_checks())
    return dict(sorted(found.items()))


def families() -> dict[str, dict[str, Any]]:
    """Entry point ``repo_review.families``: display names and order of poc2prod's families."""
    return {
        family_key(short): {"name": f"poc2prod: {name}", "order": 10 + index, "description": description}
        for index, (short, (name, description)) in enumerate(FAMILIES.items())
    }
