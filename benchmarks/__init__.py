"""Benchmarks: suites of (spun, clean) text, systems that restore them, a metric, a report.

``python -m benchmarks.run`` runs every system on every suite in one process tree and writes
``benchmarks/results/report.{md,json}`` and a plot.  See ``benchmarks/README.md``.
"""
