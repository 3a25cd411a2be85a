"""Adopting a repository that poc2prod did not render: bringing it under the template.

What ``cruft link`` does for cookiecutter, with Copier's three-way merge behind it. The
template is rendered, at the version chosen, with answers inferred from the repository
(:mod:`poc2prod.inference`) or given, into a temporary folder; then only what the
repository lacks is copied in:

- files the template has and the repository lacks are added;
- files both have are kept exactly as they are, and listed as diverged from the template
  when their content differs;
- template files that the repository's ``.gitignore`` ignores are not added (they would
  never be committed);
- ``.copier-answers.yml`` records the template source and the version compared with, so
  the next ``poc2prod update`` merges from that version: Copier renders it again, finds
  the repository's own content as the team's changes, and merges the template's later
  changes into them.

The files are committed (``Adopt the poc2prod template vX``), so the tree is clean and
``update`` works at once; with ``commit=False`` they are staged only. Writing is all or
nothing: nothing touches the repository until the whole template rendered, and a
failure while writing or committing (a commit hook, a full disk, Ctrl-C) puts the
repository back as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poc2prod import engine
from poc2prod.answers import ANSWERS_FILE, answers_file_content
from poc2prod.copy_back import copy_into
from poc2prod.errors import AdoptFailedError, BadInputError, Poc2ProdError, ProjectError, TemplateSourceError, last_line
from poc2prod.inference import Inference, infer_answers
from poc2prod.template import TemplateSource
from poc2prod.vcs import (
    commit_env,
    git,
    git_bytes,
    git_paths,
    head_commit,
    repository_top,
    uncommitted_paths,
)

_INVALID = re.compile(r"^invalid answer: (?:Invalid choice for )?'(?P<question>[^']+)'")


@dataclass(frozen=True)
class Answer:
    """One answer the adoption recorded, and where it came from.

    Attributes
    ----------
    question, value : str
        The question and its answer, as the answers file records them.
    origin : str
        ``inferred``, ``given``, ``default`` or ``asked`` (answered on the terminal).
    source : str
        For an inferred answer, where it was read; for a given one, ``--data`` or
        ``--data-file``; else empty.
    """

    question: str
    value: str
    origin: str
    source: str = ""


@dataclass
class Adoption:
    """What adopting a repository did, or would do (dry run).

    Attributes
    ----------
    project : Path
        The repository's folder (absolute).
    source : str
        The template source recorded.
    version : str
        The template version recorded (``_commit``): the one the next update merges from.
    answers : list of Answer
        Every answer recorded, in the template's order.
    notes : list of str
        What the repository hints at but does not state (see :mod:`poc2prod.inference`).
    added : list of str
        Files added (the template has them, the repository lacked them), the answers file included.
    diverged : list of str
        Files both have, with different content: kept as the repository has them.
    same : list of str
        Files both have with the same content.
    ignored : list of str
        Template files the repository's ``.gitignore`` ignores: not added.
    commit : str or None
        The commit made (abbreviated id), ``None`` for a dry run or with ``commit=False``.
    dry_run : bool
        Nothing was written.
    """

    project: Path
    source: str
    version: str
    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    commit: str | None = None
    dry_run: bool = False

    @property
    def message(self) -> str:
        """The commit message of the adoption."""
        return f"Adopt the poc2prod template {self.version}"


@dataclass(frozen=True)
class _Repository:
    path: Path  # absolute
    top: Path
    subdir: str
    head: str

    def top_path(self, relative: str) -> str:
        """Turn a path relative to the project into one relative to ``top``."""
        return f"{self.subdir}/{relative}" if self.subdir else relative


def adopt_project(
    path: Path,
    source: TemplateSource,
    given: dict[str, Any],
    *,
    given_from: dict[str, str] | None = None,
    defaults: bool,
    dry_run: bool = False,
    commit: bool = True,
) -> Adoption:
    """Bring the repository in ``path`` under the template, never overwriting a file it has.

    Parameters
    ----------
    path : Path
        Folder of the repository: the top of a git work tree, or a folder inside one.
    source : TemplateSource
        Template location and version (``--template``, ``--vcs-ref``).
    given : dict
        Answers the user gave; they win over inferred ones.
    given_from : dict, optional
        Where each given answer came from (``--data``, ``--data-file``), for the report.
    defaults : bool
        Take inferred answers and defaults as they are, rather than asking on the terminal.
    dry_run : bool
        Render and compare, and write nothing at all.
    commit : bool
        Commit what was added; else stage it only.

    Returns
    -------
    Adoption
        The answers recorded and the files added, diverged, same and ignored.

    Raises
    ------
    ProjectError
        The folder does not exist, is already a Copier project, is not in a git work tree,
        has no commit, or has uncommitted changes. Nothing was written.
    BadInputError, TemplateSourceError
        A bad answer (given or inferred), or a template that cannot be read or is not a
        git repository. Nothing was written.
    AdoptFailedError
        Writing or committing failed; the repository was restored as it was.
    """
    repository = _inspect(path)
    files = [
        name[len(repository.subdir) + 1 :] if repository.subdir else name
        for name in git_paths(
            "--no-optional-locks", "ls-files", "-z", "--", repository.subdir or ".", cwd=repository.top
        )
    ]
    inference = Inference()
    order: list[str] = []

    def suggest(questions: dict[str, Any]) -> dict[str, Any]:
        nonlocal inference
        order.extend(questions)
        inference = infer_answers(repository.path, files, questions)
        return inference.as_dict()

    with tempfile.TemporaryDirectory(prefix="poc2prod-adopt.") as tmp:
        render = Path(tmp) / "render"
        rendered = render / repository.subdir if repository.subdir else render
        try:
            engine.create(rendered, source, given, defaults=defaults, quiet=True, suggest=suggest)
        except BadInputError as exc:
            raise _named_inference(exc, inference, given) from None
        contradicted = sorted(set(inference.unoffered) - set(given))
        if defaults and contradicted:
            # A default would contradict what the repository states (an MIT LICENSE added
            # to a GPL project): the team chooses.
            question = contradicted[0]
            raise BadInputError(
                f"{question}: {inference.unoffered[question]}: give --data {question}=VALUE "
                "(one the template offers); nothing was written"
            )
        recorded = answers_file_content(rendered)
        if not isinstance(recorded, dict) or not recorded.get("_commit"):
            raise TemplateSourceError(
                f"template source {source.location!r} is not a git repository, so there is no version to record "
                "for poc2prod update to merge from: pass --template with the template's git repository"
            )
        adoption = Adoption(repository.path, str(recorded.get("_src_path", source.location)), str(recorded["_commit"]))
        adoption.dry_run = dry_run
        adoption.notes = list(inference.notes)
        adoption.answers = _answers(recorded, order, inference, given, given_from or {}, defaults=defaults)
        _compare(adoption, repository, rendered)
        if not dry_run:
            adoption.commit = _write(adoption, repository, render, commit=commit)
    return adoption


def _inspect(path: Path) -> _Repository:
    """Run the checks that come before anything is rendered or written."""
    project = path.expanduser().absolute()
    if not project.is_dir():
        problem = "is a file, not a folder" if project.exists() else "no such folder"
        raise ProjectError(f"{path}: {problem}: give the folder of the repository to adopt")
    if os.path.lexists(project / ANSWERS_FILE):
        raise ProjectError(
            f"{path}: already a Copier project (it has {ANSWERS_FILE}): "
            f"bring it to a newer template version with poc2prod update {path}"
        )
    top = repository_top(project)
    if top is None:
        raise ProjectError(
            f"{path}: not a git repository, and adopting commits the template's files so that updates can merge "
            "through git: run git init && git add -A && git commit -m 'Initial commit' first"
        )
    subdir = project.resolve().relative_to(top).as_posix()
    subdir = "" if subdir == "." else subdir
    try:
        head = head_commit(top)
    except ProjectError:
        raise ProjectError(
            f"{path}: the repository has no commit yet: commit your files first (git add -A && git commit -m 'Initial "
            "commit')"
        ) from None
    dirty = uncommitted_paths(top, subdir)
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise ProjectError(f"{path}: uncommitted changes ({shown}): commit or stash them (git stash -u), then adopt")
    return _Repository(project, top, subdir, head)


def _named_inference(exc: BadInputError, inference: Inference, given: dict[str, Any]) -> BadInputError:
    """Say where an inferred answer the template refused came from, and how to give another."""
    match = _INVALID.match(exc.message)
    question = match["question"] if match is not None else None
    where = inference.source_of(question) if question is not None and question not in given else None
    if question is None or where is None:
        return exc
    return BadInputError(f"{exc.message} (inferred from {where}): give another with --data {question}=VALUE")


def _answers(
    recorded: dict[str, Any],
    order: list[str],
    inference: Inference,
    given: dict[str, Any],
    given_from: dict[str, str],
    *,
    defaults: bool,
) -> list[Answer]:
    inferred = inference.as_dict()
    rows = []
    for question in [q for q in order if q in recorded] + sorted(set(recorded) - set(order)):
        if question.startswith("_"):
            continue
        value = str(recorded[question])
        if question in given:
            rows.append(Answer(question, value, "given", given_from.get(question, "--data")))
        elif question in inferred and str(inferred[question]) == value:
            rows.append(Answer(question, value, "inferred", inference.source_of(question) or ""))
        else:
            rows.append(Answer(question, value, "default" if defaults else "asked"))
    return rows


def _rendered_files(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if (path.is_file() or path.is_symlink()) and ".git" not in path.relative_to(root).parts
    )


def _compare(adoption: Adoption, repository: _Repository, rendered: Path) -> None:
    """Sort the template's files into added, diverged, same and ignored (reads only)."""
    missing = []
    for relative in _rendered_files(rendered):
        ours = repository.path / relative
        blocker = _existing_in_the_way(repository.path, relative)
        if blocker is None:
            missing.append(relative)
        elif blocker == ours and _same(rendered / relative, ours):
            adoption.same.append(relative)
        else:
            adoption.diverged.append(relative)
    candidates = [repository.top_path(relative) for relative in missing if relative != ANSWERS_FILE]
    ignored = set()
    if candidates:
        out = git_bytes(
            "--no-optional-locks",
            "check-ignore",
            "-z",
            "--stdin",
            cwd=repository.top,
            stdin="\0".join(candidates).encode() + b"\0",
            ok_codes=(0, 1),
        )
        ignored = {path for path in out.decode(errors="surrogateescape").split("\0") if path}
    for relative in missing:
        if repository.top_path(relative) in ignored:
            adoption.ignored.append(relative)
        else:
            adoption.added.append(relative)


def _existing_in_the_way(root: Path, relative: str) -> Path | None:
    """Return what the repository has at ``relative`` (the file, or a file where a folder must go), or ``None``."""
    path = root / relative
    if os.path.lexists(path):
        return path
    for parent in path.relative_to(root).parents:
        candidate = root / parent
        if parent != Path() and os.path.lexists(candidate) and not candidate.is_dir():
            return candidate
    return None


def _same(ours: Path, theirs: Path) -> bool:
    if ours.is_symlink() or theirs.is_symlink():
        return ours.is_symlink() and theirs.is_symlink() and ours.readlink() == theirs.readlink()
    return theirs.is_file() and ours.read_bytes() == theirs.read_bytes()


class _CommitRefusedError(Exception):
    """``git commit`` refused (a commit hook, most often); its last line of output says why."""


def _write(adoption: Adoption, repository: _Repository, render: Path, *, commit: bool) -> str | None:
    """Copy the added files in and commit them (or stage them), all or nothing; return the commit."""
    paths = [repository.top_path(relative) for relative in adoption.added]
    made: list[str] = []

    def stage_and_commit() -> None:
        # --force for the answers file, which updates need even where a .gitignore covers it;
        # every other path was checked against .gitignore already.
        git("add", "--force", "--", *paths, cwd=repository.top)
        if not commit:
            return
        answers = {answer.question: answer.value for answer in adoption.answers}
        env = commit_env(
            repository.top, answers.get("author_name", "poc2prod"), answers.get("author_email", "poc2prod@localhost")
        )
        # Only the adopted paths: in a monorepo, other folders may have staged work of their own.
        done = subprocess.run(
            ["git", "commit", "--quiet", "-m", adoption.message, "--", *paths],
            cwd=repository.top,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise _CommitRefusedError(last_line(done.stderr + "\n" + done.stdout))
        made.append(git("rev-parse", "--short", "HEAD", cwd=repository.top))

    try:
        copy_into(render, repository.top, repository.head, paths, tracked=set(), finish=stage_and_commit)
    except _CommitRefusedError as exc:
        raise AdoptFailedError(
            f"{repository.path}: git commit failed ({exc}); the repository was restored as it was: "
            "fix the cause (a commit hook?), or pass --no-commit and commit yourself"
        ) from None
    except Exception as exc:
        raise AdoptFailedError(
            f"{repository.path}: writing the template's files failed ({exc}); the repository was restored as it was"
        ) from None
    return made[0] if made else None


def lint_summary(path: Path) -> list[str]:
    """Print what ``poc2prod lint`` still finds in the adopted repository.

    Returns
    -------
    list[str]
        The IDs of the checks that fail (printed with their fix and docs URL).
    """
    import typer

    from poc2prod.lint.engine import LintOptions, lint_repository

    try:
        report = lint_repository(path, LintOptions())
    except Poc2ProdError as exc:  # e.g. the repository's [tool.poc2prod.lint] is invalid
        typer.echo(f"poc2prod lint could not run: {exc}")
        return []
    if report.error:
        typer.echo(f"poc2prod lint could not run: {report.error}")
        return []
    failed = report.failed
    if not failed:
        typer.echo(f"poc2prod lint: every check passes ({report.count('n/a')} not applicable).")
        return []
    typer.echo(f"poc2prod lint still finds {len(failed)} departure(s) from the standard layout:")
    for item in failed:
        typer.echo(f"  {item.id} {item.title}: {item.message.splitlines()[0] if item.message else ''} ({item.url})")
    typer.echo(f"Run `poc2prod lint {path}` for the full report.")
    return [item.id for item in failed]
