"""A rendered project: creating one from the template, and the answers it records.

Creation is all-or-nothing: the project is rendered (and committed to git) in a hidden
temporary folder beside the destination and moved into place only when everything
succeeded, so a bad answer or a broken template never leaves half a project behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from poc2prod.errors import BadInputError, DestinationError, Poc2ProdError, TemplateSourceError, ToolMissingError
from poc2prod.template import TemplateSource

#: Name of the answers file Copier writes (``_answers_file`` in copier.yml).
ANSWERS_FILE = ".copier-answers.yml"


def parse_data_pairs(pairs: list[str]) -> dict[str, str]:
    """Parse repeated ``--data key=value`` options into a mapping.

    Raises
    ------
    BadInputError
        A pair without ``=`` or with an empty key.
    """
    answers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInputError(f"--data {pair!r} is not of the form key=value, e.g. --data problem_type=multiclass")
        answers[key.strip()] = value
    return answers


def load_data_file(path: Path) -> dict[str, Any]:
    """Read answers from a YAML file (``--data-file``): a mapping of question to answer.

    Raises
    ------
    BadInputError
        The file is missing, unreadable, not YAML, or not a mapping.
    """
    import yaml

    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"--data-file {str(path)!r} does not exist: give the path of a YAML answers file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(
            f"--data-file {str(path)!r} cannot be read ({exc.__class__.__name__}): check the file"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BadInputError(f"--data-file {str(path)!r} is not valid YAML{where}: fix the syntax") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise BadInputError(
            f"--data-file {str(path)!r} must hold a mapping of question: answer, not a {type(content).__name__}"
        )
    # Copier's own keys (_src_path, _commit) are not answers: an answers file from another
    # project can be reused as a data file.
    answers = {str(key): value for key, value in content.items() if not str(key).startswith("_")}
    empty = sorted(key for key, value in answers.items() if value is None)
    if empty:
        raise BadInputError(
            f"--data-file {str(path)!r} gives no value for {', '.join(empty)}: "
            "write a value (quote it, e.g. python_version: '3.11') or remove the line"
        )
    return answers


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
        Nothing is written in any of these cases.
    """
    dest = dest.expanduser().absolute()
    check_destination(dest)
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
        version = _render(rendered, source, answers, defaults=defaults, quiet=quiet)
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


def _first_missing_ancestor(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing = path
        path = path.parent
    return missing


#: Text a yes/no question accepts (YAML 1.1's booleans, any case). Copier reads any other
#: non-empty text, a typo such as ``flase`` included, as true.
_BOOLEAN_TEXT = {"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"}


def _check_booleans(answers: dict[str, Any], questions: dict[str, Any]) -> None:
    """Refuse a text answer to a ``type: bool`` question that is not a yes or a no.

    Raises
    ------
    BadInputError
        Names the question and the accepted values.
    """
    for name, value in answers.items():
        question = questions.get(name)
        if not isinstance(question, dict) or question.get("type") != "bool" or isinstance(value, bool):
            continue
        if str(value).strip().lower() not in _BOOLEAN_TEXT:
            raise BadInputError(f"{name}={value!s} is not a yes/no answer: use {name}=true or {name}=false")


def _render(dest: Path, source: TemplateSource, answers: dict[str, Any], *, defaults: bool, quiet: bool) -> str:
    import warnings

    with warnings.catch_warnings():
        # Worker is Copier's documented engine class; 9.19 warns on importing it from the
        # top-level package. The range pinned in pyproject.toml keeps it available.
        warnings.simplefilter("ignore", DeprecationWarning)
        from copier import Worker
    from copier.errors import CopierAnswersInterrupt, CopierError, UserMessageError
    from plumbum import ProcessExecutionError

    try:
        with Worker(
            src_path=source.location,
            dst_path=dest,
            data=answers,
            vcs_ref=source.vcs_ref,
            defaults=defaults,
            quiet=quiet,
            overwrite=True,
        ) as worker:
            unknown = sorted(set(answers) - set(worker.template.questions_data))
            if unknown:
                known = ", ".join(sorted(worker.template.questions_data))
                raise BadInputError(
                    f"unknown question(s) {', '.join(unknown)} in --data/--data-file: known questions are {known}"
                )
            _check_booleans(answers, worker.template.questions_data)
            if not defaults and not sys.stdin.isatty():
                raise BadInputError("no terminal to ask the questions on: pass --defaults (and --data key=value)")
            worker.run_copy()
            return str(worker.template.commit or worker.template.version or "")
    except Poc2ProdError:
        raise
    except CopierAnswersInterrupt:
        raise BadInputError("cancelled while answering the questions: nothing was written") from None
    except ProcessExecutionError as exc:
        raise TemplateSourceError(
            f"template source {source.location!r}{' at ' + source.vcs_ref if source.vcs_ref else ''} "
            f"cannot be read by git ({_last_line(exc.stderr)}): check --template and --vcs-ref"
        ) from None
    except (ValueError, UserMessageError, CopierError) as exc:
        message = _last_line(str(exc))
        if message.startswith("Unknown revision"):
            raise TemplateSourceError(
                f"template source {source.location!r} has no ref {source.vcs_ref!r}: "
                "pass an existing tag, branch or commit with --vcs-ref"
            ) from None
        message = message.removeprefix("Validation error for question ")
        raise BadInputError(f"invalid answer: {message}") from None


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


def _first_commit(project: Path, version: str) -> None:
    env = dict(os.environ)
    has_identity = subprocess.run(["git", "config", "user.email"], cwd=project, capture_output=True).returncode == 0
    if not has_identity:
        # Machines without a git identity (CI, containers) commit as the project's author,
        # so the first commit never fails for lack of one.
        answers = _read_answers(project)
        for role in ("AUTHOR", "COMMITTER"):
            env.setdefault(f"GIT_{role}_NAME", str(answers.get("author_name", "poc2prod")))
            env.setdefault(f"GIT_{role}_EMAIL", str(answers.get("author_email", "poc2prod@localhost")))
    message = f"Render project from the poc2prod template {version}".rstrip()
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", message]):
        done = subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ToolMissingError(f"git {args[0]} failed ({_last_line(done.stderr)}): fix git, or pass --no-git")


def _read_answers(project: Path) -> dict[str, Any]:
    import yaml

    path = project / ANSWERS_FILE
    if not path.is_file():
        return {}
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return content if isinstance(content, dict) else {}
