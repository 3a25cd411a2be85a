"""poc2prod: render ML projects from proof of concept to production, and keep them current."""

#: The one place the version is written: pyproject.toml reads it from here (hatch's
#: ``[tool.hatch.version]``), so ``poc2prod --version`` needs no ``importlib.metadata``
#: (about 25 ms of every start, 70 ms on a loaded machine).
__version__ = "0.1.0"

#: The documentation site (MkDocs, ``mkdocs.yml``'s ``site_url``); lint checks link into it.
SITE_URL = "https://poc2prod.github.io/poc2prod/"

__all__ = ["SITE_URL", "__version__"]
