"""The engine that renders and merges: Copier, behind one adapter.

Every call poc2prod makes into Copier goes through this module: rendering a new project
(``new``, ``adopt``), rendering one template version for comparison, and Copier's
three-way merge (``update``). It is also the one place where Copier's exceptions become
poc2prod's one-line errors, so the same failure reads the same whichever command met it.

Copier is imported inside the functions, never at module level: importing it costs about
half a second, which ``poc2prod --help`` must not pay.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from poc2prod.answers import check_answers, read_answers, record_version
from poc2prod.errors import (
    BadInputError,
    Poc2ProdError,
    TemplateSourceError,
    UpdateFailedError,
    last_line,
)
from poc2prod.interruption import run_in_own_session
from poc2prod.template import TemplateSource
from poc2prod.versions import describe_version

#: What the user was doing when Copier failed: it decides which options the fix names.
#: ``create`` renders from ``--template``/``--vcs-ref`` (``new``, ``adopt``); ``update``
#: renders or merges a version the project records or ``--to`` names.
Operation = Literal["create", "update"]

_REQUIRED = re.compile(r'^Question "(?P<name>[^"]+)" is required$')


def create(
    dest: Path,
    source: TemplateSource,
    answers: dict[str, Any],
    *,
    defaults: bool,
    quiet: bool,
    suggest: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> str:
    """Render the template into ``dest`` as a new project (Copier's copy).

    Parameters
    ----------
    dest : Path
        Folder to render into.
    source : TemplateSource
        Template location and git ref.
    answers : dict
        Answers the user gave; each must be a question of the template.
    defaults : bool
        Take each unanswered question's default instead of asking on the terminal.
    quiet : bool
        Silence Copier's per-file output.
    suggest : callable, optional
        Called with the template's questions (``copier.yml``), before any is asked;
        returns answers found elsewhere (``adopt`` infers them from a repository). They
        replace the template's defaults: asked with that value offered, or taken as they
        are with ``defaults``. Those the template does not ask are left out.

    Returns
    -------
    str
        Template version (git describe of the template commit) recorded in the answers file.

    Raises
    ------
    BadInputError
        An unknown question, an invalid answer, no terminal to ask on, or cancelled.
    TemplateSourceError
        The source or the ref cannot be read.
    """
    worker_class = _worker_class()
    with (
        tempfile.TemporaryDirectory(prefix="poc2prod-templates.") as cache,
        template_cache(Path(cache)),  # core.fileMode read once, not once per file
        _translated("create", source.location, source.vcs_ref),
        worker_class(
            src_path=source.location,
            dst_path=dest,
            data=answers,
            vcs_ref=source.vcs_ref,
            defaults=defaults,
            quiet=quiet,
            overwrite=True,
        ) as worker,
    ):
        questions = worker.template.questions_data
        version = _version_of(worker.template)
        check_answers(answers, questions)
        if suggest is not None:
            worker.user_defaults = {key: value for key, value in suggest(questions).items() if key in questions}
        if not defaults and not sys.stdin.isatty():
            raise BadInputError("no terminal to ask the questions on: pass --defaults (and --data key=value)")
        worker.run_copy()
        if version is not None:
            record_version(dest, version)
            return version
        return str(worker.template.commit or worker.template.version or "")


def render_version(source: str, ref: str, answers: dict[str, Any], dest: Path) -> Path:
    """Render ``source`` at ``ref`` with recorded ``answers``, as Copier's update does to compare; return the folder.

    The folder is ``dest``, or, inside :func:`template_cache`, a rendering of the same
    ``(source, ref, answers)`` made earlier in the run (by this process or another): it
    is shared, so it must only be read. Tasks are skipped; the template is trusted (its
    migrations must run for an update).

    Raises
    ------
    Poc2ProdError
        Copier failed: an unreadable source or ref, a question without answer or default,
        an answer the template refuses.
    """
    cache = _CACHE.folder
    if cache is None:
        _render_version(source, ref, answers, dest)
        return dest
    key = json.dumps([source, ref, answers], sort_keys=True, default=str)
    return _cached(cache / "renders", key, lambda staging: _render_version(source, ref, answers, staging))


def _render_version(source: str, ref: str, answers: dict[str, Any], dest: Path) -> None:
    from copier import run_copy

    with _quiet_warnings(), _translated("update", source, ref):
        run_copy(
            source,
            dest,
            data=answers,
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            skip_tasks=True,
            unsafe=True,
        )


def merge_update(
    project: Path, *, source: str, ref: str, data: dict[str, str], conflict: Literal["inline", "rej"]
) -> str:
    """Run Copier's three-way update of the project in ``project`` to ``ref``; return the version it recorded.

    ``project`` must be a throwaway copy: answers to questions the template does not ask
    are refused only after the run. Copier runs in a child process in its own session
    (:func:`poc2prod.interruption.run_in_own_session`): the template's migrations, and
    whatever they start, end with the update when it is interrupted.

    Raises
    ------
    Poc2ProdError
        An unknown question in ``data``, a question without default and answer, an
        unreadable source or ref, a failed migration.
    KeyboardInterrupt
        Interrupted; Copier's process and its children were ended.
    """
    return run_in_own_session(
        _merge_update, project, source=source, ref=ref, data=data, conflict=conflict, cache=_CACHE.folder
    )


def _merge_update(
    project: Path,
    *,
    source: str,
    ref: str,
    data: dict[str, str],
    conflict: Literal["inline", "rej"],
    cache: Path | None = None,
) -> str:
    worker_class = _worker_class()
    with (
        template_cache(cache),
        _quiet_warnings(),
        _translated("update", source, ref),
        worker_class(
            dst_path=project,
            data=dict(data),
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            conflict=conflict,
            unsafe=True,
        ) as worker,
    ):
        version = _version_of(worker.template)
        worker.run_update()
    if version is not None:
        record_version(project, version)
    # Copier ignores answers to questions it does not ask; a typo must not pass silently.
    questions = worker.template.questions_data
    unknown = sorted(set(data) - set(questions))
    if unknown:
        raise BadInputError(
            f"unknown question(s) {', '.join(unknown)} in --data: "
            f"the template at {ref} asks {', '.join(sorted(questions)) or 'none'}"
        )
    return read_answers(project).commit


def _version_of(template: Any) -> str | None:
    """Return the version to record for the template Copier renders, from version tags only.

    Copier records ``git describe --tags --always`` of its clone, which takes any tag: a
    ``latest`` or ``stable`` tag on the release commit would be recorded as ``_commit``
    instead of the release (see :func:`~poc2prod.versions.describe_version`). ``None`` for
    a template that is not a git repository (Copier records no version then).
    """
    if template.vcs != "git":
        return None
    return describe_version(template.local_abspath)


class _Cache:
    """The folder of the template cache in force (see :func:`template_cache`), ``None`` outside one."""

    folder: Path | None = None


_CACHE = _Cache()


@contextmanager
def template_cache(folder: Path | None) -> Iterator[None]:
    """Within the block, reuse what Copier computes more than once in a run; ``None``: no cache.

    An update of one project makes Copier clone the template four times (the old version
    twice, the new one twice) and render each of the two versions twice, and updating a
    fleet repeats all of it per project; each file rendered also costs a ``git config``
    process. Inside the block:

    - each ``(template, ref)`` is cloned once into ``folder`` (by Copier's own clone, so a
      dirty local template is taken as Copier takes it); every later clone of it, by any
      process given the same folder, is that checkout, which Copier only reads;
    - :func:`render_version` renders each ``(template, ref, answers)`` once;
    - ``core.fileMode`` is read once per rendering rather than once per file (Copier acts
      on it only when it is ``false``; the answer cannot change during a rendering);
    - each template file is compiled once (Jinja's bytecode cache).

    ``folder`` lives as long as the run (a temporary folder), so a template that changes
    between two runs is read afresh. Nested blocks keep the outer folder.
    """
    if folder is None or _CACHE.folder is not None:
        yield
        return
    _install_cache_hooks()
    _CACHE.folder = folder
    try:
        yield
    finally:
        _CACHE.folder = None
        _compiled.clear()  # keyed by checkout paths, which die with ``folder``


def _cached(folder: Path, key: str, make: Callable[[Path], None]) -> Path:
    """Return ``folder/<hash of key>``, made by ``make(staging)`` and renamed into place the first time.

    Processes sharing ``folder`` may race to make the same entry: the first rename wins,
    the others throw their copy away and use the winner's.
    """
    entry = folder / hashlib.sha256(key.encode()).hexdigest()[:24]
    if not entry.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging.", dir=folder))
        try:
            make(staging)
            staging.rename(entry)
        except OSError:
            if not entry.is_dir():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return entry


_hooks_installed = False


def _install_cache_hooks() -> None:
    """Wrap Copier's template clone, its per-file ``core.fileMode`` read and its Jinja environment.

    The wrappers do what Copier does whenever no cache is in force. They replace private
    names of Copier 9 (``tests/test_update.py`` checks they still exist): were one gone,
    Copier runs unwrapped, only slower.
    """
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from copier import _main, _template

    real_clone = getattr(_template, "clone", None)
    if callable(real_clone):

        def clone(url: str, ref: str = "HEAD", location: str | None = None) -> str:
            cache = _CACHE.folder
            if cache is None:
                return str(real_clone(url, ref, location=location))
            # Copier only reads its clone (git reads of it rewrite at most the index, by
            # rename), so every Template of the run reads one checkout; ``location``, an
            # empty folder Copier made, is left empty and removed by Copier as usual.
            return str(_cached(cache / "clones", f"{url}\0{ref}", lambda staging: real_clone(url, ref, str(staging))))

        _template.clone = clone  # type: ignore[attr-defined]

    worker = getattr(_main, "Worker", None)
    real_sync = getattr(worker, "_sync_git_index_executable_bit", None)
    if worker is not None and callable(real_sync):
        modes: dict[int, tuple[Any, str | None]] = {}

        def sync(self: Any, dst_relpath: Path, src_mode: int) -> None:
            if _CACHE.folder is None:
                real_sync(self, dst_relpath, src_mode)
                return
            known = modes.get(id(self))
            if known is None or known[0]() is not self:
                known = (weakref.ref(self), _file_mode(Path(self.subproject.local_abspath)))
                modes[id(self)] = known
            if known[1] == "false":  # the only case where Copier's method does anything
                real_sync(self, dst_relpath, src_mode)

        worker._sync_git_index_executable_bit = sync

    real_env = getattr(worker, "__dict__", {}).get("jinja_env")
    if worker is not None and isinstance(real_env, functools.cached_property):
        # Every rendering compiles each template file again. Compiled once into the cache:
        # a file's name there is the path of its version's checkout, so another version, or
        # another template (with other Jinja settings), never meets its bytecode.
        make_env = real_env.func

        def jinja_env(self: Any) -> Any:
            env = make_env(self)
            if _CACHE.folder is not None:
                from jinja2 import FileSystemBytecodeCache

                (_CACHE.folder / "jinja").mkdir(parents=True, exist_ok=True)
                env.bytecode_cache = FileSystemBytecodeCache(str(_CACHE.folder / "jinja"))
                env.compile = _memoized_compile(env.compile, str(self.template.local_abspath))
            return env

        cached_env = functools.cached_property(jinja_env)
        cached_env.__set_name__(worker, "jinja_env")
        worker.jinja_env = cached_env


#: Code compiled from a template string (file names, defaults): Copier compiles each path
#: of the template in every rendering, three or four renderings per update.
_compiled: dict[tuple[Any, ...], Any] = {}


def _memoized_compile(compile_: Callable[..., Any], checkout: str) -> Callable[..., Any]:
    """Wrap an environment's ``compile`` so that each source is compiled once per checkout.

    Environments of one checkout are made from the same ``copier.yml``, so with the same
    Jinja settings; the code compiled is what the bytecode cache would store and reload.
    """

    def compile(
        source: Any, name: str | None = None, filename: str | None = None, raw: bool = False, defer_init: bool = False
    ) -> Any:
        if not isinstance(source, str):
            return compile_(source, name, filename, raw, defer_init)
        key = (checkout, source, name, filename, raw, defer_init)
        if key not in _compiled:
            _compiled[key] = compile_(source, name, filename, raw, defer_init)
        return _compiled[key]

    return compile


def _file_mode(folder: Path) -> str | None:
    """``git config --type=bool --get core.fileMode`` in ``folder``: ``true``, ``false``, or ``None`` when unset."""
    try:
        done = subprocess.run(
            ["git", "config", "--type=bool", "--get", "core.fileMode"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _worker_class() -> Any:
    with warnings.catch_warnings():
        # Worker is Copier's documented engine class; 9.19 warns on importing it from the
        # top-level package. The range pinned in pyproject.toml keeps it available.
        warnings.simplefilter("ignore", DeprecationWarning)
        from copier import Worker
    return Worker


@contextmanager
def _quiet_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextmanager
def _translated(operation: Operation, source: str, ref: str | None) -> Iterator[None]:
    """Turn any Copier exception raised inside into a one-line :class:`Poc2ProdError`."""
    try:
        yield
    except Poc2ProdError:
        raise
    except (Exception, KeyboardInterrupt) as exc:  # Copier's "cancelled" is a KeyboardInterrupt
        error = translate(exc, operation, source, ref)
        if error is None:
            raise
        raise error from None


def translate(exc: BaseException, operation: Operation, source: str, ref: str | None) -> Poc2ProdError | None:
    """Return the one-line user error for a Copier exception, or ``None`` for one that is a bug.

    Parameters
    ----------
    exc : BaseException
        What Copier (or git under it) raised.
    operation : {"create", "update"}
        What the user was doing, which decides the options the fix names.
    source, ref : str
        The template source and the git ref being rendered.
    """
    from copier.errors import CopierAnswersInterrupt, CopierError, TaskError, UserMessageError
    from plumbum import ProcessExecutionError

    if operation == "create":
        if isinstance(exc, CopierAnswersInterrupt):
            return BadInputError("cancelled while answering the questions: nothing was written")
        if isinstance(exc, ProcessExecutionError):
            return TemplateSourceError(
                f"template source {source!r}{' at ' + ref if ref else ''} "
                f"cannot be read by git ({last_line(exc.stderr)}): check --template and --vcs-ref"
            )
        required = _REQUIRED.match(str(exc).strip()) if isinstance(exc, ValueError) else None
        if required is not None:
            question = required["name"]
            return BadInputError(
                f"the template asks {question!r}, which has no default: answer it with --data {question}=VALUE"
            )
        if isinstance(exc, (ValueError, UserMessageError, CopierError)):
            message = last_line(str(exc))
            if message.startswith("Unknown revision"):
                return TemplateSourceError(
                    f"template source {source!r} has no ref {ref!r}: "
                    "pass an existing tag, branch or commit with --vcs-ref"
                )
            message = message.removeprefix("Validation error for question ")
            return BadInputError(f"invalid answer: {message}")
        return None
    if isinstance(exc, ProcessExecutionError):
        return TemplateSourceError(
            f"template source {source!r} at {ref} cannot be read by git ({last_line(exc.stderr)}): "
            "check --to, or pass --template with the template's current location"
        )
    if isinstance(exc, TaskError):
        return UpdateFailedError(
            f"a migration or task of the template at {ref} failed ({last_line(str(exc))}); "
            "the project was left as it was: report it to the template's maintainers"
        )
    if isinstance(exc, ValueError) and str(exc).startswith("Unknown revision"):
        return TemplateSourceError(
            f"template source {source!r} has no tag, branch or commit {ref!r}: "
            f"list its versions with poc2prod versions --template {source}"
        )
    if isinstance(exc, ValueError):
        required = _REQUIRED.match(str(exc).strip())
        if required is not None:
            question = required["name"]
            return BadInputError(
                f"the template at {ref} asks {question!r}, which has no default: answer it with --data {question}=VALUE"
            )
    if isinstance(exc, (ValueError, UserMessageError)):
        return BadInputError(f"the template at {ref} refused an answer: {last_line(str(exc))}")
    return None
