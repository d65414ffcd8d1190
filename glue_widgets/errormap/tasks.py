"""The task runner behind the error map and the coupling loop.

:func:`compute` runs a list of ``dask.delayed`` tasks on the threaded scheduler by default, or on a
``dask.distributed`` Client when one is given, and reports progress through tqdm or a callback.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..errors import InvalidInputError

__all__ = ["compute"]


def _is_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "compute") and hasattr(obj, "gather")


def _progress_fn(progress: Any, total: int, desc: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(update(n_done), close()) for progress=None/False (silent), True (tqdm) or a callable(done, total, desc)."""
    if progress is None or progress is False:
        return (lambda done: None), (lambda: None)
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc)

        def upd(done: int) -> None:
            bar.update(done - bar.n)

        return upd, bar.close
    if callable(progress):
        return (lambda done: progress(done, total, desc)), (lambda: None)
    raise InvalidInputError(f"progress={progress!r}; use None, True (tqdm) or a callable(done, total, desc).")


def compute(tasks: Sequence[Any], scheduler: Any = None, progress: Any = None, desc: str = "tasks") -> list[Any]:
    """Compute ``dask.delayed`` tasks and return their results in order.

    Parameters
    ----------
    scheduler : None, "threads", "sync", "processes" or a ``dask.distributed.Client``
        None means threads. A Client sends the tasks to its cluster.
    progress : None, True or callable
        True shows a tqdm bar; a callable gets ``(n_done, n_total, desc)`` after each finished task
        (counted over the top-level tasks for a Client, over every graph node for local schedulers).
    """
    import dask

    tasks = list(tasks)
    if not tasks:
        return []
    if _is_client(scheduler):
        from distributed import as_completed

        futures = scheduler.compute(tasks)
        upd, close = _progress_fn(progress, len(futures), desc)
        try:
            for i, _ in enumerate(as_completed(futures), 1):
                upd(i)
        finally:
            close()
        return scheduler.gather(futures)
    if scheduler is None:
        scheduler = "threads"
    if scheduler not in ("threads", "sync", "synchronous", "processes"):
        raise InvalidInputError(
            f"scheduler={scheduler!r}; use None/'threads', 'sync', 'processes' or a dask.distributed Client.")
    from dask.callbacks import Callback

    class _Count(Callback):
        def _start_state(self, dsk, state):
            # literal data already in the cache are not tasks that run
            self.total = max(len(dsk) - len(state.get("cache", {})), 1)
            self.done = 0
            self.upd, self.close = _progress_fn(progress, self.total, desc)

        def _posttask(self, key, result, dsk, state, worker_id):
            self.done += 1
            self.upd(self.done)

        def _finish(self, dsk, state, errored):
            if not errored and self.done != self.total:
                self.done = self.total
                self.upd(self.done)
            self.close()

    if progress is None or progress is False:
        return list(dask.compute(*tasks, scheduler=scheduler))
    with _Count():
        return list(dask.compute(*tasks, scheduler=scheduler))
