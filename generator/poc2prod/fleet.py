"""Updating a fleet: many projects, several at a time, one failure stopping none of the others."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from poc2prod.engine import template_cache
from poc2prod.update import UpdateOptions, UpdateResult, UpdateStatus, update_project
from poc2prod.vcs import repository_top


def distinct_projects(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """Drop the paths that name a project already named (the same folder once resolved).

    Updating a project twice in one run would refuse the second time (the first update
    left uncommitted changes), so each project is updated once.

    Returns
    -------
    tuple
        The paths kept, in their order, and a ``(repeat, first)`` pair for each path dropped.
    """
    seen: dict[Path, Path] = {}
    kept: list[Path] = []
    repeats: list[tuple[Path, Path]] = []
    for path in paths:
        key = path.expanduser().resolve()
        if key in seen:
            repeats.append((path, seen[key]))
            continue
        seen[key] = path
        kept.append(path)
    return kept, repeats


def update_projects(
    paths: list[Path],
    options: UpdateOptions,
    *,
    jobs: int = 1,
    on_result: Callable[[UpdateResult], None] | None = None,
) -> list[UpdateResult]:
    """Update several projects, ``jobs`` at a time; one failing project does not stop the others.

    Projects that share a git repository (sub-projects of a monorepo) are updated one
    after the other, in one worker, so they never write the same index at once. Workers
    are processes, not threads: Copier changes the working directory as it goes. All
    workers share one template cache for the run (:func:`poc2prod.engine.template_cache`):
    each template version is cloned once, and rendered once per set of answers.

    Parameters
    ----------
    paths : list of Path
        Project folders.
    options : UpdateOptions
        Applied to every project.
    jobs : int
        Largest number of projects updated at once.
    on_result : callable, optional
        Called with each result as soon as it is known (for progress).

    Returns
    -------
    list of UpdateResult
        In the order of ``paths``.

    Raises
    ------
    KeyboardInterrupt
        After every project being updated was restored as it was.
    """
    with tempfile.TemporaryDirectory(prefix="poc2prod-templates.") as cache:
        return _update_projects(paths, options, jobs=jobs, on_result=on_result, cache=Path(cache))


def _update_projects(
    paths: list[Path],
    options: UpdateOptions,
    *,
    jobs: int,
    on_result: Callable[[UpdateResult], None] | None,
    cache: Path,
) -> list[UpdateResult]:
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(paths):
        top = repository_top(path) if path.is_dir() else None
        groups.setdefault(str(top) if top is not None else f"#{index}", []).append((index, path))
    results: dict[int, UpdateResult] = {}

    def record(index: int, result: UpdateResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    if jobs <= 1 or len(groups) <= 1:
        with template_cache(cache):
            for group in groups.values():
                for index, path in group:
                    record(index, update_project(path, options))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(groups)), mp_context=context) as pool:
            futures = {pool.submit(_update_group, group, options, cache): group for group in groups.values()}
            try:
                for future in as_completed(futures):
                    try:
                        done = future.result()
                    except Exception as exc:  # a worker process died: its projects are reported, the rest go on
                        done = [
                            (index, UpdateResult(str(path), UpdateStatus.FAILED, message=f"worker failed: {exc}"))
                            for index, path in futures[future]
                        ]
                    for index, result in done:
                        record(index, result)
            except BaseException:  # Ctrl-C, SIGTERM: the projects under way finish or restore; no new one starts
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return [results[index] for index in range(len(paths))]


def _update_group(group: list[tuple[int, Path]], options: UpdateOptions, cache: Path) -> list[tuple[int, UpdateResult]]:
    with template_cache(cache):
        return [(index, update_project(path, options)) for index, path in group]
