"""The ``poc2prod`` command line.

Copier is imported inside the commands, never at module level: importing it costs about
half a second, which ``poc2prod --help`` must not pay. Help and usage errors are
formatted by click's plain formatter (``rich_markup_mode=None``): Typer's rich one imports
rich and markdown-it first, about 55 ms of a 140 ms start. Rich is imported by the
commands that draw tables and progress bars, when they run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from poc2prod import __version__
from poc2prod.errors import Poc2ProdError

app = typer.Typer(
    name="poc2prod",
    help="Create ML projects from proof of concept to production, and keep them current.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

#: The answer and template options of the commands that render (``new``, ``adopt``).
DataOption = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="Answer a question: key=value (repeatable), e.g. problem_type=multiclass."),
]
DataFileOption = Annotated[
    Path | None, typer.Option("--data-file", help="YAML file of answers (question: answer); --data wins.")
]
TemplateOption = Annotated[
    str | None, typer.Option("--template", help="Template path or git URL (default: the bundled template).")
]
VcsRefOption = Annotated[
    str | None, typer.Option("--vcs-ref", help="Template git tag, branch or commit (default: newest tag).")
]


def user_errors(func: F) -> F:
    """Print a :class:`Poc2ProdError` as one line on stderr and exit with its code.

    SIGTERM is turned into an exception for the whole command, so that it unwinds as
    Ctrl-C does (temporary folders removed, a project restored); the exit code is then
    143 (128 + SIGTERM), 130 for Ctrl-C, as a shell reports them.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from poc2prod.interruption import sigterm_raises

        try:
            with sigterm_raises():
                return func(*args, **kwargs)
        except Poc2ProdError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            typer.echo(f"error: {_interrupted(exc)}; nothing was changed", err=True)
            raise typer.Exit(_interrupted_code(exc)) from None

    return wrapper  # type: ignore[return-value]


#: Whether a command said it was interrupted; :func:`main` says it when none did.
_interruption_reported = False


def _interrupted(exc: KeyboardInterrupt) -> str:
    from poc2prod.interruption import Terminated

    global _interruption_reported
    _interruption_reported = True
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"


def _interrupted_code(exc: KeyboardInterrupt) -> int:
    from poc2prod.interruption import Terminated

    return 143 if isinstance(exc, Terminated) else 130


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"poc2prod {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Create ML projects from proof of concept to production, and keep them current."""


@app.command()
@user_errors
def new(
    dest: Annotated[Path, typer.Argument(help="Folder to create the project in (new or empty).")],
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use the default of every question not answered.")
    ] = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    git: Annotated[bool, typer.Option("--git/--no-git", help="Make DEST a git repository with a first commit.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not list the files written.")] = False,
) -> None:
    """Render a new ML project into DEST from the poc2prod template."""
    from poc2prod.answers import load_data_file, parse_data_pairs
    from poc2prod.project import check_destination, check_outside_template, create_project, next_steps
    from poc2prod.template import resolve_source

    check_destination(dest.expanduser().absolute())
    answers = load_data_file(data_file) if data_file is not None else {}
    answers.update(parse_data_pairs(data or []))
    source = resolve_source(template, vcs_ref)
    check_outside_template(dest, source)
    version = create_project(dest, source, answers, defaults=defaults, git=git, quiet=quiet)
    typer.echo(f"Created {dest} from {source.location} at {version or 'HEAD'}.")
    for line in next_steps(dest.expanduser().absolute(), str(dest)):
        typer.echo(line)


@app.command()
@user_errors
def adopt(
    path: Annotated[Path, typer.Argument(help="Folder of the git repository to bring under the template.")],
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Take inferred answers and defaults as they are; ask nothing.")
    ] = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the answers and the files it would add and keep; write nothing.")
    ] = False,
    commit: Annotated[
        bool, typer.Option("--commit/--no-commit", help="Commit the files added (default), or only stage them.")
    ] = True,
) -> None:
    """Bring an existing repository under the template, so that update and check work on it.

    Answers are inferred where the repository states them (pyproject.toml, the package
    folder, LICENSE, CI files, imports), or given with --data. Files the template has and
    the repository lacks are added; files both have are kept as they are and listed as
    diverged; .copier-answers.yml records the template version, and it is all committed.

    Exit code:
    0 adopted (or dry run);
    1 writing or committing failed, and the repository was restored as it was;
    2 refused (not a git repository, uncommitted changes, already a project, bad answer).
    """
    from poc2prod.adopt import adopt_project, lint_summary
    from poc2prod.answers import load_data_file, parse_data_pairs
    from poc2prod.report import print_adoption
    from poc2prod.template import resolve_source

    from_file = load_data_file(data_file) if data_file is not None else {}
    from_pairs = parse_data_pairs(data or [])
    given_from = {key: "--data-file" for key in from_file} | {key: "--data" for key in from_pairs}
    source = resolve_source(template, vcs_ref)
    adoption = adopt_project(
        path,
        source,
        {**from_file, **from_pairs},
        given_from=given_from,
        defaults=defaults,
        dry_run=dry_run,
        commit=commit,
    )
    print_adoption(adoption, str(path))
    if not dry_run:
        lint_summary(path)


class ConflictStyle(str, Enum):
    """How an update leaves a change it could not merge."""

    inline = "inline"
    rej = "rej"


def _default_jobs() -> int:
    return min(4, os.cpu_count() or 1)


@app.command()
@user_errors
def update(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Project folders to update (default: the current folder).")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Template version (tag, branch or commit) to update to (default: newest tag)."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option("--template", help="Template path or URL, replacing the one a project records (it moved)."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Set or change an answer: key=value (repeatable), e.g. ci=gitlab."),
    ] = None,
    conflict: Annotated[
        ConflictStyle,
        typer.Option("--conflict", help="Leave unmergeable changes as markers in the file, or as .rej files."),
    ] = ConflictStyle.inline,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff the update would apply; change nothing.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Projects updated in parallel (default: min(4, CPUs)).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")] = False,
) -> None:
    """Update projects to a newer template version, keeping every local edit.

    Exit code:
    0 all updated or up to date;
    1 conflicts to resolve, or an update failed (that project was left as it was);
    2 a project was refused (not git, uncommitted changes, no answers file, ...).
    """
    from poc2prod.answers import parse_data_pairs
    from poc2prod.fleet import distinct_projects, update_projects
    from poc2prod.update import UpdateOptions, exit_code

    targets, repeats = distinct_projects(paths or [Path()])
    for repeat, first in repeats:
        typer.echo(f"note: {repeat} is the project {first} named again: it is updated once", err=True)
    options = UpdateOptions(
        to=to,
        template=template,
        data=parse_data_pairs(data or []),
        conflict="rej" if conflict is ConflictStyle.rej else "inline",
        dry_run=dry_run,
    )
    try:
        with _progress(len(targets), "Updating") as advance:
            results = update_projects(targets, options, jobs=jobs or _default_jobs(), on_result=advance)
    except KeyboardInterrupt as exc:
        typer.echo(
            f"error: {_interrupted(exc)}: projects already updated keep their update (review with git diff); "
            "the one being updated was restored as it was",
            err=True,
        )
        raise typer.Exit(_interrupted_code(exc)) from None
    code = exit_code(results)
    if json_output:
        typer.echo(
            json.dumps({"dry_run": dry_run, "exit_code": code, "projects": [r.to_json() for r in results]}, indent=2)
        )
    else:
        from poc2prod.report import print_update_results

        print_update_results(results, dry_run=dry_run)
    raise typer.Exit(code)


@app.command()
@user_errors
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Project folders to check (default: the current folder).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")] = False,
    template: Annotated[
        str | None,
        typer.Option("--template", help="Template source to compare with, instead of the one in the answers file."),
    ] = None,
) -> None:
    """Show each project's template version against the newest, and unresolved update conflicts.

    Exit code (for CI):
    0 all current;
    1 a project is behind, or has unresolved update conflicts;
    2 a project could not be checked.
    """
    from poc2prod.check import check_projects, exit_code

    results = check_projects(paths or [Path()], template=template)
    code = exit_code(results)
    if json_output:
        typer.echo(json.dumps({"exit_code": code, "projects": [r.to_json() for r in results]}, indent=2))
    else:
        from poc2prod.report import print_checks

        print_checks(results)
    raise typer.Exit(code)


@app.command()
@user_errors
def versions(
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="Template path or URL (default: the template of the project in --project, else the bundled one).",
        ),
    ] = None,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            help="Project whose template to list, marking its version (default: the current folder, if it is one).",
        ),
    ] = None,
    prereleases: Annotated[bool, typer.Option("--prereleases", help="Also list pre-release versions.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the versions as JSON on stdout.")] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only the versions newer than this one (e.g. a project's current v0.1.0)."),
    ] = None,
) -> None:
    """List the template versions available, newest first, and what changed in each.

    Run inside a project (or with --project), it lists the versions of that project's
    template and marks the one the project is at.
    """
    from poc2prod.answers import ANSWERS_FILE, read_answers
    from poc2prod.errors import BadInputError
    from poc2prod.template import resolve_source
    from poc2prod.versions import list_tags, parse_version, release_tags, template_versions, version_base

    oldest = None
    if since is not None:
        oldest = parse_version(since)
        if oldest is None:
            raise BadInputError(f"--since {since!r} is not a version: give a tag such as v0.1.0")
    current: str | None = None
    folder = project if project is not None else Path()
    if project is not None or (folder / ANSWERS_FILE).is_file():
        recorded = read_answers(folder.expanduser().absolute())
        current = recorded.commit
        if template is None:
            template = recorded.source_location(folder.expanduser().absolute())
    source = resolve_source(template)
    if since is not None:
        known = release_tags(list_tags(source.location), prereleases=True)
        base = parse_version(version_base(since))
        if not any(parse_version(tag) == base for tag in known):
            listed = ", ".join(reversed(known)) or "none (the template has no version tags)"
            raise BadInputError(f"--since {since!r} is no version of {source.location}: its versions are {listed}")
    found = template_versions(source.location, prereleases=prereleases)
    if oldest is not None:
        found = [item for item in found if item.version > oldest]
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "template": source.location,
                    "current": current,
                    "versions": [{"tag": v.tag, "changes": v.changes} for v in found],
                },
                indent=2,
            )
        )
        return
    if not found:
        if since is not None:
            typer.echo(f"{source.location} has no version newer than {since}.")
        else:
            typer.echo(f"{source.location} has no version tags (v0.1.0, …) yet.")
        return
    for index, item in enumerate(found):
        marks = [mark for mark, on in (("newest", index == 0), ("this project", item.tag == current)) if on]
        typer.echo(f"{item.tag}{'  (' + ', '.join(marks) + ')' if marks else ''}")
        typer.echo(_indent(item.changes or "(no CHANGELOG.md entry)"))
        typer.echo("")


class LintFormat(str, Enum):
    """How ``lint`` prints its results."""

    table = "table"
    json = "json"
    github = "github"


@app.command()
@user_errors
def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Repositories to check (default: the current folder).")
    ] = None,
    output_format: Annotated[
        LintFormat,
        typer.Option("--format", help="table, json, or github (workflow annotations on the failing files)."),
    ] = LintFormat.table,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these checks: an ID (P2P101) or a family (structure); repeatable."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these checks: an ID or a family; repeatable, comma-separated too."),
    ] = None,
    all_families: Annotated[
        bool,
        typer.Option("--all-families", help="Also run the checks of other repo-review plugins (sp-repo-review)."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Repositories checked in parallel (default: min(4, CPUs))."),
    ] = None,
) -> None:
    """Check that repositories follow the standard poc2prod layout (never changes a file).

    Each check has an ID (P2P101...), a family and a docs page that tells the fix; checks
    that cannot apply (no API, no Dockerfile, no notebooks) are "n/a". The linted
    repository's pyproject.toml can set [tool.poc2prod.lint] select, ignore and
    max-file-size-kb. repo-review PATH runs the same checks beside sp-repo-review's.

    Exit code:
    0 every selected check passed (or does not apply);
    1 a check failed;
    2 bad usage (not a folder, an unknown check or family).
    """
    from poc2prod.lint.engine import LintOptions, exit_code, lint_repositories

    def split(values: list[str] | None) -> tuple[str, ...]:
        return tuple(item.strip() for value in values or [] for item in value.split(",") if item.strip())

    options = LintOptions(select=split(select), ignore=split(ignore), all_families=all_families)
    targets = paths or [Path()]
    with _progress(len(targets), "Linting", lambda report: f"{report.path}: {len(report.failed)} failed") as advance:
        reports = lint_repositories(targets, options, jobs=jobs or _default_jobs(), on_result=advance)
    if output_format is LintFormat.json:
        from poc2prod.lint.output import print_json

        print_json(reports)
    elif output_format is LintFormat.github:
        from poc2prod.lint.output import print_github

        print_github(reports)
    else:
        from poc2prod.lint.output import print_table

        print_table(reports)
    raise typer.Exit(exit_code(reports))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


@contextlib.contextmanager
def _progress(
    total: int, verb: str, describe: Callable[[Any], str] = lambda result: f"{result.project}: {result.status.value}"
) -> Iterator[Callable[[Any], None]]:
    """Show progress on stderr while projects are processed: a live bar on a terminal, else nothing.

    ``describe`` gives the line printed for each finished project. A single project shows
    none: its one-line outcome follows at once.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if total < 2 or not console.is_terminal:
        yield lambda _result: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{verb} {total} projects", total=total)

        def advance(result: Any) -> None:
            progress.console.print(describe(result), markup=False, highlight=False)
            progress.advance(task)

        yield advance


def main() -> None:
    """Run the command line (the console script starts at :func:`poc2prod.__main__.main`).

    Typer turns a Ctrl-C outside a command (while it parses the command line) into a
    silent exit 130: say it in one line, as a command does.
    """
    try:
        app()
    except SystemExit as exc:
        if exc.code == 130 and not _interruption_reported:
            typer.echo("error: interrupted", err=True)
        raise
