"""Carry a team's edits of a file that a template version renamed over to its new name.

A Copier migration: a merge cannot follow a rename, and Copier deletes the old file,
edits and all. Declare one entry per renamed file in ``copier.yml``, for the version
that renamed it, at the "after" stage::

    _migrations:
      - version: v0.2.0
        when: "{{ _stage == 'after' }}"
        command:
          - "{{ _copier_python }}"
          - "{{ _copier_conf.src_path }}/migrations/carry_renamed.py"
          - "{{ _copier_conf.answers_file }}"
          - OLD/PATH
          - NEW/PATH

It runs in the project folder after Copier has rendered NEW and deleted OLD, and merges
the edits back: base = OLD as the previous version rendered it, ours = OLD as committed
in the project (HEAD), theirs = NEW as just rendered. The result goes to NEW, with
Copier's conflict markers where both sides changed the same lines. OLD's removal is then
staged (``git rm --cached``): a deliberate deletion, which ``poc2prod update`` respects
instead of keeping OLD. When the project never had OLD, or did not edit it, or NEW is
not rendered, it leaves Copier's result as it is.

Needs git and Copier only (``_copier_python`` is the interpreter running Copier), so a
plain ``copier update`` runs it as well as ``poc2prod update``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def _committed(path: str) -> bytes | None:
    done = subprocess.run(["git", "show", f"HEAD:./{path}"], capture_output=True, check=False)
    return done.stdout if done.returncode == 0 else None


def _render_previous_version(answers_file: str, dest: Path) -> None:
    import copier
    import yaml

    answers = yaml.safe_load(_committed(answers_file) or b"{}") or {}
    copier.run_copy(
        answers["_src_path"],
        dest,
        data={key: value for key, value in answers.items() if not key.startswith("_")},
        vcs_ref=answers["_commit"],
        defaults=True,
        overwrite=True,
        quiet=True,
        skip_tasks=True,
        unsafe=True,
    )


def main(argv: list[str]) -> int:
    """Merge the team's edits of OLD into NEW; return the process exit code."""
    answers_file, old, new = argv
    ours = _committed(old)
    if ours is None or not Path(new).is_file():
        return 0  # nothing to carry: the project never had OLD, or NEW is not rendered
    with tempfile.TemporaryDirectory() as previous, tempfile.TemporaryDirectory() as scratch:
        _render_previous_version(answers_file, Path(previous))
        base_path = Path(previous, old)
        base = base_path.read_bytes() if base_path.is_file() else b""
        if ours == base:
            return 0  # not edited: Copier's result (NEW as rendered, OLD deleted) is right
        base_file, theirs_file = Path(scratch, "base"), Path(scratch, "theirs")
        base_file.write_bytes(base)
        theirs_file.write_bytes(Path(new).read_bytes())
        Path(new).write_bytes(ours)
        labels = ["-L", "before updating", "-L", "last update", "-L", "after updating"]
        merged = subprocess.run(["git", "merge-file", *labels, new, str(base_file), str(theirs_file)], check=False)
        if merged.returncode >= 128:  # an error; below that, the exit status counts conflicts
            theirs_file.replace(new)
            return 1
    subprocess.run(["git", "rm", "--cached", "--quiet", "--ignore-unmatch", "--", old], check=True)
    Path(old).unlink(missing_ok=True)
    Path(f"{old}.rej").unlink(missing_ok=True)  # Copier's rejected hunks of OLD: the edits, now carried
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
