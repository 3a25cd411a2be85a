"""The merge of an update, in a throwaway clone of the project, and what it did.

Copier's update (see :func:`poc2prod.engine.merge_update`) runs in a clone of the project
at its ``HEAD``, never in the project itself. Then the result is checked, because Copier
reports success whatever happened:

- a file the team edited that the new version no longer renders (removed or renamed) is
  kept, where Copier deletes it;
- a file the team deleted stays deleted, and is listed when the template changed it;
- a ``.rej`` file of a change that is in place all the same (a file added on both sides
  with the same content) is deleted;
- a binary file the team changed is never replaced: Copier's line patch cannot carry a
  binary change, so it would silently put the template's version in its place. The team's
  version stays; when the template changed the file too, it is a conflict, recorded in
  the index as git records one (``UU``, the template's version as "theirs");
- conflicts are found from unmerged entries, conflict markers and ``.rej`` files.

What the clone holds then goes back into the project (:mod:`poc2prod.copy_back`), or is
shown as a diff and thrown away (``--dry-run``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from poc2prod import engine
from poc2prod.answers import ANSWERS_FILE, RecordedAnswers, read_answers
from poc2prod.vcs import GitCommandError, git, git_bytes, git_paths, unresolved_conflicts


@dataclass(frozen=True)
class CheckedProject:
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


@dataclass
class Merge:
    """What an update did in the clone.

    Attributes
    ----------
    clone : Path
        Top of the clone's work tree.
    to_version : str
        Template version the clone records now.
    changed : list of str
        Paths (relative to the top of the work tree) that differ from the project's ``HEAD``.
    conflicts : list of str
        Of those, the ones left with a conflict (relative to the top).
    kept : list of str
        Files edited here that the new version no longer renders, kept (relative to the top).
    stayed_deleted : list of str
        Files deleted here that the new version changed (relative to the project).
    binary_conflicts : list of str
        Of the conflicts, the binary files changed on both sides (relative to the top).
    diff : str or None
        The diff of the update, when asked for.
    """

    clone: Path
    to_version: str
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    stayed_deleted: list[str] = field(default_factory=list)
    binary_conflicts: list[str] = field(default_factory=list)
    diff: str | None = None


def merge_in_clone(
    project: CheckedProject,
    *,
    target_ref: str,
    data: dict[str, str],
    conflict: Literal["inline", "rej"],
    diff: bool,
    work: Path,
) -> Merge:
    """Update a clone of ``project`` (made in ``work``) to ``target_ref``, and check what the update did.

    Raises
    ------
    Poc2ProdError
        Copier failed; see :func:`poc2prod.engine.translate`.
    """
    clone = work / "clone"
    git("clone", "--quiet", "--shared", "--no-checkout", "--", str(project.top), str(clone), cwd=work)
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", project.head, cwd=clone)
    clone_project = clone / project.subdir if project.subdir else clone
    if project.source != project.recorded.src_path:
        _relocate(clone, clone_project, project.source)
    old_render = engine.render_version(project.source, project.recorded.commit, project.recorded.answers, work / "old")

    to_version = engine.merge_update(clone_project, source=project.source, ref=target_ref, data=data, conflict=conflict)

    kept = _keep_edited_files(clone, project, old_render)
    binary_conflicts = _keep_binary_edits(clone, project, old_render)
    _drop_redundant_rejects(clone, project)
    stayed_deleted = _stayed_deleted(clone, project, old_render, work / "new", to_version)
    changed = sorted(set(_changed_paths(clone, project)) | set(binary_conflicts))
    conflicts = sorted(set(unresolved_conflicts(clone, project.subdir)) & set(changed))
    return Merge(
        clone,
        to_version,
        changed=changed,
        conflicts=conflicts,
        kept=kept,
        stayed_deleted=stayed_deleted,
        binary_conflicts=binary_conflicts,
        diff=_diff(clone, project) if diff else None,
    )


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


def _keep_edited_files(clone: Path, project: CheckedProject, old_render: Path) -> list[str]:
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


def _keep_binary_edits(clone: Path, project: CheckedProject, old_render: Path) -> list[str]:
    """Put back, in the clone, the team's version of each binary file it changed; return the conflicts.

    Copier carries the team's changes over as a text patch, which cannot hold a binary
    change: the patch fails without a word and the file is left as the new version
    renders it, the team's change gone. So, for each binary file that the update changed
    and that the team had changed (it differs from the old version's rendering, or the old
    version did not render it):

    - when the new version renders it as the old one did, the team's version is put back
      and the file is not changed at all;
    - when the template changed it too, the team's version is put back and the file is
      marked unmerged in the index, as git marks a binary merge conflict: stage 1 the old
      version's rendering, stage 2 the team's, stage 3 the new version's. ``git status``
      shows it ``UU``; ``git checkout --theirs -- FILE`` takes the template's version,
      ``git add FILE`` keeps the team's.

    Returns the paths left in conflict (relative to the top), sorted.
    """
    modified = git_paths(
        "diff", "--name-only", "-z", "--no-renames", "--diff-filter=M", project.head, "--", project.spec, cwd=clone
    )
    conflicts = []
    for path in modified:
        current = clone / path
        if current.is_symlink() or not current.is_file():
            continue
        ours = git_bytes("show", f"{project.head}:{path}", cwd=clone)
        rendered = old_render / project.relative(path)
        base = rendered.read_bytes() if rendered.is_file() and not rendered.is_symlink() else None
        theirs = current.read_bytes()
        if ours == base or not _is_binary(clone, path, ours, base, theirs):
            continue
        git("checkout", "--quiet", project.head, "--", path, cwd=clone)
        (clone / f"{path}.rej").unlink(missing_ok=True)
        if theirs in (base, ours):
            continue
        mode = git("ls-tree", project.head, "--", path, cwd=clone).split(maxsplit=1)[0]
        entries = [f"0 {'0' * 40}\t{path}"]
        for stage, content in ((1, base), (2, ours), (3, theirs)):
            if content is not None:
                sha = git_bytes("hash-object", "-w", "--stdin", cwd=clone, stdin=content).decode().strip()
                entries.append(f"{mode} {sha} {stage}\t{path}")
        git_bytes("update-index", "--index-info", cwd=clone, stdin=("\n".join(entries) + "\n").encode())
        conflicts.append(path)
    return sorted(conflicts)


def _drop_redundant_rejects(clone: Path, project: CheckedProject) -> None:
    """Delete the ``.rej`` files of changes that are in place all the same.

    A ``.rej`` file holds a change of the team's that did not apply. When the file beside
    it is exactly the team's version (``HEAD``'s), nothing was left out: a file added on
    both sides with the same content is the common case (Copier diffs the team's file
    against an empty one, and that patch cannot apply to the template's identical file).
    """
    rejects = git_paths(
        "ls-files", "-z", "--others", "--", f"{project.subdir}/*.rej" if project.subdir else "*.rej", cwd=clone
    )
    for reject in rejects:
        path = reject.removesuffix(".rej")
        target = clone / path
        if target.is_symlink() or not target.is_file():
            continue
        try:
            ours = git_bytes("show", f"{project.head}:{path}", cwd=clone)
        except GitCommandError:  # not in HEAD: the team has no version of it
            continue
        if target.read_bytes() == ours:
            (clone / reject).unlink()


def _is_binary(clone: Path, path: str, *contents: bytes | None) -> bool:
    """Whether git treats the file as binary: a NUL byte early in any version, or ``-diff`` in ``.gitattributes``."""
    if any(content is not None and b"\0" in content[:8000] for content in contents):
        return True
    attribute = git("check-attr", "diff", "--", path, cwd=clone)
    return attribute.endswith(": unset")


def _stayed_deleted(
    clone: Path, project: CheckedProject, old_render: Path, new_render: Path, to_version: str
) -> list[str]:
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
    new_render = engine.render_version(project.source, to_version, answers.answers, new_render)
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


def _changed_paths(clone: Path, project: CheckedProject) -> list[str]:
    """Paths under the project that differ between the clone's work tree and the project's HEAD."""
    tracked = git_paths("diff", "--name-only", "-z", "--no-renames", project.head, "--", project.spec, cwd=clone)
    # Every untracked file in the clone comes from the update (a clone has no others),
    # including those the project ignores, such as .rej files.
    untracked = git_paths("ls-files", "-z", "--others", "--", project.spec, cwd=clone)
    return sorted(set(tracked) | set(untracked))


def _diff(clone: Path, project: CheckedProject) -> str:
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
