"""CI (P2P7xx): the tests run in CI, GitHub workflows hold least privilege and pinned actions.

Not applicable without CI configuration (``.github/workflows/*.yml`` or
``.gitlab-ci.yml``): a project may run its CI elsewhere. The GitHub-only checks are not
applicable to GitLab CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.checks.structure import TEST_COMMAND
from poc2prod.lint.repository import Repository, entries, table

_PINNED = re.compile(r"@[0-9a-f]{40}$")


class Ci(Poc2ProdCheck):
    short_family = "ci"


def _jobs(workflow: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in table(workflow, "jobs").items():
        if isinstance(job, dict):
            yield str(name), job


def _steps(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for step in entries(job.get("steps")):
        if isinstance(step, dict):
            yield step


def _runs_on_changes(workflow: Any) -> bool:
    """Whether a workflow runs on pull requests or on pushes to branches.

    A release workflow that runs only on pushed tags, or a scheduled one, does not test
    the changes under review. PyYAML reads the key ``on`` as ``True`` (YAML 1.1).
    """
    if not isinstance(workflow, dict):
        return False
    triggers = workflow.get("on", workflow.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    if isinstance(triggers, list):
        return any(trigger in ("push", "pull_request", "pull_request_target", "merge_group") for trigger in triggers)
    if not isinstance(triggers, dict):
        return False
    if any(name in triggers for name in ("pull_request", "pull_request_target", "merge_group")):
        return True
    if "push" not in triggers:
        return False
    push = triggers["push"]
    # `push: {tags: [...]}` alone runs on tags only; any branch or path filter runs on branches.
    return not isinstance(push, dict) or not set(push) <= {"tags", "tags-ignore"}


def _script_lines(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [line for item in value for line in _script_lines(item)]
    return []


class P2P701(Ci):
    """CI runs the tests"""

    what = (
        "Looks at the `run:` steps of the GitHub workflows triggered by pull requests or branch pushes (not "
        "those that run only on tags or a schedule) and at the `script:` and `before_script:` lines of "
        "`.gitlab-ci.yml`. Fails when none runs the tests (`pytest`, `make test`, `tox`, `nox`...); n/a "
        "without CI configuration."
    )
    why = (
        "Tests that CI does not run stop being run: a change that breaks training, the API or the notebooks "
        "then reaches the main branch and the release unnoticed."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Run the test suite in CI on every push and merge request: a `run: python -m
        pytest` step in a GitHub workflow triggered by `pull_request` or branch pushes (a
        workflow that runs only on tags or a schedule does not count), or a `script:` line
        of a `.gitlab-ci.yml` job."""
        gitlab = p2p_repo.gitlab_ci
        if not p2p_repo.workflows and gitlab is None:
            return None
        commands = [
            str(step.get("run", ""))
            for w in p2p_repo.workflows.values()
            if _runs_on_changes(w)
            for _, j in _jobs(w)
            for step in _steps(j)
        ]
        for job in (gitlab or {}).values():
            if isinstance(job, dict):
                commands.extend(_script_lines(job.get("before_script")) + _script_lines(job.get("script")))
        if any(TEST_COMMAND.search(command) for command in commands):
            return True
        where = ", ".join(
            [*(f"`{name}`" for name in p2p_repo.workflows), *(["`.gitlab-ci.yml`"] if gitlab is not None else [])]
        )
        return cls.fail(f"no test command (pytest, make test, tox, nox) in {where}")


def _writes(permissions: Any) -> bool:
    if isinstance(permissions, str):
        return permissions.strip() == "write-all"
    if isinstance(permissions, dict):
        return any(str(value).strip() == "write" for value in permissions.values())
    return False


class P2P702(Ci):
    """GitHub workflows grant least-privilege permissions"""

    what = (
        "Fails when a workflow of `.github/workflows/` has no top-level `permissions:`, grants a `write` "
        "scope or `write-all` at the top level, or gives a job `write-all`. n/a without GitHub workflows."
    )
    why = (
        "A workflow's token gets write access to the repository by default; a compromised action or "
        "dependency in a job that only needs to read can then push code or publish packages."
    )

    file = ".github/workflows"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Start every workflow with read-only `permissions:` (`contents: read`) and grant
        a write scope only to the job that needs it (`packages: write` on the job that
        pushes the image); never `write-all`."""
        if not p2p_repo.workflows:
            return None
        problems = []
        for name, workflow in p2p_repo.workflows.items():
            if not isinstance(workflow, dict) or "permissions" not in workflow:
                problems.append(f"`{name}` has no top-level `permissions:`")
            elif _writes(workflow["permissions"]):
                problems.append(f"`{name}` grants write access at the top level")
            problems.extend(
                f"`{name}` job `{job}` has `permissions: write-all`"
                for job, body in _jobs(workflow)
                if str(body.get("permissions", "")).strip() == "write-all"
            )
        return cls.fail("; ".join(problems)) if problems else True


def unpinned_actions(workflow: Any) -> list[str]:
    """The ``uses:`` of a workflow not pinned to a commit SHA (local and ``docker://`` are fine)."""
    found = []
    for _, job in _jobs(workflow):
        uses = [job.get("uses"), *(step.get("uses") for step in _steps(job))]
        for action in uses:
            if not isinstance(action, str) or action.startswith(("./", "docker://")):
                continue
            if not _PINNED.search(action.strip()):
                found.append(action)
    return found


class P2P703(Ci):
    """GitHub actions pinned to a commit SHA"""

    what = (
        "Fails when a `uses:` of a job or a step names an action by a tag or branch rather than a "
        "40-character commit SHA (local `./` actions and `docker://` images are fine). n/a without GitHub "
        "workflows."
    )
    why = (
        "A tag can be moved to other code by whoever controls the action's repository; a pinned SHA runs "
        "exactly the code that was reviewed."
    )

    file = ".github/workflows"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Pin every action to the full 40-character commit SHA of a release, with the
        version in a comment (`uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8
        # v5.0.0`): a tag can be moved to other code, a SHA cannot."""
        if not p2p_repo.workflows:
            return None
        found = [
            f"`{action}` ({name})"
            for name, workflow in p2p_repo.workflows.items()
            for action in unpinned_actions(workflow)
        ]
        return cls.fail(f"not pinned: {', '.join(dict.fromkeys(found))}") if found else True


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the CI checks."""
    return checks_of(P2P701, P2P702, P2P703)
