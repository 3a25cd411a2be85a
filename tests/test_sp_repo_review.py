"""Rendered projects pass scientific-python's repo-review checks (``sp-repo-review``).

Every check that applies to a render passes, except the few the rendered ``pyproject.toml``
opts out of in ``[tool.repo-review.ignore]``, each with the reason that
docs/generated_project.md ("Standards") gives. The same renders are scanned for secrets
(detect-secrets, every file) and for unsafe Python (bandit, every severity). Render and
check only: seconds per case.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings
from repo_review.processor import process

from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

#: The checks every render opts out of; docs/generated_project.md explains each.
OPT_OUTS = {"PY007", "PC140", "PC170", "PC180"}
#: ... and the one a render without GitHub Actions opts out of.
NOT_GITHUB = "GH100"

#: Every combination of api, ci_provider, tracking and template_updates (asked only with
#: GitHub), with the problem type, model family and Python version spread over them.
PROBLEMS = ["binary", "multiclass", "regression"]
FAMILIES = ["hist_gradient_boosting", "linear", "lightgbm", "xgboost"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
COMBINATIONS: list[dict[str, Any]] = [
    {"api": api, "ci_provider": ci, "tracking": tracking, **({"template_updates": updates} if ci == "github" else {})}
    for api in ("fastapi", "none")
    for ci in ("github", "gitlab", "none")
    for tracking in ("none", "mlflow")
    for updates in ((True, False) if ci == "github" else (None,))
]
CASES = [
    {
        **answers,
        "problem_type": PROBLEMS[i % 3],
        "model_family": FAMILIES[i % 4],
        "python_version": PYTHONS[(i // 2) % 4],
    }
    for i, answers in enumerate(COMBINATIONS)
]


def case_id(answers: dict[str, Any]) -> str:
    updates = answers.get("template_updates")
    suffix = "" if updates is None else ("-updates" if updates else "-no-updates")
    return f"{answers['ci_provider']}{suffix}-api-{answers['api']}-tracking-{answers['tracking']}"


def results(project: Path) -> dict[str, Any]:
    """The checks sp-repo-review ran on the project, by ID, ignored ones included."""
    return {result.name: result for result in process(project).results}


def secrets_in(project: Path) -> dict[str, Any]:
    """What detect-secrets finds in the project's files (its default plugins), by file."""
    found = SecretsCollection()
    with default_settings():
        for path in sorted(project.rglob("*")):
            if path.is_file() and ".git" not in path.relative_to(project).parts:
                found.scan_file(str(path))
    return dict(found.json())


def bandit_findings(project: Path) -> list[str]:
    """Bandit's findings of any severity and confidence in the rendered package and tests."""
    report = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "src", "-f", "json", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.returncode in (0, 1), report.stderr
    results = json.loads(report.stdout)["results"]
    return [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in results]


def test_the_cases_cover_every_combination_and_answer() -> None:
    assert len(CASES) == 16
    assert len({case_id(case) for case in CASES}) == 16
    for key, values in (("problem_type", PROBLEMS), ("model_family", FAMILIES), ("python_version", PYTHONS)):
        assert {case[key] for case in CASES} == set(values)


@pytest.mark.parametrize("answers", CASES, ids=[case_id(case) for case in CASES])
def test_every_applicable_check_passes(render: Callable[..., Path], answers: dict[str, Any]) -> None:
    project = render(**answers)
    checks = results(project)
    failed = {name: result.err_msg for name, result in checks.items() if result.result is False}
    assert failed == {}
    skipped = {name for name, result in checks.items() if result.result is None}
    github = answers["ci_provider"] == "github"
    ignore = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["repo-review"]["ignore"]
    assert set(ignore) == (OPT_OUTS if github else OPT_OUTS | {NOT_GITHUB})
    assert skipped >= set(ignore)
    # The checks that run only where their prerequisite passed: they ran, and passed.
    ran = {"PC110", "PC111", "PC190", "PC191", "PC192", "PC901", "PC902", "PC903", "PP006", "PP302", "PP304"}
    ran |= {"PP305", "PP306", "PP309", "MY103", "MY104", "MY105", "MY106", "RF002"}
    ran |= {"PC100", "PC160"}
    if github:
        ran |= {"GH100", "GH200", "GH210", "GH211", "GH212", "SEC001"}
    else:
        # No GitHub workflows, so the GitHub Actions and zizmor checks do not apply.
        assert skipped >= {"GH200", "GH210", "SEC001"}
        assert not (project / ".github").exists()
    assert {name: checks[name].result for name in ran} == dict.fromkeys(ran, True)
    # The security posture: no secret in any rendered file, no unsafe call in the package.
    assert secrets_in(project) == {}
    assert bandit_findings(project) == []


@pytest.mark.parametrize("ci_provider", ["github", "gitlab", "none"])
def test_opt_outs_are_the_documented_ones_each_with_a_reason(render: Callable[..., Path], ci_provider: str) -> None:
    project = render(ci_provider=ci_provider)
    ignore = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["repo-review"]["ignore"]
    checks = results(project)
    for name, reason in ignore.items():
        assert len(reason) > 40, name
        assert checks[name].result is None and checks[name].skip_reason == reason
    docs = (REPO / "docs" / "generated_project.md").read_text()
    standards = docs.split("\n## Standards\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z]+\d+)` \|", standards, flags=re.M))
    assert documented == OPT_OUTS | {NOT_GITHUB}
    assert len(documented) <= 6
