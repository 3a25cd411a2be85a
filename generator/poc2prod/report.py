"""How the results of ``update``, ``check`` and ``adopt`` are shown: one line for one project, a table for a fleet.

Errors and progress go to stderr; results to stdout, so ``--json`` output and diffs can be
piped.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from poc2prod.adopt import Adoption
from poc2prod.check import ProjectCheck
from poc2prod.update import UpdateResult, UpdateStatus

_STYLES = {
    "updated": "green",
    "up to date": "green",
    "conflicted": "yellow",
    "behind": "yellow",
    "refused": "red",
    "failed": "red",
    "error": "red",
}


def _console() -> Console:
    console = Console()
    # Outside a terminal (CI logs, pipes) rich would wrap at 80 columns; paths need more.
    return console if console.is_terminal else Console(width=200)


def _details(result: UpdateResult) -> list[str]:
    lines = []
    if result.conflicts:
        lines.append(f"conflicts: {', '.join(result.conflicts)}")
    if result.kept:
        lines.append(f"kept (edited here, no longer rendered by {result.to_version}): {', '.join(result.kept)}")
    if result.ignored_kept:
        lines.append(
            f"kept (ignored by git here, {result.to_version} renders a file there): {', '.join(result.ignored_kept)}"
        )
    if result.stayed_deleted:
        lines.append(
            f"still deleted (deleted here, changed in {result.to_version}): {', '.join(result.stayed_deleted)}"
        )
    if result.message:
        lines.append(result.message)
    return lines


def _versions(result: UpdateResult) -> str:
    if result.from_version is None:
        return ""
    if result.to_version in (None, result.from_version):
        return result.from_version
    return f"{result.from_version} → {result.to_version}"


def print_update_results(results: list[UpdateResult], *, dry_run: bool) -> None:
    """Print the diffs (dry run), then one line per project, or a table for several."""
    if dry_run:
        for result in results:
            if result.diff:
                typer.echo(f"# {result.project}: {_versions(result)} (dry run, nothing changed)")
                typer.echo(result.diff, nl=not result.diff.endswith("\n"))
    if len(results) == 1:
        _print_one(results[0], dry_run=dry_run)
        return
    table = Table(title="poc2prod update" + (" --dry-run (nothing changed)" if dry_run else ""))
    for column in ("project", "from → to", "status", "details"):
        table.add_column(column, overflow="fold")
    for result in results:
        status = result.status.value
        table.add_row(
            Text(result.project),
            Text(_versions(result)),
            Text(status, style=_STYLES[status]),
            Text("\n".join(_details(result))),
        )
    console = _console()
    console.print(table)
    counts = Counter(result.status.value for result in results)
    console.print(", ".join(f"{count} {status}" for status, count in counts.items()), highlight=False)


def _print_one(result: UpdateResult, *, dry_run: bool) -> None:
    if result.status in (UpdateStatus.REFUSED, UpdateStatus.FAILED):
        typer.echo(_error_line(result.project, result.message or "no details"), err=True)
        return
    if result.status is UpdateStatus.UP_TO_DATE:
        where = result.message or f"at {result.to_version or result.from_version}"
        typer.echo(f"{result.project}: up to date {where}")
        return
    verb = "would be " if dry_run else ""
    typer.echo(f"{result.project}: {verb}{result.status.value} {_versions(result)}")
    for line in _details(result):
        typer.echo(f"  {line}")
    if dry_run:
        return
    if result.binary_conflicts:
        typer.echo(
            "Binary files changed on both sides keep your version: git add FILE keeps it, "
            "git checkout --theirs -- FILE takes the template's."
        )
    if result.conflicts:
        typer.echo("Resolve the conflicts (search for <<<<<<< or read the .rej files), then commit.")
    else:
        typer.echo("Review with git diff, then commit.")


def _error_line(project: str, error: str) -> str:
    """``error: PROJECT: ERROR``, without naming the project twice when ERROR starts with it."""
    first = error.split(":", 1)[0]
    named = first == project or Path(first).resolve() == Path(project).resolve()
    return f"error: {error}" if named else f"error: {project}: {error}"


def print_checks(checks: list[ProjectCheck]) -> None:
    """Print a table of where each project stands, and each error on stderr.

    One project that could not be checked gets its one-line error only: a table of empty
    cells would add nothing to it.
    """
    if len(checks) == 1 and checks[0].error is not None:
        typer.echo(_error_line(checks[0].project, checks[0].error), err=True)
        return
    table = Table(title="poc2prod check")
    for column in ("project", "template", "current", "newest", "status", "conflicts"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(
            Text(check.project),
            Text(check.source or ""),
            Text(check.current or ""),
            Text(check.newest or ""),
            Text(check.status, style=_STYLES[check.status]),
            Text(", ".join(check.conflicts)),
        )
    _console().print(table)
    for check in checks:
        if check.error is not None:
            typer.echo(_error_line(check.project, check.error), err=True)
        elif check.hint is not None:
            typer.echo(f"{check.project}: {check.hint}")


def print_adoption(adoption: Adoption, project: str) -> None:
    """Print what adopting a repository did: the answers and where each came from, then the files."""
    verb = "would be adopted" if adoption.dry_run else "adopted"
    typer.echo(f"{project}: {verb} under the template {adoption.source} at {adoption.version}")
    table = Table(title="answers")
    for column in ("question", "answer", "from"):
        table.add_column(column, overflow="fold")
    for answer in adoption.answers:
        origin = f"{answer.origin}: {answer.source}" if answer.source else answer.origin
        table.add_row(Text(answer.question), Text(answer.value), Text(origin))
    console = _console()
    console.print(table)
    if adoption.notes:
        typer.echo("Notes:")
        for note in adoption.notes:
            typer.echo(f"  {note}")
    added = "would be added" if adoption.dry_run else "added"
    sections = (
        (f"{added} (the template has them, the repository lacked them)", adoption.added),
        ("diverged from the template (the repository's own, kept as they are)", adoption.diverged),
        ("same as the template", adoption.same),
        ("not added, ignored by the repository's .gitignore", adoption.ignored),
    )
    for title, paths in sections:
        if paths:
            typer.echo(f"{len(paths)} {'file' if len(paths) == 1 else 'files'} {title}:")
            for path in paths:
                typer.echo(f"  {path}")
    if adoption.dry_run:
        typer.echo("Dry run: nothing was written.")
        return
    if adoption.commit is not None:
        typer.echo(f'Committed {adoption.commit} "{adoption.message}".')
    else:
        typer.echo("Staged, not committed: review and commit them (git commit), then poc2prod update works.")
    typer.echo(
        f"From now on poc2prod update merges each new template version into this repository, from {adoption.version}; "
        "the diverged files take the template's changes where they do not clash with yours."
    )
