"""The one-machine engine: a pool of worker processes, each loading the model once.

``jobs=1`` restores in this process.  Otherwise ``jobs`` processes are started (``spawn``: no
torch state is forked), each with ``ModelSpec.threads`` torch threads; each worker reads its
shards from the input, restores them and writes their files itself, and sends back only the
manifest entry.  A model that cannot be loaded raises its own error here, once.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from restore.batch.formats import CorpusError
from restore.batch.job import ModelSpec, Results, Task, restore_shard

_restorer = None  # the worker's restorer, loaded by _start
_load_error: BaseException | None = None


def run_pool(tasks: list[Task], model: ModelSpec, text_field: str, out_dir: str, jobs: int) -> Results:
    """Restore ``tasks``; yields (shard index, manifest entry) as each shard is written."""
    if not tasks:
        return
    if jobs == 1 or len(tasks) == 1:
        restorer = model.load()
        for index, spec, name in tasks:
            yield index, restore_shard(restorer, spec, text_field, out_dir, name)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=context, initializer=_start, initargs=(model,)) as pool:
        queue = list(reversed(tasks))
        running = {}
        try:
            while queue or running:
                while queue and len(running) < 2 * jobs:  # a few shards ahead, not the whole corpus
                    index, spec, name = queue.pop()
                    running[pool.submit(_work, spec, text_field, out_dir, name)] = index
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        entry = future.result()
                    except BrokenProcessPool:
                        raise CorpusError(
                            "a worker process died (out of memory? try fewer --jobs or a smaller --shard-size); "
                            "run again to resume"
                        ) from None
                    yield running.pop(future), entry
        finally:
            for future in running:
                future.cancel()


def _start(model: ModelSpec) -> None:
    """Worker start: load the model once (an error is kept and raised by each task)."""
    global _restorer, _load_error
    try:
        _restorer = model.load()
    except Exception as e:
        _load_error = e


def _work(spec: dict, text_field: str, out_dir: str, name: str) -> dict:
    if _load_error is not None:
        raise _load_error
    return restore_shard(_restorer, spec, text_field, out_dir, name)
