"""``poc2prod check``: where each project stands against its template, with exit codes for CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from poc2prod.check import check_project
from poc2prod.cli import app
from poc2prod.update import UpdateOptions, update_project
from tests.update_support import ANSWERS_TEMPLATE, commit_all, edit, new_project, run_git, tree_digest

runner = CliRunner()


def check_json(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["check", "--json", *map(str, paths)])
    return result.exit_code, json.loads(result.stdout)["projects"]


def test_a_project_behind_the_newest_version(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.1.0")
    before = tree_digest(project)

    code, [report] = check_json(project)

    assert code == 1
    assert report == {
        "project": str(project),
        "status": "behind",
        "source": str(demo_template),
        "current": "v1.1.0",
        "newest": "v2.1.0",
        "behind": True,
        "conflicts": [],
        "error": None,
        "hint": None,
    }
    assert tree_digest(project) == before  # a check writes nothing, not even .git/index


def test_a_project_at_the_newest_version(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v2.1.0", team="ml")

    code, [report] = check_json(project)

    assert (code, report["status"], report["behind"]) == (0, "up to date", False)


def test_unresolved_conflicts_are_reported_until_resolved(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(project)
    update_project(project, UpdateOptions(to="v1.1.0"))

    code, [report] = check_json(project)
    assert (code, report["status"], report["conflicts"]) == (1, "conflicted", ["config.ini"])

    # Committing the markers does not make them go away: check still finds them.
    commit_all(project, "Commit with markers, by mistake")
    assert check_project(project).conflicts == ["config.ini"]

    (project / "config.ini").write_text((project / "config.ini").read_text().replace("<<<<<<< before updating\n", ""))
    assert check_project(project).conflicts == []


def test_rej_files_are_reported_as_conflicts(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    (project / ".gitignore").write_text("*.rej\n")
    edit(project, "config.ini", "beta = 2\n", "beta = 200\n")
    commit_all(project)
    update_project(project, UpdateOptions(to="v1.1.0", conflict="rej"))

    assert check_project(project).conflicts == ["config.ini.rej"]


def test_a_fleet_table_and_exit_code(demo_template: Path, tmp_path: Path) -> None:
    behind = new_project(demo_template, tmp_path / "behind", "v1.0.0")
    not_a_project = tmp_path / "empty"
    not_a_project.mkdir()

    result = runner.invoke(app, ["check", str(behind), str(not_a_project)])

    assert result.exit_code == 2
    rows = [line for line in result.stdout.splitlines() if str(tmp_path) in line]
    assert "v1.0.0" in rows[0] and "v2.1.0" in rows[0] and "behind" in rows[0]
    assert "error" in rows[1]
    assert result.stderr == (
        f"error: {not_a_project}: no .copier-answers.yml, so its template and version are unknown: restore the file "
        "from git history (git log -- .copier-answers.yml), or create the project with poc2prod new\n"
    )


def test_one_folder_that_is_not_a_project_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()

    result = runner.invoke(app, ["check", str(folder)])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {folder}: no .copier-answers.yml, so its template and version are unknown: restore the file "
        "from git history (git log -- .copier-answers.yml), or create the project with poc2prod new\n"
    )


def test_a_recorded_version_the_template_never_had_is_an_error(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, ".copier-answers.yml", "_commit: v1.0.0", "_commit: garbage123")
    commit_all(project)

    code, [report] = check_json(project)

    assert (code, report["status"], report["current"]) == (2, "error", "garbage123")
    assert report["error"] == (
        f"{project}: .copier-answers.yml records _commit 'garbage123', which is no version tag or commit of the "
        "template: restore the file from git history (git log -p -- .copier-answers.yml)"
    )


def test_an_unreachable_source_is_an_error(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    edit(project, ".copier-answers.yml", str(demo_template), str(tmp_path / "gone"))
    commit_all(project)

    code, [report] = check_json(project)

    assert (code, report["status"], report["current"]) == (2, "error", "v1.0.0")
    assert report["error"] == (
        f"template source '{tmp_path / 'gone'}' does not exist (moved or deleted?): "
        "pass --template with its current path or URL"
    )
    # Following the hint: the moved template, given on the command line.
    moved = runner.invoke(app, ["check", "--json", "--template", str(demo_template), str(project)])
    assert moved.exit_code == 1, moved.output
    (report,) = json.loads(moved.stdout)["projects"]
    assert (report["status"], report["source"], report["current"]) == ("behind", str(demo_template), "v1.0.0")


def test_current_folder_is_the_default(demo_template: Path, tmp_path: Path, monkeypatch: object) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    monkeypatch.chdir(project)  # type: ignore[attr-defined]

    result = runner.invoke(app, ["check", "--json"])

    assert json.loads(result.stdout)["projects"][0]["project"] == "."
    assert result.exit_code == 1


def _untagged_template(repo: Path) -> Path:
    repo.mkdir()
    (repo / "copier.yml").write_text("_answers_file: .copier-answers.yml\nname:\n  type: str\n  default: demo\n")
    (repo / "README.md.jinja").write_text("# {{ name }}\n")
    (repo / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS_TEMPLATE)
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "first")
    return repo


def test_an_untagged_template_that_moved_on_is_behind_with_a_hint(tmp_path: Path) -> None:
    template = _untagged_template(tmp_path / "tpl")
    project = new_project(template, tmp_path / "p", "HEAD")
    rendered_at = run_git("rev-parse", "--short", "HEAD", cwd=template).strip()

    code, [report] = check_json(project)
    assert (code, report["status"], report["current"], report["hint"]) == (0, "up to date", rendered_at, None)
    assert report["newest"] == f"HEAD ({rendered_at})"
    # update agrees with check: up to date, not an error about missing tags
    assert update_project(project, UpdateOptions()).status.value == "up to date"

    (template / "README.md.jinja").write_text("# {{ name }}\n\nMore.\n")
    commit_all(template, "second")
    head = run_git("rev-parse", "HEAD", cwd=template).strip()

    code, [report] = check_json(project)

    assert (code, report["status"], report["newest"]) == (1, "behind", f"HEAD ({head[:7]})")
    assert report["hint"] == (
        f"the template's default branch moved on since {rendered_at} and has no version tags: "
        "update with --to HEAD, or tag a release of the template"
    )
    refused = update_project(project, UpdateOptions())
    assert (refused.status.value, refused.message) == (
        "refused",
        f"template source {str(template)!r} has no version tags (v0.1.0, …) and its default branch moved on: "
        "update with --to HEAD (or another branch or commit), or tag a release of the template",
    )
    assert update_project(project, UpdateOptions(to="HEAD")).status.value == "updated"
    commit_all(project, "Update")
    assert check_json(project)[0] == 0


def test_a_project_between_releases_is_behind_when_the_branch_moved_on(tmp_path: Path) -> None:
    template = _untagged_template(tmp_path / "tpl")
    run_git("tag", "v0.1.0", cwd=template)
    (template / "README.md.jinja").write_text("# {{ name }}\n\nDev.\n")
    commit_all(template, "after the release")
    project = new_project(template, tmp_path / "p", "HEAD")
    assert check_json(project)[0] == 0  # at the tip: ahead of v0.1.0, not behind
    # update agrees with check: up to date, not refused as a commit after the newest release
    assert update_project(project, UpdateOptions()).status.value == "up to date"

    (template / "README.md.jinja").write_text("# {{ name }}\n\nDev 2.\n")
    commit_all(template, "further")

    code, [report] = check_json(project)

    assert (code, report["status"], report["current"]) == (1, "behind", report["current"])
    assert report["current"].startswith("v0.1.0-1-g")
    assert "has no newer version tag: update with --to HEAD" in report["hint"]
    # A plain update goes to the newest tag, older than the project: refused with the way out.
    before = tree_digest(project)
    refused = runner.invoke(app, ["update", str(project)])
    assert refused.exit_code == 2
    assert f"is at {report['current']}, a commit after the newest release v0.1.0: pass --to HEAD" in refused.stderr
    assert tree_digest(project) == before
    assert update_project(project, UpdateOptions(to="HEAD")).status.value == "updated"
