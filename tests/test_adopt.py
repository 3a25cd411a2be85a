"""``poc2prod adopt``: bringing repositories poc2prod did not render under the template.

Two foreign layouts are built here: a cookiecutter-data-science-like project (pyproject,
a top-level package, data/, notebooks/, models/, a GitHub workflow) and a flat script
project (train.py, requirements.txt, no pyproject). Both are adopted under the real
template; the tagged demo template (see ``update_support``) then carries an adopted
repository through an update.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from poc2prod.adopt import lint_summary
from poc2prod.cli import app
from poc2prod.inference import infer_answers
from tests.update_support import (
    CONFIG_V1,
    GUIDE,
    commit_all,
    edit,
    files,
    git_status,
    new_project,
    run_git,
    tree_digest,
)

runner = CliRunner()

CCDS_PYPROJECT = """\
[build-system]
requires = ["flit_core >=3.2,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "churn"
version = "0.0.1"
description = "Predict which customers leave next month."
authors = [{ name = "Ada Lovelace", email = "ada@example.org" }]
license = { file = "LICENSE" }
requires-python = "~=3.12"
dependencies = ["scikit-learn>=1.5", "pandas", "mlflow>=2.10"]
"""
MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2025 Ada Lovelace\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
    'of this software and associated documentation files (the "Software"), to deal\n'
)
APACHE_TEXT = "                                 Apache License\n                           Version 2.0, January 2004\n"


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write_tree(root: Path, content: dict[str, str]) -> Path:
    for name, text in content.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    run_git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "Our own project")
    return root


def work_tree(root: Path) -> dict[str, str]:
    """Hash of every file outside ``.git``."""
    return {name: digest for name, digest in tree_digest(root).items() if not name.startswith(".git/")}


def answers_of(project: Path) -> dict[str, object]:
    content = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(content, dict)
    return content


@pytest.fixture
def ccds(tmp_path: Path) -> Path:
    """A cookiecutter-data-science-like repository, one commit, its package at churn/."""
    return write_tree(
        tmp_path / "churn-ccds",
        {
            "pyproject.toml": CCDS_PYPROJECT,
            "LICENSE": MIT_TEXT,
            "README.md": "# churn\n\nOur churn model, CCDS layout.\n",
            "Makefile": "requirements:\n\tpip install -e .\n",
            ".gitignore": "data/*\n!data/raw/\ndata/raw/*\n!data/raw/.gitkeep\n.venv/\n",
            ".github/workflows/ci.yml": "name: ci\non: push\njobs: {}\n",
            "churn/__init__.py": "",
            "churn/config.py": "from pathlib import Path\n\nDATA = Path('data')\n",
            "churn/modeling/__init__.py": "",
            "churn/modeling/train.py": (
                "from sklearn.ensemble import RandomForestRegressor\n\n"
                "def fit(x, y):\n    return RandomForestRegressor().fit(x, y)\n"
            ),
            "data/raw/.gitkeep": "",
            "notebooks/1.0-ada-explore.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
            "models/.gitkeep": "",
        },
    )


@pytest.fixture
def flat(tmp_path: Path) -> Path:
    """A flat script repository: train.py, requirements.txt, no pyproject."""
    return write_tree(
        tmp_path / "fraud-scripts",
        {
            "train.py": (
                "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n"
                "model = LogisticRegression().fit(pd.read_csv('x.csv'), pd.read_csv('y.csv'))\n"
            ),
            "serve.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "requirements.txt": "pandas\nscikit-learn==1.6.1  # pinned\nfastapi\n",
            "README.md": "# fraud scripts\n",
            "LICENSE": APACHE_TEXT,
            ".python-version": "3.12.7\n",
            ".gitlab-ci.yml": "test:\n  script: python train.py\n",
        },
    )


# --- two foreign layouts under the real template -----------------------------------------------------


def test_a_cookiecutter_data_science_layout_is_adopted_without_changing_a_file(template_repo: Path, ccds: Path) -> None:
    before = work_tree(ccds)

    code, out, err = cli("adopt", ccds, "--defaults", "--template", template_repo)

    assert code == 0, err
    after = work_tree(ccds)
    assert {name: after[name] for name in before} == before  # not one byte of the team's files changed
    answers = answers_of(ccds)
    assert (answers["_src_path"], answers["_commit"]) == (str(template_repo), "v0.1.0")
    assert {
        "project_name": "churn",
        "package_name": "churn",
        "description": "Predict which customers leave next month.",
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.org",
        "license": "MIT",
        "python_version": "3.12",
        "problem_type": "regression",
        "tracking": "mlflow",
        "ci_provider": "github",
        "api": "fastapi",  # not stated by the repository: the template's default
    }.items() <= answers.items()
    for added in ("src/churn/train.py", ".pre-commit-config.yaml", "docs/rollout.md", "tests/test_train.py"):
        assert (ccds / added).is_file(), added
    assert set(after) - set(before) == set(files(ccds)) - set(before)
    lines = out.splitlines()
    assert lines[0] == f"{ccds}: adopted under the template {template_repo} at v0.1.0"
    diverged = lines[lines.index("6 files diverged from the template (the repository's own, kept as they are):") + 1 :]
    assert [line.strip() for line in diverged[:6]] == [
        ".github/workflows/ci.yml",
        ".gitignore",
        "LICENSE",
        "Makefile",
        "README.md",
        "pyproject.toml",
    ]
    assert "1 file same as the template:" in lines  # models/.gitkeep
    # The template's data/README.md falls under the team's data/* rule: not added, and said so.
    assert "1 file not added, ignored by the repository's .gitignore:\n  data/README.md\n" in out
    assert not (ccds / "data" / "README.md").exists()
    # Where each answer came from, and the note on the package outside src/.
    assert any("problem_type" in line and "churn/modeling/train.py (RandomForestRegressor)" in line for line in lines)
    assert any("python_version" in line and "requires-python '~=3.12'" in line for line in lines)
    assert any("split_strategy" in line and "default" in line for line in lines)
    assert "package_name: the package is at churn/ and the template keeps it in src/churn/" in out
    # It ends with what lint still finds: the team's README lacks the run commands.
    assert "poc2prod lint still finds" in out
    assert "P2P103" in out.split("poc2prod lint still finds", 1)[1]
    # One commit that only adds files; the tree is clean, so update and check work at once.
    assert git_status(ccds) == ""
    assert run_git("log", "--format=%s", cwd=ccds).splitlines() == [
        "Adopt the poc2prod template v0.1.0",
        "Our own project",
    ]
    statuses = {
        line.split("\t")[0]
        for line in run_git("show", "--name-status", "--format=", "HEAD", cwd=ccds).split("\n")
        if line
    }
    assert statuses == {"A"}
    code, out, _ = cli("check", ccds, "--json")
    assert (code, json.loads(out)["projects"][0]["status"]) == (0, "up to date")


def test_a_flat_script_project_dry_run_writes_nothing_then_adopts(template_repo: Path, flat: Path) -> None:
    before = tree_digest(flat)  # .git included: a dry run does not even refresh the index

    code, out, err = cli("adopt", flat, "--defaults", "--template", template_repo, "--dry-run")

    assert code == 0, err
    assert tree_digest(flat) == before
    assert out.splitlines()[0] == f"{flat}: would be adopted under the template {template_repo} at v0.1.0"
    assert out.rstrip().endswith("Dry run: nothing was written.")
    assert "files would be added" in out

    code, out, err = cli(
        "adopt", flat, "--defaults", "--template", template_repo, "--data", "problem_type=multiclass", "-d", "api=none"
    )

    assert code == 0, err
    ours = {name: digest for name, digest in before.items() if not name.startswith(".git/")}
    assert {name: work_tree(flat)[name] for name in ours} == ours
    answers = answers_of(flat)
    assert {
        "project_name": "fraud-scripts",  # the folder's name: no pyproject
        "package_name": "fraud_scripts",  # the template's default from project_name
        "license": "Apache-2.0",
        "python_version": "3.12",
        "ci_provider": "gitlab",
        "problem_type": "multiclass",
        "api": "none",
    }.items() <= answers.items()
    assert (flat / "src" / "fraud_scripts" / "train.py").is_file()
    assert (flat / ".gitlab-ci.yml").read_text() == "test:\n  script: python train.py\n"  # ours, diverged
    assert not (flat / ".github").exists()
    assert not (flat / "Dockerfile").exists()  # api=none
    lines = out.splitlines()
    assert any("problem_type" in line and "given: --data" in line for line in lines)
    assert any("project_name" in line and "the folder's name" in line for line in lines)
    assert any("python_version" in line and ".python-version" in line for line in lines)
    # A classifier says classification, not how many classes: a note, not a guess.
    assert "problem_type: train.py uses a classifier (LogisticRegression), which may be binary or multiclass" in out
    assert git_status(flat) == ""


def test_an_inferred_answer_the_template_refuses_names_its_source(template_repo: Path, tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path / "shadow",
        {"pyproject.toml": '[project]\nname = "data"\n', "src/data/__init__.py": ""},
    )
    before = tree_digest(repo)

    code, out, err = cli("adopt", repo, "--defaults", "--template", template_repo)

    assert (code, out) == (2, "")
    assert err == (
        "error: invalid answer: 'package_name': package_name \"data\" would shadow a dependency or a project folder "
        "of that name: pick another name, e.g. data_model (inferred from src/data/): "
        "give another with --data package_name=VALUE\n"
    )
    assert tree_digest(repo) == before
    code, _, err = cli("adopt", repo, "--defaults", "--template", template_repo, "--data", "package_name=data_tools")
    assert code == 0, err
    assert (repo / "src" / "data_tools" / "train.py").is_file()


# --- the next template version arrives through update ---------------------------------------------


def test_an_adopted_repository_takes_the_next_versions_through_update_keeping_local_edits(
    demo_template: Path, tmp_path: Path
) -> None:
    repo = write_tree(
        tmp_path / "ours",
        {"README.md": "# Our project\n\nWritten by us.\n", "notes.txt": "Our notes\n", "train.py": "print('fit')\n"},
    )
    before = work_tree(repo)

    code, out, err = cli("adopt", repo, "--defaults", "--template", demo_template, "--vcs-ref", "v1.0.0")

    assert code == 0, err
    assert {name: work_tree(repo)[name] for name in before} == before
    assert (answers_of(repo)["_commit"], answers_of(repo)["_src_path"]) == ("v1.0.0", str(demo_template))
    assert (
        "2 files diverged from the template (the repository's own, kept as they are):\n  README.md\n  notes.txt\n"
        in out
    )
    assert (repo / "config.ini").read_text() == CONFIG_V1
    # The team edits a file the adoption added, and commits.
    edit(repo, "config.ini", "iota = 9", "iota = 99")
    commit_all(repo, "Tune iota")

    code, out, err = cli("update", repo, "--data", "team=ml")

    assert code == 0, out + err
    assert out.splitlines()[0] == f"{repo}: updated v1.0.0 → v2.1.0"
    config = (repo / "config.ini").read_text()
    assert "beta = 20\n" in config  # v1.1.0's change arrived
    assert "iota = 99\n" in config  # the local edit survived
    assert (repo / "added.txt").read_text() == "added in v1.2\n"
    assert (repo / "handbook.txt").read_text() == GUIDE and not (repo / "guide.txt").exists()
    assert (repo / "team.txt").read_text() == "Owned by ml\n"
    assert (repo / "README.md").read_text() == "# Our project\n\nWritten by us.\n"  # diverged, still ours
    assert (repo / "notes.txt").read_text() == "Our notes\n"
    assert (repo / "train.py").read_text() == "print('fit')\n"
    commit_all(repo, "Update to v2.1.0")
    code, out, _ = cli("check", repo, "--json")
    assert (code, json.loads(out)["projects"][0]["status"]) == (0, "up to date")


def test_a_project_in_a_subfolder_is_adopted_and_only_its_files_are_committed(
    demo_template: Path, tmp_path: Path
) -> None:
    repo = write_tree(tmp_path / "mono", {"models/churn/README.md": "# churn\n", "other/app.py": "print(1)\n"})
    (repo / "other" / "staged.py").write_text("print(2)\n")
    run_git("add", "other/staged.py", cwd=repo)  # another folder's work, staged: not this adoption's

    code, _, err = cli("adopt", repo / "models" / "churn", "--defaults", "--template", demo_template)
    assert (code, err) == (
        2,
        "error: the template asks 'team', which has no default: answer it with --data team=VALUE\n",
    )
    code, _, err = cli("adopt", repo / "models" / "churn", "--defaults", "--template", demo_template, "-d", "team=ml")

    assert code == 0, err
    shown = run_git("show", "--name-only", "--format=", "HEAD", cwd=repo).split()
    assert "models/churn/.copier-answers.yml" in shown and "models/churn/config.ini" in shown
    assert all(path.startswith("models/churn/") for path in shown)
    assert git_status(repo) == "A  other/staged.py\n"
    assert answers_of(repo / "models" / "churn")["_commit"] == "v2.1.0"


# --- refusals leave every byte as it was ---------------------------------------------------------


def test_a_dirty_tree_is_refused(demo_template: Path, tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "r", {"README.md": "# r\n"})
    (repo / "wip.py").write_text("print('not committed')\n")
    before = tree_digest(repo)

    code, out, err = cli("adopt", repo, "--defaults", "--template", demo_template)

    assert (code, out) == (2, "")
    assert err == f"error: {repo}: uncommitted changes (wip.py): commit or stash them (git stash -u), then adopt\n"
    assert tree_digest(repo) == before


def test_a_copier_project_is_told_to_update_instead(demo_template: Path, tmp_path: Path) -> None:
    project = new_project(demo_template, tmp_path / "p", "v1.0.0")
    before = tree_digest(project)

    code, _, err = cli("adopt", project, "--defaults", "--template", demo_template)

    assert code == 2
    assert err == (
        f"error: {project}: already a Copier project (it has .copier-answers.yml): "
        f"bring it to a newer template version with poc2prod update {project}\n"
    )
    assert tree_digest(project) == before


@pytest.mark.parametrize("with_git", [False, True])
def test_a_folder_that_is_not_a_repository_or_has_no_commit_is_refused_with_the_fix(
    demo_template: Path, tmp_path: Path, with_git: bool
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "train.py").write_text("print('fit')\n")
    if with_git:
        run_git("init", "-q", cwd=folder)
    before = tree_digest(folder)

    code, _, err = cli("adopt", folder, "--defaults", "--template", demo_template)

    assert code == 2
    assert err.count("\n") == 1
    if with_git:
        assert "the repository has no commit yet: commit your files first (git add -A && git commit" in err
    else:
        assert "not a git repository" in err
        assert "run git init && git add -A && git commit -m 'Initial commit' first" in err
    assert tree_digest(folder) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--data", "colour=blue"],
            "error: unknown question(s) colour in --data/--data-file: known questions are ci, name",
        ),
        (
            ["--data", "novalue"],
            "error: --data 'novalue' is not of the form key=value, e.g. --data problem_type=multiclass",
        ),
        (
            ["--data", "ci=circle"],
            "error: invalid answer: Invalid choice for 'ci': 'circle' is not in ['github', 'gitlab']",
        ),
        (["--vcs-ref", "v9.9.9"], "has no ref 'v9.9.9': pass an existing tag, branch or commit with --vcs-ref"),
    ],
)
def test_bad_input_is_a_one_line_error_and_nothing_is_written(
    demo_template: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    repo = write_tree(tmp_path / "r", {"README.md": "# r\n"})
    before = tree_digest(repo)

    code, out, err = cli("adopt", repo, "--defaults", "--template", demo_template, *args)

    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err
    assert tree_digest(repo) == before


def test_a_failing_commit_hook_restores_the_repository(demo_template: Path, tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "r", {"README.md": "# r\n"})
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'style check failed: config.ini' >&2\nexit 1\n")
    hook.chmod(0o755)
    before, head = work_tree(repo), run_git("rev-parse", "HEAD", cwd=repo)

    code, _, err = cli("adopt", repo, "--defaults", "--template", demo_template, "--vcs-ref", "v1.2.0")

    assert code == 1
    assert err == (
        f"error: {repo}: git commit failed (style check failed: config.ini); the repository was restored as it was: "
        "fix the cause (a commit hook?), or pass --no-commit and commit yourself\n"
    )
    assert work_tree(repo) == before
    assert (git_status(repo), run_git("rev-parse", "HEAD", cwd=repo)) == ("", head)

    code, out, err = cli("adopt", repo, "--defaults", "--template", demo_template, "--vcs-ref", "v1.2.0", "--no-commit")
    assert code == 0, err
    assert "Staged, not committed" in out
    assert "A  .copier-answers.yml\n" in git_status(repo)


# --- inference on its own, and the lint hook ---------------------------------------------------------

QUESTIONS = {
    "project_name": {"type": "str"},
    "package_name": {"type": "str"},
    "description": {"type": "str"},
    "author_name": {"type": "str"},
    "author_email": {"type": "str"},
    "license": {"choices": ["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]},
    "python_version": {"choices": ["3.10", "3.11", "3.12", "3.13"]},
    "problem_type": {"choices": {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}},
    "ci_provider": {"choices": {"GitHub Actions": "github", "GitLab CI": "gitlab", "none": "none"}},
    "api": {"choices": ["fastapi", "none"]},
    "tracking": {"choices": ["none", "mlflow"]},
}


def test_inference_says_what_it_cannot_tell(tmp_path: Path) -> None:
    content = {
        "pyproject.toml": (
            '[tool.poetry]\nname = "Sales Forecast"\ndescription = "Weekly sales."\n'
            'authors = ["Grace Hopper <grace@example.org>"]\nlicense = "GPL-3.0"\n'
            '[tool.poetry.dependencies]\npython = "^3.9"\nmlflow-skinny = "^2"\n'
        ),
        "src/sales/__init__.py": "",
        "src/forecast/__init__.py": "",
        "fit.py": "from sklearn.linear_model import Ridge\nfrom sklearn.ensemble import GradientBoostingClassifier\n",
        ".github/workflows/test.yml": "on: push\n",
        ".gitlab-ci.yml": "test: {}\n",
    }
    for name, text in content.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    found = infer_answers(tmp_path, content, QUESTIONS)

    assert found.as_dict() == {
        "project_name": "Sales Forecast",
        "description": "Weekly sales.",
        "author_name": "Grace Hopper",
        "author_email": "grace@example.org",
        "tracking": "mlflow",
    }
    assert found.source_of("tracking") == "pyproject.toml [tool.poetry] dependencies (mlflow/mlflow-skinny)"
    assert found.notes == [
        "package_name: several packages (src/forecast/, src/sales/): say which with --data package_name=NAME",
        "python_version: pyproject.toml [tool.poetry] python '>=3.9' allows Python older than 3.10, the oldest the "
        "template offers: pass --data python_version=3.10 to raise the floor",
        "license: pyproject.toml says 'GPL-3.0', not one the template offers",
        "ci_provider: both .github/workflows/ and .gitlab-ci.yml: say which with --data ci_provider=",
        "problem_type: the code uses both classifiers (GradientBoostingClassifier) and regressors (Ridge): "
        "say which with --data problem_type=",
    ]
    # A question the template does not ask is never answered.
    assert infer_answers(tmp_path, content, {"name": {"type": "str"}}).as_dict() == {}


def test_lint_summary_lists_what_still_departs_from_the_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train.py").write_text("print('fit')\n")
    failed = lint_summary(tmp_path)
    out = capsys.readouterr().out
    # A bare script folder: no src layout, no tests, no README, no LICENSE, no pyproject.
    assert {"P2P101", "P2P102", "P2P103", "P2P104", "P2P201"} <= set(failed)
    assert f"poc2prod lint still finds {len(failed)} departure(s)" in out
    assert "/lint/P2P101/" in out


def test_adopt_help_does_not_import_copier() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from poc2prod.cli import app\n"
        "result = CliRunner().invoke(app, ['adopt', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '--dry-run' in result.output\n"
        "print('copier' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


GPL_TEXT = "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n"
#: Every way a repository states a license the template does not offer, and what it says.
UNOFFERED_LICENSES = [
    ('license = "GPL-3.0-only"\n', {}, "pyproject.toml says 'GPL-3.0-only'"),
    ('license = {file = "LICENSE"}\n', {"LICENSE": GPL_TEXT}, "LICENSE (kept as it is) holds another license"),
    (
        'classifiers = ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]\n',
        {},
        "pyproject.toml classifier 'License :: OSI Approved :: GNU General Public License v3 (GPLv3)'",
    ),
    ("", {"LICENSE": "GNU AFFERO GENERAL PUBLIC LICENSE\n"}, "LICENSE (kept as it is) holds another license"),
]


@pytest.mark.parametrize(("field", "extra_files", "stated"), UNOFFERED_LICENSES)
def test_a_license_the_template_does_not_offer_is_not_replaced_by_a_default(
    template_repo: Path, tmp_path: Path, field: str, extra_files: dict[str, str], stated: str
) -> None:
    repo = tmp_path / "gpl"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(f'[project]\nname = "gpl"\nversion = "1"\n{field}')
    for name, text in extra_files.items():
        (repo / name).write_text(text)
    run_git("init", "-q", "-b", "main", cwd=repo)
    run_git("add", "-A", cwd=repo)
    run_git("commit", "-qm", "GPL project", cwd=repo)
    before = tree_digest(repo)

    code, _, err = cli("adopt", repo, "--defaults", "--template", template_repo)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: license: {stated}, which is none of MIT, Apache-2.0, BSD-3-Clause, "
        "Proprietary: give --data license=VALUE (one the template offers); nothing was written"
    ]
    assert tree_digest(repo) == before

    code, _, err = cli("adopt", repo, "--defaults", "--template", template_repo, "--data", "license=Proprietary")
    assert code == 0, err
    assert answers_of(repo)["license"] == "Proprietary"
    for name, text in extra_files.items():
        assert (repo / name).read_text() == text  # the team's license text stays
