"""``poc2prod update``: upgrades across real git tags of a purpose-built template, keeping local work.

The ``demo`` template (see ``update_support``) has one tag per kind of change. Each test
renders its own projects with ``poc2prod new``'s code path, commits, edits, and updates.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from poc2prod import copy_back as copy_back_module
from poc2prod.cli import app
from poc2prod.update import UpdateOptions, UpdateStatus, update_project
from tests.update_support import (
    CONFIG_V1,
    GUIDE,
    LOGO_V1,
    LOGO_V2,
    MANUAL_V2,
    commit_all,
    edit,
    files,
    git_status,
    new_project,
    recorded_version,
    run_git,
    tree_digest,
)

runner = CliRunner()


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def read(project: Path, name: str) -> str:
    return (project / name).read_text(encoding="utf-8")


# --- 1-4, 10, 11: edits, deletions and no-op versions ---------------------------------------------


def test_local_edit_to_a_file_the_template_did_not_change_is_kept(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "notes.txt", "two\n", "two, and our own line\n")
    commit_all(project)

    code, out, err = cli("update", project, "--to", "v1.1.0")

    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"{project}: updated v1.0.0 → v1.1.0"
    assert read(project, "notes.txt") == "Notes\none\ntwo, and our own line\n"
    assert read(project, "config.ini") == CONFIG_V1.replace("beta = 2", "beta = 20")
    assert recorded_version(project) == "v1.1.0"
    assert git_status(project) == " M .copier-answers.yml\n M config.ini\n M extra.txt\n"


def test_local_and_template_edits_to_different_lines_are_both_kept(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "config.ini", "iota = 9", "iota = 99")
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v1.1.0"))

    assert result.status is UpdateStatus.UPDATED
    assert result.conflicts == []
    assert read(project, "config.ini") == CONFIG_V1.replace("beta = 2", "beta = 20").replace("iota = 9", "iota = 99")


def test_same_line_changed_on_both_sides_is_a_reported_conflict_and_nothing_is_lost(
    demo_template: Path, tmp_path: Path
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v1.1.0")

    assert code == 1
    assert out.splitlines()[:2] == [f"{project}: conflicted v1.0.0 → v1.1.0", "  conflicts: config.ini"]
    assert read(project, "config.ini") == CONFIG_V1.replace(
        "beta = 2\n",
        "<<<<<<< before updating\nbeta = 200\n=======\nbeta = 20\n>>>>>>> after updating\n",
    )
    assert "UU config.ini" in git_status(project).splitlines()
    assert recorded_version(project) == "v1.1.0"


def test_conflict_as_rej_file_keeps_the_team_line_in_the_rej(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v1.1.0", "--conflict", "rej", "--json")

    assert code == 1
    [report] = json.loads(out)["projects"]
    assert (report["status"], report["conflicts"]) == ("conflicted", ["config.ini.rej"])
    assert "-beta = 2\n+beta = 200\n" in read(project, "config.ini.rej")
    assert "beta = 20\n" in read(project, "config.ini")


def test_a_file_the_team_deleted_and_the_template_did_not_touch_stays_deleted(
    demo_template: Path, tmp_path: Path
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / "notes.txt").unlink()
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v1.1.0"))

    assert result.status is UpdateStatus.UPDATED
    assert not (project / "notes.txt").exists()
    assert result.stayed_deleted == []
    assert "notes.txt" not in git_status(project)


def test_a_file_the_team_deleted_stays_deleted_when_the_template_changes_it_and_is_listed(
    demo_template: Path, tmp_path: Path
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / "extra.txt").unlink()
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v1.1.0")

    assert code == 0
    assert "  still deleted (deleted here, changed in v1.1.0): extra.txt" in out.splitlines()
    assert not (project / "extra.txt").exists()
    assert git_status(project) == " M .copier-answers.yml\n M config.ini\n"


def test_a_version_that_changes_nothing_rendered_is_a_no_op(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.2.0")
    edit(project, "notes.txt", "one", "one (ours)")
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v1.3.0"))

    assert result.status is UpdateStatus.UPDATED
    assert (result.changed, result.conflicts, result.kept) == ([".copier-answers.yml"], [], [])
    diff = run_git("diff", "--unified=0", cwd=project)
    changed_lines = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed_lines == ["-_commit: v1.2.0", "+_commit: v1.3.0"]


# --- binary files: a line patch cannot carry them, so they are never replaced ---------------------

TEAM_LOGO = b"\x89PNG\r\n\x1a\n\x00\x00our own logo\x00\xff"


def test_a_binary_file_changed_only_here_is_kept_byte_identical(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / "logo.png").write_bytes(TEAM_LOGO)
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v1.1.0"))

    assert (result.status, result.conflicts) == (UpdateStatus.UPDATED, [])
    assert "logo.png" not in result.changed
    assert (project / "logo.png").read_bytes() == TEAM_LOGO
    assert "logo.png" not in git_status(project)


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_a_binary_file_changed_on_both_sides_is_a_conflict_that_keeps_the_team_version(
    demo_template: Path, tmp_path: Path, conflict: str
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / "logo.png").write_bytes(TEAM_LOGO)
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v2.0.0", "--conflict", conflict)

    assert code == 1
    assert out.splitlines()[:2] == [f"{project}: conflicted v1.0.0 → v2.0.0", "  conflicts: logo.png"]
    assert "git checkout --theirs -- FILE takes the template's" in out
    assert (project / "logo.png").read_bytes() == TEAM_LOGO
    assert "UU logo.png" in git_status(project).splitlines()
    stages = {stage: run_git_bytes(project, "show", f":{stage}:logo.png") for stage in (1, 2, 3)}
    assert stages == {1: LOGO_V1, 2: TEAM_LOGO, 3: LOGO_V2}
    assert not list(project.rglob("*.rej"))
    code, out, _ = cli("check", project, "--json")
    assert (code, json.loads(out)["projects"][0]["conflicts"]) == (1, ["logo.png"])

    run_git("checkout", "--theirs", "--", "logo.png", cwd=project)  # the team takes the template's
    assert (project / "logo.png").read_bytes() == LOGO_V2


def test_a_binary_file_changed_only_by_the_template_is_updated(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")

    result = update_project(project, UpdateOptions(to="v2.0.0"))

    assert (result.status, result.conflicts) == (UpdateStatus.UPDATED, [])
    assert "logo.png" in result.changed
    assert (project / "logo.png").read_bytes() == LOGO_V2
    assert " M logo.png" in git_status(project).splitlines()


def run_git_bytes(project: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, check=True).stdout


def test_an_identical_file_added_on_both_sides_gets_no_rej(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    (project / "added.txt").write_text("added in v1.2\n")  # what v1.2.0 adds, added here first
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v1.2.0", "--conflict", "rej", "--json")

    [result] = json.loads(out)["projects"]
    assert (code, result["status"], result["conflicts"]) == (0, "updated", [])
    assert not list(project.rglob("*.rej"))
    assert git_status(project) == " M .copier-answers.yml\n"


# --- 5, 9: files the template removed or renamed -----------------------------------------------------


def test_a_renamed_file_carries_the_team_edits_through_the_migration(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "manual.txt", "chapter one\n", "chapter one, annotated by us\n")
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v2.0.0"))

    assert result.status is UpdateStatus.UPDATED
    assert (result.conflicts, result.kept) == ([], [])
    assert not (project / "manual.txt").exists()
    assert read(project, "docs/manual.txt") == MANUAL_V2.replace("chapter one\n", "chapter one, annotated by us\n")


def test_a_renamed_file_changed_on_the_same_line_conflicts_through_the_migration(
    demo_template: Path, tmp_path: Path
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "manual.txt", "chapter three\n", "chapter three, ours\n")
    commit_all(project)

    result = update_project(project, UpdateOptions(to="v2.0.0"))

    assert (result.status, result.conflicts) == (UpdateStatus.CONFLICTED, ["docs/manual.txt"])
    assert read(project, "docs/manual.txt") == (
        "Manual\nchapter one\nchapter two\n<<<<<<< before updating\nchapter three, ours\n"
        "=======\nchapter three, revised\n>>>>>>> after updating\n"
    )


def test_files_the_template_removed_or_renamed_are_deleted_when_not_edited(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")

    result = update_project(project, UpdateOptions(to="v2.0.0"))

    assert (result.status, result.kept) == (UpdateStatus.UPDATED, [])
    assert files(project) == [
        ".copier-answers.yml",
        "README.md",
        "added.txt",
        "config.ini",
        "docs/manual.txt",
        "extra.txt",
        "github-ci.yml",
        "handbook.txt",
        "logo.png",
        "notes.txt",
    ]
    assert read(project, "docs/manual.txt") == MANUAL_V2


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_an_edited_file_the_template_removed_or_renamed_survives_and_is_reported(
    demo_template: Path, tmp_path: Path, conflict: str
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "guide.txt", "step two\n", "step two, our way\n")
    edit(project, "legacy.txt", "legacy\n", "legacy, still used here\n")
    commit_all(project)

    code, out, _ = cli("update", project, "--to", "v2.0.0", "--conflict", conflict)

    assert code == 0
    assert out.splitlines()[:2] == [
        f"{project}: updated v1.0.0 → v2.0.0",
        "  kept (edited here, no longer rendered by v2.0.0): guide.txt, legacy.txt",
    ]
    assert read(project, "guide.txt") == GUIDE.replace("step two\n", "step two, our way\n")
    assert read(project, "legacy.txt") == "legacy, still used here\n"
    assert read(project, "handbook.txt") == GUIDE
    assert not list(project.rglob("*.rej"))
    status = git_status(project).splitlines()
    assert not any(line.endswith(("guide.txt", "legacy.txt")) for line in status)


# --- 6: answers changed during an update ------------------------------------------------------------


def test_changing_an_answer_renders_the_new_files_and_removes_the_old(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")

    code, out, _ = cli("update", project, "--to", "v1.1.0", "--data", "ci=gitlab")

    assert code == 0, out
    assert (project / ".gitlab-ci.yml").read_text() == "stages: [test]\n"
    assert not (project / "github-ci.yml").exists()
    assert yaml.safe_load(read(project, ".copier-answers.yml"))["ci"] == "gitlab"


def test_changing_an_answer_keeps_an_edited_file_the_old_answer_rendered(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    edit(project, "github-ci.yml", "on: push", "on: [push, pull_request]")
    commit_all(project)

    result = update_project(project, UpdateOptions(data={"ci": "gitlab"}, to="v1.1.0"))

    assert (result.status, result.kept) == (UpdateStatus.UPDATED, ["github-ci.yml"])
    assert read(project, "github-ci.yml") == "on: [push, pull_request]\n"
    assert read(project, ".gitlab-ci.yml") == "stages: [test]\n"


def test_changing_an_answer_at_the_same_version_updates(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")

    result = update_project(project, UpdateOptions(to="v1.1.0", data={"ci": "gitlab"}))

    assert (result.status, result.from_version, result.to_version) == (UpdateStatus.UPDATED, "v1.1.0", "v1.1.0")
    assert sorted(result.changed) == [".copier-answers.yml", ".gitlab-ci.yml", "github-ci.yml"]


def test_a_new_question_without_default_needs_data(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v2.0.0")
    before = tree_digest(project)

    code, out, err = cli("update", project)

    assert (code, out) == (2, "")
    assert err == (
        f"error: {project}: the template at v2.1.0 asks 'team', which has no default: "
        "answer it with --data team=VALUE\n"
    )
    assert tree_digest(project) == before

    code, _, _ = cli("update", project, "--data", "team=ml-platform")
    assert code == 0
    assert read(project, "team.txt") == "Owned by ml-platform\n"
    assert recorded_version(project) == "v2.1.0"


def test_an_unknown_question_in_data_is_refused(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    before = tree_digest(project)

    code, _, err = cli("update", project, "--to", "v1.1.0", "--data", "colour=blue")

    assert code == 2
    assert err == (f"error: {project}: unknown question(s) colour in --data: the template at v1.1.0 asks ci, name\n")
    assert tree_digest(project) == before


# --- 7: refusals leave every byte as it was ------------------------------------------------------


def _dirty_modified(project: Path) -> None:
    edit(project, "notes.txt", "one", "uncommitted")


def _dirty_untracked(project: Path) -> None:
    (project / "scratch.py").write_text("print('wip')\n")


def _no_git(project: Path) -> None:
    shutil.rmtree(project / ".git")


def _no_answers(project: Path) -> None:
    (project / ".copier-answers.yml").unlink()
    commit_all(project, "Lose the answers file")


def _corrupt_answers(project: Path) -> None:
    (project / ".copier-answers.yml").write_text("_commit: [v1.0.0\n_src_path: {{\n")
    commit_all(project, "Break the answers file")


def _answers_without_commit(project: Path) -> None:
    (project / ".copier-answers.yml").write_text("_src_path: /somewhere\nname: demo\n")
    commit_all(project, "Drop _commit")


def _unknown_commit(project: Path) -> None:
    edit(project, ".copier-answers.yml", "_commit: v1.0.0", "_commit: garbage123")
    commit_all(project, "Hand-edit _commit")


def _unreachable_source(project: Path) -> None:
    answers = yaml.safe_load(read(project, ".copier-answers.yml"))
    edit(project, ".copier-answers.yml", answers["_src_path"], "/nonexistent/moved")
    commit_all(project, "Template moved away")


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        (_dirty_modified, "uncommitted changes (notes.txt): commit or stash them (git stash -u), then update again"),
        (_dirty_untracked, "uncommitted changes (scratch.py): commit or stash them (git stash -u), then update again"),
        (_no_git, "not a git repository, and updates merge through git"),
        (_no_answers, "no .copier-answers.yml, so its template and version are unknown"),
        (_corrupt_answers, ".copier-answers.yml is not valid YAML at line 2"),
        (_answers_without_commit, ".copier-answers.yml does not record _commit"),
        (_unknown_commit, ".copier-answers.yml records _commit 'garbage123', which is no version tag or commit"),
        (_unreachable_source, "template source '/nonexistent/moved' does not exist (moved or deleted?)"),
    ],
)
def test_a_project_that_cannot_be_updated_is_refused_and_left_byte_identical(
    demo_template: Path, tmp_path: Path, breakage: object, reason: str
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    breakage(project)  # type: ignore[operator]
    before = tree_digest(project)

    code, out, err = cli("update", project)

    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1
    assert reason in err
    assert tree_digest(project) == before


@pytest.mark.parametrize("breakage", [_dirty_modified, _dirty_untracked])
def test_a_dry_run_previews_a_project_with_uncommitted_changes_and_leaves_it_as_it_was(
    demo_template: Path, tmp_path: Path, breakage: object
) -> None:
    """After ``make all`` the new model card is uncommitted: a dry run still shows the update."""
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    breakage(project)  # type: ignore[operator]
    before = tree_digest(project)
    dirty = "notes.txt" if breakage is _dirty_modified else "scratch.py"

    code, out, err = cli("update", project, "--to", "v1.1.0", "--dry-run")

    assert code == 0, err
    assert "(dry run, nothing changed)" in out
    assert "would be updated v1.0.0 → v1.1.0" in out
    assert (
        f"uncommitted changes ({dirty}) are not in this preview of the last commit: "
        "commit or stash them (git stash -u) before the update itself"
    ) in out
    assert tree_digest(project) == before


def test_a_plain_folder_is_refused_as_not_a_project_rather_than_not_a_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")

    code, out, err = cli("update", folder)

    assert (code, out) == (2, "")
    assert "no .copier-answers.yml, so its template and version are unknown" in err
    assert "not a git repository" not in err
    assert (folder / "notes.txt").read_text() == "mine\n"


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    code, _, err = cli("update", tmp_path / "nowhere")
    assert code == 2
    assert (
        err == f"error: {tmp_path / 'nowhere'}: no such folder: give the folder of a project created by poc2prod new\n"
    )
    (tmp_path / "notes.txt").write_text("mine\n")
    for command in ("update", "check"):
        code, _, err = cli(command, tmp_path / "notes.txt")
        assert code == 2
        assert err.startswith(f"error: {tmp_path / 'notes.txt'}: is a file, not a folder: give the folder of a project")
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_a_downgrade_is_refused(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    code, _, err = cli("update", project, "--to", "v1.0.0")
    assert code == 2
    assert "is at v1.1.0, newer than v1.0.0: downgrades are not supported" in err


@pytest.mark.parametrize("ref", ["v9.9.9", "no-such-branch"])
def test_an_unknown_target_is_refused(demo_template: Path, tmp_path: Path, ref: str) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    before = tree_digest(project)

    code, _, err = cli("update", project, "--to", ref)

    assert code == 2
    assert err == (
        f"error: {project}: template source '{demo_template}' has no tag, branch or commit '{ref}': "
        f"list its versions with poc2prod versions --template {demo_template}\n"
    )
    assert tree_digest(project) == before


def test_a_project_at_the_target_version_is_up_to_date(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.2.0")
    before = tree_digest(project)

    code, out, err = cli("update", project, "--to", "v1.2.0")

    assert (code, out, err) == (0, f"{project}: up to date at v1.2.0\n", "")
    assert tree_digest(project) == before


# --- dry run, failures, sources ---------------------------------------------------------------------


def test_dry_run_prints_the_diff_and_changes_nothing(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    edit(project, "config.ini", "iota = 9", "iota = 99")
    commit_all(project)
    before, status = tree_digest(project), git_status(project)

    code, out, _ = cli("update", project, "--to", "v1.2.0", "--dry-run")

    assert code == 0
    assert out.startswith(f"# {project}: v1.1.0 → v1.2.0 (dry run, nothing changed)\n")
    assert "-_commit: v1.1.0\n+_commit: v1.2.0\n" in out
    assert "+++ b/added.txt\n@@ -0,0 +1 @@\n+added in v1.2\n" in out
    assert out.rstrip().endswith(f"{project}: would be updated v1.1.0 → v1.2.0")
    assert (tree_digest(project), git_status(project)) == (before, status)


def test_dry_run_of_a_conflict_shows_the_markers_and_changes_nothing(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(project)
    before = tree_digest(project)

    code, out, _ = cli("update", project, "--to", "v1.1.0", "--dry-run", "--json")

    assert code == 1
    report = json.loads(out)
    assert report["dry_run"] is True
    [result] = report["projects"]
    assert (result["status"], result["conflicts"]) == ("conflicted", ["config.ini"])
    assert "+<<<<<<< before updating\n" in result["diff"]
    assert tree_digest(project) == before


@pytest.fixture(scope="module")
def failing_template(tmp_path_factory: pytest.TempPathFactory, session_git_identity: None) -> Path:
    """A template whose v2.0.0 migration fails after Copier has rendered the new files."""
    from tests.update_support import ANSWERS_TEMPLATE, COPIER_V1

    repo = tmp_path_factory.mktemp("failing") / "tpl"
    (repo / "template").mkdir(parents=True)
    (repo / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS_TEMPLATE)
    (repo / "template" / "app.txt").write_text("v1\n")
    (repo / "copier.yml").write_text(COPIER_V1)
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "v1")
    run_git("tag", "v1.0.0", cwd=repo)
    (repo / "template" / "app.txt").write_text("v2\n")
    (repo / "template" / "new.txt").write_text("new\n")
    (repo / "copier.yml").write_text(
        COPIER_V1
        + '_migrations:\n  - version: v2.0.0\n    command: ["{{ _copier_python }}", "-c", "raise SystemExit(3)"]\n'
    )
    commit_all(repo, "v2")
    run_git("tag", "v2.0.0", cwd=repo)
    return repo


def test_a_failed_update_leaves_the_project_as_it_was_and_behind(failing_template: Path, tmp_path: Path) -> None:
    project = new_project(failing_template, tmp_path / "p", "v1.0.0")
    before = tree_digest(project)

    code, _, err = cli("update", project)

    assert code == 1
    assert err.startswith(f"error: {project}: a migration or task of the template at v2.0.0 failed")
    assert tree_digest(project) == before
    assert recorded_version(project) == "v1.0.0"
    code, out, _ = cli("check", project, "--json")
    assert (code, json.loads(out)["projects"][0]["behind"]) == (1, True)


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_copy_back_restores_the_project(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / ".gitignore").write_text("*.log\n")
    commit_all(project)
    (project / "precious.log").write_text("ignored, and the team's\n")
    before = {k: v for k, v in tree_digest(project).items() if not k.startswith(".git/")}

    def interrupt(*args: object) -> None:
        raise interruption

    monkeypatch.setattr(copy_back_module, "_copy_unmerged_entries", interrupt)
    if isinstance(interruption, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            update_project(project, UpdateOptions(to="v2.0.0"))
    else:
        result = update_project(project, UpdateOptions(to="v2.0.0"))
        assert result.status is UpdateStatus.FAILED
        assert result.message is not None and "the project was restored as it was" in result.message

    assert {k: v for k, v in tree_digest(project).items() if not k.startswith(".git/")} == before
    assert git_status(project) == ""


def test_an_ignored_local_file_where_the_template_now_renders_one_is_kept(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    (project / ".gitignore").write_text("added.txt\n")
    commit_all(project)
    (project / "added.txt").write_text("our own, ignored\n")

    code, out, _ = cli("update", project, "--to", "v1.2.0", "--json")

    [result] = json.loads(out)["projects"]
    assert (code, result["status"]) == (0, "updated")
    # Ignored by git here, so not an edit of a template file: never labelled "edited here".
    assert (result["kept"], result["ignored_kept"]) == ([], ["added.txt"])
    assert read(project, "added.txt") == "our own, ignored\n"
    run_git("reset", "--quiet", "--hard", cwd=project)

    code, out, _ = cli("update", project, "--to", "v1.2.0", "--dry-run")
    assert code == 0 and "edited here" not in out


def test_a_relative_source_is_recorded_as_absolute(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    relative = os.path.relpath(demo_template, project)
    edit(project, ".copier-answers.yml", f"_src_path: {demo_template}", f"_src_path: {relative}")
    commit_all(project, "Relative source, as copier copy ../template records it")

    result = update_project(project, UpdateOptions(to="v1.1.0"))

    assert result.status is UpdateStatus.UPDATED
    assert yaml.safe_load(read(project, ".copier-answers.yml"))["_src_path"] == str(demo_template)


def test_a_moved_template_is_updated_from_template_option(demo_template: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved-template"
    run_git("clone", "-q", str(demo_template), str(moved), cwd=tmp_path)
    project = new_project(moved, tmp_path / "p", "v1.0.0")
    shutil.rmtree(moved)
    run_git("clone", "-q", str(demo_template), str(tmp_path / "new-home"), cwd=tmp_path)

    assert update_project(project, UpdateOptions(to="v1.1.0")).status is UpdateStatus.REFUSED
    result = update_project(project, UpdateOptions(to="v1.1.0", template=str(tmp_path / "new-home")))

    assert result.status is UpdateStatus.UPDATED
    assert yaml.safe_load(read(project, ".copier-answers.yml"))["_src_path"] == str(tmp_path / "new-home")


def test_a_project_in_a_subfolder_of_a_repository_is_updated(demo_template: Path, tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    repo.mkdir()
    run_git("init", "-q", "-b", "main", cwd=repo)
    new_project(demo_template, repo / "models" / "churn", "v1.0.0", name="churn")
    shutil.rmtree(repo / "models" / "churn" / ".git")
    (repo / "README.md").write_text("monorepo\n")
    commit_all(repo)
    project = repo / "models" / "churn"
    edit(project, "config.ini", "iota = 9", "iota = 99")
    commit_all(repo)

    result = update_project(project, UpdateOptions(to="v1.1.0"))

    assert (result.status, result.changed) == (
        UpdateStatus.UPDATED,
        [".copier-answers.yml", "config.ini", "extra.txt"],
    )
    assert read(project, "config.ini") == CONFIG_V1.replace("beta = 2", "beta = 20").replace("iota = 9", "iota = 99")
    assert git_status(repo) == (
        " M models/churn/.copier-answers.yml\n M models/churn/config.ini\n M models/churn/extra.txt\n"
    )


# --- 8: a fleet ------------------------------------------------------------------------------------


def test_a_fleet_updates_the_others_when_one_is_dirty_and_one_conflicts(demo_template: Path, tmp_path: Path) -> None:
    dirty = new_project(demo_template, tmp_path / "dirty", "v1.0.0")
    (dirty / "wip.txt").write_text("not committed\n")
    conflicting = new_project(demo_template, tmp_path / "conflicting", "v1.0.0")
    edit(conflicting, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(conflicting)
    add_only = new_project(demo_template, tmp_path / "add-only", "v1.1.0")
    current = new_project(demo_template, tmp_path / "current", "v1.2.0")
    fleet = [dirty, conflicting, add_only, current]
    dirty_before = tree_digest(dirty)

    dry_code, table, _ = cli("update", *fleet, "--to", "v1.2.0", "--jobs", "2", "--dry-run")
    # A dry run writes nothing to a project, so the uncommitted one is previewed, with a note.
    assert dry_code == 1
    assert "poc2prod update --dry-run (nothing changed)" in table
    assert "1 conflicted" in table and "2 updated" in table and "1 up to date" in table
    assert "uncommitted changes (wip.txt) are not in this preview" in " ".join(table.split())
    assert git_status(conflicting) == git_status(add_only) == ""
    assert tree_digest(dirty) == dirty_before

    code, out, _ = cli("update", *fleet, "--to", "v1.2.0", "--jobs", "2", "--json")

    assert code == 2
    report = json.loads(out)
    assert report["exit_code"] == 2
    summary = [(p["project"], p["from"], p["to"], p["status"]) for p in report["projects"]]
    assert summary == [
        (str(dirty), "v1.0.0", None, "refused"),
        (str(conflicting), "v1.0.0", "v1.2.0", "conflicted"),
        (str(add_only), "v1.1.0", "v1.2.0", "updated"),
        (str(current), "v1.2.0", "v1.2.0", "up to date"),
    ]
    assert report["projects"][1]["conflicts"] == ["config.ini"]
    assert report["projects"][2]["changed"] == [".copier-answers.yml", "added.txt"]
    assert read(add_only, "added.txt") == "added in v1.2\n"
    assert "uncommitted changes (wip.txt)" in report["projects"][0]["message"]
    assert tree_digest(dirty) == dirty_before


def test_a_fleet_table_says_what_happened_to_each(demo_template: Path, tmp_path: Path) -> None:
    conflicting = new_project(demo_template, tmp_path / "conflicting", "v1.0.0")
    edit(conflicting, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(conflicting)
    plain = new_project(demo_template, tmp_path / "plain", "v1.0.0")

    code, out, _ = cli("update", conflicting, plain, "--to", "v1.1.0", "--jobs", "1")

    assert code == 1
    rows = [line for line in out.splitlines() if str(tmp_path) in line]
    assert "v1.0.0 → v1.1.0" in rows[0] and "conflicted" in rows[0] and "conflicts: config.ini" in rows[0]
    assert "v1.0.0 → v1.1.0" in rows[1] and "updated" in rows[1]
    assert out.rstrip().endswith("1 conflicted, 1 updated")


# --- the command line itself -------------------------------------------------------------------------


def test_help_does_not_import_copier() -> None:
    code = (
        "import sys\n"
        "from poc2prod import cli\n"
        "sys.argv = ['poc2prod', 'update', '--help']\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print('copier imported' if 'copier' in sys.modules else 'copier not imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--conflict" in done.stdout
    assert done.stdout.rstrip().endswith("copier not imported")


def test_bad_data_syntax_is_refused(tmp_path: Path) -> None:
    code, _, err = cli("update", tmp_path, "--data", "novalue")
    assert code == 2
    assert err == "error: --data 'novalue' is not of the form key=value, e.g. --data problem_type=multiclass\n"


# --- tags that are not versions are never recorded ---------------------------------------------------

#: Tags a team may keep on its release commit; none is a version.
ODD_TAGS = ("latest", "release-candidate", "stable")


@pytest.fixture
def odd_tags_template(demo_template: Path, tmp_path: Path) -> tuple[Path, str]:
    """The demo template up to v1.1.0, with tags that are not versions on the v1.1.0 commit.

    Returns the template and the commit of the next release (v1.2.0), tagged later by the test.
    """
    repo = tmp_path / "odd-tags"
    run_git("clone", "-q", str(demo_template), str(repo), cwd=tmp_path)
    next_release = run_git("rev-parse", "v1.2.0^{commit}", cwd=repo).strip()
    run_git("tag", "-d", "v1.2.0", "v1.3.0", "v2.0.0", "v2.1.0", cwd=repo)
    for tag in ODD_TAGS:
        run_git("tag", *(["-a", "-m", tag] if tag == "stable" else []), tag, "v1.1.0", cwd=repo)
    return repo, next_release


def release_with_odd_tags(repo: Path, commit: str) -> None:
    """Tag the next release, v1.2.0, and move the odd tags onto it, as a team's release script would."""
    run_git("tag", "v1.2.0", commit, cwd=repo)
    for tag in ODD_TAGS:
        run_git("tag", "-f", *(["-a", "-m", tag] if tag == "stable" else []), tag, commit, cwd=repo)


def test_a_tag_that_is_not_a_version_is_never_recorded_by_new_or_update(
    odd_tags_template: tuple[Path, str], tmp_path: Path
) -> None:
    template, next_release = odd_tags_template
    project = tmp_path / "p"

    code, out, err = cli("new", project, "--defaults", "--quiet", "--template", template)

    assert code == 0, err
    assert f"from {template} at v1.1.0." in out
    assert recorded_version(project) == "v1.1.0"
    code, out, _ = cli("check", project, "--json")
    assert (code, json.loads(out)["projects"][0]["status"]) == (0, "up to date")

    release_with_odd_tags(template, next_release)
    code, out, err = cli("update", project)

    assert code == 0, err
    assert out.splitlines()[0] == f"{project}: updated v1.1.0 → v1.2.0"
    assert recorded_version(project) == "v1.2.0"
    assert read(project, "added.txt") == "added in v1.2\n"
    commit_all(project, "Update to v1.2.0")
    code, out, _ = cli("check", project, "--json")
    assert (code, json.loads(out)["projects"][0]["current"]) == (0, "v1.2.0")


def test_a_tag_that_is_not_a_version_is_never_recorded_by_adopt(
    odd_tags_template: tuple[Path, str], tmp_path: Path
) -> None:
    template, next_release = odd_tags_template
    repo = tmp_path / "ours"
    repo.mkdir()
    (repo / "train.py").write_text("print('fit')\n")
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "Our own project")

    code, _, err = cli("adopt", repo, "--defaults", "--template", template)

    assert code == 0, err
    assert recorded_version(repo) == "v1.1.0"
    assert run_git("log", "-1", "--format=%s", cwd=repo).strip() == "Adopt the poc2prod template v1.1.0"
    code, out, _ = cli("check", repo, "--json")
    assert (code, json.loads(out)["projects"][0]["status"]) == (0, "up to date")
    release_with_odd_tags(template, next_release)
    code, out, err = cli("update", repo)
    assert (code, recorded_version(repo)) == (0, "v1.2.0"), out + err


def test_after_a_pre_release_a_plain_update_says_where_the_project_stands(demo_template: Path, tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    run_git("clone", "-q", str(demo_template), str(template), cwd=tmp_path)
    (template / "template" / "pre.txt").write_text("in the pre-release\n")
    commit_all(template, "Pre-release")
    run_git("tag", "v3.0.0rc1", cwd=template)
    project = new_project(template, tmp_path / "p", "v2.1.0", team="ml")
    code, _, err = cli("update", project, "--to", "v3.0.0rc1")
    assert (code, recorded_version(project)) == (0, "v3.0.0rc1"), err
    commit_all(project, "Try the pre-release")

    code, out, err = cli("update", project)

    assert (code, err) == (0, "")
    assert out == (
        f"{project}: up to date at pre-release v3.0.0rc1; newest release v2.1.0: "
        "a plain update takes the first release after it, --to a newer pre-release\n"
    )
    assert "a commit after the newest release" not in out
    code, out, _ = cli("check", project, "--json")
    [check] = json.loads(out)["projects"]
    assert (code, check["status"], check["newest"]) == (0, "up to date", "v2.1.0")
    assert check["hint"].startswith("at pre-release v3.0.0rc1; newest release v2.1.0")

    run_git("tag", "v3.0.0", cwd=template)  # the release, on the pre-release's commit
    code, out, _ = cli("update", project)
    assert (code, out.splitlines()[0]) == (0, f"{project}: updated v3.0.0rc1 → v3.0.0")
    assert recorded_version(project) == "v3.0.0"


def test_a_project_named_twice_is_updated_once(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    again = tmp_path / "p" / ".." / "p"

    code, out, err = cli("update", project, again, "--to", "v1.1.0", "--jobs", "1", "--json")

    assert code == 0, out + err
    assert err == f"note: {again} is the project {project} named again: it is updated once\n"
    assert [(p["project"], p["status"]) for p in json.loads(out)["projects"]] == [(str(project), "updated")]
    assert recorded_version(project) == "v1.1.0"


# --- speed: one template cache per run ---------------------------------------------------------


def test_the_template_cache_hooks_still_find_copiers_names() -> None:
    # engine.template_cache wraps these private names of Copier 9; were one renamed, updates
    # would still be right, only slower: this test says so before a benchmark does.
    import functools

    from copier import _main, _template

    assert callable(getattr(_template, "clone", None))
    assert callable(_main.Worker._sync_git_index_executable_bit)
    assert isinstance(_main.Worker.__dict__["jinja_env"], functools.cached_property)


def test_a_run_clones_each_template_version_once_and_updates_as_without_the_cache(
    demo_template: Path, tmp_path: Path
) -> None:
    from poc2prod.engine import template_cache

    projects = [new_project(demo_template, tmp_path / name, "v1.0.0") for name in ("a", "b", "plain")]
    for project in projects:
        edit(project, "notes.txt", "two\n", "two, and our own line\n")
        commit_all(project)
    cache = tmp_path / "cache"

    with template_cache(cache):
        cached = [update_project(project, UpdateOptions(to="v1.1.0")) for project in projects[:2]]
    plain = update_project(projects[2], UpdateOptions(to="v1.1.0"))

    assert [r.status for r in cached] == [UpdateStatus.UPDATED, UpdateStatus.UPDATED]
    assert [(r.changed, r.conflicts) for r in cached] == [(plain.changed, plain.conflicts)] * 2
    work_trees = [{k: v for k, v in tree_digest(p).items() if not k.startswith(".git/")} for p in projects]
    assert work_trees[0] == work_trees[1] == work_trees[2]
    assert git_status(projects[0]) == git_status(projects[2])
    assert len(list((cache / "clones").iterdir())) == 2  # v1.0.0 and v1.1.0, for both projects
    assert len(list((cache / "renders").iterdir())) == 1  # v1.0.0 with the shared answers
