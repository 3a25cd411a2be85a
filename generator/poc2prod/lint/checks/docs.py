"""Docs (P2P8xx): the model card, the roll-out plan and the architecture, filled in.

A document is an unfilled skeleton when, outside code blocks, it holds a placeholder
(``TBD``, ``TODO``, ``FIXME``, ``FILL IN``, ``lorem ipsum``, or an angle-bracket
placeholder with spaces such as ``<describe the data>``) or fewer than
:data:`MIN_PROSE_LINES` lines of prose (lines of three words or more that are not
headings). What the template renders passes; the same file cut down to its headings
fails.
"""

from __future__ import annotations

import re

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Repository

#: Fewest lines of prose a filled-in document has.
MIN_PROSE_LINES = 5

PLACEHOLDER = re.compile(
    r"\bTBD\b|\bTODO\b|\bFIXME\b|\bfill[ _-]?in\b|lorem ipsum|<[a-z][\w.-]*(?: [\w.-]+)+>|<\.\.\.>",
    re.IGNORECASE,
)
#: Where a model card is kept.
MODEL_CARDS = ("docs/model_card.md", "docs/model-card.md", "MODEL_CARD.md", "model_card.md")


class Docs(Poc2ProdCheck):
    short_family = "docs"


def skeleton_problem(text: str) -> str | None:
    """Why a Markdown document is an unfilled skeleton, or ``None`` if it is filled in."""
    prose = 0
    fenced = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or not stripped or stripped.startswith(("#", "<!--")) or re.fullmatch(r"[|:\-\s]+", stripped):
            continue
        found = PLACEHOLDER.search(stripped)
        if found:
            return f"it holds the placeholder `{found.group(0)}`"
        if len(re.findall(r"[^\W\d_]{2,}", stripped)) >= 3:
            prose += 1
    if prose < MIN_PROSE_LINES:
        return f"it has {prose} line(s) of prose (a filled-in document has at least {MIN_PROSE_LINES})"
    return None


def _filled(cls: type[Docs], p2p_repo: Repository, name: str) -> bool | str:
    text = p2p_repo.read_text(name)
    if text is None:
        return cls.fail(f"no `{name}`")
    problem = skeleton_problem(text)
    return cls.fail(f"`{name}` is an unfilled skeleton: {problem}") if problem else True


class P2P801(Docs):
    """Model card (docs/model_card.md), filled in"""

    what = (
        "Reads the model card (`docs/model_card.md`, `docs/model-card.md`, `MODEL_CARD.md` or "
        "`model_card.md`) and fails when it is a skeleton: it holds a placeholder (`TBD`, `TODO`, `FIXME`, "
        "`fill in`, `<your text>`...) or fewer than five lines of prose. Without a card, passes when the "
        "package has a `model_card` module that writes one, and fails otherwise."
    )
    why = (
        "The model card says what the model is for, on what data it was trained, how well it does and where "
        "it must not be used: what a reviewer, an auditor or the next team needs before trusting its "
        "predictions."
    )

    file = "docs/model_card.md"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Write the model card after training (`make report` or `python -m <package>
        model-card` writes `docs/model_card.md`), answer its open questions, and commit it.
        Before the first training a `model_card` module in the package that writes it is
        enough."""
        card = p2p_repo.first_file(*MODEL_CARDS)
        if card is not None:
            return _filled(cls, p2p_repo, card)
        package = p2p_repo.package
        if package is not None and f"{package.folder}/model_card.py" in p2p_repo.package_sources:
            return True
        return cls.fail("no `docs/model_card.md`, and no `model_card` module in the package to write it")


class P2P802(Docs):
    """Roll-out plan (docs/rollout.md), filled in"""

    what = (
        "Fails when `docs/rollout.md` is missing or is a skeleton: it holds a placeholder (`TBD`, `TODO`, "
        "`FIXME`, `fill in`, `<your text>`...) or fewer than five lines of prose."
    )
    why = (
        "Deciding in advance how the model reaches users, what success means and when to roll back is what "
        "makes a promotion a decision rather than a hope; the promotion gate reads its thresholds from this "
        "plan."
    )

    file = "docs/rollout.md"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Describe in `docs/rollout.md` how the model reaches users (shadow, canary or A/B
        test, full roll-out), the success metric with its exit criterion, the guardrails
        and how to roll back."""
        return _filled(cls, p2p_repo, "docs/rollout.md")


class P2P803(Docs):
    """Architecture (docs/architecture.md), filled in"""

    what = (
        "Fails when `docs/architecture.md` is missing or is a skeleton: it holds a placeholder (`TBD`, "
        "`TODO`, `FIXME`, `fill in`, `<your text>`...) or fewer than five lines of prose."
    )
    why = (
        "The architecture page is where an on-call engineer or a new team member learns how data becomes a "
        "served prediction and comes back as monitoring, without reading all the code."
    )

    file = "docs/architecture.md"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Describe in `docs/architecture.md` how data becomes a served prediction and comes
        back as monitoring: a diagram (Mermaid) and where each step lives in the code."""
        return _filled(cls, p2p_repo, "docs/architecture.md")


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the docs checks."""
    return checks_of(P2P801, P2P802, P2P803)
