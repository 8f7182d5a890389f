"""The Ray engine: the same shards, restored by a pool of Ray actors with Ray Data.

The pending shard specs form a Ray dataset (one row, and one block, a shard); ``map_batches``
sends them, one at a time and streamed with Ray Data's back-pressure, to ``jobs`` actors of
:class:`ShardRestorer`, each holding one model.  An actor reads its shard from the input,
restores it and writes its file into the output folder, so on a cluster the input and output
must be on a filesystem every node sees; the driver gets back only the manifest entries.
"""

from __future__ import annotations

import json
import logging
import warnings

from restore.batch.formats import CorpusError, one_line
from restore.batch.job import ModelSpec, Results, Task, restore_shard

INSTALL_HINT = "--engine ray needs Ray, which is not installed: pip install 'restore[ray]'"


class ShardRestorer:
    """A Ray Data actor: loads the model once, then restores one shard per row."""

    def __init__(self, model: ModelSpec, text_field: str, out_dir: str) -> None:
        self.restorer = model.load()
        self.text_field = text_field
        self.out_dir = out_dir

    def __call__(self, batch: dict) -> dict:
        entries = []
        for index, spec, name in zip(batch["index"], batch["spec"], batch["name"]):
            entry = restore_shard(self.restorer, json.loads(spec), self.text_field, self.out_dir, str(name))
            entries.append(json.dumps({"index": int(index), "entry": entry}))
        return {"result": entries}


def run_ray(
    tasks: list[Task], model: ModelSpec, text_field: str, out_dir: str, jobs: int,
    address: str | None = None, progress: bool = False,
) -> Results:
    """Restore ``tasks`` on Ray (the running instance, else ``ray.init(address)``: None starts a
    local one with ``jobs × threads`` CPUs); yields (shard index, manifest entry) as shards finish."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise CorpusError(INSTALL_HINT) from None
    if not tasks:
        return
    started = not ray.is_initialized()
    if started:
        local = {} if address else {"num_cpus": jobs * (model.threads or 1)}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    try:
        yield from _run(ray, tasks, model, text_field, out_dir, jobs, progress)
    except ray.exceptions.RayError as e:
        from restore.restorer import ModelLoadError, ModelNotFoundError

        cause = getattr(e, "cause", None) or e
        if isinstance(cause, (ModelLoadError, ModelNotFoundError)):
            raise cause from None
        raise CorpusError(f"the Ray job failed: {type(cause).__name__}: {one_line(cause)}") from None
    finally:
        if started:
            ray.shutdown()


def _run(ray, tasks: list[Task], model: ModelSpec, text_field: str, out_dir: str, jobs: int, progress: bool) -> Results:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    context.print_on_execution_start = False
    if not progress:
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    rows = [{"index": i, "spec": json.dumps(spec), "name": name} for i, spec, name in tasks]
    with warnings.catch_warnings():  # max_restarts=0 (a shard that fails fails the job) goes through ray_remote_args
        warnings.simplefilter("ignore", DeprecationWarning)
        data = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            ShardRestorer, fn_constructor_kwargs={"model": model, "text_field": text_field, "out_dir": out_dir},
            batch_size=1, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=min(jobs, len(rows))),
            num_cpus=model.threads or 1, max_restarts=0,
        )
    for row in data.iter_rows():
        result = json.loads(row["result"])
        yield result["index"], result["entry"]
