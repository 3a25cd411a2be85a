"""The docs site: it builds in strict mode, its generated pages match the code, and the
README's links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from poc2prod import SITE_URL

REPO = Path(__file__).resolve().parents[1]


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """A broken link, a missing page or a page left out of the nav fails the build."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "lint" / "P2P101" / "index.html").is_file()
    assert (tmp_path / "site" / "lifecycle" / "index.html").is_file()


def test_the_generated_pages_match_the_code() -> None:
    """The lint pages, the options table and both CLI references are what the code gives."""
    done = subprocess.run(
        [sys.executable, "-m", "poc2prod.docs", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_site_url_is_where_the_checks_link() -> None:
    config = yaml.safe_load(
        re.sub(r"!!python/name:\S+", "''", (REPO / "mkdocs.yml").read_text())  # a tag PyYAML's safe loader refuses
    )
    assert config["site_url"] == SITE_URL


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load(re.sub(r"!!python/name:\S+", "''", (REPO / "mkdocs.yml").read_text()))
    listed: set[str] = set()

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, str):
                listed.add(item)
            elif isinstance(item, dict):
                for value in item.values():
                    walk(value if isinstance(value, list) else [value])

    walk(config["nav"])
    pages = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    assert pages == listed


def test_readme_links_lead_to_files() -> None:
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert local
    missing = [link for link in local if not (REPO / link).exists()]
    assert missing == []
