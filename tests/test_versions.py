"""Template versions: tags compared as PEP 440, and what changed in each from CHANGELOG.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version
from typer.testing import CliRunner

from poc2prod.cli import app
from poc2prod.versions import changelog_section, parse_version, recorded_version, release_tags, template_versions
from tests.update_support import commit_all, new_project, run_git

runner = CliRunner()


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("v0.1.0", Version("0.1.0")),
        ("0.2.0", Version("0.2.0")),
        ("v1.0.0-3-gabc1234", Version("1.0.0.post3+gabc1234")),
        ("v2.0.0rc1", Version("2.0.0rc1")),
        ("main", None),
        ("4f9c2e1d8a7b", None),
    ],
)
def test_parse_version(ref: str, expected: Version | None) -> None:
    assert parse_version(ref) == expected


@pytest.mark.parametrize(
    ("ref", "tags", "expected"),
    [
        # Abbreviated commit ids of an untagged template that PEP 440 would read as versions.
        ("1234567", [], None),
        ("12c3456", ["v0.1.0"], None),
        ("8a41e07", [], None),
        # A tag of that name exists: then it is the version.
        ("20240101", ["20240101"], Version("20240101")),
        ("v0.1.0", ["v0.1.0"], Version("0.1.0")),
        ("v0.1.0-3-g1234567", ["v0.1.0"], Version("0.1.0.post3+g1234567")),
    ],
)
def test_recorded_version_never_reads_a_commit_id_as_a_version(
    ref: str, tags: list[str], expected: Version | None
) -> None:
    assert parse_version("1234567") == Version("1234567")  # what a plain PEP 440 parse would give
    assert recorded_version(ref, lambda: tags) == expected


def test_release_tags_sort_as_pep440_and_skip_prereleases_and_non_versions() -> None:
    tags = ["v0.10.0", "v0.9.0", "v0.2.0", "v1.0.0rc1", "latest", "v0.9.1"]
    assert release_tags(tags) == ["v0.2.0", "v0.9.0", "v0.9.1", "v0.10.0"]
    assert release_tags(tags, prereleases=True)[-1] == "v1.0.0rc1"


CHANGELOG = """# Changelog

## [v0.3.0] - 2026-11-02

- Renamed X.

## 0.2.0

### Added
- Y.

## v0.1.0
- First.
"""


@pytest.mark.parametrize(
    ("version", "section"),
    [("0.3.0", "- Renamed X."), ("v0.2.0", "### Added\n- Y."), ("0.1.0", "- First."), ("0.4.0", None)],
)
def test_changelog_section(version: str, section: str | None) -> None:
    assert changelog_section(CHANGELOG, Version(version)) == section


def test_versions_lists_each_tag_with_its_changelog_section(demo_template: Path) -> None:
    result = runner.invoke(app, ["versions", "--template", str(demo_template)])

    assert result.exit_code == 0
    assert result.stdout.startswith(
        "v2.1.0  (newest)\n  - New question `team` (no default) and team.txt.\n\n"
        "v2.0.0\n  - guide.txt is now handbook.txt; legacy.txt is gone.\n"
    )
    assert result.stdout.endswith("v1.0.0\n  - First version.\n\n")
    assert [line for line in result.stdout.splitlines() if line.startswith("v")] == [
        "v2.1.0  (newest)",
        "v2.0.0",
        "v1.3.0",
        "v1.2.0",
        "v1.1.0",
        "v1.0.0",
    ]


def test_versions_as_json_from_a_url(demo_template: Path) -> None:
    result = runner.invoke(app, ["versions", "--template", f"file://{demo_template}", "--json"])

    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["template"] == f"file://{demo_template}"
    assert report["versions"][2] == {
        "tag": "v1.3.0",
        "changes": "- Documentation only: nothing in a rendered project changes.",
    }


def test_a_tag_without_changelog_section_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "tpl"
    repo.mkdir()
    (repo / "copier.yml").write_text("name:\n  type: str\n")
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "first")
    run_git("tag", "v0.1.0", cwd=repo)

    assert [(v.tag, v.changes) for v in template_versions(str(repo))] == [("v0.1.0", None)]
    result = runner.invoke(app, ["versions", "--template", str(repo)])
    assert result.stdout == "v0.1.0  (newest)\n  (no CHANGELOG.md entry)\n\n"


def test_a_template_without_tags(tmp_path: Path) -> None:
    repo = tmp_path / "tpl"
    repo.mkdir()
    (repo / "copier.yml").write_text("name:\n  type: str\n")
    run_git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "first")

    result = runner.invoke(app, ["versions", "--template", str(repo)])

    assert (result.exit_code, result.stdout) == (0, f"{repo} has no version tags (v0.1.0, …) yet.\n")


def test_a_template_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("name:\n  type: str\n")

    result = runner.invoke(app, ["versions", "--template", str(tmp_path)])

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: template source '{tmp_path}' is not a git repository: template versions are git tags, "
        "so pass --template with the path or URL of the template's git repository\n"
    )


def test_inside_a_project_versions_lists_its_template_and_marks_its_version(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.2.0")
    monkeypatch.chdir(project)

    result = runner.invoke(app, ["versions"])

    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if line.startswith("v")] == [
        "v2.1.0  (newest)",
        "v2.0.0",
        "v1.3.0",
        "v1.2.0  (this project)",
        "v1.1.0",
        "v1.0.0",
    ]
    monkeypatch.chdir(tmp_path)
    report = json.loads(runner.invoke(app, ["versions", "--project", str(project), "--json"]).stdout)
    assert (report["template"], report["current"], len(report["versions"])) == (str(demo_template), "v1.2.0", 6)


def test_versions_of_a_folder_that_is_no_project_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["versions", "--project", str(tmp_path)])

    assert result.exit_code == 2
    assert "no .copier-answers.yml" in result.stderr
