"""Container (P2P6xx): the image runs as a non-root user, is health-checked, and is built
from a filtered context. Not applicable without a ``Dockerfile`` (or ``Containerfile``).

The health check passes with either a ``HEALTHCHECK`` in the image (Docker, Compose,
most PaaS) or liveness and readiness probes on every container of the Kubernetes
workloads in the repository: Kubernetes ignores ``HEALTHCHECK`` and uses the probes.
"""

from __future__ import annotations

from typing import Any

import yaml

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Instruction, Repository, entries, table

_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})


class Container(Poc2ProdCheck):
    short_family = "container"


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions in effect in the final image: its stage, after the stages it is
    built ``FROM`` (``FROM builder AS runtime``), oldest first."""
    stages: dict[int, list[Instruction]] = {}
    names: dict[str, int] = {}
    parents: dict[int, int] = {}
    for instruction in instructions:
        stages.setdefault(instruction.stage, []).append(instruction)
        if instruction.keyword == "FROM":
            words = [word for word in instruction.arguments.split() if not word.startswith("--")]
            if words and words[0].lower() in names:
                parents[instruction.stage] = names[words[0].lower()]
            if len(words) >= 3 and words[1].lower() == "as":
                names[words[2].lower()] = instruction.stage
    if not stages:
        return []
    chain = [max(stages)]
    while chain[-1] in parents and parents[chain[-1]] not in chain:
        chain.append(parents[chain[-1]])
    return [instruction for stage in reversed(chain) for instruction in stages[stage]]


class P2P601(Container):
    """Image runs as a non-root USER"""

    what = (
        "Reads the final stage of the Dockerfile (with the stages it is built `FROM`). Fails when it sets no "
        "`USER`, when the last `USER` is empty, or when it is `root` or `0`. n/a without a Dockerfile."
    )
    why = (
        "A process running as root in the container is root on everything mounted into it, and one step from "
        "the host if it escapes; the API needs no privilege."
    )

    file = "Dockerfile"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """End the final stage of the Dockerfile with a non-root user: `RUN useradd
        --system --uid 10001 app` then `USER 10001`, so a compromised process cannot
        take over the container."""
        if p2p_repo.dockerfile is None:
            return None
        users = [item.arguments for item in final_stage(p2p_repo.dockerfile) if item.keyword == "USER"]
        if not users:
            return cls.fail(f"the final stage of {p2p_repo.dockerfile_name} sets no `USER` (it runs as root)")
        user = users[-1].split(":", 1)[0].strip()
        if not user:
            return cls.fail("the final `USER` names no user")
        if user in {"root", "0"}:
            return cls.fail(f"the final `USER` is {user}")
        return True


def _probed_workloads(p2p_repo: Repository) -> tuple[int, list[str]]:
    """(number of Kubernetes workloads, those with a container lacking a probe)."""
    count, unprobed = 0, []
    for name in p2p_repo.files:
        if not name.endswith((".yaml", ".yml")) or name.startswith(".github/") or name == ".gitlab-ci.yml":
            continue
        text = p2p_repo.read_text(name) or ""
        if "kind:" not in text or "containers:" not in text:
            continue
        try:
            documents: list[Any] = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        for document in documents:
            if not isinstance(document, dict) or document.get("kind") not in _WORKLOADS:
                continue
            count += 1
            containers = entries(table(document, "spec", "template", "spec").get("containers"))
            if not containers or not all(
                isinstance(c, dict) and c.get("livenessProbe") and c.get("readinessProbe") for c in containers
            ):
                unprobed.append(f"`{name}`")
    return count, unprobed


class P2P602(Container):
    """Health check: HEALTHCHECK in the image, or probes in Kubernetes"""

    what = (
        "Passes when the final stage of the Dockerfile has a `HEALTHCHECK` other than `NONE`, or when every "
        "Kubernetes Deployment, StatefulSet and DaemonSet in the repository gives each container a "
        "`livenessProbe` and a `readinessProbe`. n/a without a Dockerfile."
    )
    why = (
        "Without a health check the platform cannot tell a running container from a working one: a deadlocked "
        "API is never restarted and keeps receiving requests."
    )

    file = "Dockerfile"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Add `HEALTHCHECK CMD ...` to the final stage (calling the API's `/health`), or,
        for images that only run on Kubernetes, `livenessProbe` and `readinessProbe` on
        every container of the Deployment."""
        if p2p_repo.dockerfile is None:
            return None
        checks = [item.arguments for item in final_stage(p2p_repo.dockerfile) if item.keyword == "HEALTHCHECK"]
        if checks and checks[-1].strip().upper() != "NONE":
            return True
        workloads, unprobed = _probed_workloads(p2p_repo)
        if workloads and not unprobed:
            return True
        detail = f"no `HEALTHCHECK` in {p2p_repo.dockerfile_name}"
        if unprobed:
            detail += f", and workloads without liveness and readiness probes: {', '.join(unprobed)}"
        return cls.fail(detail)


class P2P603(Container):
    """.dockerignore beside the Dockerfile"""

    what = (
        "Fails when there is neither a `.dockerignore` nor a `<Dockerfile>.dockerignore` beside the "
        "Dockerfile. n/a without a Dockerfile."
    )
    why = (
        "Without one, `docker build` sends the whole folder to the builder: data, models, notebooks, `.git` "
        "and `.env` files end up in the build context and can land in an image layer that is pushed."
    )

    file = ".dockerignore"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Add a `.dockerignore` (best an allow-list: `*` then `!src/`, `!pyproject.toml`,
        ...) so data, notebooks, `.git`, virtual environments and secrets never enter the
        build context or an image layer."""
        if p2p_repo.dockerfile is None:
            return None
        name = f"{p2p_repo.dockerfile_name}.dockerignore"
        if p2p_repo.is_file(".dockerignore") or p2p_repo.is_file(name):
            return True
        return cls.fail("no `.dockerignore`")


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the container checks."""
    return checks_of(P2P601, P2P602, P2P603)
