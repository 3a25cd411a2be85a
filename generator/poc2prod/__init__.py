"""poc2prod: render ML projects from proof of concept to production, and keep them current."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("poc2prod")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: The documentation site (MkDocs, ``mkdocs.yml``'s ``site_url``); lint checks link into it.
SITE_URL = "https://poc2prod.github.io/poc2prod/"

__all__ = ["SITE_URL", "__version__"]
