"""``poc2prod versions --since``: the changes between a project's version and the newest.

The template-update workflow of rendered projects puts this output in its pull request.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from poc2prod.cli import app

runner = CliRunner()


def test_since_lists_only_the_newer_versions(demo_template: Path) -> None:
    result = runner.invoke(app, ["versions", "--template", str(demo_template), "--since", "v1.2.0"])

    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if line.startswith("v")] == [
        "v2.1.0  (newest)",
        "v2.0.0",
        "v1.3.0",
    ]
    assert "  - New question `team` (no default) and team.txt." in result.stdout


def test_since_accepts_git_describe_output_and_json(demo_template: Path) -> None:
    # A project rendered from a commit after v2.0.0 records `v2.0.0-2-gabc1234`.
    result = runner.invoke(
        app, ["versions", "--template", str(demo_template), "--since", "v2.0.0-2-gabc1234", "--json"]
    )

    assert result.exit_code == 0
    assert [item["tag"] for item in json.loads(result.stdout)["versions"]] == ["v2.1.0"]


def test_since_the_newest_says_there_is_nothing_newer(demo_template: Path) -> None:
    result = runner.invoke(app, ["versions", "--template", str(demo_template), "--since", "v2.1.0"])

    assert result.exit_code == 0
    assert result.stdout == f"{demo_template} has no version newer than v2.1.0.\n"


def test_since_that_is_not_a_version_is_refused(demo_template: Path) -> None:
    result = runner.invoke(app, ["versions", "--template", str(demo_template), "--since", "main"])

    assert result.exit_code == 2
    assert result.stderr == "error: --since 'main' is not a version: give a tag such as v0.1.0\n"


def test_since_a_version_the_template_does_not_have_is_refused_naming_its_versions(demo_template: Path) -> None:
    for since in ("v9.9.9", "v1.4.0", "v1.4.0-2-gabc1234"):
        result = runner.invoke(app, ["versions", "--template", str(demo_template), "--since", since])

        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (
            f"error: --since {since!r} is no version of {demo_template}: "
            "its versions are v2.1.0, v2.0.0, v1.3.0, v1.2.0, v1.1.0, v1.0.0\n"
        )
