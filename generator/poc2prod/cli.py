"""The ``poc2prod`` command line.

Copier is imported inside the commands, never at module level: importing it costs about
half a second, which ``poc2prod --help`` must not pay.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
)

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Print a :class:`Poc2ProdError` as one line on stderr and exit with its code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Poc2ProdError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("error: interrupted; nothing was changed", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


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
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Answer a question: key=value (repeatable), e.g. problem_type=multiclass."),
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option("--data-file", help="YAML file of answers (question: answer); --data wins.")
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Template path or git URL (default: the bundled template).")
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option("--vcs-ref", help="Template git tag, branch or commit (default: newest tag).")
    ] = None,
    git: Annotated[bool, typer.Option("--git/--no-git", help="Make DEST a git repository with a first commit.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not list the files written.")] = False,
) -> None:
    """Render a new ML project into DEST from the poc2prod template."""
    from poc2prod.project import check_destination, create_project, load_data_file, parse_data_pairs
    from poc2prod.template import resolve_source

    check_destination(dest.expanduser().absolute())
    answers = load_data_file(data_file) if data_file is not None else {}
    answers.update(parse_data_pairs(data or []))
    source = resolve_source(template, vcs_ref)
    version = create_project(dest, source, answers, defaults=defaults, git=git, quiet=quiet)
    typer.echo(f"Created {dest} from {source.location} at {version or 'HEAD'}.")
    typer.echo(f"Next: cd {dest} && make install && make all   (or: python -m pip install -e '.[dev]')")


def main() -> None:
    """Console-script entry point."""
    app()
