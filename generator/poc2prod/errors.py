"""The one error hierarchy of poc2prod.

A :class:`Poc2ProdError` is a problem the user can fix: the CLI prints its message on
one line and exits with :attr:`Poc2ProdError.exit_code`, never with a traceback.
"""

from __future__ import annotations


class Poc2ProdError(Exception):
    """A user-facing error: bad input, refused operation, missing tool.

    Attributes
    ----------
    exit_code : int
        Process exit code the CLI uses for it (2 for bad input, as ``click`` does).
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(Poc2ProdError):
    """An argument, answer or answers file is invalid; nothing was written."""


class DestinationError(Poc2ProdError):
    """The destination folder cannot receive a new project (exists and is not empty)."""


class TemplateSourceError(Poc2ProdError):
    """The template source does not exist, is not a template, or cannot be read."""


class ToolMissingError(Poc2ProdError):
    """An external program poc2prod needs (git) is not installed."""


class ProjectError(Poc2ProdError):
    """A path cannot be updated or checked as it stands (not git, dirty, no answers file); nothing was changed."""


class UpdateFailedError(Poc2ProdError):
    """An update failed part-way (a migration, a template error) and the project was restored as it was."""

    exit_code = 1


class AdoptFailedError(Poc2ProdError):
    """Adopting a repository failed while writing or committing, and the repository was restored as it was."""

    exit_code = 1


def last_line(text: str | None) -> str:
    """Return the last non-blank line of a tool's output (the one that says what failed), or ``no details``."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no details"
