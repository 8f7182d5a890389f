"""The shipped seq2seq model (``restore/models/default``) through ``restore.Restorer``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from benchmarks.systems import SystemUnavailable
from restore.restorer import DEFAULT_LATER_ROUNDS, DEFAULT_ROUNDS
from restore.edits import Edit

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO_ROOT / "restore" / "models" / "default"
MODEL_ENV = "RESTORE_BENCH_MODEL"  # another model folder to benchmark (``run.py --model``)


CARD = "README.md"


def model_hash(folder: Path) -> str:
    """First 12 hex digits of a SHA-256 over the folder's files (names and bytes, sorted),
    except the model card (``README.md``), which ``training.export --update-card`` rewrites
    from the report after the benchmark: it describes the model and is not read by it."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CARD):
        h.update(str(path.relative_to(folder)).encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


class Seq2SeqSystem:
    """``restore.Restorer.from_pretrained(model_dir)`` on CPU with the editor's default settings.

    ``model_dir`` defaults to ``$RESTORE_BENCH_MODEL``, else the shipped ``restore/models/default``.
    """

    name = "seq2seq"

    def __init__(self, restorer, model_dir: Path, sources: tuple[str, ...] | None = None, name: str | None = None,
                 origin: str | None = None):
        self.restorer = restorer
        self.model_dir = model_dir
        self.sources = sources
        self.origin = origin
        if name:
            self.name = name

    @classmethod
    def load(cls, model_dir: str | os.PathLike | None = None, batch_size: int = 32,
             sources: tuple[str, ...] | None = None, name: str | None = None,
             origin: str | None = None, encoder: str = "auto", rounds: int = DEFAULT_ROUNDS,
             later_rounds: str = DEFAULT_LATER_ROUNDS, workers: int | str = "auto") -> "Seq2SeqSystem":
        """``sources``: keep only the candidates these spinner profiles' tables list (an
        ablation of the shipped candidate sources; same scorer and settings).  ``origin``:
        ``tables`` keeps the table candidates alone (the decoder's n-best off), ``decoder`` the
        decoder's n-best alone (no table candidate; needs a model calibrated with ``--nbest``).
        ``encoder``: as :meth:`restore.Restorer.from_pretrained` (``torch``: the reference path);
        ``rounds``, ``workers``: likewise; ``later_rounds``: as :class:`restore.Restorer`."""
        if origin not in (None, "tables", "decoder"):
            raise ValueError(f"origin must be tables or decoder, not {origin!r}")
        from restore import Restorer
        from restore.candidates.channel import Channel

        model_dir = Path(model_dir or os.environ.get(MODEL_ENV) or MODEL_DIR)
        if not (model_dir / "config.json").is_file():
            shown = model_dir.relative_to(REPO_ROOT) if model_dir.is_relative_to(REPO_ROOT) else model_dir
            raise SystemUnavailable(f"no trained model at {shown} yet (train and export one with training/, then rerun)")
        restorer = Restorer.from_pretrained(model_dir, device="cpu", batch_size=batch_size, encoder=encoder,
                                            rounds=rounds, workers=workers, later_rounds=later_rounds)
        editor = restorer.editor
        if (sources is not None or origin is not None) and editor.candidates is None:
            raise SystemUnavailable(f"the model at {model_dir} has no candidate tables to take sources out of")
        if sources is not None:
            editor.use_candidates(editor.candidates.restricted(Channel.from_profiles(list(sources))))
        if origin is not None:
            if origin == "tables":
                editor.nbest = 0
            elif not editor.nbest:
                raise SystemUnavailable(f"the model at {model_dir} was calibrated without the decoder's n-best "
                                        "(training.calibrate --nbest): no decoder candidates to keep alone")
            else:
                editor.use_candidates(editor.candidates.restricted(Channel()))
        return cls(restorer, model_dir, sources, name, origin)

    def restore(self, texts: list[str]) -> list[str]:
        return self.restorer.fix(texts, progress=False)

    @property
    def workers(self) -> int:
        """The editor's feature worker processes (0: none)."""
        return getattr(self.restorer.editor, "workers", 0)

    def close(self) -> None:
        """End the editor's feature workers (a later call starts them again)."""
        close = getattr(self.restorer.editor, "close", None)
        if callable(close):
            close()

    def considered(self, texts: list[str]) -> list[list[Edit]]:
        """Every edit the editor proposed (generated and candidate), before its gates."""
        from benchmarks.systems import restorer_considered

        return restorer_considered(self.restorer, texts)

    def info(self) -> dict:
        editor = self.restorer.editor
        config = json.loads((self.model_dir / "config.json").read_text())
        return {
            "model": model_hash(self.model_dir),
            "params": editor.num_parameters(),
            "dtype": str(editor.network_dtype).removeprefix("torch."),
            "encoder": editor.encoder_name,
            "architecture": ",".join(config.get("architectures", [])),
            **({"candidate_sources": "+".join(self.sources)} if self.sources is not None else {}),
            **({"candidate_origin": self.origin} if self.origin is not None else {}),
            "nbest": getattr(editor, "nbest", 0),
            "decoding": f"greedy|keep_threshold:{getattr(editor, 'keep_threshold', 'n/a')}|min_confidence:{getattr(editor, 'min_confidence', 'n/a')}"
            f"{_gate(editor)}|batch:{getattr(editor, 'batch_size', 'n/a')}|max_words:{editor.max_words}"
            f"|rounds:{self.restorer.rounds}"
            + (f"|later_rounds:{self.restorer.later_rounds}" if self.restorer.rounds > 1 else "")
            + f"|workers:{getattr(editor, 'workers', 0)}"
            + (f"|compose:{editor.compose_words}" if getattr(editor, "compose_words", 0) else ""),
        }


def _gate(editor) -> str:
    """The editor's unit gate (and document gate) for the settings string (empty without one)."""
    if not getattr(editor, "min_evidence", 0):
        return ""
    document = getattr(editor, "document_evidence", 0)
    return (f"|unit_gate:{editor.min_evidence}@{editor.evidence_confidence},sure:{editor.sure_confidence}"
            + (f",document:{document:g}" if document else ""))
