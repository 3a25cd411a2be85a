"""Reproducibility (P2P3xx): template answers, artefacts out of git, no large files, seeds."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any

from poc2prod.lint.checks import Poc2ProdCheck, checks_of
from poc2prod.lint.repository import ANSWERS_FILE, Repository, table

#: Default of ``[tool.poc2prod.lint] max-file-size-kb``: larger committed files fail P2P304.
DEFAULT_MAX_FILE_SIZE_KB = 1024

#: Names of a random seed in a configuration (compared in lower case).
SEED_NAMES = frozenset({"random_state", "seed", "random_seed", "rng_seed"})
#: Modules of a package that hold its configuration.
CONFIG_MODULES = ("config.py", "settings.py", "conf.py", "constants.py", "params.py")
#: Configuration files outside the package that may hold the training parameters.
CONFIG_FILES = re.compile(r"^(params|config|settings)\.(ya?ml|toml|json)$|^(configs?|conf)/[^/]+\.(ya?ml|toml|json)$")
#: Folders whose contents are data or model artefacts.
ARTEFACT_DIRS = ("data", "models")
#: Suffixes of data and model files that belong in ignored folders, not in git.
ARTEFACT_SUFFIXES = frozenset(
    {".csv", ".parquet", ".pq", ".feather", ".arrow", ".xlsx", ".h5", ".hdf5", ".npy", ".npz"}
    | {".skops", ".pkl", ".pickle", ".joblib", ".onnx", ".pt", ".pth", ".safetensors", ".ckpt", ".bin"}
)
#: Template sources an update can fetch: URLs, scp-like git addresses, Copier's shortcuts.
FETCHABLE_SOURCE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|gh:|gl:|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


class Reproducibility(Poc2ProdCheck):
    short_family = "reproducibility"


def _answers(p2p_repo: Repository) -> Any:
    return p2p_repo.load_yaml(ANSWERS_FILE)


class P2P301(Reproducibility):
    """Template answers file (.copier-answers.yml) with its source and version"""

    what = "Fails when `.copier-answers.yml` is missing, is not a YAML mapping, or lacks `_src_path` or `_commit`."
    why = (
        "The answers file records which template and which version rendered the project; without it the "
        "project can never be updated or checked against the template again."
    )

    file = ANSWERS_FILE

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Keep `.copier-answers.yml` as Copier wrote it, a mapping with `_src_path` and
        `_commit`: `poc2prod update` and `check` read it. A repository poc2prod did not
        render gets one with `poc2prod adopt`."""
        if not p2p_repo.is_file(ANSWERS_FILE):
            return cls.fail(f"no `{ANSWERS_FILE}`")
        answers = _answers(p2p_repo)
        if not isinstance(answers, dict):
            return cls.fail(f"`{ANSWERS_FILE}` is not a YAML mapping")
        missing = [key for key in ("_src_path", "_commit") if not answers.get(key)]
        if missing:
            return cls.fail(f"`{ANSWERS_FILE}` lacks {' and '.join(f'`{key}`' for key in missing)}")
        return True


class P2P302(Reproducibility):
    """Template source recorded as a URL or absolute path"""

    what = (
        "Reads `_src_path` of `.copier-answers.yml`. Passes for a URL (`https://`, `git@host:`, `ssh://`...), "
        "a `gh:` or `gl:` shortcut, or an absolute path; fails for a relative path."
    )
    why = (
        "A relative template path only works from the folder it was written in: CI, the scheduled update "
        "workflow and a colleague's clone could not find the template."
    )

    file = ANSWERS_FILE
    requires = frozenset({"P2P301"})

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str:
        """Record the template source so an update can find it from any clone: a git URL
        (`https://...`, `git@...`), a `gh:`/`gl:` shortcut or an absolute path, e.g. once
        with `poc2prod update --template https://github.com/ORG/poc2prod`."""
        source = str(_answers(p2p_repo)["_src_path"])
        if (
            FETCHABLE_SOURCE.match(source)
            or PurePosixPath(source).is_absolute()
            or re.match(r"^[A-Za-z]:[\\/]", source)
        ):
            return True
        return cls.fail(f"`_src_path: {source}` is a relative path, which only works from one folder")


class P2P303(Reproducibility):
    """Data and model artefacts ignored by git"""

    what = (
        "For each of `data/` and `models/` that exists, fails when git would not ignore a new data file in "
        "it, or when git tracks data or model files there (`.csv`, `.parquet`, `.npy`, `.skops`, `.pkl`, "
        "`.joblib`, `.onnx`, `.pt`, `.safetensors`...). n/a when neither folder exists."
    )
    why = (
        "Data and models are large, are rebuilt by training, and often hold personal data; once committed "
        "they stay in every clone of the history, and git cannot remove them without rewriting it."
    )

    file = ".gitignore"

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Ignore the contents of `data/` and `models/` in `.gitignore` (`/data/*`,
        `/models/*`, keeping a README or `.gitkeep` with `!`): artefacts are large, may hold
        personal data, and training reproduces them. Remove committed ones with
        `git rm --cached`."""
        folders = [folder for folder in ARTEFACT_DIRS if p2p_repo.is_dir(folder)]
        if not folders:
            return None
        problems = [
            f"`{folder}/` is not ignored"
            for folder in folders
            if not p2p_repo.is_ignored(f"{folder}/poc2prod-lint-probe.parquet")
        ]
        committed = [
            name
            for name in (p2p_repo.tracked or ())
            if name.split("/", 1)[0] in folders and PurePosixPath(name).suffix.lower() in ARTEFACT_SUFFIXES
        ]
        if committed:
            shown = ", ".join(f"`{name}`" for name in committed[:5])
            problems.append(f"committed artefacts: {shown}{' ...' if len(committed) > 5 else ''}")
        return cls.fail("; ".join(problems)) if problems else True


def max_file_size_kb(pyproject: dict[str, Any]) -> int:
    """``[tool.poc2prod.lint] max-file-size-kb``, or the default when unset or invalid."""
    value = table(pyproject, "tool", "poc2prod", "lint").get("max-file-size-kb")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_MAX_FILE_SIZE_KB


class P2P304(Reproducibility):
    """No large files committed"""

    what = (
        "Fails when a file tracked by git is larger than `max-file-size-kb` of `[tool.poc2prod.lint]` "
        "(default 1024 KB), naming the five largest. n/a outside a git repository."
    )
    why = (
        "Every clone, CI run and image build downloads every committed byte forever; a large file is almost "
        "always data, a model or an output that the code should produce instead."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Keep large files (data, models, images) out of git: ignore them and produce them
        with the code (`make train`), or store them in an artefact store. The limit is
        `max-file-size-kb` under `[tool.poc2prod.lint]` (default 1024)."""
        if not p2p_repo.is_git or p2p_repo.path is None:
            return None  # nothing is committed outside git
        limit = max_file_size_kb(p2p_repo.pyproject)
        large = sorted((size, name) for name in p2p_repo.tracked if (size := p2p_repo.size(name) or 0) > limit * 1024)
        if large:
            shown = ", ".join(f"`{name}` ({size / 1024:,.0f} KB)" for size, name in reversed(large[-5:]))
            return cls.fail(f"{len(large)} file(s) over {limit} KB: {shown}")
        return True


def _seed_in_python(module: ast.Module) -> bool:
    """Whether a module sets a seed: ``RANDOM_STATE = 42``, ``random_state: int = 42``
    at module or class level (a settings class)."""
    bodies = [module.body, *(node.body for node in module.body if isinstance(node, ast.ClassDef))]
    for body in bodies:
        for node in body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            names = {target.id.lower() for target in targets if isinstance(target, ast.Name)}
            if names & SEED_NAMES and isinstance(value, ast.Constant) and isinstance(value.value, int):
                return True
            if names & SEED_NAMES and isinstance(value, ast.Name):
                return True  # random_state: int = RANDOM_STATE
    return False


def _seed_in_text(text: str) -> bool:
    """Whether a YAML/TOML/JSON configuration sets a seed to a number."""
    names = "|".join(sorted(SEED_NAMES))
    return re.search(rf"""(?im)^\s*["']?({names})["']?\s*[:=]\s*\d+""", text) is not None


class P2P305(Reproducibility):
    """Random seed in the training configuration"""

    what = (
        "Looks in the package's configuration modules (`config.py`, `settings.py`, `conf.py`, `constants.py`, "
        "`params.py`, or a `config/` folder) for a `random_state`, `seed`, `random_seed` or `rng_seed` set to "
        "a number at module or class level, then in `params`/`config`/`settings` YAML, TOML or JSON files for "
        "such a key. Fails when none is found; n/a without a package."
    )
    why = (
        "Without a seed, two runs on the same data split and fit differently: a metric changes for no reason, "
        "a promotion cannot be reproduced, and a bug cannot be bisected."
    )

    @classmethod
    def check(cls, p2p_repo: Repository) -> bool | str | None:
        """Set the seed of the split and the models in the package's configuration, e.g.
        `random_state: int = 42` in `src/<package>/config.py` (or `RANDOM_STATE = 42`), and
        pass it to every random step, so a training run can be repeated exactly."""
        package = p2p_repo.package
        if package is None:
            return None
        configs = [
            name
            for name in p2p_repo.package_sources
            if PurePosixPath(name).name in CONFIG_MODULES or "/config/" in name[len(package.folder) :]
        ]
        if any(_seed_in_python(p2p_repo.package_sources[name]) for name in configs):
            return True
        files = [name for name in p2p_repo.files if CONFIG_FILES.match(name)]
        if any(_seed_in_text(p2p_repo.read_text(name) or "") for name in files):
            return True
        where = ", ".join(f"`{name}`" for name in [*configs, *files]) or f"no config module in `{package.folder}`"
        return cls.fail(f"no `random_state`/`seed` setting found ({where})")


def repo_review_checks() -> dict[str, type[Poc2ProdCheck]]:
    """Entry point ``repo_review.checks``: the reproducibility checks."""
    return checks_of(P2P301, P2P302, P2P303, P2P304, P2P305)
