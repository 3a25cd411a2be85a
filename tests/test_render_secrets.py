"""No rendered file holds a secret: every choice of every question, scanned by detect-secrets.

Tokens, passwords and keys reach a project through its CI (the platform's secret store) or
its environment (``.env`` files that ``.gitignore`` keeps out), never through a file the
template writes. detect-secrets (Yelp) runs its default plugins over each rendered file:
keywords such as ``password =``, private keys, cloud and CI tokens, and high-entropy
strings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
#: The questions whose choices change which files render or what they hold. Left out:
#: ``python_version`` (one version string) and ``split_strategy`` (one setting of config.py;
#: ``time`` and ``group`` also need a table of the team's own).
QUESTIONS = ("problem_type", "model_family", "tracking", "api", "ci_provider", "license")


def answer_sets() -> list[dict[str, Any]]:
    """The default answers, then one set per non-default choice of each of :data:`QUESTIONS`."""
    config = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    sets: list[dict[str, Any]] = [{}]
    for key, question in config.items():
        if key not in QUESTIONS:
            continue
        choices = question["choices"]
        values = choices.values() if isinstance(choices, dict) else choices
        sets += [{key: value} for value in values if value != question.get("default")]
    return sets


def test_every_choice_is_scanned() -> None:
    keys = {key for answers in answer_sets() for key in answers}
    assert keys == set(QUESTIONS)


def secrets_in(folder: Path) -> dict[str, list[str]]:
    """The files of ``folder`` (``.git`` left out) where detect-secrets finds a secret, with
    the kinds it finds."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    secrets = SecretsCollection()
    with default_settings():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".git" not in path.parts:
                secrets.scan_file(str(path))
    return {
        str(Path(filename).relative_to(folder)): sorted({secret.type for secret in found})
        for filename, found in secrets.data.items()
        if found
    }


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "settings.py").write_text('AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\n')
    assert secrets_in(tmp_path) == {"src/settings.py": ["AWS Access Key"]}


@pytest.mark.parametrize(
    "answers", answer_sets(), ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()) or "defaults"
)
def test_no_rendered_file_holds_a_secret(render: Callable[..., Path], answers: dict[str, Any]) -> None:
    assert secrets_in(render("project", **answers)) == {}
