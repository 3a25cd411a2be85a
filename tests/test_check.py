"""``poc2prod check``: where each project stands against its template, with exit codes for CI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from poc2prod.check import check_project
from poc2prod.cli import app
from poc2prod.update import UpdateOptions, update_project
from tests.update_support import commit_all, edit, new_project, tree_digest

runner = CliRunner()


def check_json(*paths: Path) -> tuple[int, list[dict[str, object]]]:
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


def test_current_folder_is_the_default(demo_template: Path, tmp_path: Path, monkeypatch: object) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    monkeypatch.chdir(project)  # type: ignore[attr-defined]

    result = runner.invoke(app, ["check", "--json"])

    assert json.loads(result.stdout)["projects"][0]["project"] == "."
    assert result.exit_code == 1
