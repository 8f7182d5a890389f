"""Restore a whole corpus: ``restore fix-corpus IN OUT`` or ``python -m restore.batch IN OUT``.

The input (JSONL, Parquet, a saved ``datasets`` dataset, a folder of text files or one text
file: :mod:`restore.batch.formats`) is cut into shards of ``shard_size`` records; each shard is
restored and written whole as its own file in the output folder, beside ``manifest.json``
(:mod:`restore.batch.job`), by a pool of processes on this machine (:mod:`restore.batch.pool`)
or by Ray actors (:mod:`restore.batch.ray_engine`), each loading the model once.  Records keep
their order and every field but the text; a record that cannot be restored is written
unchanged with ``restore_error`` and counted; a rerun skips the shards already written.
"""

from restore.batch.formats import ERROR_FIELD, FORMATS, CorpusError
from restore.batch.job import DEFAULT_SHARD_SIZE, ENGINES, ModelSpec, Summary, fix_corpus

__all__ = ["DEFAULT_SHARD_SIZE", "ENGINES", "ERROR_FIELD", "FORMATS", "CorpusError", "ModelSpec", "Summary", "fix_corpus"]
