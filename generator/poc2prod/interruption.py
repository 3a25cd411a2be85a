"""Interruptions (Ctrl-C, SIGTERM) during an update or an adoption: where they may stop it, and what they end.

An update must leave a project either exactly as it was or fully updated, whatever signal
arrives and however often. Three rules make it so:

- SIGTERM (what ``timeout``, a cancelled CI job and ``kill`` send) is turned into
  :class:`Terminated`, a :class:`KeyboardInterrupt`, so that it unwinds like Ctrl-C: the
  throwaway clone is removed and the project restored, where the default action would end
  the process on the spot (:func:`sigterm_raises`);
- the copy of an update into the project is a critical section (:func:`deferred`): Ctrl-C
  and SIGTERM are only noted there, and the copy checks for them between files, so an
  interruption puts the project back from the journal, and a second or third Ctrl-C cannot
  interrupt that restore. The git commands it runs are started in their own session, so
  the terminal's Ctrl-C does not reach them either;
- Copier's merge runs the template's migrations, programs that may start programs of their
  own. It runs in a child process in its own session (:func:`run_in_own_session`), and an
  interruption ends that whole process group: no migration outlives the update.

Signal handlers can only be set from the main thread; elsewhere these functions still run
the code, without the protection.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

#: The signals that interrupt an update: Ctrl-C, and the polite request to end (``timeout``, CI).
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds a child process group has to end after SIGTERM before it gets SIGKILL.
_GRACE_SECONDS = 5.0

_deferring: contextvars.ContextVar[bool] = contextvars.ContextVar("poc2prod_deferring", default=False)


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM; raised so that it unwinds like Ctrl-C."""


def interruption_for(signum: int) -> KeyboardInterrupt:
    """Return the exception that stands for signal ``signum``: :class:`Terminated` or :class:`KeyboardInterrupt`."""
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` instead of ending the process at once."""
    if not _in_main_thread() or signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def shielding_children() -> bool:
    """Whether programs started now must run in their own session (inside :func:`deferred`).

    A program in the terminal's process group gets the terminal's Ctrl-C too; git, killed
    half-way through restoring a project, would leave it half restored.
    """
    return _deferring.get()


@dataclass
class Deferred:
    """The interruptions noted during a :func:`deferred` block.

    Attributes
    ----------
    received : list of int
        The signals received, in order.
    """

    received: list[int] = field(default_factory=list)

    def check(self) -> None:
        """Raise the interruption received so far, if any (:class:`KeyboardInterrupt` or :class:`Terminated`).

        Raises
        ------
        KeyboardInterrupt
            Ctrl-C was pressed, or (as :class:`Terminated`) SIGTERM received.
        """
        if self.received:
            raise interruption_for(self.received[0])


@contextlib.contextmanager
def deferred() -> Iterator[Deferred]:
    """Note Ctrl-C and SIGTERM instead of acting on them, until the block ends; then raise the first noted.

    The block calls :meth:`Deferred.check` where stopping is safe. When the block ends
    with an exception, that exception goes on; when it ends normally, the first signal
    noted (if any) is raised then. A signal the process ignored before stays ignored.

    Raises
    ------
    KeyboardInterrupt
        A signal was noted during a block that otherwise completed (:class:`Terminated` for SIGTERM).
    """
    state = Deferred()
    if not _in_main_thread():
        yield state
        return
    previous: dict[int, Any] = {}

    def note(signum: int, frame: object) -> None:
        state.received.append(signum)

    for signum in SIGNALS:
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, note)
    token = _deferring.set(True)
    try:
        yield state
    finally:
        _deferring.reset(token)
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
    state.check()


def run_in_own_session(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` in a child process in its own session; return its result or raise its error.

    Whatever the child starts (Copier's migrations and their own children) is in its
    process group. If the caller is interrupted while waiting, the whole group gets
    SIGTERM, then SIGKILL after a grace period, before the interruption goes on; when the
    call returns, whatever the group left running is ended too. ``func`` and its arguments
    must be picklable when the child is spawned (when the parent runs threads, forking it
    is unsafe). Where there are no process groups (Windows), ``func`` runs in this process.

    Raises
    ------
    BaseException
        What ``func`` raised (an exception that cannot be sent back becomes a
        :class:`RuntimeError` with its text); :class:`RuntimeError` when the child died
        without an answer; :class:`KeyboardInterrupt` when interrupted.
    """
    if not hasattr(os, "setsid"):  # no sessions or process groups (Windows): run it here
        return func(*args, **kwargs)
    import multiprocessing

    fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    for stream in (sys.stdout, sys.stderr):  # a forked child must not print the parent's pending output again
        with contextlib.suppress(Exception):
            stream.flush()
    context: Any = multiprocessing.get_context("fork" if fork else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, kwargs), name="poc2prod-merge")
    try:
        process.start()
        sender.close()
        try:
            kind, value = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"the merge process ended without an answer (exit code {process.exitcode})") from None
        process.join()
    except BaseException:
        with deferred():
            _end_group(process)
        raise
    finally:
        receiver.close()
        _kill_group(process.pid, signal.SIGKILL)  # what the group left running, if anything
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _child(sender: Any, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    os.setsid()
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_DFL)  # the parent ends this group with signals; nothing to unwind here
    try:
        outcome: tuple[str, Any] = ("ok", func(*args, **kwargs))
    except BaseException as exc:
        outcome = ("error", exc)
    try:
        sender.send(outcome)
    except Exception:  # an exception that does not pickle: send its text
        error = outcome[1]
        sender.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        sender.close()


def _kill_group(pgid: int | None, signum: int) -> None:
    if pgid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _end_group(process: Any) -> None:
    """End a child started by :func:`run_in_own_session` and every process in its group."""
    if process.pid is None:
        return
    if process.is_alive():
        _kill_group(process.pid, signal.SIGTERM)
        process.terminate()  # in case it had not reached setsid yet
        process.join(_GRACE_SECONDS)
    if process.is_alive():
        _kill_group(process.pid, signal.SIGKILL)
        process.kill()
    process.join()
    _kill_group(process.pid, signal.SIGKILL)
