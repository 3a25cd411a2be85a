"""Make the pictures of the docs site from a real rendered project: ``python scripts/docs_pictures.py``.

Renders this repository's template with the default answers into a temporary folder,
trains, writes the report, serves the API, and writes to ``docs/images/``:

- ``report.png``: the top of ``reports/report.html`` (metrics, training run, iteration
  history) shot by headless Chromium (Debian's ``/usr/bin/chromium``);
- ``report_plots.png``: the report's plots, two abreast;
- ``api_docs.png``: the API's interactive docs page, shot the same way (Swagger UI 5, for
  OpenAPI 3.1, served from the ``swagger-ui-py`` package, so no CDN is needed);
- ``lint.svg``: ``poc2prod lint`` of the project, recorded by rich;
- ``update.svg``: ``poc2prod update`` of a project with a local edit across a new template
  version, recorded by rich;
- ``update_fleet.svg``: the summary table of ``poc2prod update`` over three projects, one
  updated with its edit kept, one conflicted, one updated.

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


def plots_page(report: str) -> str:
    """Return the report's plots section alone, its figures two abreast, as an HTML page."""
    head, body = report.split("<body>", 1)
    if "<h2>Plots</h2>" not in body:
        raise SystemExit("error: reports/report.html has no Plots section: did `report` change?")
    side_by_side = "<style>figure { display: inline-block; width: 47%; margin: 0 1% 1em; }</style>"
    figures = body.split("<h2>Plots</h2>", 1)[1]
    return f"{head.replace('</head>', side_by_side + '</head>')}<body>\n<h2>Plots</h2>{figures}"


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
        report = project / "reports" / "report.html"
        shoot(report.as_uri(), IMAGES / "report.png", 1050)  # the metrics, the run, the history
        plots = project / "reports" / "plots.html"
        plots.write_text(plots_page(report.read_text(encoding="utf-8")), encoding="utf-8")
        shoot(plots.as_uri(), IMAGES / "report_plots.png", 1500)

        base_url, _, server = serve_api(project)
        urllib.request.urlopen(f"{base_url}/ready", timeout=10).read()
        shoot(f"{base_url}/offline-docs", IMAGES / "api_docs.png", 900)
        server.should_exit = True  # type: ignore[attr-defined]

        poc2prod = str(Path(python).with_name("poc2prod"))
        # Relative paths (cwd=tmp), so that no temporary folder shows in the pictures.
        lint = subprocess.run([poc2prod, "lint", project.name], capture_output=True, text=True, env=colour, cwd=tmp)
        record_svg(lint.stdout + lint.stderr, IMAGES / "lint.svg", "poc2prod lint churn")

        # A fleet: churn (trained above), fraud and pricing, all at v1.0.0. churn's team
        # edits its README, fraud's team adds a line where the next version adds another,
        # pricing's team changes nothing.
        fleet = {name: tmp / name for name in ("fraud", "pricing")}
        for other in fleet.values():
            create_project(other, resolve_source(str(template)), {}, defaults=True, git=True, quiet=True)
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "\nOur team's notes on the churn model.\n")
        run("git", "add", "-A", cwd=project)  # the notes, and the model card `report` wrote
        run("git", "commit", "-qm", "Our notes and the model card", cwd=project)
        data_readme = fleet["fraud"] / "data" / "README.md"
        data_readme.write_text(data_readme.read_text() + "Card data is masked before it lands here.\n")
        run("git", "commit", "-qam", "Data README: masking", cwd=fleet["fraud"])

        notes = template / "template" / "data" / "README.md.jinja"
        notes.write_text(notes.read_text() + "\nKeep personal data out of git.\n")
        run("git", "commit", "-qam", "Data README: personal data", cwd=template)
        run("git", "tag", "v1.1.0", cwd=template)

        update = subprocess.run([poc2prod, "update", project.name], capture_output=True, text=True, env=colour, cwd=tmp)
        if update.returncode != 0:
            raise SystemExit(f"error: poc2prod update failed:\n{update.stdout}\n{update.stderr}")
        record_svg(update.stdout + update.stderr, IMAGES / "update.svg", "poc2prod update churn")

        run("git", "reset", "-q", "--hard", cwd=project)  # churn again at v1.0.0 with its edit, for the fleet
        fleet_update = subprocess.run(
            [poc2prod, "update", "--jobs", "3", "churn", "fraud", "pricing"],
            capture_output=True, text=True, env=colour, cwd=tmp, check=False,
        )  # fmt: skip
        if fleet_update.returncode != 1 or "conflicted" not in fleet_update.stdout:
            raise SystemExit(f"error: expected fraud to conflict:\n{fleet_update.stdout}\n{fleet_update.stderr}")
        record_svg(  # stdout only: stderr holds the frames of the progress bar
            fleet_update.stdout,
            IMAGES / "update_fleet.svg",
            "poc2prod update --jobs 3 churn fraud pricing",
        )


if __name__ == "__main__":
    main()
