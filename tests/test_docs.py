"""The docs site: it builds in strict mode, its generated pages match the code, and the
README's links lead somewhere."""

from __future__ import annotations

import os
import re
import shutil
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


def test_check_names_stale_pages_and_a_write_brings_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A changed page, a page of a check that no longer exists and a nav without a check's
    page are each named by ``--check`` (exit 1); a run without it rewrites them."""
    from poc2prod import docs

    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    project_cli = (REPO / "docs" / "reference" / "project_cli.md").read_text(encoding="utf-8")
    monkeypatch.setattr(docs, "REPO", tmp_path)
    monkeypatch.setattr(docs, "DOCS", tmp_path / "docs")
    monkeypatch.setattr(docs, "project_cli_reference", lambda: project_cli)  # no render: it has its own test
    # Nor the table of what each answer renders (a render per answer, at each of the four runs):
    # test_the_generated_pages_match_the_code compares it with fresh renders.
    options = (REPO / "docs" / "options.md").read_text(encoding="utf-8")
    effects = options.split(docs.EFFECTS_BEGIN, 1)[1].split(docs.EFFECTS_END, 1)[0].strip()
    monkeypatch.setattr(docs, "answer_effects_table", lambda: effects)
    assert docs.main(["--check"]) == 0

    page = tmp_path / "docs" / "lint" / "P2P101.md"
    page.write_text(page.read_text(encoding="utf-8").replace("src layout", "flat layout"), encoding="utf-8")
    (tmp_path / "docs" / "lint" / "P2P999.md").write_text("# a removed check\n", encoding="utf-8")
    nav = tmp_path / "mkdocs.yml"
    nav.write_text(nav.read_text(encoding="utf-8").replace("          - lint/P2P803.md\n", ""), encoding="utf-8")
    capsys.readouterr()
    assert docs.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "docs/lint/P2P101.md" in out and "docs/lint/P2P999.md" in out and "mkdocs.yml" in out
    assert "src layout" not in page.read_text(encoding="utf-8")  # --check writes nothing

    assert docs.main([]) == 0
    assert "src layout" in page.read_text(encoding="utf-8")
    assert not (tmp_path / "docs" / "lint" / "P2P999.md").exists()
    assert "- lint/P2P803.md" in nav.read_text(encoding="utf-8")
    assert docs.main(["--check"]) == 0


def test_docs_refuses_to_run_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from poc2prod import docs

    monkeypatch.setattr(docs, "REPO", tmp_path)  # where an installed wheel's parent would be
    assert docs.main(["--check"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path} is not a poc2prod checkout")


def test_every_check_page_says_what_why_and_how() -> None:
    from poc2prod.lint.checks import all_checks

    for check_id, check in all_checks().items():
        page = (REPO / "docs" / "lint" / f"{check_id}.md").read_text(encoding="utf-8")
        for heading in ("## What it checks", "## Why it matters", "## How to fix it"):
            assert heading in page, (check_id, heading)
        for text in (check.what, check.why):
            assert " ".join(text.split()) in " ".join(page.split()), check_id


def command_helps() -> dict[str, str]:
    """The generated help of every command, by command line (``poc2prod update``,
    ``python -m churn_model models list``)."""
    found: dict[str, str] = {}
    for name in ("cli.md", "project_cli.md"):
        text = (REPO / "docs" / "reference" / name).read_text(encoding="utf-8")
        found.update(re.findall(r"^## `([^`]+)`\n\n```text\n(.*?)^```", text, re.M | re.S))
    return found


def command_lines(text: str) -> list[str]:
    """Every shell command of a Markdown page: inline code and the lines of code blocks,
    split at ``&&``, ``||``, ``|`` and ``;``."""
    snippets = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S):
        snippets += block.replace("\\\n", " ").splitlines()
    return [part for snippet in snippets for part in re.split(r"&&|\|\||[|;]", snippet)]


#: A command of poc2prod or of the default rendered project, after an optional prompt,
#: environment variables and a folder (``../.venv/bin/poc2prod``).
COMMAND = re.compile(
    r"\s*(?:\$ )?(?:[A-Z_]+=\S+ +)*(?:\S*/)?(poc2prod|python -m churn_model) ([a-z][a-z-]*)((?: \S+)*)"
)


def test_the_hand_written_pages_name_only_commands_and_options_that_exist() -> None:
    """The guides, the tutorial, the lifecycle map and the README show commands by hand:
    each must be a command of poc2prod or of a rendered project, each option one it has."""
    helps = command_helps()
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    checked, wrong = 0, []
    for page in pages:
        if page.name == "performance.md":  # written by the benchmarks' owner
            continue
        for line in command_lines(page.read_text(encoding="utf-8")):
            match = COMMAND.match(line)
            if match is None:
                continue
            program, first, rest = match.groups()
            command = program
            for word in [first, *rest.split()]:
                if f"{command} {word}" not in helps:
                    break
                command = f"{command} {word}"
            checked += 1
            if command == program:
                wrong.append(f"{page.name}: {line.strip()}: no such command")
                continue
            for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest):
                if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", helps[command]):
                    wrong.append(f"{page.name}: {line.strip()}: {command} has no {option}")
    assert checked > 40
    assert wrong == []
    # The guide of poc2prod's commands also lists options in tables and prose.
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", (REPO / "docs" / "reference" / "cli.md").read_text()))
    guide = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", guide)) - options == set()


def test_the_hand_written_option_tables_agree_with_copier_yml() -> None:
    """The tables of docs/options.md written by hand (values, defaults, what is refused) list
    every choice a question has, and its default when that is a plain value."""
    questions = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    text = (REPO / "docs" / "options.md").read_text(encoding="utf-8").split("<!-- options: end -->", 1)[1]
    tables = re.findall(r"^\| key \| values \| default \|.*?\n\n", text, re.M | re.S)
    rows = [row for table in tables for row in re.findall(r"^\| `([a-z_]+)` \| (.*?) \| (.*?) \| .* \|$", table, re.M)]
    assert {key for key, _, _ in rows} >= {"project_name", "license", "split_strategy", "model_family", "tracking"}
    wrong = []
    for key, values, default in rows:
        question = questions[key]
        choices = question.get("choices") or []
        choices = list(choices.values()) if isinstance(choices, dict) else choices  # label: value
        wrong += [f"{key}: no `{c}` in values" for c in choices if f"`{c}`" not in values]
        literal = question.get("default")
        if isinstance(literal, str) and literal and "{{" not in literal and len(literal) < 40:
            wrong += [] if f"`{literal}`" in default else [f"{key}: default is `{literal}`, not {default}"]
    assert wrong == []


def test_the_api_settings_the_docs_name_exist() -> None:
    """Every ``<PKG>_NAME`` or ``CHURN_MODEL_NAME`` variable in the docs is a field of the
    rendered API's settings (pydantic-settings reads ``<PKG>_`` + the field's name)."""
    (api,) = (REPO / "template" / "src" / "{{package_name}}").glob("*api.py*.jinja")
    settings = api.read_text(encoding="utf-8").split("class ApiSettings", 1)[1].split("\nclass ", 1)[0]
    fields = set(re.findall(r"^    ([a-z_]+): ", settings, re.M))
    assert {"model_dir", "challenger_share", "admin_token"} <= fields
    named = set()
    for page in [REPO / "README.md", *(REPO / "docs").rglob("*.md")]:
        named |= set(re.findall(r"(?:<PKG>|CHURN_MODEL)_([A-Z_]+[A-Z])", page.read_text(encoding="utf-8")))
    assert named
    assert {name.lower() for name in named} - fields == set()


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


def test_the_generator_refuses_an_unknown_argument() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "poc2prod.docs", "--chek"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown argument '--chek'") and "Traceback" not in done.stderr


# Options of git, pip and Copier that the guides name beside poc2prod's.
FOREIGN_OPTIONS = {
    "--group",
    "--hard",
    "--no-tags",
    "--oneline",
    "--short",
    "--tags",
    "--theirs",
    "--trust",
    "--upgrade",
}


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
