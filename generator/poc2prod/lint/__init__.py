"""``poc2prod lint``: standard-layout checks of a repository, as a ``repo-review`` plugin.

Each check is a class with a stable ID (``P2P101``), a one-line title (its docstring), a
family, a docs URL and a ``check`` classmethod whose docstring tells the fix. The checks
are registered under the ``repo_review.checks``, ``repo_review.families`` and
``repo_review.fixtures`` entry points, so ``repo-review PATH`` runs them beside
sp-repo-review's; ``poc2prod lint`` (:mod:`poc2prod.lint.engine`) is the front end over
the same checks.

Nothing here is imported by ``poc2prod --help``: repo-review and rich load on ``lint``.
"""

from __future__ import annotations

from poc2prod import SITE_URL

#: Where the checks are documented: one page per ID (``<DOCS_URL>P2P101/``), generated
#: from the check definitions by ``python -m poc2prod.docs``.
DOCS_URL = f"{SITE_URL}lint/"
