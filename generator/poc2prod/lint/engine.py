"""Run the lint checks on repositories through ``repo_review.processor.process``.

By default only poc2prod's checks run (its fixtures, checks and families are collected
here, not from every installed plugin); ``all_families`` collects every plugin's, as
``repo-review`` does. Selection comes from the command line and from the linted
repository's ``[tool.poc2prod.lint]`` (``select``, ``ignore``, ``max-file-size-kb``);
``[tool.repo-review] ignore`` applies too, as it does under ``repo-review``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poc2prod.errors import BadInputError
from poc2prod.lint.checks import FAMILIES, Poc2ProdCheck, all_checks, families, family_key, short_family
from poc2prod.lint.repository import Repository, table

#: The keys ``[tool.poc2prod.lint]`` accepts.
CONFIG_KEYS = frozenset({"select", "ignore", "max-file-size-kb"})

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "n/a"


class ConfigError(BadInputError):
    """The linted repository's ``[tool.poc2prod.lint]`` is invalid (its own, not the command's)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one repository."""

    id: str
    family: str
    title: str
    result: str
    message: str = ""
    url: str = ""
    file: str = ""

    def to_json(self) -> dict[str, str]:
        """Return the result as a JSON-ready dict."""
        return {
            "id": self.id,
            "family": self.family,
            "title": self.title,
            "result": self.result,
            "message": self.message,
            "url": self.url,
        }


@dataclass
class RepositoryReport:
    """Every selected check's outcome on one repository, in report order."""

    path: str
    results: list[CheckResult] = field(default_factory=list)
    #: Why no result could be had (another plugin's check raised on a malformed file).
    error: str = ""

    def count(self, result: str) -> int:
        """How many checks had ``result`` (``pass``, ``fail`` or ``n/a``)."""
        return sum(item.result == result for item in self.results)

    @property
    def ok(self) -> bool:
        """True when every check ran and none failed."""
        return not self.error and not self.failed

    @property
    def failed(self) -> list[CheckResult]:
        """The failed checks."""
        return [item for item in self.results if item.result == FAIL]

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "path": self.path,
            "passed": self.count(PASS),
            "failed": self.count(FAIL),
            "not_applicable": self.count(NOT_APPLICABLE),
            "error": self.error,
            "checks": [item.to_json() for item in self.results],
        }


@dataclass(frozen=True)
class LintOptions:
    """What the command line asked for: selectors (IDs or families) and scope."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    all_families: bool = False


def exit_code(reports: Iterable[RepositoryReport]) -> int:
    """0 when every selected check ran and passed everywhere, 1 otherwise."""
    return 0 if all(report.ok for report in reports) else 1


def check_folder(path: Path) -> None:
    """Refuse a path that is not a folder.

    Raises
    ------
    BadInputError
        ``path`` does not exist or is not a folder.
    """
    if not path.exists():
        raise BadInputError(f"{path}: no such folder: give the path of a repository")
    if not path.is_dir():
        raise BadInputError(f"{path}: not a folder: give the path of a repository, not of a file")


def expand(selectors: Iterable[str], known: dict[str, type[Any]], where: str) -> frozenset[str]:
    """Return the check IDs that selectors name.

    A selector is an ID (``P2P101``), a family (``structure`` or ``poc2prod-structure``),
    or the start of IDs (``P2P``, ``P2P3``, ``PY``).

    Raises
    ------
    BadInputError
        A selector names no check and no family.
    """
    ids: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        upper = selector.upper()
        matched = {
            name
            for name, check in known.items()
            if (re.fullmatch(r"[A-Z][A-Z0-9]*", upper) and name.startswith(upper))
            or selector.lower() in (str(getattr(check, "family", "")), short_family(str(getattr(check, "family", ""))))
        }
        if not matched:
            families_list = ", ".join(FAMILIES)
            raise BadInputError(
                f"{where}: unknown check or family {selector!r}: give an ID such as P2P101 or a family "
                f"({families_list})"
            )
        ids |= matched
    return frozenset(ids)


def read_config(repository: Repository, where: str) -> dict[str, Any]:
    """``[tool.poc2prod.lint]`` of the linted repository's ``pyproject.toml``, checked.

    Raises
    ------
    BadInputError
        An unknown key, or a value of the wrong type.
    """
    lint = repository.pyproject.get("tool", {})
    lint = lint.get("poc2prod", {}) if isinstance(lint, dict) else {}
    config = lint.get("lint", {}) if isinstance(lint, dict) else {}
    if not isinstance(config, dict):
        raise BadInputError(f"{where}: must be a table")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise BadInputError(f"{where}: unknown key(s) {', '.join(unknown)}: use {', '.join(sorted(CONFIG_KEYS))}")
    for key in ("select", "ignore"):
        value = config.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise BadInputError(f'{where}: {key} must be a list of IDs or families, e.g. ["P2P101"]')
    size = config.get("max-file-size-kb")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise BadInputError(f"{where}: max-file-size-kb must be a positive whole number")
    return config


def _for_repo_review(pyproject: dict[str, Any]) -> dict[str, Any]:
    """``pyproject`` with ``tool`` and ``tool.repo-review`` as tables, as repo-review reads them.

    repo-review reads its configuration with ``.get`` on each level; a file that puts a
    string there (``tool = "x"``) would stop the run instead of failing a check.
    """
    if "tool" not in pyproject:
        return pyproject
    tool = table(pyproject, "tool")
    if "repo-review" in tool:
        tool = {**tool, "repo-review": table(tool, "repo-review")}
    return {**pyproject, "tool": tool}


def _collection(root: Path, repository: Repository, all_families: bool) -> Any:
    """Collect what ``process`` runs: poc2prod's fixtures, checks and families, or every plugin's.

    repo-review's own ``pyproject`` fixture raises on a file that does not parse; the
    repository's reading of it is ``{}`` then (P2P201 reports it), so one broken file
    fails a check instead of the whole run. The plugin's ``p2p_repo`` fixture would make
    its own Repository: this one was made to read the configuration.
    """
    from repo_review.checks import collect_checks
    from repo_review.families import Family, collect_families
    from repo_review.fixtures import collect_fixtures, compute_fixtures
    from repo_review.processor import CollectionReturn

    ours: dict[str, Any] = {"pyproject": lambda: _for_repo_review(repository.pyproject), "p2p_repo": lambda: repository}
    if not all_families:
        fixtures = compute_fixtures(root, root, ours)
        return CollectionReturn(fixtures, dict(all_checks()), dict(families()))  # type: ignore[arg-type]
    fixtures = compute_fixtures(root, root, {**collect_fixtures(), **ours})
    checks = collect_checks(fixtures)
    found = collect_families(fixtures)
    for name in {check.family for check in checks.values()}:
        found.setdefault(name, Family())
    # In family order, as ``repo_review.processor.collect_all`` sorts them.
    ordered = dict(
        sorted(checks.items(), key=lambda item: (found[item[1].family].get("order", 0), item[1].family, item[0]))
    )
    return CollectionReturn(fixtures, ordered, found)


def lint_repository(path: Path, options: LintOptions) -> RepositoryReport:
    """Run the selected checks on one repository.

    Parameters
    ----------
    path : Path
        The repository (any folder).
    options : LintOptions
        Selectors from the command line and the scope.

    Returns
    -------
    RepositoryReport
        The outcome of every selected check.

    Raises
    ------
    BadInputError
        ``path`` is not a folder, or a selector or the repository's configuration is invalid.
    """
    from repo_review.processor import process

    check_folder(path)
    root = path.absolute()
    repository = Repository(root)
    where = f"{path / 'pyproject.toml'} [tool.poc2prod.lint]"
    try:
        config = read_config(repository, where)
    except BadInputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        collected = _collection(root, repository, options.all_families)
    except Exception as exc:  # a plugin's fixture broke on this repository's files
        return _broken(path, exc)
    known: dict[str, Any] = dict(collected.checks)
    select = expand(options.select, known, "--select")
    ignore = expand(options.ignore, known, "--ignore")
    try:
        if not options.select:
            select = expand(config.get("select", []), known, f"{where} select")
        ignore |= expand(config.get("ignore", []), known, f"{where} ignore")
    except BadInputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        _, results = process(root, select=select or frozenset({"*"}), extend_ignore=ignore, collected=collected)
    except Exception as exc:  # a plugin's check broke on this repository's files
        return _broken(path, exc)
    if select:
        # repo-review also returns the checks that [tool.repo-review] ignores with a reason,
        # selected or not: a report shows only what was selected.
        results = [result for result in results if result.name in select]
    outcomes = {result.name: result for result in results}
    report = RepositoryReport(str(path))
    for result in results:
        check = known[result.name]
        if result.result is None:
            outcome, message = NOT_APPLICABLE, _skip_reason(result, check, outcomes)
        else:
            outcome, message = (PASS, "") if result.result else (FAIL, result.err_msg.strip())
        report.results.append(
            CheckResult(
                id=result.name,
                family=short_family(result.family),
                title=result.description,
                result=outcome,
                message=message,
                url=result.url,
                file=str(getattr(check, "file", "")),
            )
        )
    return report


def _broken(path: Path, exc: Exception) -> RepositoryReport:
    """Report a repository whose checks could not run, with the first line of why."""
    detail = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    return RepositoryReport(str(path), error=f"a check could not run ({reason}): a file it reads is malformed")


def _skip_reason(result: Any, check: Any, outcomes: dict[str, Any]) -> str:
    if result.skip_reason:
        return f"ignored: {result.skip_reason}"
    blocking = sorted(
        name for name in getattr(check, "requires", ()) if name in outcomes and outcomes[name].result is not True
    )
    return f"needs {', '.join(blocking)} to pass" if blocking else ""


def lint_repositories(
    paths: list[Path],
    options: LintOptions,
    *,
    jobs: int = 1,
    on_result: Callable[[RepositoryReport], None] | None = None,
) -> list[RepositoryReport]:
    """Lint several repositories, ``jobs`` at a time (threads: linting only reads).

    Every path is checked to be a folder first, so a typo stops the run before any work;
    a repository named twice is linted once. Of several repositories, one whose own
    ``[tool.poc2prod.lint]`` is invalid gets an error row and the others are linted.

    Raises
    ------
    BadInputError
        A path is not a folder, or a selector or a repository's configuration is invalid.
    """
    for path in paths:
        check_folder(path)
    # One repository named twice (`gl`, `gl/`, `./gl`) is linted and reported once.
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)
    paths = list(unique.values())

    def run(path: Path) -> RepositoryReport:
        try:
            report = lint_repository(path, options)
        except ConfigError as exc:
            if len(paths) == 1:
                raise
            # One repository's own configuration is broken: its row says so, the rest go on.
            report = RepositoryReport(str(path), error=str(exc))
        if on_result is not None:
            on_result(report)
        return report

    if jobs <= 1 or len(paths) < 2:
        return [run(path) for path in paths]
    with ThreadPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(run, paths))


def check_definitions() -> list[type[Poc2ProdCheck]]:
    """Every poc2prod check class, in ID order (for the docs)."""
    return list(all_checks().values())


__all__ = [
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "CheckResult",
    "ConfigError",
    "LintOptions",
    "RepositoryReport",
    "check_definitions",
    "exit_code",
    "family_key",
    "lint_repositories",
    "lint_repository",
]
