"""Serving (P2P5xx): health and readiness endpoints, models loaded without pickle.

The package's modules are parsed, never imported: routes are the string paths given to
FastAPI's route decorators and ``add_api_route``; loaders are calls resolved through the
module's imports (``import joblib as jl`` ... ``jl.load``).
"""

from __future__ import annotations

import ast
import re

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import Repository

_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "add_api_route", "route", "add_route"}
)
#: Last path segment of a liveness endpoint.
HEALTH_PATH = re.compile(r"/(health|healthz|livez|live|liveness|ping)/?$")
#: Last path segment of a readiness endpoint.
READY_PATH = re.compile(r"/(ready|readyz|readiness)/?$")
#: Loaders that unpickle whatever a file holds (arbitrary code on load).
PICKLE_LOADERS = frozenset(
    {
        "pickle.load",
        "pickle.loads",
        "_pickle.load",
        "_pickle.loads",
        "cloudpickle.load",
        "cloudpickle.loads",
        "dill.load",
        "dill.loads",
        "joblib.load",
        "sklearn.externals.joblib.load",
        "pandas.read_pickle",
    }
)


class Serving(Poc2ProdCheck):
    short_family = "serving"


def _imports_fastapi(module: ast.Module) -> bool:
    for node in ast.walk(module):
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "fastapi" for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "fastapi":
            return True
    return False


def api_routes(p2p_repo: Repository) -> list[str] | None:
    """The route paths of the package's FastAPI app, or ``None`` when it has none."""
    modules = {path: module for path, module in p2p_repo.package_sources.items() if _imports_fastapi(module)}
    if not modules:
        return None
    routes = []
    for module in modules.values():
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _ROUTE_METHODS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value.startswith("/")
            ):
                routes.append(node.args[0].value)
    return routes


class P2P501(Serving):
    """API has a health (liveness) endpoint"""

    what = (
        "Finds the package's modules that import FastAPI and the route paths they declare. Fails when none "
        "ends in `/health`, `/healthz`, `/livez`, `/live`, `/liveness` or `/ping`; n/a when the package has "
        "no FastAPI app."
    )
    why = (
        "The container runtime and the orchestrator restart a process that stops answering; without a "
        "liveness endpoint a hung API keeps receiving traffic, or is restarted on a guess."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Add `GET /health` to the API, answering 200 while the process lives, for the
        container's `HEALTHCHECK` and the Kubernetes liveness probe."""
        routes = api_routes(p2p_repo)
        if routes is None:
            return None
        if any(HEALTH_PATH.search(route) for route in routes):
            return True
        return cls.fail(f"no health route among {', '.join(f'`{r}`' for r in routes) or 'the routes (none found)'}")


class P2P502(Serving):
    """API has a readiness endpoint"""

    what = (
        "Like P2P501, for a route ending in `/ready`, `/readyz` or `/readiness`; n/a when the package has no "
        "FastAPI app."
    )
    why = (
        "Loading a model takes time; without a readiness endpoint a new replica receives requests before it "
        "can predict, and a roll-out answers errors for a while."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Add `GET /ready`, answering 200 once the model is loaded and 503 until then, so
        the Kubernetes readiness probe sends traffic only to replicas that can predict."""
        routes = api_routes(p2p_repo)
        if routes is None:
            return None
        if any(READY_PATH.search(route) for route in routes):
            return True
        return cls.fail(f"no readiness route among {', '.join(f'`{r}`' for r in routes) or 'the routes (none found)'}")


def _aliases(module: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, from the module's imports."""
    names: dict[str, str] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    names[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def unsafe_loads(module: ast.Module) -> list[tuple[int, str]]:
    """Calls that unpickle (line, name), and ``skops.io.load(..., trusted=True)``."""
    aliases = _aliases(module)
    found = []
    for node in ast.walk(module):
        if not isinstance(node, ast.Call):
            continue
        name = _qualified(node.func, aliases)
        if name in PICKLE_LOADERS:
            found.append((node.lineno, name))
        elif name in {"skops.io.load", "skops.io.loads"} and any(
            keyword.arg == "trusted" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True
            for keyword in node.keywords
        ):
            found.append((node.lineno, f"{name}(trusted=True)"))
    return found


class P2P503(Serving):
    """Models loaded without pickle"""

    what = (
        "Fails when a module of the package calls a loader that unpickles (`pickle`, `cloudpickle` or `dill` "
        "`load`/`loads`, `joblib.load`, `pandas.read_pickle`, under any import alias) or "
        "`skops.io.load(..., trusted=True)`, naming the file and line. n/a without a package."
    )
    why = (
        "Loading a pickle runs whatever code the file holds: a model file swapped in the artefact store, a "
        "bucket or a pull request becomes code execution on the serving machine."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Save models with skops (`skops.io.dump`) and load them with an explicit list of
        the trusted types (`skops.io.load(path, trusted=[...])`): unpickling (`pickle`,
        `joblib`, `cloudpickle`, `trusted=True`) runs whatever code the file holds."""
        if p2p_repo.package is None:
            return None
        found = [
            f"`{name}` ({path}:{line})"
            for path, module in p2p_repo.package_sources.items()
            for line, name in unsafe_loads(module)
        ]
        if found:
            return cls.fail(f"unsafe loading: {', '.join(found)}")
        return True


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the serving checks."""
    return checks_of(P2P501, P2P502, P2P503)
