"""``poc2prod new``: rendering, git, answers file, and refusing bad input cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_cli


def tree(path: Path) -> list[str]:
    """Every path below ``path``, relative and sorted (empty if it does not exist)."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def assert_refused(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit code 2, one ``error:`` line that names the problem, no traceback."""
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_new_renders_commits_and_records_the_template(template_repo: Path, tmp_path: Path) -> None:
    done = run_cli("new", str(tmp_path / "churn"), "--defaults", "--template", str(template_repo), "-q")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "churn"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(template_repo)
    assert Path(answers["_src_path"]).is_absolute()
    assert answers["_commit"] == "v0.1.0"
    assert answers["problem_type"] == "binary"
    assert answers["package_name"] == "churn_model"
    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True)
    assert log.stdout.strip() == "Render project from the poc2prod template v0.1.0"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert (project / "src" / "churn_model" / "train.py").is_file()


def test_no_git_and_data_file(template_repo: Path, tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("project_name: Wine Quality\nproblem_type: multiclass\nlicense: Apache-2.0\n")
    done = run_cli(
        "new",
        str(tmp_path / "wine"),
        "--defaults",
        "--no-git",
        "--template",
        str(template_repo),
        "--data-file",
        str(answers_file),
        "--data",
        "license=BSD-3-Clause",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    project = tmp_path / "wine"
    assert not (project / ".git").exists()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["package_name"], answers["problem_type"], answers["license"]) == (
        "wine_quality",
        "multiclass",
        "BSD-3-Clause",
    )
    assert (project / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert 'PROBLEM_TYPE: ProblemType = "multiclass"' in (project / "src/wine_quality/config.py").read_text()


def test_existing_empty_folder_is_accepted(template_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run_cli("new", str(tmp_path / "empty"), "--defaults", "--template", str(template_repo), "-q")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "empty" / "pyproject.toml").is_file()


def test_non_empty_destination_is_refused(template_repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    done = run_cli("new", str(dest), "--defaults", "--template", str(template_repo))
    assert_refused(done, "not empty", str(dest))
    assert tree(dest) == ["notes.txt"]
    assert (dest / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("inside", ["template/churn", "template/models/churn"])
def test_a_destination_inside_the_folder_the_template_renders_from_is_refused(
    demo_template: Path, tmp_path: Path, inside: str
) -> None:
    template = tmp_path / "tpl"
    subprocess.run(["git", "clone", "-q", str(demo_template), str(template)], check=True, capture_output=True)
    before = tree(template)
    dest = template / inside

    done = run_cli("new", str(dest), "--defaults", "--template", str(template), "-q")

    assert_refused(done, f"destination {str(dest)!r} is inside {template / 'template'}, the folder the template")
    assert done.stderr.rstrip().endswith("choose a folder outside it")
    assert tree(template) == before


def test_a_destination_beside_the_template_folder_is_a_neighbour(demo_template: Path, tmp_path: Path) -> None:
    # README.md's demo renders into the git-ignored demo/ of a clone of this repository.
    template = tmp_path / "tpl"
    subprocess.run(["git", "clone", "-q", str(demo_template), str(template)], check=True, capture_output=True)
    done = run_cli("new", str(template / "demo"), "--defaults", "--data", "team=ml", "--template", str(template), "-q")
    assert done.returncode == 0, done.stderr
    assert (template / "demo" / ".copier-answers.yml").is_file()


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("package_name=json", "would shadow the standard library module"),
        ("package_name=sklearn", "would shadow a dependency"),
        ("package_name=httpx", "would shadow a dependency"),
        ("template_updates=flase", "template_updates=flase is not a yes/no answer: use template_updates=true"),
        ("package_name=import", "is a Python keyword"),
        ("package_name=Churn-Model", "is not a valid lower-case Python identifier"),
        ("package_name=_private", "is not a valid lower-case Python identifier"),
        ("package_name=abcdefghij_abcdefghij_abcdefghij", "is longer than 30 characters"),
        ("project_name=", "project_name is empty"),
        ("author_email=nobody", "is not an e-mail address"),
        ("python_version=3.9", "'3.9' is not in"),
        ("problem_type=ranking", "'ranking' is not in"),
        ("data_path=data/train.xlsx", "must be a .csv or .parquet file"),
        ("data_path=/srv/churn.csv", "must be a path inside the project, e.g. data/churn.csv"),
        ("target_column=churned", "target_column is given but data_path is empty"),
        ("project_name=😀", "give a lower-case Python name with --data package_name=NAME"),
        ("author_email=zoë@example.com", "has a non-ASCII character before the @"),
        ("no_such_question=1", "unknown question(s) no_such_question"),
        ("problem_type", "is not of the form key=value"),
    ],
)
def test_invalid_answer_writes_nothing(template_repo: Path, tmp_path: Path, answer: str, fragment: str) -> None:
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--template", str(template_repo), "--data", answer)
    assert_refused(done, fragment)
    assert tree(tmp_path) == []


def test_missing_target_column_answer_is_refused(template_repo: Path, tmp_path: Path) -> None:
    done = run_cli(
        "new",
        str(tmp_path / "out"),
        "--defaults",
        "--template",
        str(template_repo),
        "--data",
        "data_path=data/churn.csv",
        "--data",
        "target_column=",
    )
    assert_refused(done, "target_column is empty")
    assert tree(tmp_path) == []


def test_template_source_that_does_not_exist(tmp_path: Path) -> None:
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--template", str(tmp_path / "nowhere"))
    assert_refused(done, "does not exist", "nowhere")
    assert tree(tmp_path) == []


def test_template_source_that_is_not_a_template(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--template", str(tmp_path / "src"))
    assert_refused(done, "is not a Copier template")
    assert tree(tmp_path) == ["src"]


def test_unknown_vcs_ref(template_repo: Path, tmp_path: Path) -> None:
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--template", str(template_repo), "--vcs-ref", "v9.9.9")
    assert_refused(done, "has no ref 'v9.9.9'", "--vcs-ref")
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("- a list\n", "must hold a mapping"),
        ("key: [unclosed\n", "is not valid YAML"),
        ("project_name:\n", "gives no value for project_name"),
    ],
)
def test_bad_data_file(template_repo: Path, tmp_path: Path, content: str, fragment: str) -> None:
    (tmp_path / "answers.yml").write_text(content)
    done = run_cli(
        "new",
        str(tmp_path / "out"),
        "--defaults",
        "--template",
        str(template_repo),
        "--data-file",
        str(tmp_path / "answers.yml"),
    )
    assert_refused(done, fragment)
    assert tree(tmp_path) == ["answers.yml"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('description: "Churn\\0model"\n', 'description has a control character, tab or line break ("\\u0000")'),
        ('author_name: "Ann\\NLee"\n', 'author_name has a control character, tab or line break ("\\u0085")'),
    ],
)
def test_control_characters_from_a_data_file_are_refused(
    template_repo: Path, tmp_path: Path, content: str, fragment: str
) -> None:
    (tmp_path / "answers.yml").write_text(content, encoding="utf-8")
    done = run_cli(
        "new",
        str(tmp_path / "out"),
        "--defaults",
        "--template",
        str(template_repo),
        "--data-file",
        str(tmp_path / "answers.yml"),
    )
    assert_refused(done, fragment)
    assert tree(tmp_path) == ["answers.yml"]


def test_missing_data_file(template_repo: Path, tmp_path: Path) -> None:
    done = run_cli("new", str(tmp_path / "out"), "--defaults", "--data-file", str(tmp_path / "none.yml"))
    assert_refused(done, "none.yml", "does not exist")


def test_no_terminal_without_defaults(template_repo: Path, tmp_path: Path) -> None:
    done = run_cli("new", str(tmp_path / "out"), "--template", str(template_repo))
    assert_refused(done, "pass --defaults")
    assert tree(tmp_path) == []


def test_help_does_not_import_copier_or_repo_review() -> None:
    # Each costs a share of a second that `poc2prod --help` must not pay: commands import them.
    # rich (Typer's help panels) and importlib.metadata (the version) cost 55 and 25 ms.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from poc2prod.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'new' in result.output and 'lint' in result.output\n"
        "heavy = ('copier', 'repo_review', 'poc2prod.lint', 'pathspec', 'rich', 'markdown_it', 'importlib.metadata')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in heavy or name.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_version_is_the_installed_distribution_version() -> None:
    # pyproject.toml reads the version from poc2prod/__init__.py: the two cannot drift apart.
    from importlib.metadata import version

    import poc2prod

    done = run_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"poc2prod {poc2prod.__version__}"
    assert version("poc2prod") == poc2prod.__version__


def test_same_answers_render_identical_files_whatever_the_folder_name(template_repo: Path, tmp_path: Path) -> None:
    # No answer or computed value may depend on the destination's name or the time of
    # rendering, or every later update would show false conflicts.
    for name in ("first", "second-name"):
        done = run_cli("new", str(tmp_path / name), "--defaults", "--no-git", "--template", str(template_repo), "-q")
        assert done.returncode == 0, done.stderr
    first, second = tmp_path / "first", tmp_path / "second-name"
    assert tree(first) == tree(second)
    for relative in tree(first):
        if (first / relative).is_file():
            assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_destination_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_cli("new", str(blocker / "project"), "--defaults")
    assert_refused(done, "cannot be created")
    assert blocker.read_text() == "not a folder"
