"""poc2prod: render ML projects from proof of concept to production, and keep them current."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("poc2prod")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
