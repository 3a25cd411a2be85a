"""Operations files of rendered projects: container, CI/CD, Kubernetes, pre-commit, Part II docs.

No Docker engine, GitHub or cluster is reachable here, so each file is checked by the tool
its users' platform would run first, offline: ``hadolint`` (Dockerfile), ``actionlint``
(with ``shellcheck``) and ``zizmor`` (GitHub workflows), ``kubernetes-validate``
(manifests), a structure check and ``shellcheck`` (GitLab CI, ``deploy.sh``),
``pre-commit run --all-files`` (hooks). The slow tests run every ``run:`` step of the
rendered GitHub CI workflow and every ``script:`` line of the GitLab jobs, in order, in
the rendered project, so the CI that users get is known to pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

BIN = Path(sys.executable).parent

#: (ci_provider, api, template_updates, python_version, problem_type): every ci and api pair.
VARIANTS = [
    ("github", "fastapi", True, "3.11", "binary"),
    ("github", "none", False, "3.13", "regression"),
    ("gitlab", "fastapi", None, "3.10", "multiclass"),
    ("gitlab", "none", None, "3.12", "binary"),
    ("none", "fastapi", None, "3.12", "regression"),
    ("none", "none", None, "3.11", "multiclass"),
]
VARIANT_IDS = [f"{v[0]}-{v[1]}" for v in VARIANTS]


def tool(name: str) -> str:
    """Path of a command-line tool installed by poc2prod's ``test`` extra."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found is not None, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def answers_of(variant: tuple[str, str, bool | None, str, str]) -> dict[str, Any]:
    ci, api, updates, python_version, problem_type = variant
    answers: dict[str, Any] = {
        "ci_provider": ci,
        "api": api,
        "python_version": python_version,
        "problem_type": problem_type,
    }
    if updates is not None:
        answers["template_updates"] = updates
    return answers


@pytest.fixture(params=VARIANTS, ids=VARIANT_IDS)
def variant(request: pytest.FixtureRequest, render: Callable[..., Path]) -> tuple[dict[str, Any], Path]:
    answers = answers_of(request.param)
    return answers, render(**answers)


def dockerfile_instruction(dockerfile: Path, name: str) -> str:
    """The last ``NAME`` instruction of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    lines = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    assert lines, f"no {name} in {dockerfile}"
    return lines[-1].removeprefix(f"{name} ").strip()


def test_files_follow_the_answers(variant: tuple[dict[str, Any], Path]) -> None:
    answers, project = variant
    api, ci = answers["api"] == "fastapi", answers["ci_provider"]
    expected = {
        "Dockerfile": api,
        ".dockerignore": api,
        "deploy/k8s/base/deployment.yaml": api,
        "deploy/k8s/deploy.sh": api,
        ".github/workflows/ci.yml": ci == "github",
        ".github/dependabot.yml": ci == "github",
        ".github/workflows/release.yml": ci == "github" and api,
        ".github/workflows/template-updates.yml": ci == "github" and answers.get("template_updates", False),
        ".github/workflows/monitor.yml": ci == "github",
        ".gitlab-ci.yml": ci == "gitlab",
        ".pre-commit-config.yaml": True,
        "docs/architecture.md": True,
        "docs/rollout.md": True,
        "docs/use_case.md": True,
        "src/churn_model/model_card.py": True,
    }
    assert {name: (project / name).is_file() for name in expected} == expected
    makefile = (project / "Makefile").read_text()
    assert ("\ndocker-build: models/model.skops" in makefile) is api
    assert "\nmodel-card:" in makefile
    assert "\npre-commit:" in makefile


def test_dockerfile_passes_hadolint_and_serves_the_api(variant: tuple[dict[str, Any], Path]) -> None:
    answers, project = variant
    if answers["api"] != "fastapi":
        pytest.skip("api none renders no Dockerfile")
    dockerfile = project / "Dockerfile"
    run([tool("hadolint"), "--failure-threshold", "style", str(dockerfile)], cwd=project)
    assert dockerfile.read_text().startswith("# Image of the Churn Model API")
    assert (
        re.findall(r"^FROM (\S+)", dockerfile.read_text(), flags=re.M)
        == [f"python:{answers['python_version']}-slim"] * 2
    )
    assert json.loads(dockerfile_instruction(dockerfile, "CMD")) == [
        "python",
        "-m",
        "churn_model",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert dockerfile_instruction(dockerfile, "EXPOSE") == "8000"
    assert dockerfile_instruction(dockerfile, "USER") == "10001"
    # The app user can write the prediction log (the default logs/predictions.jsonl).
    assert dockerfile_instruction(dockerfile, "RUN") == "mkdir logs && chown app:app logs"
    assert "http://127.0.0.1:8000/health" in dockerfile_instruction(dockerfile, "HEALTHCHECK")
    patterns = [line for line in (project / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    # An allow-list: everything is excluded, then only these are let back in, so data,
    # notebooks, .git, .venv and caches never reach the build context.
    assert patterns[0] == "*"
    assert [line for line in patterns if line.startswith("!")] == [
        "!pyproject.toml",
        "!uv.lock",
        "!README.md",
        "!LICENSE",
        "!src/",
        "!models/registry/aliases.json",
        "!models/registry/versions/*/*.skops",
        "!models/registry/versions/*/*.json",
    ]


def test_github_workflows_pass_actionlint_and_zizmor(variant: tuple[dict[str, Any], Path]) -> None:
    answers, project = variant
    if answers["ci_provider"] != "github":
        pytest.skip("not a GitHub project")
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    tool("shellcheck")  # actionlint checks every `run:` script with shellcheck when it is on PATH
    with_tools = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run([tool("actionlint"), *map(str, workflows)], cwd=project, env=with_tools)
    out = run([tool("zizmor"), "--offline", "--persona", "auditor", "--no-progress", "."], cwd=project)
    assert "No findings to report" in out
    sha = re.compile(r"uses: [\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    for path in workflows:
        text = path.read_text()
        data = yaml.safe_load(text)
        assert data["permissions"] == {"contents": "read"}, path.name
        uses = [line.strip().removeprefix("- ") for line in text.splitlines() if "uses:" in line]
        assert uses and all(sha.fullmatch(line) for line in uses), path.name
        for job in data["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_release_workflow_pushes_on_tags_and_gates_production(render: Callable[..., Path]) -> None:
    project = render(ci_provider="github", api="fastapi")
    release = yaml.safe_load((project / ".github" / "workflows" / "release.yml").read_text())
    assert release[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the key `on` as True
    jobs = release["jobs"]
    assert list(jobs) == ["image", "staging", "production"]
    assert jobs["image"]["permissions"] == {"contents": "read", "packages": "write"}
    assert [jobs["staging"]["environment"], jobs["production"]["environment"]] == ["staging", "production"]
    assert jobs["production"]["needs"] == ["image", "staging"]
    assert "permissions" not in jobs["staging"] and "permissions" not in jobs["production"]
    deploy = jobs["production"]["steps"][-1]["run"]
    assert "bash deploy/k8s/deploy.sh production" in deploy


def test_template_update_workflow(render: Callable[..., Path]) -> None:
    project = render(ci_provider="github", api="none")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "template-updates.yml").read_text())
    assert workflow[True] == {"schedule": [{"cron": "17 6 * * 1"}], "workflow_dispatch": None}
    job = workflow["jobs"]["update"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    for command in (
        'python -m pip install "poc2prod',
        "poc2prod check --json",
        'poc2prod update --to "$NEWEST"',
        'poc2prod versions --template "$SOURCE" --since "$CURRENT"',
        "gh pr create",
    ):
        assert command in script
    assert not (render("gitlab", ci_provider="gitlab") / ".github").exists()


def test_kubernetes_manifests_are_valid(render: Callable[..., Path]) -> None:
    project = render(ci_provider="gitlab", api="fastapi", project_name="Fraud Score")
    k8s = project / "deploy" / "k8s"
    base = sorted((k8s / "base").glob("*.yaml"))
    resources = [path for path in base if path.name != "kustomization.yaml"]
    out = run([tool("kubernetes-validate"), "--strict", *map(str, resources)], cwd=project)
    assert out.count("passed") == 2
    deployment = yaml.safe_load((k8s / "base" / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert set(container["resources"]) == {"requests", "limits"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # So the prediction log has a writable folder: the image's WORKDIR /app, logs/.
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts == {"/tmp": "tmp", "/app/logs": "prediction-log"}
    assert {volume["name"] for volume in pod["volumes"]} == {"tmp", "prediction-log"}
    assert yaml.safe_load((k8s / "base" / "kustomization.yaml").read_text())["resources"] == [
        "deployment.yaml",
        "service.yaml",
    ]
    for environment, replicas in (("staging", 1), ("production", 3)):
        overlay = yaml.safe_load((k8s / "overlays" / environment / "kustomization.yaml").read_text())
        assert overlay["namespace"] == f"fraud-score-{environment}"
        assert overlay["replicas"] == [{"name": deployment["metadata"]["name"], "count": replicas}]
        assert (k8s / "overlays" / environment / overlay["resources"][0]).resolve() == (k8s / "base").resolve()
    run([tool("shellcheck"), str(k8s / "deploy.sh")], cwd=project)
    script = (k8s / "deploy.sh").read_text()
    assert "kubectl apply -k" in script and "kubectl rollout status deployment/fraud-score" in script
    bad = subprocess.run(["bash", str(k8s / "deploy.sh"), "qa", "x:1"], capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stderr) == (2, "error: no overlay deploy/k8s/overlays/qa: use staging or production\n")


@pytest.mark.parametrize("api", ["fastapi", "none"])
def test_gitlab_ci_structure(render: Callable[..., Path], api: str) -> None:
    project = render(ci_provider="gitlab", api=api)
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    stages = config["stages"]
    jobs = {name: job for name, job in config.items() if isinstance(job, dict) and "stage" in job}
    for name, job in jobs.items():
        assert job["stage"] in stages, name
        merged = {**config.get(job.get("extends", ""), {}), **job}
        assert merged["script"] and all(isinstance(line, str) and line for line in merged["script"]), name
    lines = [line for job in config.values() if isinstance(job, dict) for line in job.get("script", [])]
    (project / "scripts.sh").write_text("#!/usr/bin/env bash\n" + "\n".join(lines) + "\n")
    run([tool("shellcheck"), "scripts.sh"], cwd=project)
    used = {job["stage"] for job in jobs.values()}
    assert used == set(stages)
    # The scheduled batch scoring and monitoring runs in pipeline schedules only.
    assert jobs["monitor"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SCORING_INPUT'}]
    assert "--fail-on-drift" in "\n".join(jobs["monitor"]["script"])
    if api == "fastapi":
        assert stages == ["check", "monitor", "build", "staging", "production"]
        production = {**config[".deploy"], **jobs["deploy-production"]}
        assert production["environment"] == {"name": "production"}
        assert production["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v/", "when": "manual"}]
        assert production["allow_failure"] is False
        assert "docker push" in "\n".join(jobs["image"]["script"])
    else:
        assert stages == ["check", "monitor"] and set(jobs) == {"lint", "test", "layout", "monitor"}


def test_pre_commit_hooks_come_from_their_upstream_repositories(render: Callable[..., Path]) -> None:
    github = yaml.safe_load((render("github") / ".pre-commit-config.yaml").read_text())
    gitlab = yaml.safe_load((render("gitlab", ci_provider="gitlab") / ".pre-commit-config.yaml").read_text())
    # zizmor only where there are GitHub workflows for it to check.
    assert [repo["repo"] for repo in github["repos"]] == list(HOOK_MIRRORS)
    assert [repo["repo"] for repo in gitlab["repos"]] == list(HOOK_MIRRORS)[:-1]
    for repo in github["repos"]:
        # A release tag, which `pre-commit autoupdate` and pre-commit.ci move forward.
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", repo["rev"]), repo
        assert {hook["id"] for hook in repo["hooks"]} <= {hook["id"] for hook in HOOK_MIRRORS[repo["repo"]][1]}
    ruff = github["repos"][0]
    assert ruff["hooks"] == [
        {"id": "ruff-check", "args": ["--fix", "--show-fixes"]},
        {"id": "ruff-format", "types_or": ["python", "pyi", "jupyter", "markdown"]},  # code blocks of *.md
    ]
    assert github["ci"] == {
        "autoupdate_commit_msg": "chore(deps): update pre-commit hooks",
        "autofix_commit_msg": "style: pre-commit fixes",
        "autoupdate_schedule": "monthly",
    }


@pytest.mark.parametrize(
    ("problem_type", "api", "ci", "metric", "absent"),
    [
        ("binary", "fastapi", "github", "accuracy of the predicted class", "MAE"),
        ("regression", "none", "gitlab", "mean absolute error (MAE)", "ROC AUC"),
    ],
)
def test_architecture_and_rollout_docs(
    render: Callable[..., Path], problem_type: str, api: str, ci: str, metric: str, absent: str
) -> None:
    project = render(problem_type=problem_type, api=api, ci_provider=ci)
    architecture = (project / "docs" / "architecture.md").read_text()
    assert "```mermaid\nflowchart LR" in architecture
    assert "python -m churn_model train" in architecture
    assert ("POST /predict, GET /health, GET /ready" in architecture) is (api == "fastapi")
    assert ("python -m churn_model predict" in architecture) is (api == "none")
    assert ("GitLab CI" in architecture) is (ci == "gitlab")
    rollout = (project / "docs" / "rollout.md").read_text()
    assert "**Shadow**" in rollout and "**Canary / A-B test**" in rollout and "**Full roll-out**" in rollout
    primary = next(line for line in rollout.splitlines() if line.startswith("- **Primary**"))
    assert metric in primary and absent not in primary
    secondary = next(line for line in rollout.splitlines() if line.startswith("- **Secondary**"))
    assert ("ROC AUC" in secondary) is (problem_type == "binary")
    assert "**Guardrails**" in rollout
    assert rollout.count("- [ ] ") == 6


# Slow: render, install and run whole projects.


def project_venv(project: Path, tmp: Path) -> dict[str, str]:
    """A venv for the project that sees this environment's packages (no download of them).

    The project's dependencies are poc2prod's ``project`` extra, installed here; a ``.pth``
    file makes them visible, so the workflow's own install step only adds the project.
    """
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "poc2prod-test-env.pth").write_text("\n".join(ours) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def run_script(script: str, project: Path, env: dict[str, str]) -> str:
    """Run a CI step as GitHub's and GitLab's runners do: bash, stop at the first error."""
    return run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=project, env=env)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook cache for the run: the hooks install from PyPI once, for both xdist workers.

    pre-commit holds a lock on its store while it clones and installs, so workers can share it.
    """
    from tests.conftest import shared_folder

    return shared_folder(tmp_path_factory, "pre-commit-home")


#: Stand-ins for the hook repositories of the rendered .pre-commit-config.yaml, in its order:
#: URL -> (the PyPI package the real repository installs, its hooks as it declares them).
TEXT: dict[str, Any] = {"types": ["text"]}
SERIAL: dict[str, Any] = {"require_serial": True}
HOOK_MIRRORS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "https://github.com/astral-sh/ruff-pre-commit": (
        "ruff",
        [
            {
                "id": "ruff-check",
                "entry": "ruff check --force-exclude",
                "types_or": ["python", "pyi", "jupyter"],
                **SERIAL,
            },
            {
                "id": "ruff-format",
                "entry": "ruff format --force-exclude",
                "types_or": ["python", "pyi", "jupyter"],
                **SERIAL,
            },
        ],
    ),
    "https://github.com/kynan/nbstripout": ("nbstripout", [{"id": "nbstripout", "files": r"\.ipynb$"}]),
    "https://github.com/codespell-project/codespell": ("codespell", [{"id": "codespell", **TEXT}]),
    "https://github.com/pre-commit/pre-commit-hooks": (
        "pre-commit-hooks",
        [
            {"id": "check-yaml", "types": ["yaml"]},
            {"id": "check-toml", "types": ["toml"]},
            {"id": "check-added-large-files", "stages": ["pre-commit", "pre-push", "manual"]},
            {"id": "check-merge-conflict", **TEXT},
            {"id": "end-of-file-fixer", **TEXT, "stages": ["pre-commit", "pre-push", "manual"]},
            {"id": "trailing-whitespace", "entry": "trailing-whitespace-fixer", **TEXT},
        ],
    ),
    "https://github.com/zizmorcore/zizmor-pre-commit": (
        "zizmor",
        [{"id": "zizmor", "files": r"(\.github/workflows/.*)|(action\.ya?ml)$", "args": ["--no-progress"], **SERIAL}],
    ),
}


def hook_mirrors(project: Path, root: Path) -> dict[str, str]:
    """Git settings that send pre-commit to local stand-ins of the project's hook repositories.

    GitHub is out of reach here, so each ``repo:`` URL of the rendered configuration is
    rewritten (``url.<mirror>.insteadOf``) to a git repository made here, tagged with the
    configured ``rev``, that declares the same hooks and installs the same package from PyPI
    at that version. An empty global git configuration keeps the user's own out of the way.
    """
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    env = {"GIT_CONFIG_GLOBAL": str(root / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    (root / "gitconfig").write_text("")
    for index, repo in enumerate(config["repos"]):
        package, hooks = HOOK_MIRRORS[repo["repo"]]
        mirror = root / f"{package}-pre-commit"
        if not mirror.exists():
            mirror.mkdir()
            declared = [{"name": hook["id"], "entry": hook["id"], "language": "python", **hook} for hook in hooks]
            (mirror / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(declared, sort_keys=False))
            version = repo["rev"].removeprefix("v")
            (mirror / "pyproject.toml").write_text(
                f'[project]\nname = "{package}-pre-commit"\nversion = "0.0.0"\n'
                f'dependencies = ["{package}=={version}"]\n\n[tool.setuptools]\npy-modules = []\n'
            )
            for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "hooks"]):
                run(["git", *args], cwd=mirror)
            run(["git", "tag", repo["rev"]], cwd=mirror)
        env[f"GIT_CONFIG_KEY_{index}"] = f"url.{mirror.as_uri()}.insteadOf"
        env[f"GIT_CONFIG_VALUE_{index}"] = repo["repo"]
    env["GIT_CONFIG_COUNT"] = str(len(config["repos"]))
    return env


@pytest.mark.slow
def test_pre_commit_run_all_files_passes_on_a_fresh_project(
    variant: tuple[dict[str, Any], Path], pre_commit_home: Path, tmp_path: Path
) -> None:
    answers, project = variant
    mirrors = tmp_path / "mirrors"
    mirrors.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), **hook_mirrors(project, mirrors)}
    run(["git", "init", "-q", "-b", "main"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    out = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env)
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    hooks = [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]
    assert ("zizmor" in hooks) is (answers["ci_provider"] == "github")
    for hook in hooks:
        assert re.search(rf"^{hook}\.+Passed$", out, flags=re.M), out
    assert run(["git", "diff", "--name-only"], cwd=project) == ""  # no hook changed a file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(render: Callable[..., Path]) -> Iterator[tuple[Path, int]]:
    """The rendered API started with the image's CMD, on 127.0.0.1 and a free port."""
    project = render(api="fastapi", ci_provider="none")
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    run([sys.executable, "-m", "churn_model", "train"], cwd=project, env=env)
    command = json.loads(dockerfile_instruction(project / "Dockerfile", "CMD"))
    port = free_port()
    command = [sys.executable if command[0] == "python" else command[0], *command[1:]]
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    with subprocess.Popen(command, cwd=project, env=env) as server:
        try:
            yield project, port
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.mark.slow
def test_the_image_start_command_serves_health(served: tuple[Path, int]) -> None:
    _, port = served
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                assert response.status == 200
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
        assert response.status == 200
    project, _ = served
    example = json.loads((project / "models" / "schema.json").read_text())["example"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict",
        data=json.dumps(example).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert len(json.loads(response.read())["predictions"]) == 1
    # The default prediction log, in the folder the Dockerfile makes writable for the app user.
    (line,) = (project / "logs" / "predictions.jsonl").read_text().splitlines()
    assert json.loads(line)["variant"] == "champion"


def workflow_step(project: Path, name: str) -> str:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "template-updates.yml").read_text())
    return str(next(step["run"] for step in workflow["jobs"]["update"]["steps"] if step["name"] == name))


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("gh:acme/poc2prod", "https://github.com/acme/poc2prod.git"),
        ("https://gitlab.example.com/ml/poc2prod.git", "https://gitlab.example.com/ml/poc2prod.git"),
    ],
)
def test_template_update_installs_poc2prod_from_the_recorded_source(
    render: Callable[..., Path], tmp_path: Path, source: str, url: str
) -> None:
    project = render()
    answers = project / ".copier-answers.yml"
    answers.write_text(re.sub(r"^_src_path: .*$", f"_src_path: {source}", answers.read_text(), flags=re.M))
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    calls = tmp_path / "calls.txt"
    # git lists the tags (a pre-release and a non-version among them); python records its arguments.
    tags = "".join(
        f"{sha}\\trefs/tags/{tag}\\n" for sha, tag in enumerate(["v0.9.0", "v0.10.0", "v1.0.0rc1", "latest"])
    )
    (stubs / "git").write_text(f"#!/bin/sh\nprintf '{tags}'\n")
    (stubs / "python").write_text(f'#!/bin/sh\nprintf "%s|" "$@" > {calls}\n')
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
    run_script(workflow_step(project, "Install poc2prod from the template source"), project, env)
    assert calls.read_text() == f"-m|pip|install|poc2prod @ git+{url}@v0.10.0|"


def test_template_update_refuses_a_local_template_source(render: Callable[..., Path]) -> None:
    project = render()  # rendered from a local path, as `poc2prod new` without --template does
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", workflow_step(project, "Install poc2prod from the template source")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "which this runner cannot read: set _src_path to the https URL" in done.stderr


def test_template_update_check_step_reports_an_up_to_date_project(render: Callable[..., Path], tmp_path: Path) -> None:
    project = render(git=True)
    outputs = tmp_path / "outputs"
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(outputs)}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"  # poc2prod, as the install step leaves it
    run_script(workflow_step(project, "Check the template version"), project, env)
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert found["behind"] == "false"
    assert found["current"] == found["newest"] == "v0.1.0"


def test_template_update_opens_a_pull_request_with_the_changes_in_between(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    from tests.update_support import ANSWERS_TEMPLATE, _release, new_project, run_git

    steps = render()  # the rendered workflow's steps run in a project of a small template
    template = tmp_path / "template"
    template.mkdir()
    run_git("init", "-q", "-b", "main", cwd=template)
    config = "_subdirectory: template\n_answers_file: .copier-answers.yml\n_templates_suffix: .jinja\n"
    answers = {"copier.yml": config, "template/{{_copier_conf.answers_file}}.jinja": ANSWERS_TEMPLATE}
    _release(template, "v1.0.0", {**answers, "template/notes.txt": "one\n"}, "- First version.")
    _release(template, "v1.1.0", {"template/notes.txt": "one\ntwo\n"}, "- notes.txt says two.")
    _release(template, "v1.2.0", {"template/added.txt": "added\n"}, "- New file added.txt.")
    project = new_project(template, tmp_path / "demo", "v1.0.0")

    stubs, runner = tmp_path / "stubs", tmp_path / "runner"
    stubs.mkdir()
    runner.mkdir()
    real_git = shutil.which("git")
    (stubs / "git").write_text(
        f'#!/bin/sh\nif [ "$1" = push ]; then echo "$@" > {runner}/pushed; exit 0; fi\nexec {real_git} "$@"\n'
    )
    (stubs / "gh").write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "pr list" ]; then echo 0; exit 0; fi\nprintf "%s\\n" "$@" > {runner}/gh\n'
    )
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(stubs), str(BIN), os.environ["PATH"]]),
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(runner / "outputs"),
        "GITHUB_REPOSITORY": "acme/churn",
        "GH_TOKEN": "token",
        "BASE": "main",
    }
    run_script(workflow_step(steps, "Check the template version"), project, env)
    outputs = dict(line.split("=", 1) for line in (runner / "outputs").read_text().splitlines())
    assert (outputs["behind"], outputs["current"], outputs["newest"]) == ("true", "v1.0.0", "v1.2.0")

    env |= {"CURRENT": outputs["current"], "NEWEST": outputs["newest"], "SOURCE": outputs["source"]}
    run_script(workflow_step(steps, "Update and open a pull request"), project, env)
    assert run_git("branch", "--show-current", cwd=project).strip() == "template-update/v1.2.0"
    assert run_git("log", "-1", "--format=%s", cwd=project).strip() == (
        "Update the poc2prod template from v1.0.0 to v1.2.0"
    )
    assert (project / "added.txt").read_text() == "added\n"
    assert (project / "notes.txt").read_text() == "one\ntwo\n"
    assert (runner / "pushed").read_text() == (
        "push https://x-access-token:token@github.com/acme/churn.git template-update/v1.2.0\n"
    )
    assert (runner / "gh").read_text().splitlines() == [
        "pr",
        "create",
        "--base",
        "main",
        "--head",
        "template-update/v1.2.0",
        "--title",
        "Update the poc2prod template to v1.2.0",
        "--body-file",
        str(runner / "body.md"),
    ]
    body = (runner / "body.md").read_text()
    assert "from v1.0.0 to v1.2.0" in body
    assert "- notes.txt says two." in body and "- New file added.txt." in body
    assert "First version" not in body and "Conflicts" not in body


def test_scheduled_scoring_and_monitoring_steps_run_in_order_and_fail_on_drift(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    """The steps of monitor.yml after the install, run in order in a rendered project: the
    champion is trained, scores a folder of tables, and the drift step passes on inputs like
    the training data and fails on shifted ones."""
    project = render(ci_provider="github", api="none")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "monitor.yml").read_text())
    job = workflow["jobs"]["score"]
    assert workflow[True]["schedule"] and job["if"] == "${{ vars.SCORING_INPUT != '' }}"  # on: is YAML 1.1's True
    steps = {step["name"]: step["run"] for step in job["steps"] if "run" in step}
    names = [step["name"] for step in job["steps"]]
    assert names[-3:] == ["Model registry", "Batch scoring with the champion", "Drift"]
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "SCORING_INPUT": "incoming"}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"  # python, as the install step leaves it
    summary = tmp_path / "summary.md"
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    assert "registered model version 1 as champion" in run_script(steps["Model registry"], project, env)
    from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]  # the bundled data

    rows = load_breast_cancer(as_frame=True).data
    (project / "incoming").mkdir()
    rows.to_csv(project / "incoming" / "today.csv", index=False)
    scored = run_script(steps["Batch scoring with the champion"], project, env)
    assert "to predictions/today.csv" in scored
    assert set(pd.read_csv(project / "predictions" / "today.csv")["model_version"]) == {1}
    run_script(steps["Drift"], project, env)
    assert "PSI" in summary.read_text()

    shifted = pd.concat([rows * 3] * 3, ignore_index=True)  # every feature far from training
    shifted.to_csv(project / "incoming" / "today.csv", index=False)
    (project / "logs" / "batch.jsonl").unlink()
    run_script(steps["Batch scoring with the champion"], project, env)
    drift = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps["Drift"]],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert "significant drift in:" in drift.stderr
