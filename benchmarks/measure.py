"""Run one system over the suites in a fresh process, timing it and taking its peak memory.

Each system runs in its own spawned process (:func:`run_isolated`), so its memory is its own:
``peak_rss_mb`` is that process's ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the kernel's
exact high-water mark of resident memory; ``workers_peak_rss_mb`` the largest of its worker
processes' (a system's ``close()`` ends them first; forked, they share the model's pages with
it).  It counts everything the process holds — the interpreter, imports, the model, torch's
allocations (which ``tracemalloc`` cannot see) — so
compare it against ``rss_loaded_mb`` (resident memory just after the system loaded) and the
identity system (the floor).  Throughput is the source words (whitespace-separated) of a suite
over the wall time of the ``restore`` calls on it; loading and one warm-up call on the first
text (lazy initialisation) are excluded and reported as ``load_s``.

After the timed pass, untimed: each system restores its own outputs again (``stable``: whether
a second pass changes nothing, per text), and a system with ``considered`` lists every
replacement it weighed for the suites that ask for it (the report's reachability).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor

CHUNK = 64  # texts per restore() call: progress granularity; systems batch inside a call


def _mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


SuitePayload = tuple[str, list[str], bool]
"""(suite name, texts, whether to list what the system considered)."""


def run_system(name: str, suites: list[SuitePayload], progress: bool = True) -> dict:
    """Load system ``name`` and restore every suite's texts; outputs, timings, memory, then
    (untimed) the second-pass stability and what the system considered."""
    import psutil
    from tqdm import tqdm

    from benchmarks.systems import SYSTEMS, SystemUnavailable

    start = time.perf_counter()
    try:
        system = SYSTEMS[name]()
    except SystemUnavailable as e:
        return {"status": "skipped", "note": str(e)}
    warm_up = next((texts[0] for _, texts, _ in suites if texts), "")
    system.restore([warm_up])
    load_s = time.perf_counter() - start
    rss_loaded = psutil.Process().memory_info().rss
    runs: dict[str, dict] = {}
    for suite, texts, _ in suites:
        outputs: list[str] = []
        seconds = 0.0
        with tqdm(total=len(texts), desc=f"{name:>10} {suite}", unit="text", leave=False,
                  disable=not progress, file=sys.stderr) as bar:
            for i in range(0, len(texts), CHUNK):
                t = time.perf_counter()
                outputs.extend(system.restore(texts[i : i + CHUNK]))
                seconds += time.perf_counter() - t
                bar.update(min(CHUNK, len(texts) - i))
        if len(outputs) != len(texts):
            raise RuntimeError(f"{name} returned {len(outputs)} outputs for {len(texts)} texts on {suite}")
        words = sum(len(t.split()) for t in texts)
        runs[suite] = {
            "outputs": outputs,
            "seconds": seconds,
            "words": words,
            "words_per_s": words / seconds if seconds > 0 else None,
        }
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    workers_peak_kb = 0
    if getattr(system, "workers", 0):
        system.close()  # its worker processes end, so their peak is counted
        workers_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest ended child's
    for suite, texts, wants_considered in suites:
        run = runs[suite]
        again: list[str] = []
        for i in tqdm(range(0, len(texts), CHUNK), desc=f"{name:>10} {suite} again", leave=False,
                      disable=not progress, file=sys.stderr):
            again.extend(system.restore(run["outputs"][i : i + CHUNK]))
        run["stable"] = [a == b for a, b in zip(again, run["outputs"])]
        if wants_considered and callable(getattr(system, "considered", None)):
            run["considered"] = system.considered(texts)
    return {
        "status": "ok",
        "info": system.info(),
        "load_s": load_s,
        "rss_loaded_mb": _mb(rss_loaded),
        "peak_rss_mb": _mb(peak_kb * 1024),
        **({"workers_peak_rss_mb": _mb(workers_peak_kb * 1024)} if workers_peak_kb else {}),
        "suites": runs,
    }


def run_isolated(name: str, suites: list[SuitePayload], progress: bool = True) -> dict:
    """:func:`run_system` in a fresh spawned process; an exception comes back as status ``error``."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(run_system, name, suites, progress).result()
        except Exception as e:  # report the failure and go on with the other systems
            return {"status": "error", "note": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
