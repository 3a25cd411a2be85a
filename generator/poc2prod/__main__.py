"""Entry point for ``python -m poc2prod``."""

from poc2prod.cli import main

if __name__ == "__main__":
    main()
