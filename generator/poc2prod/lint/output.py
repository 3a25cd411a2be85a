"""How ``poc2prod lint`` shows its results: a table, JSON, or GitHub workflow annotations.

One repository gets a row per check; several get one summary row each. Results go to
stdout, so JSON can be piped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from poc2prod.lint.engine import FAIL, NOT_APPLICABLE, PASS, RepositoryReport, exit_code

_STYLES = {PASS: "green", FAIL: "red", NOT_APPLICABLE: "dim"}


def _counts(report: RepositoryReport) -> str:
    if report.error:
        return f"error: {report.error}"
    return f"{report.count(PASS)} passed, {report.count(FAIL)} failed, {report.count(NOT_APPLICABLE)} not applicable"


def print_table(reports: list[RepositoryReport]) -> None:
    """Print a table of every check for one repository, or a summary row per repository."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not console.is_terminal:  # CI logs and pipes: rich would wrap at 80 columns
        console = Console(width=200)
    if len(reports) == 1:
        report = reports[0]
        table = Table(title=f"poc2prod lint {report.path}")
        for column in ("ID", "family", "title", "result", "fix"):
            table.add_column(column, overflow="fold")
        for item in report.results:
            fix = f"{item.message}\n{item.url}" if item.result == FAIL else item.message
            table.add_row(
                Text(item.id),
                Text(item.family),
                Text(item.title),
                Text(item.result, style=_STYLES[item.result]),
                Text(fix),
            )
        console.print(table)
        console.print(f"{report.path}: {_counts(report)}", highlight=False, markup=False)
        return
    table = Table(title="poc2prod lint")
    for column in ("repository", "passed", "failed", "n/a", "failing checks"):
        table.add_column(column, overflow="fold")
    for report in reports:
        failed = report.count(FAIL)
        table.add_row(
            Text(report.path),
            Text(str(report.count(PASS))),
            Text(str(failed), style="red" if failed else "green"),
            Text(str(report.count(NOT_APPLICABLE))),
            Text(report.error or ", ".join(item.id for item in report.failed), style="red" if report.error else ""),
        )
    console.print(table)
    failing = sum(not report.ok for report in reports)
    console.print(
        f"{len(reports)} repositories: {failing} with failures; `poc2prod lint PATH` shows one in detail",
        highlight=False,
        markup=False,
    )


def print_json(reports: list[RepositoryReport]) -> None:
    """Print every result as JSON: ``{"exit_code": N, "repositories": [...]}``."""
    typer.echo(json.dumps({"exit_code": exit_code(reports), "repositories": [r.to_json() for r in reports]}, indent=2))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_file(report_path: str, file: str) -> str:
    """Return the ``file=`` of an annotation: ``file`` in the repository, relative to the current folder."""
    if not file:
        return ""
    target = Path(report_path) / file
    try:
        return Path(os.path.relpath(target)).as_posix()
    except ValueError:  # another drive on Windows
        return target.as_posix()


def print_github(reports: list[RepositoryReport]) -> None:
    """GitHub workflow commands: an ``::error`` annotation per failure, then a summary line."""
    for report in reports:
        if report.error:
            typer.echo(f"::error title=poc2prod lint::{_escape_data(f'{report.path}: {report.error}')}")
        for item in report.failed:
            properties = []
            where = annotation_file(report.path, item.file)
            if where:
                properties.append(f"file={_escape_property(where)}")
            properties.append(f"title={_escape_property(f'{item.id} {item.title}')}")
            message = f"{item.message} See {item.url}"
            typer.echo(f"::error {','.join(properties)}::{_escape_data(message)}")
        typer.echo(f"poc2prod lint {report.path}: {_counts(report)}")
