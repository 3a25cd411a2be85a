"""Entry point of ``python -m poc2prod`` and of the ``poc2prod`` console script.

It imports nothing but the standard library before it can catch Ctrl-C: the CLI's imports
(Typer, click) take a noticeable part of a second, and Ctrl-C then must end the program
with one line and exit 130, as it does once a command runs, never with a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the ``poc2prod`` command line; Ctrl-C during start-up ends it with one line, exit 130."""
    try:
        from poc2prod.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
