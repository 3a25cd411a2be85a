"""Answers: those the user gives (``--data``, ``--data-file``), and those a project records.

Copier writes ``.copier-answers.yml`` at every copy and update. Its ``_src_path`` and
``_commit`` keys are all an update needs to find the template again, so poc2prod reads
them here and refuses, before anything is touched, a file that is missing or unusable.
This module is the one reader of that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poc2prod.errors import BadInputError, ProjectError
from poc2prod.template import is_url, resolve_source

#: Name of the answers file Copier writes (``_answers_file`` in copier.yml).
ANSWERS_FILE = ".copier-answers.yml"
#: Text a yes/no question accepts (YAML 1.1's booleans, any case). Copier reads any other
#: non-empty text, a typo such as ``flase`` included, as true.
_BOOLEAN_TEXT = {"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"}


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


def check_answers(answers: dict[str, Any], questions: dict[str, Any]) -> None:
    """Refuse answers to questions the template does not ask, and yes/no answers that are neither.

    Copier ignores an answer to a question it does not ask, and reads any non-empty text,
    a typo such as ``flase`` included, as true; neither may pass silently.

    Raises
    ------
    BadInputError
        Names the unknown questions and the known ones, or the question and the accepted values.
    """
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        known = ", ".join(sorted(questions))
        raise BadInputError(
            f"unknown question(s) {', '.join(unknown)} in --data/--data-file: known questions are {known}"
        )
    for name, value in answers.items():
        question = questions.get(name)
        if not isinstance(question, dict) or question.get("type") != "bool" or isinstance(value, bool):
            continue
        if str(value).strip().lower() not in _BOOLEAN_TEXT:
            raise BadInputError(f"{name}={value!s} is not a yes/no answer: use {name}=true or {name}=false")


def record_version(project: Path, version: str) -> None:
    """Make the answers file in ``project`` record ``version`` as ``_commit``, changing no other line.

    Copier writes ``_commit`` itself; poc2prod corrects it where Copier took a tag that is
    not a version (see :func:`poc2prod.engine.create`). Nothing is done when the file is
    missing (a template without one) or already records ``version``.
    """
    import re

    import yaml

    path = project / ANSWERS_FILE
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    content = yaml.safe_load(text)
    if not isinstance(content, dict) or content.get("_commit") == version:
        return
    line = yaml.safe_dump({"_commit": version}, default_flow_style=False, allow_unicode=True).strip()
    text, count = re.subn(r"^_commit:.*$", lambda _: line, text, count=1, flags=re.MULTILINE)
    if count != 1 or yaml.safe_load(text).get("_commit") != version:
        text = yaml.safe_dump({**content, "_commit": version}, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class RecordedAnswers:
    """What a project's answers file records.

    Attributes
    ----------
    src_path : str
        Template source exactly as recorded (``_src_path``).
    commit : str
        Template version the project was last rendered or updated from (``_commit``):
        a tag such as ``v0.1.0``, or ``git describe`` output between tags.
    answers : dict
        Answers to the questions (keys not starting with ``_``).
    """

    src_path: str
    commit: str
    answers: dict[str, Any] = field(default_factory=dict)

    def source_location(self, project: Path, override: str | None = None) -> str:
        """Return the template source as an absolute path or a URL.

        A relative ``_src_path`` (from ``copier copy ../template``) is resolved against the
        project folder, so that it works from any working directory. ``override`` (the
        ``--template`` of ``update`` and ``check``, for a template that moved) replaces the
        recorded source, resolved as a template given to ``new``.

        Raises
        ------
        TemplateSourceError
            ``override`` is a local path that does not exist or holds no ``copier.yml``.
        """
        if override:
            return resolve_source(override).location
        if is_url(self.src_path):
            return self.src_path
        path = Path(self.src_path).expanduser()
        return str(path if path.is_absolute() else (project / path).resolve())


def project_folder(path: Path) -> Path:
    """Return ``path`` made absolute (``~`` expanded), the folder of a project.

    Raises
    ------
    ProjectError
        ``path`` does not exist, or is a file.
    """
    project = path.expanduser().absolute()
    if project.is_dir():
        return project
    problem = "is a file, not a folder" if project.exists() else "no such folder"
    raise ProjectError(f"{path}: {problem}: give the folder of a project created by poc2prod new")


def read_answers(project: Path) -> RecordedAnswers:
    """Read and validate the answers file of the project in ``project``.

    Raises
    ------
    ProjectError
        The file is missing, is not a YAML mapping, or lacks ``_src_path`` or ``_commit``.
    """
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise ProjectError(
            f"{project}: no {ANSWERS_FILE}, so its template and version are unknown: "
            f"restore the file from git history (git log -- {ANSWERS_FILE}), or create the project with poc2prod new"
        )
    content = answers_file_content(project)
    if not isinstance(content, dict):
        raise ProjectError(
            f"{project}: {ANSWERS_FILE} must be a mapping of question: answer, not a {type(content).__name__}: "
            f"restore it from git history (git log -- {ANSWERS_FILE})"
        )
    missing = [key for key in ("_src_path", "_commit") if not isinstance(content.get(key), str) or not content[key]]
    if missing:
        raise ProjectError(
            f"{project}: {ANSWERS_FILE} does not record {' and '.join(missing)}: "
            f"restore it from git history (git log -- {ANSWERS_FILE})"
        )
    answers = {str(key): value for key, value in content.items() if not str(key).startswith("_")}
    return RecordedAnswers(src_path=content["_src_path"], commit=content["_commit"], answers=answers)


def answers_file_content(project: Path) -> Any:
    """Return the parsed YAML of the project's answers file as it stands (``None`` when there is none).

    Raises
    ------
    ProjectError
        The file cannot be read or is not valid YAML.
    """
    import yaml

    path = project / ANSWERS_FILE
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProjectError(
            f"{project}: {ANSWERS_FILE} is not valid YAML{where}: "
            f"restore it from git history (git checkout HEAD -- {ANSWERS_FILE})"
        ) from None
