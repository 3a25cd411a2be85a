"""A new project: rendering the template into a new folder and making its first commit.

Creation is all-or-nothing: the project is rendered (and committed to git) in a hidden
temporary folder beside the destination and moved into place only when everything
succeeded, so a bad answer or a broken template never leaves half a project behind.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from poc2prod import engine
from poc2prod.answers import answers_file_content
from poc2prod.errors import DestinationError, Poc2ProdError, ToolMissingError, last_line
from poc2prod.template import TemplateSource, is_url
from poc2prod.vcs import commit_env


def check_destination(dest: Path) -> None:
    """Refuse a destination that exists and is not an empty folder.

    Raises
    ------
    DestinationError
        ``dest`` is a file, or a folder with anything in it.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        kind = "a folder that is not empty" if dest.is_dir() else "a file"
        raise DestinationError(f"destination {str(dest)!r} is {kind}: choose a new or empty folder")


def check_outside_template(dest: Path, source: TemplateSource) -> None:
    """Refuse a destination inside the folder a local template renders from.

    That folder is the ``_subdirectory`` of ``copier.yml`` (poc2prod's ``template/``), or
    the whole source without one: a project rendered there would become part of the
    template, copied into every new project. Elsewhere in a template's checkout (the
    git-ignored ``demo/`` of README.md) a project is only a neighbour.

    Raises
    ------
    DestinationError
        ``dest`` is the template's folder or inside it.
    """
    if is_url(source.location):
        return
    template = Path(source.location).expanduser().resolve()
    template /= _subdirectory(template)
    target = dest.expanduser().resolve()
    if target == template or template in target.parents:
        raise DestinationError(
            f"destination {str(dest)!r} is inside {template}, the folder the template renders from: "
            "a project rendered there would become part of the template; choose a folder outside it"
        )


def create_project(
    dest: Path,
    source: TemplateSource,
    answers: dict[str, Any],
    *,
    defaults: bool,
    git: bool,
    quiet: bool = False,
) -> str:
    """Render the template into ``dest`` and, with ``git``, commit it as a first commit.

    Parameters
    ----------
    dest : Path
        New or empty folder to create the project in.
    source : TemplateSource
        Template location and git ref.
    answers : dict
        Answers to questions (keys as in copier.yml); others are asked unless ``defaults``.
    defaults : bool
        Use each unanswered question's default instead of asking.
    git : bool
        Make ``dest`` a git repository with one commit of the rendered files.
    quiet : bool
        Silence Copier's per-file output.

    Returns
    -------
    str
        Template version (git describe of the template commit) recorded in the answers file.

    Raises
    ------
    DestinationError, BadInputError, TemplateSourceError, ToolMissingError
        Nothing is written in any of these cases. A destination inside the template
        source is a :class:`DestinationError`.
    """
    dest = dest.expanduser().absolute()
    check_destination(dest)
    check_outside_template(dest, source)
    if git and shutil.which("git") is None:
        raise ToolMissingError("git is not installed: install git, or pass --no-git")
    created_parent = _first_missing_ancestor(dest.parent)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".poc2prod-new", dir=dest.parent))
    except OSError as exc:
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise DestinationError(
            f"destination {str(dest)!r} cannot be created ({exc.strerror or exc.__class__.__name__}): "
            "choose a folder you can write to"
        ) from None
    try:
        rendered = staging / dest.name
        version = engine.create(rendered, source, answers, defaults=defaults, quiet=quiet)
        if git:
            _first_commit(rendered, version)
        if dest.exists():
            dest.rmdir()  # empty, checked above
        rendered.replace(dest)
    except BaseException:
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return version


#: The model families that need an optional dependency of the rendered project (its extra).
EXTRA_OF_MODEL_FAMILY = {"lightgbm": "lightgbm", "xgboost": "xgboost"}


def next_steps(project: Path, shown_as: str) -> list[str]:
    """Return the lines that tell a new user what to run in ``project``, literally.

    A virtual environment first (Debian and Ubuntu have no bare ``python`` and refuse
    ``pip install`` outside one); the Makefile finds it in ``.venv``. Without make, the
    same install command as ``make install``, with the extra the model family needs.

    Parameters
    ----------
    project : Path
        The rendered project.
    shown_as : str
        The folder as the user named it, for ``cd``.
    """
    import shlex

    answers = _recorded_answers(project)
    family = answers.get("model_family")
    extra = EXTRA_OF_MODEL_FAMILY.get(family) if isinstance(family, str) else None
    target = f'".[{extra}]"' if extra else "."  # as the Makefile writes it
    venv = f"cd {shlex.quote(shown_as)} && python3 -m venv .venv"
    pip = ".venv/bin/python -m pip install"
    data = answers.get("data_path")
    # A data file named at render time cannot be in the new project yet (Copier's message
    # after copy says so, but not under --quiet): it is a step of its own, before training.
    make_all = (
        f"copy or link your table to {data} (data/ is git-ignored), then make all"
        if isinstance(data, str) and data and not (project / data).exists()
        else "make all"
    )
    return [
        f"Next: {venv} && make install && {make_all}",
        f'Without make: {venv} && {pip} --upgrade "pip>=25.1" && {pip} --group dev -e {target}, '
        "then the Commands table in README.md",
    ]


def _first_missing_ancestor(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing = path
        path = path.parent
    return missing


def _first_commit(project: Path, version: str) -> None:
    answers = _recorded_answers(project)
    env = commit_env(
        project, str(answers.get("author_name", "poc2prod")), str(answers.get("author_email", "poc2prod@localhost"))
    )
    message = f"Render project from the poc2prod template {version}".rstrip()
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", message]):
        done = subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ToolMissingError(f"git {args[0]} failed ({last_line(done.stderr)}): fix git, or pass --no-git")


def _recorded_answers(project: Path) -> dict[str, Any]:
    try:
        content = answers_file_content(project)
    except Poc2ProdError:
        return {}
    return content if isinstance(content, dict) else {}


def _subdirectory(source: Path) -> str:
    """Return the ``_subdirectory`` that ``copier.yml`` (or ``copier.yaml``) of ``source`` renders, or ``""``."""
    import yaml

    for name in ("copier.yml", "copier.yaml"):
        try:
            config = yaml.safe_load((source / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(config, dict) and isinstance(config.get("_subdirectory"), str):
            return str(config["_subdirectory"]).strip("/")
        return ""
    return ""
