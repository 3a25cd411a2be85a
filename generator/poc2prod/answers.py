"""The answers file of a rendered project: which template, at which version, with which answers.

Copier writes ``.copier-answers.yml`` at every copy and update. Its ``_src_path`` and
``_commit`` keys are all an update needs to find the template again, so poc2prod reads
them here and refuses, before anything is touched, a file that is missing or unusable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poc2prod.errors import ProjectError
from poc2prod.project import ANSWERS_FILE
from poc2prod.template import is_url, resolve_source


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
    import yaml

    path = project / ANSWERS_FILE
    if not path.is_file():
        raise ProjectError(
            f"{project}: no {ANSWERS_FILE}, so its template and version are unknown: "
            f"restore the file from git history (git log -- {ANSWERS_FILE}), or create the project with poc2prod new"
        )
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProjectError(
            f"{project}: {ANSWERS_FILE} is not valid YAML{where}: "
            f"restore it from git history (git checkout HEAD -- {ANSWERS_FILE})"
        ) from None
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
