"""Make the pictures of the docs site from a real rendered project: ``python scripts/docs_pictures.py``.

Renders this repository's template with the default answers into a temporary folder,
trains, writes the report, serves the API, and writes to ``docs/images/``:

- ``report.png``: ``reports/report.html`` shot by headless Chromium (Debian's
  ``/usr/bin/chromium``);
- ``api_docs.png``: the API's interactive docs page, shot the same way (Swagger UI 5, for
  OpenAPI 3.1, served from the ``swagger-ui-py`` package, so no CDN is needed);
- ``lint.svg``: ``poc2prod lint`` of the project, recorded by rich;
- ``update.svg``: the summary table of ``poc2prod update`` of two projects with local edits
  across a new template version (one merges, one conflicts), recorded by rich.

Needs the ``docs`` extra (``pip install -e ".[docs]"``) and Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"
PACKAGE = "churn_model"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, fail loudly, return its output (stdout then stderr)."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def shoot(url: str, target: Path, height: int) -> None:
    """Screenshot ``url`` with headless Chromium at 1280 x ``height`` pixels."""
    run(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=8000",
        f"--window-size=1280,{height}",
        f"--screenshot={target}",
        url,
        cwd=target.parent,
    )
    print(f"wrote {target.relative_to(REPO)}")


def record_svg(output: str, target: Path, title: str) -> None:
    """Save terminal ``output`` (ANSI colours kept) as an SVG picture of a terminal."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=110, force_terminal=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(Text.from_ansi(output))
    console.save_svg(str(target), title=title)
    print(f"wrote {target.relative_to(REPO)}")


def serve_api(project: Path) -> tuple[str, threading.Thread, object]:
    """Start the project's API on a free port with offline Swagger UI at ``/offline-docs``."""
    import swagger_ui
    import uvicorn
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    sys.path.insert(0, str(project / "src"))
    from churn_model.api import ApiSettings, create_app  # type: ignore[import-not-found]

    app = create_app(ApiSettings(model_dir=project / "models", prediction_log=None))
    static = Path(swagger_ui.__file__).parent / "static"
    app.mount("/swagger", StaticFiles(directory=static), name="swagger")

    @app.get("/offline-docs", include_in_schema=False)
    def offline_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=app.title,
            swagger_js_url="/swagger/swagger-ui-bundle.js",
            swagger_css_url="/swagger/swagger-ui.css",
            swagger_favicon_url="/swagger/favicon-32x32.png",
        )

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", thread, server


def main() -> None:
    """Render, train, serve and shoot; write the pictures to ``docs/images/``."""
    from poc2prod.project import create_project
    from poc2prod.template import resolve_source

    IMAGES.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    colour = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "110", "TERM": "xterm-256color"}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        # A template repository with a release v1.0.0, so that the project can be updated.
        template = tmp / "template"
        run("git", "clone", "-q", str(REPO), str(template), cwd=tmp)
        run("git", "tag", "v1.0.0", cwd=template)
        project = tmp / "churn"
        create_project(project, resolve_source(str(template)), {}, defaults=True, git=True, quiet=True)
        env = {**os.environ, "PYTHONPATH": str(project / "src")}
        run(python, "-m", PACKAGE, "train", cwd=project, env=env)
        run(python, "-m", PACKAGE, "report", cwd=project, env=env)
        shoot((project / "reports" / "report.html").as_uri(), IMAGES / "report.png", 2000)

        base_url, _, server = serve_api(project)
        urllib.request.urlopen(f"{base_url}/ready", timeout=10).read()
        shoot(f"{base_url}/offline-docs", IMAGES / "api_docs.png", 900)
        server.should_exit = True  # type: ignore[attr-defined]

        poc2prod = str(Path(python).with_name("poc2prod"))
        # Relative paths, so the pictures show `churn`, not the temporary folder.
        lint = subprocess.run([poc2prod, "lint", project.name], capture_output=True, text=True, env=colour, cwd=tmp)
        record_svg(lint.stdout + lint.stderr, IMAGES / "lint.svg", "poc2prod lint churn")

        # A fleet of two projects with local edits, then a new template version, then one
        # update of both: churn's edit merges cleanly, fraud's edit is on the lines the
        # template changed, so fraud is left with conflict markers to resolve.
        fraud = tmp / "fraud"
        create_project(
            fraud, resolve_source(str(template)), {"project_name": "Fraud"}, defaults=True, git=True, quiet=True
        )
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "\nOur team's notes on the churn model.\n")
        run("git", "add", "-A", cwd=project)  # the notes, and the model card `report` wrote
        run("git", "commit", "-qm", "Our notes and the model card", cwd=project)
        data_notes = fraud / "data" / "README.md"
        data_notes.write_text(data_notes.read_text() + "\nCard data comes from the payments warehouse.\n")
        run("git", "commit", "-qam", "Where our data comes from", cwd=fraud)
        notes = template / "template" / "data" / "README.md.jinja"
        notes.write_text(notes.read_text() + "\nKeep personal data out of git.\n")
        run("git", "commit", "-qam", "Data README: personal data", cwd=template)
        run("git", "tag", "v1.1.0", cwd=template)
        update = subprocess.run(
            [poc2prod, "update", project.name, fraud.name], capture_output=True, text=True, env=colour, cwd=tmp
        )
        if update.returncode != 1 or "conflicted" not in update.stdout + update.stderr:
            raise SystemExit(
                f"error: poc2prod update should report fraud conflicted:\n{update.stdout}\n{update.stderr}"
            )
        # stdout only: stderr holds the frames of the progress bar.
        record_svg(update.stdout, IMAGES / "update.svg", "poc2prod update churn fraud")


if __name__ == "__main__":
    main()
