"""Adversarial answers: each free-text answer is refused in one line, or lands intact in every file.

Hypothesis draws answer sets from the texts that break files: quotes of both kinds,
backslashes, ``#``, ``:``, Jinja and GitHub Actions braces, YAML's special words, leading and
trailing spaces, tabs, line and paragraph separators, control characters, non-ASCII of every
plane (emoji and right-to-left scripts), very long strings. For every set the template
accepts, every TOML, YAML, JSON and notebook file parses, every Python file compiles, the
answers that are data come back unchanged (``pyproject.toml``, the answers file), the
package metadata builds and validates, and ruff accepts the code as rendered; every set it
refuses is refused with one line.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.helpers import run_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Pieces that have broken, or could break, a file an answer lands in.
HOSTILE = [
    '"',
    "'",
    '"""',
    "\\",
    "\\n",
    "#",
    ": ",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "${{ github.token }}",
    "$(id)",
    "`",
    "yes",
    "null",
    "~",
    "1e3",
    "0o17",
    "- ",
    "* ",
    "[x](y)",
    "<b>",
    "&amp;",
    "|",
    ",",
    "@",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u200f",
    "\ufeff",
    "\ud800",
    "\ufffe",
    "\ue000",
    "é",
    "Zoë",
    "Prévision",
    "\u2019",  # right single quotation mark
    "\u2013",  # en dash
    "😀",
    "\U0001f469\u200d\U0001f52c",  # woman scientist: a ZWJ sequence
    "\U0001d518",  # mathematical fraktur U, outside the BMP
    "\U0010fffd",
    "שלום",
    "مرحبا",
    "日本語",
    "Прогноз",
    "x" * 300,
    "long " * 80,
]


#: What no file can hold, or what changes on the next update: the template refuses it.
UNPRINTABLE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff\\ufffe\\uffff]")
#: The hostile pieces a file must hold as they are.
PRINTABLE = [piece for piece in HOSTILE if not UNPRINTABLE.search(piece)]
#: Any character of any plane but those the template refuses.
ANY_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\ufffe\uffff")


def hostile_text(*, printable: bool) -> st.SearchStrategy[str]:
    """Text of hostile pieces and arbitrary characters; only what the template accepts if ``printable``."""
    if printable:
        piece = st.one_of(st.sampled_from(PRINTABLE), st.text(ANY_PRINTABLE, max_size=4))
    else:
        piece = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4))
    return st.lists(piece, min_size=1, max_size=6).map("".join)


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], odds: int) -> st.SearchStrategy[Any]:
    """Draw from ``rare`` once in ``odds`` draws, else from ``common`` (``one_of`` gives each half)."""
    return st.sampled_from([common] * (odds - 1) + [rare]).flatmap(lambda strategy: strategy)


def free_text() -> st.SearchStrategy[str]:
    """Mostly printable (rendered, then checked); one draw in twenty anything (mostly refused)."""
    return mostly(hostile_text(printable=True), hostile_text(printable=False), 20)


#: Names a new user would give.
NATURAL_NAMES = st.sampled_from(
    ["Churn Model", "Prévision Ventes", "Zoë's model", 'Q3: "Sales" #2', "需要予測 Forecast", "yes", "1e3"]
)
#: What RFC 5322 allows before the @ without quoting (what package metadata accepts).
ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
VALID_EMAIL = st.builds(
    "{}@{}".format,
    st.from_regex(f"{ATOM}(\\.{ATOM})*", fullmatch=True),
    st.sampled_from(["example.com", "exämple.org", "a-b.co.uk", "xn--p1ai.xn--p1ai"]),
)
#: Addresses that are refused: a comma, a space, a non-ASCII letter, no domain, two dots.
BAD_EMAIL = st.builds(
    "{}@{}".format,
    st.text(alphabet="abc.,é {}", min_size=1, max_size=8),
    st.sampled_from(["example.com", "x", "b..c"]),
)
EMAIL = mostly(VALID_EMAIL, st.one_of(BAD_EMAIL, free_text()), 10)


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    """One set of answers: hostile free text, and the choices that decide where it lands."""
    answers: dict[str, Any] = {
        "project_name": draw(st.one_of(free_text(), NATURAL_NAMES)),
        "description": draw(free_text()),
        "author_name": draw(free_text()),
        "author_email": draw(EMAIL),
        "api": draw(st.sampled_from(["fastapi", "none"])),
        "ci_provider": draw(st.sampled_from(["github", "gitlab", "none"])),
    }
    if draw(st.booleans()):
        answers["package_name"] = "churn_model"  # so that names with no Latin letter render too
    if draw(st.booleans()):
        folder = free_text().map(lambda text: text.replace("\\", "_"))
        answers["data_path"] = draw(
            mostly(folder.map(lambda text: f"data/{text}.csv"), st.sampled_from(["/t.csv", "../t.csv"]), 10)
        )
        answers["target_column"] = draw(free_text())
        answers["split_strategy"] = draw(st.sampled_from(["stratified", "time", "group"]))
        if answers["split_strategy"] == "time":
            answers["time_column"] = draw(free_text())
        if answers["split_strategy"] == "group":
            answers["group_column"] = draw(free_text())
    elif draw(st.integers(0, 19)) == 0:
        answers["target_column"] = draw(free_text())  # given without data_path: refused
    return answers


@pytest.fixture(scope="module")
def one_template_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Render every answer set of the module from one clone of the template.

    ``create_project`` clones the template and compiles each of its files for every render;
    inside :func:`poc2prod.engine.template_cache` (what ``update`` uses across a fleet) the
    clone is made once and each file compiled once, so each example pays only for its own
    rendering. Nested caches keep the outer folder, so ``create_project``'s own is this one.
    """
    from poc2prod.engine import template_cache

    with template_cache(tmp_path_factory.mktemp("template-cache")):
        yield


def render_or_refusal(template_repo: Path, answers: dict[str, Any], dest: Path) -> str | None:
    """Render ``answers`` into ``dest`` as ``poc2prod new`` does; return the refusal, if any."""
    from poc2prod.errors import Poc2ProdError
    from poc2prod.project import create_project
    from poc2prod.template import resolve_source

    try:
        create_project(dest, resolve_source(str(template_repo)), answers, defaults=True, git=False, quiet=True)
    except Poc2ProdError as exc:
        return str(exc)
    return None


def parse_every_file(project: Path) -> None:
    """Parse every TOML, YAML, JSON and notebook file; compile every Python file."""
    import nbformat

    notebooks: Any = nbformat  # untyped
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(project))
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".ipynb":
            notebooks.validate(notebooks.reads(text, as_version=4))
        elif path.suffix == ".py":
            compile(text, where, "exec", dont_inherit=True)
            ast.parse(text)


def core_metadata(project: Path) -> Any:
    """The core metadata hatchling builds from ``pyproject.toml``, parsed and validated by packaging."""
    from hatchling.metadata.core import ProjectMetadata
    from hatchling.metadata.spec import construct_metadata_file_2_4
    from hatchling.plugin.manager import PluginManager
    from packaging.metadata import Metadata

    text = construct_metadata_file_2_4(ProjectMetadata(str(project), PluginManager()))
    return Metadata.from_email(text, validate=True)


def check_rendered(project: Path, answers: dict[str, Any]) -> None:
    """Every file parses, and the answers that are data are recorded exactly as given."""
    parse_every_file(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["description"] == answers["description"]
    assert pyproject["authors"] == [{"name": answers["author_name"], "email": answers["author_email"]}]
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    for key, value in answers.items():
        assert recorded[key] == value, key
    metadata = core_metadata(project)
    assert metadata.summary is not None
    assert metadata.author_email is not None and answers["author_email"] in metadata.author_email
    # The answers sit where ruff looks (config.py): it must accept them as they are written.
    for command in (["check", "--no-cache", "--quiet", "."], ["format", "--check", "--no-cache", "--quiet", "."]):
        done = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=project, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def check_refusal(message: str) -> None:
    """One line that names the answer and says what is accepted."""
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(("invalid answer: ", "unknown question")), message
    assert ": " in message.removeprefix("invalid answer: "), message


@pytest.mark.slow
@given(answers=answer_sets())
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(answers={"project_name": "Prévision Ventes"})
@example(answers={"project_name": "Zoë's model", "description": 'Say "hi" \\ # {{ x }} ${{ y }}'})
@example(answers={"project_name": "Churn 😀", "author_name": "Zoë 😀", "description": "Predicts 😀 and \U0001d518"})
def test_hostile_answers_render_valid_files_or_are_refused(
    template_repo: Path, one_template_clone: None, answers: dict[str, Any]
) -> None:
    # About 45 s for 200 sets on 2 cores: slow, and run by CI with the other slow tests.
    answers = {"description": "d", "author_name": "A", "author_email": "a@example.com", **answers}
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        refusal = render_or_refusal(template_repo, answers, project)
        if refusal is not None:
            check_refusal(refusal)
            assert not project.exists()
            event(f"refused: {refusal.removeprefix('invalid answer: ').split()[0]}")
        else:
            check_rendered(project, answers)
            event("rendered")


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"project_name": "Churn\x00Model"}, 'project_name has a control character, tab or line break ("\\u0000")'),
        ({"description": "A line\x85break"}, 'description has a control character, tab or line break ("\\u0085")'),
        ({"project_name": "A\u2028B"}, "give the name as printable text on one line"),
        ({"author_name": "Ann\nLee"}, "author_name has a control character"),
        ({"author_email": "a,b@example.com"}, "is not an e-mail address that package metadata accepts"),
        ({"author_email": "zoë@example.com"}, "ASCII"),
        ({"project_name": "予測モデル"}, "--data package_name="),
        ({"project_name": "😀"}, "--data package_name="),
        ({"target_column": "churned"}, "target_column is given but data_path is empty"),
        ({"data_path": "/srv/data/churn.csv"}, "must be a path inside the project"),
        ({"data_path": "../churn.csv"}, "must be a path inside the project"),
        ({"data_path": "~/churn.csv"}, "must be a path inside the project"),
        ({"data_path": "data\\churn.csv"}, 'use "/" between folders'),
        ({"data_path": "data/t.csv", "time_column": "when"}, "time_column is given but split_strategy is stratified"),
    ],
)
def test_refusals_say_what_is_wrong_and_what_is_accepted(
    template_repo: Path, tmp_path: Path, answers: dict[str, Any], fragment: str
) -> None:
    refusal = render_or_refusal(template_repo, answers, tmp_path / "project")
    assert refusal is not None
    check_refusal(refusal)
    assert fragment in refusal, refusal


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [
        ("Prévision Ventes", "prevision_ventes"),
        ("Zoë's model", "zoes_model"),
        ("Straße & Œuvre: Ærø Łódź", "strasse_oeuvre_aero_lodz"),
        ("Tiếng Việt dự báo", "tieng_viet_du_bao"),
        ("2026 Churn", "churn_2026"),
        ("A very long project name that goes on and on", "a_very_long_project_name_that"),
    ],
)
def test_package_name_is_transliterated_from_the_project_name(
    render: Callable[..., Path], project_name: str, package_name: str
) -> None:
    project = render(project_name=project_name)
    assert (project / "src" / package_name / "__init__.py").is_file()
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (recorded["project_name"], recorded["package_name"]) == (project_name, package_name)


@pytest.mark.slow
def test_hostile_answers_pass_the_projects_own_checks(render: Callable[..., Path]) -> None:
    # One hostile set through the project's fast tests (the model card's included), ruff and mypy.
    answers = {
        "project_name": "Zoë's \u201cmodel\u201d \u2013 {{ x }} 😀 [/] *a* #1",
        "description": 'Predicts "churn" \u2013 {% raw %} ${{ github.token }} \\ [bold]x[/] \U0001d518 <b>&amp;',
        "author_name": "Zoë O'Neil {{ team }} 😀",
        "author_email": "zoe.o'neil+{x}@example.com",
        "package_name": "churn_model",
    }
    project = render(**answers)
    done = run_in(project, sys.executable, "-m", "pytest", "-q", "-x", "-m", "not notebooks", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        done = run_in(project, sys.executable, "-m", *command)
        assert done.returncode == 0, (command, done.stdout[-4000:], done.stderr[-2000:])
    done = run_in(project, sys.executable, "-m", "churn_model", "--help")
    assert done.returncode == 0, done.stderr
    assert "Zoë's \u201cmodel\u201d" in done.stdout
