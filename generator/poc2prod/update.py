"""Updating projects to a newer template version without losing a line of local work.

The merge itself is Copier's (``Worker.run_update``: render the old version, diff it
against the project to find the team's changes, render the new version, re-apply the
team's changes, mark what does not apply as a conflict). poc2prod wraps it so that:

- nothing is touched before every refusal check has passed (a git work tree, clean,
  with a readable answers file, a reachable template, answers for every new question);
- the update runs in a throwaway clone of the project, so a failed or aborted update
  leaves the project exactly as it was, and ``--dry-run`` is the same run, shown as a
  diff and thrown away;
- the result is checked before it is copied back: a file the team edited that the new
  version no longer renders (removed or renamed) is kept, where Copier deletes it; a
  file the team deleted stays deleted and is listed when the template changed it;
  conflicts are found from unmerged entries, conflict markers and ``.rej`` files,
  because Copier reports success either way;
- the copy back is journalled and undone if it is interrupted.

Copier runs with ``unsafe=True``: the template source a project records is trusted, as
its migrations must run for the update to be correct (see ``docs/updates.md``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from poc2prod import engine
from poc2prod.answers import ANSWERS_FILE, RecordedAnswers, project_folder, read_answers
from poc2prod.errors import (
    Poc2ProdError,
    ProjectError,
    TemplateSourceError,
    UpdateFailedError,
)
from poc2prod.vcs import (
    GitCommandError,
    git,
    git_bytes,
    git_paths,
    head_commit,
    repository_top,
    uncommitted_paths,
    unresolved_conflicts,
)
from poc2prod.versions import (
    commit_id,
    head_of,
    list_tags,
    parse_version,
    recorded_version,
    release_tags,
    require_known_version,
)


class UpdateStatus(str, Enum):
    """Outcome of updating one project."""

    UPDATED = "updated"
    UP_TO_DATE = "up to date"
    CONFLICTED = "conflicted"
    REFUSED = "refused"
    FAILED = "failed"

    @property
    def exit_code(self) -> int:
        """Exit code this outcome asks for: 0 done, 1 needs attention, 2 bad input."""
        return {"updated": 0, "up to date": 0, "conflicted": 1, "failed": 1, "refused": 2}[self.value]


@dataclass(frozen=True)
class UpdateOptions:
    """What the user asked of an update.

    Attributes
    ----------
    to : str or None
        Template git ref to update to; ``None`` for the newest version tag.
    template : str or None
        Template source replacing the one the project records (a moved repository).
    data : dict
        Answers to set or change (``--data key=value``).
    conflict : {"inline", "rej"}
        Leave conflicts as markers in the file, or as ``.rej`` files beside it.
    dry_run : bool
        Compute the update and its diff, change nothing.
    """

    to: str | None = None
    template: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    conflict: Literal["inline", "rej"] = "inline"
    dry_run: bool = False


@dataclass
class UpdateResult:
    """What happened to one project.

    Attributes
    ----------
    project : str
        The path as the user gave it.
    status : UpdateStatus
        The outcome.
    from_version, to_version : str or None
        Template version before and after (``None`` when unknown, e.g. refused early).
    message : str or None
        Why it was refused or failed: one line, with the fix.
    changed : list of str
        Files the update changed, relative to the project.
    conflicts : list of str
        Files left with conflict markers, unmerged, or with a ``.rej`` file.
    kept : list of str
        Files edited here that the new version no longer renders (removed or renamed):
        kept as they were, where Copier would have deleted them.
    stayed_deleted : list of str
        Files deleted here that the new version changed: still deleted.
    diff : str or None
        With ``dry_run``: the diff the update would apply.
    """

    project: str
    status: UpdateStatus
    from_version: str | None = None
    to_version: str | None = None
    message: str | None = None
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    stayed_deleted: list[str] = field(default_factory=list)
    diff: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping (``status`` as its text)."""
        return {
            "project": self.project,
            "status": self.status.value,
            "from": self.from_version,
            "to": self.to_version,
            "message": self.message,
            "changed": self.changed,
            "conflicts": self.conflicts,
            "kept": self.kept,
            "stayed_deleted": self.stayed_deleted,
            **({"diff": self.diff} if self.diff is not None else {}),
        }


def exit_code(results: Iterable[UpdateResult]) -> int:
    """Return the exit code for a set of results: 2 if any was refused, else 1 if any conflicted or failed."""
    return max((result.status.exit_code for result in results), default=0)


@dataclass(frozen=True)
class _Project:
    """A project that passed the refusal checks."""

    path: Path  # absolute
    top: Path  # top of its git work tree
    subdir: str  # path of the project inside ``top``, "" at the top
    head: str
    recorded: RecordedAnswers
    source: str  # absolute path or URL of the template to update from

    def relative(self, top_path: str) -> str:
        """Turn a path relative to ``top`` into one relative to the project."""
        return top_path[len(self.subdir) + 1 :] if self.subdir else top_path

    @property
    def spec(self) -> str:
        """Git pathspec of the project inside its work tree."""
        return self.subdir or "."


def update_project(path: Path, options: UpdateOptions, *, label: str | None = None) -> UpdateResult:
    """Update one project, and report what happened rather than raising.

    Parameters
    ----------
    path : Path
        Folder of the project (its root, or a sub-project folder inside a git repository).
    options : UpdateOptions
        What to update to, and how.
    label : str, optional
        Name of the project in the result (default: ``path`` as given).

    Returns
    -------
    UpdateResult
        ``refused`` for bad input (nothing touched), ``failed`` when the update broke
        part-way (project restored as it was), else ``updated``, ``up to date`` or
        ``conflicted``.

    Raises
    ------
    KeyboardInterrupt
        Re-raised after the project was restored as it was.
    """
    name = label or str(path)
    try:
        return _update(path, options, name)
    except UpdateFailedError as exc:
        return UpdateResult(name, UpdateStatus.FAILED, _recorded_version(path), message=exc.message)
    except Poc2ProdError as exc:
        return UpdateResult(name, UpdateStatus.REFUSED, _recorded_version(path), message=exc.message)
    except Exception as exc:  # a bug or an unexpected state: report it on one line, like the others
        message = f"unexpected {type(exc).__name__}: {exc}; the project was not changed"
        return UpdateResult(name, UpdateStatus.FAILED, _recorded_version(path), message=message)


def _recorded_version(path: Path) -> str | None:
    """Return the version a project's answers file records, or ``None`` when it cannot be read."""
    try:
        return read_answers(path.expanduser().absolute()).commit
    except Poc2ProdError:
        return None


def inspect_project(path: Path, template: str | None = None) -> _Project:
    """Run the checks that come before any change, and describe the project.

    Raises
    ------
    ProjectError
        Not a folder, not in a git work tree, no commit, uncommitted changes, or no
        usable answers file.
    TemplateSourceError
        ``template`` does not exist or is not a template.
    """
    project = project_folder(path)
    recorded = read_answers(project)  # first: a folder that is not a project is told so, git or not
    top = repository_top(project)
    if top is None:
        raise ProjectError(
            f"{path}: not a git repository, and updates merge through git: "
            "run git init && git add -A && git commit -m 'Initial commit' first"
        )
    subdir = project.resolve().relative_to(top).as_posix()
    subdir = "" if subdir == "." else subdir
    head = head_commit(top)
    dirty = uncommitted_paths(top, subdir)
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise ProjectError(
            f"{path}: uncommitted changes ({shown}): commit or stash them (git stash -u), then update again"
        )
    source = recorded.source_location(project, template)
    return _Project(project, top, subdir, head, recorded, source)


def _update(path: Path, options: UpdateOptions, name: str) -> UpdateResult:
    project = inspect_project(path, options.template)
    from_version = project.recorded.commit
    tags = functools.cache(functools.partial(list_tags, project.source))  # one ls-remote at most
    require_known_version(str(path), from_version, tags)
    target_ref = options.to
    if target_ref is None and not release_tags(tags()):
        # An untagged template: a project rendered from its HEAD is up to date, as check says.
        head, recorded_commit = head_of(project.source), commit_id(from_version)
        if head is not None and recorded_commit is not None and head.startswith(recorded_commit):
            if not options.data:
                return UpdateResult(name, UpdateStatus.UP_TO_DATE, from_version, from_version)
            target_ref = head
    target_ref = target_ref or _newest(project.source, tags())
    current = recorded_version(from_version, tags)
    target = parse_version(target_ref)
    if current is not None and target is not None:
        if target < current:
            if options.to is None:  # the project is at a commit after the newest release
                raise ProjectError(
                    f"{path}: is at {from_version}, a commit after the newest release {target_ref}: "
                    "pass --to HEAD (or --to a branch or commit) to update it to the template's latest commit"
                )
            raise ProjectError(
                f"{path}: is at {from_version}, newer than {target_ref}: downgrades are not supported; "
                "pass --to with a newer version"
            )
        if target == current and not options.data:
            return UpdateResult(name, UpdateStatus.UP_TO_DATE, from_version, from_version)
    with tempfile.TemporaryDirectory(prefix="poc2prod-update.") as tmp:
        return _update_in_clone(project, options, target_ref, Path(tmp), name)


def _newest(source: str, all_tags: list[str]) -> str:
    tags = release_tags(all_tags)
    if not tags:
        raise TemplateSourceError(
            f"template source {source!r} has no version tags (v0.1.0, …) and its default branch moved on: "
            "update with --to HEAD (or another branch or commit), or tag a release of the template"
        )
    return tags[-1]


def _update_in_clone(project: _Project, options: UpdateOptions, target_ref: str, work: Path, name: str) -> UpdateResult:
    clone = work / "clone"
    git("clone", "--quiet", "--shared", "--no-checkout", "--", str(project.top), str(clone), cwd=work)
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", project.head, cwd=clone)
    clone_project = clone / project.subdir if project.subdir else clone
    if project.source != project.recorded.src_path:
        _relocate(clone, clone_project, project.source)
    old_render = work / "old"
    engine.render_version(project.source, project.recorded.commit, project.recorded.answers, old_render)

    to_version = engine.merge_update(
        clone_project, source=project.source, ref=target_ref, data=options.data, conflict=options.conflict
    )

    kept = _keep_edited_files(clone, project, old_render)
    stayed_deleted = _stayed_deleted(clone, project, old_render, work / "new", to_version)
    changed = _changed_paths(clone, project)
    conflicts = sorted(set(unresolved_conflicts(clone, project.subdir)) & set(changed))

    result = UpdateResult(
        name,
        UpdateStatus.CONFLICTED if conflicts else UpdateStatus.UPDATED if changed else UpdateStatus.UP_TO_DATE,
        project.recorded.commit,
        to_version,
        changed=[project.relative(p) for p in changed],
        conflicts=[project.relative(p) for p in conflicts],
        kept=[project.relative(p) for p in kept],
        stayed_deleted=stayed_deleted,
    )
    if options.dry_run:
        result.diff = _diff(clone, project)
    elif changed:
        result.kept.extend(project.relative(p) for p in _copy_back(clone, project, changed))
    return result


def _relocate(clone: Path, clone_project: Path, source: str) -> None:
    """Record ``source`` as the template in the clone's answers file, as one throwaway commit.

    Copier renders the old version from the answers file's ``_src_path``, so a moved or
    relative source must be corrected there before Copier reads it.
    """
    import yaml

    answers_path = clone_project / ANSWERS_FILE
    content = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    content["_src_path"] = source
    answers_path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    git("add", "--", str(answers_path), cwd=clone)
    git(
        "commit",
        "--quiet",
        "--no-verify",
        "--no-gpg-sign",
        "-m",
        "poc2prod: relocate template",
        cwd=clone,
        identity=True,
    )


def _keep_edited_files(clone: Path, project: _Project, old_render: Path) -> list[str]:
    """Restore, in the clone, the files the update deleted although the team had edited them.

    Copier deletes every file the old version rendered and the new one does not, edited
    or not. A deletion stands only when the file was as the old version rendered it, or
    when a migration removed it deliberately (staged with ``git rm``, as a migration
    that carries an edit over to a renamed file does).
    """
    deleted_in_work_tree = [
        path
        for path in git_paths(
            "diff", "--name-only", "-z", "--no-renames", "--diff-filter=D", "--", project.spec, cwd=clone
        )
    ]
    kept = []
    for path in deleted_in_work_tree:
        was = git_bytes("show", f"{project.head}:{path}", cwd=clone)
        rendered = old_render / project.relative(path)
        if rendered.is_file() and not rendered.is_symlink() and rendered.read_bytes() == was:
            continue
        git("checkout", "--quiet", project.head, "--", path, cwd=clone)
        (clone / f"{path}.rej").unlink(missing_ok=True)
        kept.append(path)
    return kept


def _stayed_deleted(clone: Path, project: _Project, old_render: Path, new_render: Path, to_version: str) -> list[str]:
    """List the files the team deleted that the new version changed (Copier keeps them deleted)."""
    in_head = {
        project.relative(path)
        for path in git_paths("ls-tree", "-r", "-z", "--name-only", project.head, "--", project.spec, cwd=clone)
    }
    candidates = [
        relative
        for relative in _files_under(old_render)
        if relative not in in_head
        and relative != ANSWERS_FILE
        and not os.path.lexists(clone / project.subdir / relative)
        and not os.path.lexists(project.path / relative)
    ]
    if not candidates:
        return []
    answers = read_answers(clone / project.subdir if project.subdir else clone)
    engine.render_version(project.source, to_version, answers.answers, new_render)
    return [
        relative
        for relative in candidates
        if (new_render / relative).is_file()
        and (new_render / relative).read_bytes() != (old_render / relative).read_bytes()
    ]


def _files_under(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if (path.is_file() or path.is_symlink()) and ".git" not in path.relative_to(root).parts
    )


def _changed_paths(clone: Path, project: _Project) -> list[str]:
    """Paths under the project that differ between the clone's work tree and the project's HEAD."""
    tracked = git_paths("diff", "--name-only", "-z", "--no-renames", project.head, "--", project.spec, cwd=clone)
    # Every untracked file in the clone comes from the update (a clone has no others),
    # including those the project ignores, such as .rej files.
    untracked = git_paths("ls-files", "-z", "--others", "--", project.spec, cwd=clone)
    return sorted(set(tracked) | set(untracked))


def _diff(clone: Path, project: _Project) -> str:
    git("add", "--all", "--force", "--", project.spec, cwd=clone)
    return git_bytes(
        "-c",
        "core.quotePath=false",
        "diff",
        "--cached",
        "--no-color",
        "--no-ext-diff",
        project.head,
        "--",
        project.spec,
        cwd=clone,
    ).decode(errors="replace")


def _copy_back(clone: Path, project: _Project, changed: list[str]) -> list[str]:
    """Copy the update from the clone into the project; undo everything if that fails.

    Returns the ignored local files that the update would have overwritten and that
    were kept instead.

    Raises
    ------
    UpdateFailedError
        Copying failed; the project was restored as it was.
    KeyboardInterrupt
        Re-raised after restoring the project.
    """
    top, head = project.top, project.head
    tracked = set(git_paths("ls-tree", "-r", "-z", "--name-only", head, "--", project.spec, cwd=clone))
    written: list[str] = []
    created_dirs: list[Path] = []
    kept: list[str] = []
    try:
        for path in changed:
            src, dst = clone / path, top / path
            if os.path.lexists(src):
                if path not in tracked and os.path.lexists(dst):
                    # An ignored file of the team's (a clean tree has no other untracked
                    # files) where the new version renders one: theirs wins.
                    if not _same_file(src, dst):
                        kept.append(path)
                    continue
                written.append(path)
                created_dirs.extend(_make_parents(dst.parent, top))
                _copy_file(src, dst)
            elif os.path.lexists(dst):
                written.append(path)
                dst.unlink()
                _remove_empty_parents(dst.parent, top)
        _copy_unmerged_entries(clone, top, project.spec)
    except BaseException as exc:
        _restore(top, head, written, tracked, created_dirs)
        if isinstance(exc, Exception):
            raise UpdateFailedError(
                f"{project.path}: copying the update into the project failed ({exc}); "
                "the project was restored as it was"
            ) from None
        raise
    return kept


def _same_file(a: Path, b: Path) -> bool:
    if a.is_symlink() or b.is_symlink():
        return a.is_symlink() and b.is_symlink() and a.readlink() == b.readlink()
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def _make_parents(folder: Path, top: Path) -> list[Path]:
    missing = []
    while not folder.exists() and folder != top:
        missing.append(folder)
        folder = folder.parent
    for item in reversed(missing):
        item.mkdir()
    return missing


def _copy_file(src: Path, dst: Path) -> None:
    if os.path.lexists(dst) and (dst.is_symlink() or not dst.is_file()):
        dst.unlink()
    if src.is_symlink():
        dst.symlink_to(src.readlink())
    else:
        shutil.copyfile(src, dst)
        mode = src.stat().st_mode
        dst.chmod(stat.S_IMODE(mode))


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _copy_unmerged_entries(clone: Path, top: Path, spec: str) -> None:
    """Mark in the project's index the files Copier left unmerged in the clone (``git status`` ``UU``)."""
    lines = git("ls-files", "-z", "--unmerged", "--", spec, cwd=clone).split("\0")
    entries = [line for line in lines if line]
    if not entries:
        return
    index_info = []
    for path in sorted({entry.split("\t", 1)[1] for entry in entries}):
        index_info.append(f"0 {'0' * 40}\t{path}")
    for entry in entries:
        info, path = entry.split("\t", 1)
        mode, sha, stage = info.split()
        blob = git_bytes("cat-file", "blob", sha, cwd=clone)
        git_bytes("hash-object", "-w", "--stdin", cwd=top, stdin=blob)
        index_info.append(f"{mode} {sha} {stage}\t{path}")
    git_bytes("update-index", "--index-info", cwd=top, stdin=("\n".join(index_info) + "\n").encode())


def _restore(top: Path, head: str, written: list[str], tracked: set[str], created_dirs: list[Path]) -> None:
    """Put back the files :func:`_copy_back` touched: HEAD's version, or nothing when HEAD had none."""
    restore = [path for path in written if path in tracked]
    for start in range(0, max(len(written), 1), 200):
        # reset drops the unmerged entries copied into the index; checkout puts HEAD's files back.
        for args in (
            ("reset", "--quiet", head, "--", *written[start : start + 200]),
            ("checkout", "--quiet", head, "--", *restore[start : start + 200]),
        ):
            if args[-1] != "--":
                # Best effort: the lines below still remove what the update added.
                with contextlib.suppress(GitCommandError):
                    git(*args, cwd=top)
    for path in written:
        if path not in tracked and os.path.lexists(top / path):
            (top / path).unlink()
    for folder in sorted(created_dirs, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def update_projects(
    paths: list[Path],
    options: UpdateOptions,
    *,
    jobs: int = 1,
    on_result: Callable[[UpdateResult], None] | None = None,
) -> list[UpdateResult]:
    """Update several projects, ``jobs`` at a time; one failing project does not stop the others.

    Projects that share a git repository (sub-projects of a monorepo) are updated one
    after the other, in one worker, so they never write the same index at once. Workers
    are processes, not threads: Copier changes the working directory as it goes.

    Parameters
    ----------
    paths : list of Path
        Project folders.
    options : UpdateOptions
        Applied to every project.
    jobs : int
        Largest number of projects updated at once.
    on_result : callable, optional
        Called with each result as soon as it is known (for progress).

    Returns
    -------
    list of UpdateResult
        In the order of ``paths``.

    Raises
    ------
    KeyboardInterrupt
        After every project being updated was restored as it was.
    """
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(paths):
        top = repository_top(path) if path.is_dir() else None
        groups.setdefault(str(top) if top is not None else f"#{index}", []).append((index, path))
    results: dict[int, UpdateResult] = {}

    def record(index: int, result: UpdateResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    if jobs <= 1 or len(groups) <= 1:
        for group in groups.values():
            for index, path in group:
                record(index, update_project(path, options))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(groups)), mp_context=context) as pool:
            futures = {pool.submit(_update_group, group, options): group for group in groups.values()}
            for future in as_completed(futures):
                try:
                    done = future.result()
                except Exception as exc:  # a worker process died: its projects are reported, the rest go on
                    done = [
                        (index, UpdateResult(str(path), UpdateStatus.FAILED, message=f"worker failed: {exc}"))
                        for index, path in futures[future]
                    ]
                for index, result in done:
                    record(index, result)
    return [results[index] for index in range(len(paths))]


def _update_group(group: list[tuple[int, Path]], options: UpdateOptions) -> list[tuple[int, UpdateResult]]:
    return [(index, update_project(path, options)) for index, path in group]
