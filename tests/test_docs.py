"""The docs site: it builds in strict mode, its generated pages match the code, and the
README's links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from poc2prod import SITE_URL

REPO = Path(__file__).resolve().parents[1]


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """A broken link, a missing page or a page left out of the nav fails the build."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "lint" / "P2P101" / "index.html").is_file()
    assert (tmp_path / "site" / "lifecycle" / "index.html").is_file()


def test_the_generated_pages_match_the_code() -> None:
    """The lint pages, the options table and both CLI references are what the code gives."""
    done = subprocess.run(
        [sys.executable, "-m", "poc2prod.docs", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_site_url_is_where_the_checks_link() -> None:
    config = yaml.safe_load(
        re.sub(r"!!python/name:\S+", "''", (REPO / "mkdocs.yml").read_text())  # a tag PyYAML's safe loader refuses
    )
    assert config["site_url"] == SITE_URL


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load(re.sub(r"!!python/name:\S+", "''", (REPO / "mkdocs.yml").read_text()))
    listed: set[str] = set()

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, str):
                listed.add(item)
            elif isinstance(item, dict):
                for value in item.values():
                    walk(value if isinstance(value, list) else [value])

    walk(config["nav"])
    pages = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    assert pages == listed


def test_readme_links_lead_to_files() -> None:
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert local
    missing = [link for link in local if not (REPO / link).exists()]
    assert missing == []


# Paths of a rendered project that commands write (training, reports, the model card), so
# a fresh render does not have them yet.
WRITTEN_BY_COMMANDS = ("models/", "reports/", "logs/", "data/holdout/", "docs/model_card.md")
# Paths that other answers render (the map names them as the alternative: "ci.yml or ...").
OTHER_ANSWERS = (".gitlab-ci.yml",)
PROJECT_COMMAND = re.compile(r"^## `python -m churn_model(?: (?P<command>[a-z -]+))?`$", re.MULTILINE)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project rendered from this work tree with the default answers (package churn_model)."""
    from poc2prod.docs import _render, _template_copy

    tmp = tmp_path_factory.mktemp("lifecycle")
    project = tmp / "churn"
    result = _render(_template_copy(REPO, tmp / "template-source"), {}, project)
    assert not isinstance(result, str), result
    return project


def project_commands() -> set[str]:
    """The commands of a default project, from the generated (and drift-checked) reference."""
    text = (REPO / "docs" / "reference" / "project_cli.md").read_text(encoding="utf-8")
    return {match["command"] for match in PROJECT_COMMAND.finditer(text) if match["command"]}


def where_cells(page: str) -> list[str]:
    """The "where" column (the last) of the step tables of ``docs/lifecycle.md``."""
    rows = [line for line in page.splitlines() if re.match(r"\| (?:\d|I)", line)]
    return [row.rstrip(" |").rsplit(" | ", 1)[1] for row in rows]


def test_the_lifecycle_map_names_what_a_project_has(rendered: Path) -> None:
    """Every file, command and make target the lifecycle map points at exists."""
    commands = project_commands()
    makefile = (rendered / "Makefile").read_text(encoding="utf-8")
    cells = where_cells((REPO / "docs" / "lifecycle.md").read_text(encoding="utf-8"))
    assert len(cells) >= 19  # Part I (8 rows) and Part II (11 rows)
    missing = []
    for cell in cells:
        for token in re.findall(r"`([^`]+)`", cell):
            if (rendered / token).is_file():  # a file at the root: Dockerfile, pyproject.toml
                found = True
            elif token.startswith("make "):
                found = re.search(rf"^{re.escape(token[5:])}:", makefile, re.MULTILINE) is not None
            elif "/" in token or "." in token:  # a path; a bare module name lives in the package
                path = f"src/churn_model/{token}" if re.fullmatch(r"\w+\.py", token) else token
                found = path.startswith(WRITTEN_BY_COMMANDS) or path in OTHER_ANSWERS or (rendered / path).exists()
            else:  # a command, maybe with options: the longest command it starts with
                words = token.split()
                name = next((" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in commands), None)
                found = name is not None
            if not found:
                missing.append(token)
    assert missing == []


def test_every_project_command_is_explained(rendered: Path) -> None:
    """The lifecycle map and the rendered README name every command of the project."""
    lifecycle = (REPO / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    readme = (rendered / "README.md").read_text(encoding="utf-8")
    commands = {command for command in project_commands() if command != "models"}  # a group
    assert commands >= {"train", "evaluate", "predict", "serve", "evaluate-online", "monitor"}
    assert sorted(c for c in commands if f"`{c}" not in lifecycle) == []
    assert sorted(c for c in commands if f"python -m churn_model {c}" not in readme) == []


def test_the_rendered_project_documents_its_use_case(rendered: Path) -> None:
    """docs/use_case.md is written from the answers: no placeholder is left to fill in."""
    use_case = (rendered / "docs" / "use_case.md").read_text(encoding="utf-8")
    assert use_case.startswith("# Use case of Churn Model\n")
    assert "Predict a target from tabular data" in use_case  # the description answer
    assert "**binary classification**" in use_case and "accuracy" in use_case
    assert not re.search(r"TODO|TBD|\{\{|\{%", use_case)


def test_every_picture_is_made_by_the_script_and_shown() -> None:
    """docs/images/ holds exactly what scripts/docs_pictures.py writes, and pages show each."""
    script = (REPO / "scripts" / "docs_pictures.py").read_text(encoding="utf-8")
    written = set(re.findall(r'IMAGES / "([^"]+)"', script))
    images = {path.name for path in (REPO / "docs" / "images").iterdir()}
    assert written == images
    pages = "\n".join(path.read_text(encoding="utf-8") for path in (REPO / "docs").rglob("*.md"))
    assert sorted(name for name in images if f"images/{name})" not in pages) == []


def test_the_generator_names_stale_pages_then_rewrites_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import poc2prod.docs as generator

    pages = {generator.DOCS / "options.md": "options\n", generator.DOCS / "lint" / "P2P101.md": "P2P101\n"}
    monkeypatch.setattr(generator, "generated_pages", lambda: pages)
    (tmp_path / "lint").mkdir()
    (tmp_path / "options.md").write_text("options\n")  # up to date
    (tmp_path / "lint" / "P2P101.md").write_text("an older P2P101\n")  # stale
    (tmp_path / "lint" / "P2P999.md").write_text("a check that is gone\n")

    assert generator.main(["--check"], docs=tmp_path) == 1
    out = capsys.readouterr().out
    assert "P2P101.md" in out and "P2P999.md" in out and "options.md" not in out
    assert (tmp_path / "lint" / "P2P999.md").is_file()  # --check changes nothing

    assert generator.main([], docs=tmp_path) == 0
    assert (tmp_path / "lint" / "P2P101.md").read_text() == "P2P101\n"
    assert not (tmp_path / "lint" / "P2P999.md").exists()
    assert generator.main(["--check"], docs=tmp_path) == 0


def test_the_generator_refuses_an_unknown_argument() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "poc2prod.docs", "--chek"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown argument '--chek'") and "Traceback" not in done.stderr


# Options of git, pip and Copier that the guides name beside poc2prod's.
FOREIGN_OPTIONS = {"--group", "--no-tags", "--oneline", "--short", "--tags", "--theirs", "--trust"}


def test_the_options_the_guides_name_exist() -> None:
    """An option of poc2prod or of a project named in a hand-written page is in a generated
    reference, so a renamed or removed option cannot linger in the guides."""
    references = "\n".join(
        (REPO / "docs" / "reference" / name).read_text(encoding="utf-8") for name in ("cli.md", "project_cli.md")
    )
    known = set(re.findall(r"--[a-z][a-z-]*", references)) | FOREIGN_OPTIONS
    unknown = {}
    for page in ("index.md", "cli.md", "updates.md", "tutorial.md", "lifecycle.md"):  # not the project's tools
        named = set(re.findall(r"--[a-z][a-z-]*", (REPO / "docs" / page).read_text(encoding="utf-8")))
        if named - known:
            unknown[page] = sorted(named - known)
    assert unknown == {}
