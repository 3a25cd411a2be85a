"""What an existing repository says about the template's answers, for ``poc2prod adopt``.

Each answer is inferred only where the repository states it without ambiguity, and says
where it came from (``pyproject.toml [project].name``, ``src/churn/``, ``train.py``…).
What was seen but could not be read as one answer (two CI providers, a classifier that
may be binary or multiclass, a Python floor older than the template offers) becomes a
note instead, so the user knows which ``--data`` to give. Nothing here writes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Files larger than this are not read for imports and estimators (data, not code).
_MAX_CODE_BYTES = 1_000_000
#: Folders holding a package's tests or docs, never the package itself.
_NOT_PACKAGES = {"tests", "test", "docs", "doc", "notebooks", "scripts", "examples", "build", "dist"}
_IMPORTS = {
    "fastapi": re.compile(r"^\s*(?:from\s+fastapi[\s.]|import\s+fastapi\b)", re.MULTILINE),
    "mlflow": re.compile(r"^\s*(?:from\s+mlflow[\s.]|import\s+mlflow\b)", re.MULTILINE),
}
# Scikit-learn style estimators (also LightGBM's and XGBoost's) named in code or notebooks.
_CLASSIFIER = re.compile(
    r"\b(\w*Classifier(?:CV)?|LogisticRegression(?:CV)?|SVC|LinearSVC|NuSVC|GaussianNB|MultinomialNB|BernoulliNB)\b"
)
_REGRESSOR = re.compile(
    r"\b(\w*Regressor(?:CV)?|LinearRegression|Ridge(?:CV)?|Lasso(?:CV)?|ElasticNet(?:CV)?|SVR|LinearSVR|NuSVR)\b"
)
_LICENSE_IDS = {
    "mit": "MIT",
    "apache-2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "bsd-3-clause": "BSD-3-Clause",
    "proprietary": "Proprietary",
}
_LICENSE_CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: Other/Proprietary License": "Proprietary",
}
_LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING")
_POETRY_AUTHOR = re.compile(r"^\s*(?P<name>[^<]*?)\s*(?:<(?P<email>[^>]+)>)?\s*$")


@dataclass(frozen=True)
class InferredAnswer:
    """One answer read from the repository.

    Attributes
    ----------
    question : str
        The question of the template it answers.
    value : str
        The answer.
    source : str
        Where it was read, for the user: a file, a field, a folder.
    """

    question: str
    value: str
    source: str


@dataclass
class Inference:
    """The answers a repository states, and what it hints at without stating.

    Attributes
    ----------
    answers : list of InferredAnswer
        One per question answered, in the order found.
    notes : list of str
        What was seen but not inferred, and the ``--data`` that would say it.
    unoffered : dict of str to str
        Questions the repository answers with a value the template does not offer
        (a GPL license), with the note that says so: a default would contradict it.
    """

    answers: list[InferredAnswer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unoffered: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        """Return the answers as ``question: value``."""
        return {answer.question: answer.value for answer in self.answers}

    def source_of(self, question: str) -> str | None:
        """Return where the answer to ``question`` was read, or ``None`` when it was not inferred."""
        return next((answer.source for answer in self.answers if answer.question == question), None)


def infer_answers(root: Path, files: Iterable[str], questions: dict[str, Any]) -> Inference:
    """Read the answers the repository in ``root`` states, for the questions the template asks.

    Parameters
    ----------
    root : Path
        Folder of the repository (or of the project inside it).
    files : iterable of str
        The repository's files, relative to ``root`` (its tracked files: build outputs,
        virtual environments and data the team ignores are not read).
    questions : dict
        The template's questions (``copier.yml``): an answer is inferred only for a
        question asked, and only as one of its choices where it has choices.

    Returns
    -------
    Inference
        The answers, each with its source, and notes on what was not inferred.
    """
    found = _Reader(root, sorted(files), questions)
    found.run()
    return found.result


class _Reader:
    """Reads one repository; each ``_infer_*`` method answers one or two questions."""

    def __init__(self, root: Path, files: list[str], questions: dict[str, Any]) -> None:
        self.root = root
        self.files = files
        self.questions = questions
        self.result = Inference()
        self.pyproject = self._pyproject()
        self.project_table: dict[str, Any] = _table(self.pyproject.get("project"))
        self.poetry: dict[str, Any] = _table(_table(self.pyproject.get("tool")).get("poetry"))

    def run(self) -> None:
        self._infer_names()
        self._infer_description()
        self._infer_authors()
        self._infer_python_version()
        self._infer_license()
        self._infer_ci_provider()
        self._infer_api_and_tracking()
        self._infer_problem_type()

    # -- recording -----------------------------------------------------------------------

    def add(self, question: str, value: str, source: str) -> None:
        """Record an answer, if the template asks the question and accepts the value."""
        if question not in self.questions or self.result.source_of(question) is not None:
            return
        choices = _choices(self.questions[question])
        if choices and value not in choices:
            self.unoffered[question] = f"{source} says {value!r}, which is none of {', '.join(choices)}"
            self.note(f"{question}: {self.unoffered[question]}")
            return
        self.result.answers.append(InferredAnswer(question, value, source))

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    @property
    def unoffered(self) -> dict[str, str]:
        return self.result.unoffered

    # -- sources -------------------------------------------------------------------------

    def _pyproject(self) -> dict[str, Any]:
        if "pyproject.toml" not in self.files:
            return {}
        try:
            data: dict[str, Any] = tomllib.loads((self.root / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            self.result.notes.append(f"pyproject.toml cannot be read ({exc}): nothing inferred from it")
            return {}
        return data

    def _text(self, relative: str) -> str:
        path = self.root / relative
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_CODE_BYTES:
                return ""
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _code_files(self) -> list[str]:
        return [name for name in self.files if name.endswith((".py", ".ipynb"))]

    def _dependencies(self) -> list[tuple[str, str]]:
        """Return ``(distribution name, where)`` for every dependency the repository declares."""
        found: list[tuple[str, str]] = []
        declared = [*_strings(self.project_table.get("dependencies"))]
        for extra in _table(self.project_table.get("optional-dependencies")).values():
            declared.extend(_strings(extra))
        for group in _table(self.pyproject.get("dependency-groups")).values():
            declared.extend(_strings(group))
        for text in declared:
            name = _requirement_name(text)
            if name is not None:
                found.append((name, "pyproject.toml dependencies"))
        poetry_groups = [_table(self.poetry.get("dependencies")), _table(self.poetry.get("dev-dependencies"))]
        poetry_groups += [_table(g.get("dependencies")) for g in _table(self.poetry.get("group")).values()]
        for group in poetry_groups:
            found.extend((_normalise(name), "pyproject.toml [tool.poetry] dependencies") for name in group)
        for name in self.files:
            if "/" not in name and re.fullmatch(r"requirements[\w.-]*\.(txt|in)", name):
                for line in self._text(name).splitlines():
                    requirement = _requirement_name(line.split("#", 1)[0].strip())
                    if requirement is not None:
                        found.append((requirement, name))
        return found

    # -- the questions -------------------------------------------------------------------

    def _infer_names(self) -> None:
        name, where = self.project_table.get("name"), "pyproject.toml [project].name"
        if not isinstance(name, str) or not name.strip():
            name, where = self.poetry.get("name"), "pyproject.toml [tool.poetry].name"
        if isinstance(name, str) and name.strip():
            self.add("project_name", name.strip(), where)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9 _.-]*", self.root.name):
            self.add("project_name", self.root.name, "the folder's name")
        self._infer_package(name if isinstance(name, str) else None)

    def _infer_package(self, name: str | None) -> None:
        in_src = sorted(
            {
                parts[1]
                for parts in (f.split("/") for f in self.files)
                if len(parts) == 3 and parts[0] == "src" and parts[2] == "__init__.py"
            }
        )
        at_top = sorted(
            {
                parts[0]
                for parts in (f.split("/") for f in self.files)
                if len(parts) == 2 and parts[1] == "__init__.py" and parts[0] not in _NOT_PACKAGES
            }
        )
        candidates, layout = (in_src, "src/") if in_src else (at_top, "")
        if not candidates:
            return
        wanted = _normalise(name).replace("-", "_") if name else None
        chosen = candidates[0] if len(candidates) == 1 else wanted if wanted in candidates else None
        if chosen is None:
            self.note(
                f"package_name: several packages ({', '.join(layout + c + '/' for c in candidates)}): "
                "say which with --data package_name=NAME"
            )
            return
        if not re.fullmatch(r"[a-z][a-z0-9_]*", chosen):
            self.note(f"package_name: {layout}{chosen}/ is not a lower-case Python name the template accepts")
            return
        self.add("package_name", chosen, f"{layout}{chosen}/")
        if not layout:
            self.note(
                f"package_name: the package is at {chosen}/ and the template keeps it in src/{chosen}/: "
                f"move your modules there (git mv {chosen} src/{chosen}) and merge them with the template's"
            )

    def _infer_description(self) -> None:
        for table, where in ((self.project_table, "[project]"), (self.poetry, "[tool.poetry]")):
            text = table.get("description")
            if isinstance(text, str) and text.strip():
                # The template takes any printable text on one line (its validator names the rest).
                if re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", text.strip()):
                    self.note(f"description: pyproject.toml {where}.description is not one plain line")
                    return
                self.add("description", text.strip(), f"pyproject.toml {where}.description")
                return

    def _infer_authors(self) -> None:
        people: list[tuple[str | None, str | None]] = []
        for person in self.project_table.get("authors") or []:
            if isinstance(person, dict):
                people.append((_clean(person.get("name")), _clean(person.get("email"))))
        where = "pyproject.toml [project].authors"
        if not people:
            for text in _strings(self.poetry.get("authors")):
                match = _POETRY_AUTHOR.match(text)
                if match is not None:
                    people.append((_clean(match["name"]), _clean(match["email"])))
            where = "pyproject.toml [tool.poetry].authors"
        name = next((n for n, _ in people if n), None)
        email = next((e for _, e in people if e), None)
        if name is not None:
            self.add("author_name", name, where)
        if email is not None:
            self.add("author_email", email, where)

    def _infer_python_version(self) -> None:
        if "python_version" not in self.questions:
            return
        choices = sorted(_choices(self.questions["python_version"]), key=_version_key)
        requires = self.project_table.get("requires-python")
        if isinstance(requires, str):
            self._python_floor(requires, choices, "pyproject.toml requires-python")
            return
        poetry_python = _table(self.poetry.get("dependencies")).get("python")
        if isinstance(poetry_python, str):
            # Poetry's ^3.11 and ~3.11 both mean "3.11 or later within 3": the floor is what matters.
            spec = re.sub(r"^[\^~]\s*", ">=", poetry_python.strip())
            self._python_floor(spec, choices, "pyproject.toml [tool.poetry] python")
            return
        if ".python-version" in self.files:
            line = self._text(".python-version").strip().splitlines()[:1]
            match = re.match(r"^(\d+\.\d+)", line[0]) if line else None
            if match is not None:
                self.add("python_version", match[1], ".python-version")

    def _python_floor(self, spec_text: str, choices: list[str], where: str) -> None:
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            self.note(f"python_version: {where} {spec_text!r} is not a version specifier")
            return

        def allows(minor: str) -> bool:
            return any(spec.contains(f"{minor}.{patch}", prereleases=True) for patch in (0, 99))

        allowed = [choice for choice in choices if allows(choice)]
        if not allowed:
            self.note(f"python_version: {where} {spec_text!r} allows none of {', '.join(choices)}")
            return
        floor = allowed[0]
        major, minor = floor.split(".")
        if int(minor) > 0 and allows(f"{major}.{int(minor) - 1}"):
            self.note(
                f"python_version: {where} {spec_text!r} allows Python older than {floor}, the oldest the template "
                f"offers: pass --data python_version={floor} to raise the floor"
            )
            return
        self.add("python_version", floor, f"{where} {spec_text!r}")

    def _infer_license(self) -> None:
        license_field = self.project_table.get("license")
        text: str | None = None
        if isinstance(license_field, str):
            text = license_field
        elif isinstance(license_field, dict) and isinstance(license_field.get("text"), str):
            text = license_field["text"]
        if text is None and isinstance(self.poetry.get("license"), str):
            text = self.poetry["license"]
        if text is not None:
            value = _LICENSE_IDS.get(text.strip().lower())
            if value is not None:
                self.add("license", value, "pyproject.toml license")
                return
            self._license_not_offered(f"pyproject.toml says {text.strip()!r}")
            return
        for classifier in _strings(self.project_table.get("classifiers")):
            if classifier in _LICENSE_CLASSIFIERS:
                self.add("license", _LICENSE_CLASSIFIERS[classifier], "pyproject.toml classifiers")
                return
            if classifier.startswith("License ::"):
                self._license_not_offered(f"pyproject.toml classifier {classifier!r}")
                return
        for name in _LICENSE_FILES:
            if name in self.files:
                value = _license_of(self._text(name))
                if value is not None:
                    self.add("license", value, name)
                else:
                    self._license_not_offered(f"{name} (kept as it is) holds another license")
                return

    def _license_not_offered(self, stated: str) -> None:
        """Record a license the repository states that the template does not offer.

        A default (MIT) would contradict it, in the answers file and in the files the
        template adds, so ``adopt --defaults`` asks for ``--data license=...`` instead.
        """
        offered = _choices(self.questions.get("license", {}))
        if "license" in self.questions:
            self.unoffered["license"] = f"{stated}, which is none of {', '.join(offered)}"
        self.note(f"license: {stated}, not one the template offers")

    def _infer_ci_provider(self) -> None:
        workflows = [f for f in self.files if f.startswith(".github/workflows/") and f.endswith((".yml", ".yaml"))]
        gitlab = ".gitlab-ci.yml" in self.files
        if workflows and gitlab:
            self.note("ci_provider: both .github/workflows/ and .gitlab-ci.yml: say which with --data ci_provider=")
        elif workflows:
            self.add("ci_provider", "github", workflows[0])
        elif gitlab:
            self.add("ci_provider", "gitlab", ".gitlab-ci.yml")

    def _infer_api_and_tracking(self) -> None:
        dependencies = self._dependencies()
        wanted = (("api", "fastapi", {"fastapi"}), ("tracking", "mlflow", {"mlflow", "mlflow-skinny"}))
        python_files = [f for f in self._code_files() if f.endswith(".py")]
        for question, value, names in wanted:
            declared = next((where for name, where in dependencies if name in names), None)
            if declared is not None:
                self.add(question, value, f"{declared} ({'/'.join(sorted(names))})")
                continue
            pattern = _IMPORTS[value]
            importer = next((f for f in python_files if pattern.search(self._text(f))), None)
            if importer is not None:
                self.add(question, value, f"{importer} (import {value})")

    def _infer_problem_type(self) -> None:
        classifiers: dict[str, str] = {}
        regressors: dict[str, str] = {}
        for name in self._code_files():
            text = self._text(name)
            for found, pattern in ((classifiers, _CLASSIFIER), (regressors, _REGRESSOR)):
                match = pattern.search(text)
                if match is not None:
                    found.setdefault(name, match[1])
        if regressors and not classifiers:
            where, estimator = next(iter(regressors.items()))
            self.add("problem_type", "regression", f"{where} ({estimator})")
        elif classifiers and not regressors:
            where, estimator = next(iter(classifiers.items()))
            self.note(
                f"problem_type: {where} uses a classifier ({estimator}), which may be binary or multiclass: "
                "say which with --data problem_type=binary or multiclass"
            )
        elif classifiers and regressors:
            self.note(
                f"problem_type: the code uses both classifiers ({next(iter(classifiers.values()))}) and regressors "
                f"({next(iter(regressors.values()))}): say which with --data problem_type="
            )


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _clean(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _normalise(name: str) -> str:
    """Return a distribution name as PEP 503 compares them: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(text: str) -> str | None:
    if not text or text.startswith(("-", "git+", "http")):
        return None
    try:
        return _normalise(Requirement(text).name)
    except InvalidRequirement:
        return None


def _choices(question: Any) -> list[str]:
    """Return the values a question accepts (``choices`` as a list, or as a mapping of label to value)."""
    choices = question.get("choices") if isinstance(question, dict) else None
    if isinstance(choices, dict):
        return [str(value) for value in choices.values()]
    if isinstance(choices, list):
        return [str(value) for value in choices]
    return []


def _version_key(text: str) -> tuple[int, ...]:
    try:
        return Version(text).release
    except InvalidVersion:
        return (0,)


def _license_of(text: str) -> str | None:
    """Name the license of a LICENSE file by the sentences each license has and no other of the four."""
    flat = " ".join(text.split())
    if "Permission is hereby granted, free of charge" in flat:
        return "MIT"
    if "Apache License" in flat and "Version 2.0" in flat:
        return "Apache-2.0"
    if "Redistribution and use in source and binary forms" in flat and "Neither the name" in flat:
        return "BSD-3-Clause"
    return None
