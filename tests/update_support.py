"""Purpose-built template repositories with tagged versions, and helpers, for the update tests.

The ``demo`` template has one version per kind of change an update must handle:

========  ===================================================================
v1.0.0    README.md, config.ini, notes.txt, extra.txt, guide.txt, legacy.txt,
          manual.txt, logo.png (binary), and a CI file chosen by the ``ci`` answer
v1.1.0    config.ini line 3 (beta) and extra.txt change
v1.2.0    only adds added.txt
v1.3.0    changes nothing that is rendered (CHANGELOG and a copier.yml comment)
v2.0.0    renames guide.txt to handbook.txt and removes legacy.txt (no migration);
          renames manual.txt to docs/manual.txt and revises its last line, with
          the carry_renamed.py migration; redraws logo.png
v2.1.0    adds the question ``team`` with no default, and team.txt
========  ===================================================================
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from poc2prod.project import create_project
from poc2prod.template import TemplateSource

#: The migration scripts the real template ships (``migrations/`` at the repository root).
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

ANSWERS_TEMPLATE = "{{ _copier_answers|to_nice_yaml -}}\n"
CONFIG_V1 = "[main]\nalpha = 1\nbeta = 2\ngamma = 3\ndelta = 4\nepsilon = 5\nzeta = 6\neta = 7\ntheta = 8\niota = 9\n"
GUIDE = "Guide\nstep one\nstep two\nstep three\n"
MANUAL_V1 = "Manual\nchapter one\nchapter two\nchapter three\n"
MANUAL_V2 = "Manual\nchapter one\nchapter two\nchapter three, revised\n"
#: A binary file the template ships (a 1x1 PNG: NUL bytes, no lines to merge): black, then red in v2.0.0.
LOGO_V1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63606060f80f00010401005fe5c34b0000000049454e44ae426082"
)
LOGO_V2 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)

COPIER_V1 = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_envops:
  keep_trailing_newline: true

name:
  type: str
  default: demo
ci:
  type: str
  default: github
  choices: [github, gitlab]
"""
MIGRATION = """
_migrations:
  - version: v2.0.0
    when: "{{ _stage == 'after' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/migrations/carry_renamed.py"
      - "{{ _copier_conf.answers_file }}"
      - manual.txt
      - docs/manual.txt
"""
TEAM_QUESTION = """
team:
  type: str
  help: Team that owns the project
"""


def run_git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _write(root: Path, files: dict[str, str | bytes | None]) -> None:
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _release(repo: Path, tag: str, files: dict[str, str | bytes | None], changes: str) -> None:
    changelog = repo / "CHANGELOG.md"
    previous = changelog.read_text(encoding="utf-8").removeprefix("# Changelog\n\n") if changelog.exists() else ""
    files = {**files, "CHANGELOG.md": f"# Changelog\n\n## {tag}\n\n{changes}\n\n{previous}".rstrip() + "\n"}
    _write(repo, files)
    run_git("add", "-A", cwd=repo)
    run_git("commit", "-q", "-m", f"Release {tag}", cwd=repo)
    run_git("tag", tag, cwd=repo)


def build_demo_template(repo: Path) -> Path:
    """Create the ``demo`` template repository (see the module docstring) in ``repo``."""
    repo.mkdir(parents=True)
    run_git("init", "-q", "-b", "main", cwd=repo)
    t = "template/"
    _release(
        repo,
        "v1.0.0",
        {
            "copier.yml": COPIER_V1,
            t + "{{_copier_conf.answers_file}}.jinja": ANSWERS_TEMPLATE,
            t + "README.md.jinja": "# {{ name }}\n\nA demo project.\n",
            t + "config.ini": CONFIG_V1,
            t + "notes.txt": "Notes\none\ntwo\n",
            t + "extra.txt": "extra v1\n",
            t + "guide.txt": GUIDE,
            t + "legacy.txt": "legacy\n",
            t + "manual.txt": MANUAL_V1,
            t + "logo.png": LOGO_V1,
            t + "{% if ci == 'github' %}github-ci.yml{% endif %}.jinja": "on: push\n",
            t + "{% if ci == 'gitlab' %}.gitlab-ci.yml{% endif %}.jinja": "stages: [test]\n",
        },
        "- First version.",
    )
    _release(
        repo,
        "v1.1.0",
        {t + "config.ini": CONFIG_V1.replace("beta = 2", "beta = 20"), t + "extra.txt": "extra v1.1\n"},
        "- `beta` is 20 in config.ini.\n- extra.txt says v1.1.",
    )
    _release(repo, "v1.2.0", {t + "added.txt": "added in v1.2\n"}, "- New file added.txt.")
    _release(
        repo,
        "v1.3.0",
        {"copier.yml": "# Nothing rendered changes in v1.3.0.\n" + COPIER_V1},
        "- Documentation only: nothing in a rendered project changes.",
    )
    (repo / "migrations").mkdir()
    shutil.copy(MIGRATIONS / "carry_renamed.py", repo / "migrations" / "carry_renamed.py")
    _release(
        repo,
        "v2.0.0",
        {
            "copier.yml": COPIER_V1 + MIGRATION,
            t + "guide.txt": None,
            t + "handbook.txt": GUIDE,
            t + "legacy.txt": None,
            t + "manual.txt": None,
            t + "docs/manual.txt": MANUAL_V2,
            t + "logo.png": LOGO_V2,
        },
        "- guide.txt is now handbook.txt; legacy.txt is gone.\n"
        "- manual.txt moved to docs/manual.txt (a migration carries your edits over).\n"
        "- logo.png is redrawn.",
    )
    _release(
        repo,
        "v2.1.0",
        {"copier.yml": COPIER_V1 + MIGRATION + TEAM_QUESTION, t + "team.txt.jinja": "Owned by {{ team }}\n"},
        "- New question `team` (no default) and team.txt.",
    )
    return repo


def new_project(template: Path, dest: Path, version: str, **answers: str) -> Path:
    """Render ``template`` at ``version`` into ``dest`` with ``poc2prod new``'s code path and commit it."""
    create_project(dest, TemplateSource(str(template), version), dict(answers), defaults=True, git=True, quiet=True)
    return dest


def commit_all(project: Path, message: str = "Team work") -> None:
    run_git("add", "-A", cwd=project)
    run_git("commit", "-q", "-m", message, cwd=project)


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def recorded_version(project: Path) -> str:
    return str(yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))["_commit"])


def git_status(project: Path) -> str:
    return run_git("status", "--porcelain=v1", "--untracked-files=all", cwd=project)


def tree_digest(root: Path) -> dict[str, str]:
    """Hash of every file under ``root``, ``.git`` included, so that any change at all shows."""
    digest = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            key = path.relative_to(root).as_posix()
            digest[key] = (
                "link:" + str(path.readlink()) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            )
    return digest


def files(project: Path) -> list[str]:
    """The project's files (not ``.git``), sorted."""
    return sorted(
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    )
