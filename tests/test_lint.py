"""``poc2prod lint``: every check passes on fresh renders and fails on the one thing it checks.

A project is rendered once per session (git repository, default answers) and copied per
test; each mutation breaks exactly one check, and the test asserts that this check, and
no other, fails. The render matrix lints a fresh render of every combination of the
answers that change the layout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from poc2prod.errors import BadInputError
from poc2prod.lint.engine import FAIL, NOT_APPLICABLE, PASS, LintOptions, lint_repository
from tests.conftest import GIT_IDENTITY, REPO
from tests.helpers import run_cli

PACKAGE = "churn_model"
ALL_IDS = [
    *(f"P2P10{n}" for n in range(1, 5)),
    *(f"P2P20{n}" for n in range(1, 4)),
    *(f"P2P30{n}" for n in range(1, 6)),
    "P2P401",
    "P2P402",
    *(f"P2P50{n}" for n in range(1, 4)),
    *(f"P2P60{n}" for n in range(1, 4)),
    *(f"P2P70{n}" for n in range(1, 4)),
    *(f"P2P80{n}" for n in range(1, 4)),
]


def git(project: Path, *args: str) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="session")
def rendered(template_repo: Path, tmp_path_factory: pytest.TempPathFactory, session_git_identity: None) -> Path:
    """The default render, a git repository with one commit; copy it, never change it."""
    from poc2prod.project import create_project
    from poc2prod.template import resolve_source

    dest = tmp_path_factory.mktemp("lint") / "project"
    create_project(dest, resolve_source(str(template_repo)), {}, defaults=True, git=True, quiet=True)
    return dest


@pytest.fixture
def project(rendered: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(rendered, copy, symlinks=True)
    return copy


def results(path: Path, **options: Any) -> dict[str, str]:
    report = lint_repository(path, LintOptions(**options))
    return {item.id: item.result for item in report.results}


def failures(path: Path) -> list[str]:
    return sorted(name for name, result in results(path).items() if result == FAIL)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


# Mutations: each breaks one check of the default render.


def headings_only(path: Path) -> None:
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if line.startswith("#")))


def add_notebook_output(project: Path) -> None:
    path = project / "notebooks" / "01_use_case_and_data.ipynb"
    notebook = json.loads(path.read_text())
    cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    cell["execution_count"] = 1
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["569 rows\n"]}]
    path.write_text(json.dumps(notebook, indent=1))


def redefine_in_notebook(project: Path) -> None:
    path = project / "notebooks" / "02_split_and_features.ipynb"
    notebook = json.loads(path.read_text())
    source = ["def load_table(path):\n", "    return pd.read_csv(path)\n"]
    notebook["cells"].append(
        {"cell_type": "code", "execution_count": None, "id": "copied", "metadata": {}, "outputs": [], "source": source}
    )
    path.write_text(json.dumps(notebook, indent=1))


def commit_large_file(project: Path) -> None:
    (project / "docs" / "slides.pdf").write_bytes(os.urandom(1100 * 1024))
    git(project, "add", "docs/slides.pdf")


def unpickle(project: Path) -> None:
    with (project / "src" / PACKAGE / "predict.py").open("a") as file:
        file.write("\n\ndef load_legacy(path: str) -> object:\n    import joblib\n\n    return joblib.load(path)\n")


def remove_healthcheck(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(re.sub(r"HEALTHCHECK .*?\n.*?\n", "", dockerfile.read_text()))
    edit(project / "deploy" / "k8s" / "base" / "deployment.yaml", "readinessProbe:", "startupProbe:")


def no_tests_in_ci(project: Path) -> None:
    for workflow in (project / ".github" / "workflows").glob("*.yml"):
        workflow.write_text(workflow.read_text().replace("python -m pytest", "python -m ruff check ."))


MUTATIONS: dict[str, Callable[[Path], object]] = {
    "P2P101": lambda p: (p / "src" / PACKAGE / "__init__.py").unlink(),
    "P2P102": lambda p: shutil.rmtree(p / "tests"),
    "P2P103": lambda p: (p / "README.md").write_text("# Churn Model\n\nPredicts churn.\n"),
    "P2P104": lambda p: (p / "LICENSE").unlink(),
    "P2P201": lambda p: edit(p / "pyproject.toml", 'description = "', 'summary = "'),
    "P2P202": lambda p: edit(p / "pyproject.toml", '"numpy>=2.2,<3"', '"numpy"'),
    "P2P203": lambda p: edit(p / "Dockerfile", "FROM python:3.11-slim", "FROM python:3.12-slim", 2),
    "P2P301": lambda p: (p / ".copier-answers.yml").unlink(),
    "P2P302": lambda p: (p / ".copier-answers.yml").write_text(
        re.sub(r"(?m)^_src_path: .*$", "_src_path: ../poc2prod", (p / ".copier-answers.yml").read_text())
    ),
    "P2P303": lambda p: edit(p / ".gitignore", "/data/*\n", ""),
    "P2P304": commit_large_file,
    "P2P305": lambda p: edit(p / "src" / PACKAGE / "config.py", "    random_state: int = 42", "    shuffle: int = 42"),
    "P2P401": add_notebook_output,
    "P2P402": redefine_in_notebook,
    "P2P501": lambda p: edit(p / "src" / PACKAGE / "api.py", '@app.get("/health"', '@app.get("/status"'),
    "P2P502": lambda p: edit(p / "src" / PACKAGE / "api.py", '"/ready",', '"/loaded",'),
    "P2P503": unpickle,
    "P2P601": lambda p: edit(p / "Dockerfile", "USER 10001\n", ""),
    "P2P602": remove_healthcheck,
    "P2P603": lambda p: (p / ".dockerignore").unlink(),
    "P2P701": no_tests_in_ci,
    "P2P702": lambda p: edit(p / ".github" / "workflows" / "ci.yml", "permissions:\n  contents: read\n", ""),
    "P2P703": lambda p: edit(
        p / ".github" / "workflows" / "ci.yml",
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        "actions/checkout@v5",
    ),
    "P2P801": lambda p: (p / "docs" / "model_card.md").write_text("# Model card\n\n## Model details\n\n## Metrics\n"),
    "P2P802": lambda p: headings_only(p / "docs" / "rollout.md"),
    "P2P803": lambda p: headings_only(p / "docs" / "architecture.md"),
}


def test_every_check_has_a_mutation() -> None:
    from poc2prod.lint.checks import all_checks

    assert sorted(all_checks()) == ALL_IDS == sorted(MUTATIONS)


def test_a_fresh_render_passes_every_check(rendered: Path) -> None:
    assert results(rendered) == dict.fromkeys(ALL_IDS, PASS)


@pytest.mark.parametrize("check_id", sorted(MUTATIONS))
def test_breaking_one_thing_fails_exactly_its_check(project: Path, check_id: str) -> None:
    MUTATIONS[check_id](project)
    assert failures(project) == [check_id]
    report = lint_repository(project, LintOptions(select=(check_id,)))
    (failed,) = report.results
    assert failed.message and failed.url.endswith(f"/lint/{check_id}/")


def test_a_check_that_needs_another_is_not_applicable_when_that_one_fails(project: Path) -> None:
    (project / ".copier-answers.yml").unlink()
    report = lint_repository(project, LintOptions(select=("reproducibility",)))
    by_id = {item.id: item for item in report.results}
    assert (by_id["P2P301"].result, by_id["P2P302"].result) == (FAIL, NOT_APPLICABLE)
    assert by_id["P2P302"].message == "needs P2P301 to pass"


# Fresh renders of every layout-affecting combination pass.

LAYOUTS = [
    {"api": api, "ci_provider": ci, "tracking": tracking, **({"template_updates": updates} if ci == "github" else {})}
    for api in ("fastapi", "none")
    for ci, updates in (("github", True), ("github", False), ("gitlab", None), ("none", None))
    for tracking in ("none", "mlflow")
] + [
    {"model_family": "linear", "problem_type": "regression", "python_version": "3.10"},
    {"model_family": "xgboost", "problem_type": "multiclass", "ci_provider": "gitlab", "python_version": "3.13"},
    {"model_family": "lightgbm", "api": "none", "license": "Proprietary"},
    {"model_family": "xgboost", "compute": "dask", "tracking": "mlflow"},
]


@pytest.mark.parametrize("answers", LAYOUTS, ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
def test_fresh_renders_pass_every_applicable_check(render: Callable[..., Path], answers: dict[str, Any]) -> None:
    project = render(git=True, **answers)
    found = results(project)
    assert not [name for name, result in found.items() if result == FAIL]
    not_applicable = {name for name, result in found.items() if result == NOT_APPLICABLE}
    expected = set()
    if answers.get("api") == "none":
        expected |= {"P2P501", "P2P502", "P2P601", "P2P602", "P2P603"}
    if answers.get("ci_provider") == "none":
        expected |= {"P2P701", "P2P702", "P2P703"}
    if answers.get("ci_provider") == "gitlab":
        expected |= {"P2P702", "P2P703"}
    if answers.get("api") == "none" and answers.get("ci_provider") == "none":
        expected.add("P2P203")  # requires-python is the only place a version is written
    assert not_applicable == expected


# The repo-review plugin.


def test_repo_review_shows_poc2prod_families_beside_sp_repo_review(project: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "repo-review"), "--format", "json", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert {"general", "pyproject", "poc2prod-structure", "poc2prod-docs"} <= set(report["families"])
    assert report["families"]["poc2prod-structure"]["name"] == "poc2prod: Structure"
    ours = {name: check for name, check in report["checks"].items() if name.startswith("P2P")}
    assert sorted(ours) == ALL_IDS
    assert {check["result"] for check in ours.values()} == {True}
    assert ours["P2P101"]["url"].endswith("/lint/P2P101/")
    assert any(name.startswith("PY") for name in report["checks"])


def test_repo_review_config_ignores_a_check_under_both_commands(project: Path) -> None:
    (project / "LICENSE").unlink()
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert "[tool.repo-review.ignore]\n" in text  # the render's opt-outs, with their reasons
    pyproject.write_text(
        text.replace(
            "[tool.repo-review.ignore]\n",
            '[tool.repo-review.ignore]\nP2P104 = "licensed elsewhere"\nPY003 = "licensed elsewhere"\n',
        )
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "repo-review"), "--format", "json", "--select", "P2P", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    # A reasoned opt-out is reported as skipped with its reason, not as a failure.
    skipped = json.loads(done.stdout)["checks"]["P2P104"]
    assert (skipped["result"], skipped["skip_reason"]) == (None, "licensed elsewhere")
    assert results(project)["P2P104"] == NOT_APPLICABLE
    report = lint_repository(project, LintOptions(select=("P2P104",)))
    assert report.results[0].message == "ignored: licensed elsewhere"


# The command line.


def test_table_output_and_exit_code_0(project: Path) -> None:
    done = run_cli("lint", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if re.search(r"P2P\d{3}", line)]
    assert len(rows) == len(ALL_IDS)
    assert all(" pass " in row for row in rows)
    assert f"{project}: 26 passed, 0 failed, 0 not applicable" in done.stdout


def test_table_output_shows_the_fix_and_url_of_a_failure(project: Path) -> None:
    (project / "LICENSE").unlink()
    done = run_cli("lint", str(project))
    assert done.returncode == 1
    assert "no LICENSE file. Add a `LICENSE` file" in done.stdout
    assert "/lint/P2P104/" in done.stdout


def test_json_output(project: Path) -> None:
    (project / ".dockerignore").unlink()
    done = run_cli("lint", "--format", "json", str(project))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["exit_code"] == 1
    (repository,) = report["repositories"]
    assert (repository["passed"], repository["failed"], repository["not_applicable"]) == (25, 1, 0)
    failed = [check for check in repository["checks"] if check["result"] == "fail"]
    assert failed == [
        {
            "id": "P2P603",
            "family": "container",
            "title": ".dockerignore beside the Dockerfile",
            "result": "fail",
            "message": failed[0]["message"],
            "url": "https://poc2prod.github.io/poc2prod/lint/P2P603/",
        }
    ]
    assert failed[0]["message"].startswith("no `.dockerignore`. Add a `.dockerignore`")


def test_github_annotations(project: Path) -> None:
    (project / "LICENSE").unlink()
    edit(project / ".github" / "workflows" / "ci.yml", "permissions:\n  contents: read\n", "")
    done = run_cli("lint", "--format", "github", ".", cwd=project)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::error file=LICENSE,title=P2P104 A LICENSE file::no LICENSE file. Add")
    assert lines[1].startswith(
        "::error file=.github/workflows,title=P2P702 GitHub workflows grant least-privilege permissions::"
        "`.github/workflows/ci.yml` has no top-level `permissions:`"
    )
    assert lines[-1] == "poc2prod lint .: 24 passed, 2 failed, 0 not applicable"


def test_select_and_ignore_by_id_and_family(project: Path) -> None:
    (project / "LICENSE").unlink()
    assert sorted(results(project, select=("structure",))) == ["P2P101", "P2P102", "P2P103", "P2P104"]
    assert sorted(results(project, select=("P2P3", "P2P801"))) == [*(f"P2P30{n}" for n in range(1, 6)), "P2P801"]
    assert "P2P104" not in results(project, ignore=("P2P104",))
    done = run_cli("lint", "--ignore", "P2P104,docs", str(project), "--format", "json")
    assert done.returncode == 0, done.stdout
    ids = [check["id"] for check in json.loads(done.stdout)["repositories"][0]["checks"]]
    assert "P2P104" not in ids and not any(i.startswith("P2P8") for i in ids) and len(ids) == 22


def test_configuration_in_the_linted_pyproject(project: Path) -> None:
    (project / "LICENSE").unlink()
    pyproject = project / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + '\n[tool.poc2prod.lint]\nignore = ["P2P104"]\nmax-file-size-kb = 1\n')
    assert failures(project) == ["P2P304"]  # every file over 1 KB is now large
    pyproject.write_text(original + '\n[tool.poc2prod.lint]\nselect = ["packaging"]\n')
    assert sorted(results(project)) == ["P2P201", "P2P202", "P2P203"]
    assert sorted(results(project, select=("P2P104",))) == ["P2P104"]  # --select replaces it


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--select", "P2P999"], "", "error: --select: unknown check or family 'P2P999': give an ID"),
        (["--ignore", "sturcture"], "", "error: --ignore: unknown check or family 'sturcture'"),
        ([], 'ignore = ["nope"]', "pyproject.toml [tool.poc2prod.lint] ignore: unknown check or family 'nope'"),
        (
            [],
            "max-file-size = 10",
            "[tool.poc2prod.lint]: unknown key(s) max-file-size: use ignore, max-file-size-kb, select",
        ),
        ([], "max-file-size-kb = -1", "max-file-size-kb must be a positive whole number"),
    ],
)
def test_bad_usage_exits_2_with_one_line(project: Path, args: list[str], config: str, message: str) -> None:
    if config:
        with (project / "pyproject.toml").open("a") as file:
            file.write(f"\n[tool.poc2prod.lint]\n{config}\n")
    done = run_cli("lint", *args, str(project))
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_path_that_is_not_a_folder_exits_2(project: Path) -> None:
    for path, message in ((project / "README.md", "not a folder"), (project / "missing", "no such folder")):
        done = run_cli("lint", str(project), str(path))
        assert done.returncode == 2
        assert done.stderr == f"error: {path}: {message}: give the path of a repository" + (
            ", not of a file\n" if message == "not a folder" else "\n"
        )
    with pytest.raises(BadInputError, match="no such folder"):
        lint_repository(project / "missing", LintOptions())


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_lint_never_modifies_the_repository(project: Path) -> None:
    (project / "notebooks" / "scratch.ipynb").write_text("not json")  # untracked, read by P2P401
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    before = tree(project)
    for output in ("table", "json", "github"):
        run_cli("lint", "--format", output, str(project))
    run_cli("lint", "--all-families", str(project))
    assert tree(project) == before
    assert git(project, "status", "--porcelain", "--untracked-files=all") == status


def test_a_repository_poc2prod_did_not_render(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "train.py").write_text("import pickle\nprint('training')\n")
    (flat / "README.md").write_text("# Flat\n\nRun `python train.py`.\n")
    git(flat, "init", "-q")
    git(flat, "add", "-A")
    git(flat, "commit", "-q", "-m", "first")
    found = results(flat)
    assert {name for name, result in found.items() if result == NOT_APPLICABLE} == {
        "P2P202",  # needs P2P201
        "P2P203",
        "P2P302",  # needs P2P301
        "P2P303",
        "P2P305",
        "P2P401",
        "P2P402",
        *(f"P2P50{n}" for n in range(1, 4)),
        *(f"P2P60{n}" for n in range(1, 4)),
        *(f"P2P70{n}" for n in range(1, 4)),
    }
    assert {name for name, result in found.items() if result == PASS} == {"P2P304"}
    done = run_cli("lint", str(flat))
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_a_folder_outside_git(rendered: Path, tmp_path: Path) -> None:
    copy = tmp_path / "nogit"
    shutil.copytree(rendered, copy, ignore=shutil.ignore_patterns(".git"))
    found = results(copy)
    assert found["P2P304"] == NOT_APPLICABLE  # nothing is committed
    assert not [name for name, result in found.items() if result == FAIL]
    edit(copy / ".gitignore", "/models/*\n", "")
    assert failures(copy) == ["P2P303"]  # read from .gitignore with pathspec


def test_fleet_summary_with_jobs(rendered: Path, tmp_path: Path) -> None:
    paths = []
    for name in ("alpha", "beta", "gamma"):
        shutil.copytree(rendered, tmp_path / name, symlinks=True)
        paths.append(name)
    (tmp_path / "beta" / "LICENSE").unlink()
    done = run_cli("lint", "--jobs", "2", "--format", "json", *paths, cwd=tmp_path)
    assert done.returncode == 1
    summary = [(r["path"], r["passed"], r["failed"]) for r in json.loads(done.stdout)["repositories"]]
    assert summary == [("alpha", 26, 0), ("beta", 25, 1), ("gamma", 26, 0)]
    table = run_cli("lint", "-j", "2", *paths, cwd=tmp_path)
    assert table.returncode == 1
    rows = {
        line.split()[1]: line.split()[2:]
        for line in table.stdout.splitlines()
        if re.match(r"│ (alpha|beta|gamma) ", line)
    }
    assert rows == {
        "alpha": ["│", "26", "│", "0", "│", "0", "│", "│"],
        "beta": ["│", "25", "│", "1", "│", "0", "│", "P2P104", "│"],
        "gamma": ["│", "26", "│", "0", "│", "0", "│", "│"],
    }
    assert "3 repositories: 1 with failures" in table.stdout


def test_all_families_adds_other_plugins_checks(project: Path) -> None:
    report = lint_repository(project, LintOptions(all_families=True, select=("P2P101", "PY001")))
    assert [(item.id, item.family, item.result) for item in report.results] == [
        ("PY001", "general", PASS),
        ("P2P101", "structure", PASS),
    ]


# Units.


def test_skeleton_rules() -> None:
    from poc2prod.lint.checks.docs import skeleton_problem

    prose = "".join(f"The model serves line {n} of real prose here.\n" for n in range(5))
    assert skeleton_problem(f"# Title\n\n{prose}") is None
    assert skeleton_problem(f"# Title\n\n{prose}\nOwner: TBD\n") == "it holds the placeholder `TBD`"
    assert (
        skeleton_problem(f"{prose}\n<describe the data here>\n")
        == "it holds the placeholder `<describe the data here>`"
    )
    assert skeleton_problem(f"{prose}\nContact <team@example.com>, see <br/>\n") is None
    assert str(skeleton_problem("# A\n\n## B\n\n```\none two three four\n```\n")).startswith("it has 0 line(s)")


def test_python_versions_of_configs() -> None:
    from poc2prod.lint.checks.packaging import github_python_versions, minor_version, python_floor

    assert [python_floor(s) for s in (">=3.11", ">=3.10.2,<4", "~=3.12", "==3.13.*", "<3")] == [
        "3.11",
        "3.10",
        "3.12",
        "3.13",
        None,
    ]
    assert [minor_version(v) for v in ("3.11", 3.1, "3.12-slim", "3.13.1", "latest")] == [
        "3.11",
        "3.1",
        "3.12",
        "3.13",
        None,
    ]
    matrix = {
        "jobs": {
            "test": {
                "strategy": {"matrix": {"python": ["3.11", "3.12"]}},
                "steps": [{"uses": "actions/setup-python@x", "with": {"python-version": "${{ matrix.python }}"}}],
            }
        }
    }
    assert github_python_versions({"ci.yml": matrix}) == [("ci.yml (job `test`)", ["3.11", "3.12"])]


def test_dockerfile_final_stage_and_pinned_actions() -> None:
    from poc2prod.lint.checks.ci import unpinned_actions
    from poc2prod.lint.checks.container import final_stage
    from poc2prod.lint.repository import parse_dockerfile

    dockerfile = "FROM python:3.11 AS base\nUSER app\n# comment\nFROM base AS runtime\nRUN echo a \\\n  && echo b\n"
    stage = final_stage(parse_dockerfile(dockerfile))
    assert [(i.keyword, i.arguments) for i in stage] == [
        ("FROM", "python:3.11 AS base"),
        ("USER", "app"),
        ("FROM", "base AS runtime"),
        ("RUN", "echo a && echo b"),
    ]
    workflow = {
        "jobs": {
            "a": {"uses": "org/repo/.github/workflows/x.yml@main"},
            "b": {"steps": [{"uses": "./local"}, {"uses": "docker://alpine:3"}, {"uses": f"actions/cache@{'a' * 40}"}]},
        }
    }
    assert unpinned_actions(workflow) == ["org/repo/.github/workflows/x.yml@main"]


def test_every_check_has_its_page_at_its_url() -> None:
    from poc2prod import SITE_URL
    from poc2prod.lint.checks import all_checks
    from poc2prod.lint.docs import render_pages

    pages = render_pages()
    index = (REPO / "docs" / "lint" / "index.md").read_text()
    for check_id, check in all_checks().items():
        page = REPO / "docs" / "lint" / f"{check_id}.md"
        assert page.read_text() == pages[f"lint/{check_id}.md"], f"{page} is stale: python -m poc2prod.docs"
        assert check.url == f"{SITE_URL}lint/{check_id}/"  # where MkDocs serves lint/<ID>.md
        assert f"[{check_id}]({check_id}.md)" in index
    assert set(ALL_IDS) == set(all_checks())


# The rendered CI's lint step.


def ci_lint_step(project: Path, provider: str) -> str:
    import yaml

    if provider == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        return str(next(s["run"] for s in workflow["jobs"]["layout"]["steps"] if s["name"] == "Lint the layout"))
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    (script,) = config["layout"]["script"]
    return str(script)


def run_step(script: str, project: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_ci_lint_step_skips_a_local_template_source_saying_so(render: Callable[..., Path], provider: str) -> None:
    project = render(ci_provider=provider)
    done = run_step(ci_lint_step(project, provider), project)
    assert done.returncode == 0, done.stderr
    prefix = "::warning title=poc2prod lint skipped::" if provider == "github" else "warning: poc2prod lint skipped: "
    assert done.stdout.startswith(f"{prefix}.copier-answers.yml records the template source '/")
    assert "which this runner cannot fetch: set _src_path to the https URL" in done.stdout


@pytest.mark.parametrize(
    ("provider", "source", "commit", "installed", "lint"),
    [
        ("github", "gh:acme/poc2prod", "v0.2.0", "git+https://github.com/acme/poc2prod.git@v0.2.0", "--format github"),
        (
            "gitlab",
            "https://gitlab.example.com/ml/poc2prod.git",
            "v0.2.0-3-g1a2b3c4",
            "git+https://gitlab.example.com/ml/poc2prod.git@1a2b3c4",
            "",
        ),
    ],
)
def test_ci_lint_step_installs_poc2prod_at_the_recorded_version(
    render: Callable[..., Path],
    tmp_path: Path,
    provider: str,
    source: str,
    commit: str,
    installed: str,
    lint: str,
) -> None:
    project = render(ci_provider=provider)
    answers = project / ".copier-answers.yml"
    text = re.sub(r"(?m)^_src_path: .*$", f"_src_path: {source}", answers.read_text())
    answers.write_text(re.sub(r"(?m)^_commit: .*$", f"_commit: {commit}", text))
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    calls = tmp_path / "calls.txt"
    for name in ("python", "poc2prod"):
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\n')
        (stubs / name).chmod(0o755)
    done = run_step(ci_lint_step(project, provider), project, {"PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == [
        f"python -m pip install poc2prod @ {installed}",
        f"poc2prod lint {lint} .".replace("  ", " "),
    ]


# Malformed files: the repository's, so any parsed value may have any shape.

WORKFLOW = ".github/workflows/ci.yml"
#: (file, content, the check that reports it): every kind of file a check parses, broken
#: as text (does not parse) or as shape (parses, but a table stands where a list is, ...).
MALFORMED = [
    ("pyproject.toml", b"x = = 1\n", "P2P201"),
    ("pyproject.toml", b'[project]\nname = "caf\xe9"\n', "P2P201"),  # not UTF-8
    ("pyproject.toml", b'project = "x"\n', "P2P201"),
    ("pyproject.toml", b'tool = "x"\n[project]\nname = "x"\n', "P2P201"),
    (WORKFLOW, b"on: push\npermissions: {}\njobs: {a: {steps: 5}}\n", "P2P701"),
    (WORKFLOW, b"on: push\njobs: 5\n", "P2P701"),
    (WORKFLOW, b"on: push\njobs: {a: {steps: [5, {uses: 7, with: 3}], strategy: {matrix: 4}}}\n", "P2P701"),
    (WORKFLOW, b"[\n", "P2P701"),
    (WORKFLOW, b"\x89PNG\r\n\x1a\n\x00\x00", "P2P701"),
    ("deploy/k8s/base/deployment.yaml", b"kind: Deployment\nspec: {template: {spec: {containers: 5}}}\n", None),
    ("deploy/k8s/base/deployment.yaml", b"kind: Deployment\nspec: 7\n", None),
    ("notebooks/01_use_case_and_data.ipynb", b"{not json", "P2P401"),
    ("notebooks/01_use_case_and_data.ipynb", b'{"cells": 5}', None),
    (".copier-answers.yml", b"- a list\n", "P2P301"),
    (".copier-answers.yml", b"_src_path: [\n", "P2P301"),
    ("Dockerfile", b"\x00\xff garbage\nUSER\n", None),
]


@pytest.mark.parametrize(("name", "content", "fails"), MALFORMED, ids=[f"{m[0]}-{i}" for i, m in enumerate(MALFORMED)])
def test_a_malformed_file_fails_its_check_never_the_run(
    project: Path, name: str, content: bytes, fails: str | None
) -> None:
    (project / name).parent.mkdir(parents=True, exist_ok=True)
    (project / name).write_bytes(content)
    done = run_cli("lint", "--format", "json", str(project))
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)["repositories"][0]
    assert report["error"] == ""
    assert len(report["checks"]) == len(ALL_IDS)
    if fails is not None:
        assert fails in [check["id"] for check in report["checks"] if check["result"] == FAIL]


def test_one_broken_repository_does_not_stop_a_fleet(rendered: Path, tmp_path: Path) -> None:
    for name in ("alpha", "broken", "gamma"):
        shutil.copytree(rendered, tmp_path / name, symlinks=True)
    (tmp_path / "broken" / "pyproject.toml").write_text("x = = 1\n")
    # sp-repo-review's checks raise on a workflow that is not YAML: contained, said, exit 1.
    (tmp_path / "gamma" / WORKFLOW).write_text("[\n")
    done = run_cli(
        "lint", "--all-families", "--jobs", "2", "--format", "json", "alpha", "broken", "gamma", cwd=tmp_path
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
    reports = {report["path"]: report for report in json.loads(done.stdout)["repositories"]}
    assert reports["alpha"]["error"] == "" and reports["alpha"]["failed"] == 0
    assert "P2P201" in [check["id"] for check in reports["broken"]["checks"] if check["result"] == FAIL]
    assert reports["gamma"]["error"].startswith("a check could not run (")
    assert reports["gamma"]["checks"] == []
    table = run_cli("lint", "--all-families", "gamma", cwd=tmp_path)
    assert table.returncode == 1
    assert "gamma: error: a check could not run (" in table.stdout


def test_a_tag_only_workflow_that_runs_pytest_does_not_count_as_ci_tests(project: Path) -> None:
    # The release workflow runs pytest on pushed tags; the changes under review are untested.
    ci = project / WORKFLOW
    ci.write_text(ci.read_text().replace("python -m pytest", "echo no tests"))
    assert "python -m pytest" in (project / ".github" / "workflows" / "release.yml").read_text()
    assert failures(project) == ["P2P701"]


def test_a_repository_named_twice_is_linted_once(rendered: Path, tmp_path: Path) -> None:
    shutil.copytree(rendered, tmp_path / "gl", symlinks=True)
    done = run_cli("lint", "--format", "json", "gl", "gl/", "./gl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [report["path"] for report in json.loads(done.stdout)["repositories"]] == ["gl"]


def test_a_bare_user_instruction_is_not_a_non_root_user(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(re.sub(r"(?m)^USER .*$", "USER", dockerfile.read_text()))
    assert failures(project) == ["P2P601"]


def test_a_repository_whose_own_lint_config_is_invalid_gets_an_error_row_in_a_fleet(
    rendered: Path, tmp_path: Path
) -> None:
    for name in ("good", "bad"):
        shutil.copytree(rendered, tmp_path / name, symlinks=True)
    with (tmp_path / "bad" / "pyproject.toml").open("a") as file:
        file.write("\n[tool.poc2prod.lint]\nselect = 3\n")
    done = run_cli("lint", "--jobs", "2", "--format", "json", "good", "bad", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    reports = {report["path"]: report for report in json.loads(done.stdout)["repositories"]}
    assert reports["good"]["failed"] == 0 and reports["good"]["error"] == ""
    assert reports["bad"]["error"].startswith("bad/pyproject.toml [tool.poc2prod.lint]: select must be a list")
    # Alone, the same repository is a usage error: exit 2, one line.
    alone = run_cli("lint", "bad", cwd=tmp_path)
    assert alone.returncode == 2
    assert alone.stderr.startswith("error: bad/pyproject.toml [tool.poc2prod.lint]: select must be a list")
