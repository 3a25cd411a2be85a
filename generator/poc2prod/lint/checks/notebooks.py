"""Notebooks (P2P4xx): committed without outputs, importing the package instead of copying it.

Notebooks are read as the JSON they are (nbformat 4: ``cells``, each code cell with
``outputs`` and ``execution_count``), without executing anything.
"""

from __future__ import annotations

import ast
from typing import Any

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Repository


class Notebooks(Poc2ProdCheck):
    short_family = "notebooks"


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells = notebook.get("cells")
    if not isinstance(cells, list):  # nbformat 3 kept cells in worksheets
        cells = [cell for sheet in notebook.get("worksheets", []) for cell in sheet.get("cells", [])]
    return [cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", cell.get("input", ""))
    return "".join(source) if isinstance(source, list) else str(source)


class P2P401(Notebooks):
    """Notebooks committed without outputs"""

    what = (
        "Fails when a notebook (any `.ipynb` outside `.ipynb_checkpoints/`) has a code cell with outputs or "
        "an execution count, or is not valid JSON. n/a without notebooks."
    )
    why = (
        "Outputs turn each run into a large diff, bury the code change in review, and may carry rows of the "
        "data (personal data included) into git history."
    )

    file = "notebooks"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Strip outputs and execution counts before committing: `nbstripout --install`
        once (or the pre-commit hook), or `nbstripout notebooks/*.ipynb` now. Outputs bloat
        the history, make diffs unreadable and can leak data."""
        if not p2p_repo.notebooks:
            return None
        dirty = []
        for name, notebook in p2p_repo.notebooks.items():
            if notebook is None:
                dirty.append(f"`{name}` (not valid JSON)")
                continue
            cells = _code_cells(notebook)
            if any(cell.get("outputs") or cell.get("execution_count") is not None for cell in cells):
                dirty.append(f"`{name}`")
        if dirty:
            return cls.fail(f"outputs or execution counts in {', '.join(dirty)}")
        return True


def _package_definitions(p2p_repo: Repository) -> dict[str, str]:
    """Top-level functions and classes of the package: name -> module path."""
    found: dict[str, str] = {}
    for path, module in p2p_repo.package_sources.items():
        for node in module.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith(
                "_"
            ):
                found.setdefault(node.name, path)
    return found


def _cell_definitions(source: str) -> list[str]:
    """Names of the functions and classes a code cell defines (IPython magics skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        module = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return []
    return [
        node.name for node in module.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]


class P2P402(Notebooks):
    """Notebooks import the package instead of redefining its functions"""

    what = (
        "Fails when a code cell of a notebook defines a function or class with the name of a public top-level "
        "function or class of the package. n/a without notebooks or without a package."
    )
    why = (
        "A function pasted into a notebook is a second copy: the package's copy is the one tested and served, "
        "so the notebook's results describe code that production does not run."
    )

    file = "notebooks"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Import the function from the package (`from <package>.features import
        build_features`) instead of pasting its code into a cell: two copies drift apart,
        and only the package's is tested and served."""
        if not p2p_repo.notebooks or p2p_repo.package is None:
            return None
        defined = _package_definitions(p2p_repo)
        copies: list[str] = []
        for name, notebook in p2p_repo.notebooks.items():
            for cell in _code_cells(notebook or {}):
                copies.extend(
                    f"`{name}` defines `{symbol}` (as `{defined[symbol]}` does)"
                    for symbol in _cell_definitions(_source(cell))
                    if symbol in defined
                )
        if copies:
            return cls.fail("; ".join(copies))
        return True


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the notebook checks."""
    return checks_of(P2P401, P2P402)
