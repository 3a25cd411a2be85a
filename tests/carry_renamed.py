"""Carry a team's edits of a file that a template version renamed over to its new name.

A Copier migration for the "after" stage, run in the project folder:

    python carry_renamed.py ANSWERS_FILE OLD NEW

By then Copier has rendered NEW from the new template version and deleted OLD, edits
and all. This merges the edits back: base = OLD as the previous version rendered it,
ours = OLD as committed in the project (HEAD), theirs = NEW as just rendered. The result
goes to NEW, with Copier's conflict markers where both sides changed the same lines.
OLD's removal is then staged (``git rm --cached``): a deliberate deletion, which
``poc2prod update`` respects instead of keeping OLD.

Needs git and Copier only: the interpreter that runs Copier (``_copier_python``) runs it.
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
        if ours != base:
            base_file, theirs_file = Path(scratch, "base"), Path(scratch, "theirs")
            base_file.write_bytes(base)
            theirs_file.write_bytes(Path(new).read_bytes())
            Path(new).write_bytes(ours)
            labels = ["-L", "before updating", "-L", "last update", "-L", "after updating"]
            merged = subprocess.run(["git", "merge-file", *labels, new, str(base_file), str(theirs_file)], check=False)
            if merged.returncode < 0:
                return 1
    subprocess.run(["git", "rm", "--cached", "--quiet", "--ignore-unmatch", "--", old], check=True)
    Path(old).unlink(missing_ok=True)
    Path(f"{old}.rej").unlink(missing_ok=True)  # Copier's rejected hunks of OLD: the edits, now carried
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
