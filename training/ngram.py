"""Give a model an in-domain n-gram language model of clean text (KenLM).

    python -m training.ngram restore/models/default --pairs data/pairs

Writes the clean side of the pairs' *train* split (never a validation, test or benchmark
text) as :func:`restore.candidates.ngram.ngram_words` reads it, one unit a line; estimates a
modified Kneser-Ney model of ``--order`` on it with KenLM's ``lmplz`` (``--prune``: the
counts at or below which n-grams of each order are dropped); and packs it with KenLM's
``build_binary`` (trie, probabilities and back-offs quantised to ``--bits``, pointers
compressed) into ``MODEL_DIR/ngram.bin``, where
:class:`restore.model.editor.Seq2SeqEditor` finds it (the ``ngram fit`` candidate features).
Run ``training.calibrate`` after it.  ``lmplz`` and ``build_binary`` are not on PyPI: build
them from KenLM's source (README, "Training"), and give their folder with ``--kenlm_bin`` or
put them on ``PATH``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from restore.candidates.ngram import NGRAM_FILE, NgramLM, ngram_words

BATCH = 10_000


def kenlm_tool(name: str, folder: str | None) -> str:
    """The path of KenLM's ``name`` tool in ``folder`` (else on ``PATH``); exits with a clear message if absent."""
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if not found:
        where = f"in {folder}" if folder else "on PATH"
        raise SystemExit(
            f"restore error: KenLM's {name} is not {where}; build it from the kenlm source "
            "(cmake with Boost, see README 'Training') and pass --kenlm_bin FOLDER"
        )
    return found


def write_corpus(pairs: str, path: Path, progress: bool = True) -> int:
    """Write the clean side of the train split of ``pairs`` to ``path``, a unit a line; returns the words written."""
    from datasets import load_from_disk

    train = load_from_disk(pairs)["train"]
    words = 0
    with path.open("w", encoding="utf-8") as f, tqdm(total=len(train), desc="clean text", disable=not progress) as bar:
        for batch in train.iter(batch_size=BATCH):
            for text in batch["clean"]:
                line = " ".join(ngram_words(text))
                words += line.count(" ") + 1 if line else 0
                f.write(line + "\n")
            bar.update(len(batch["clean"]))
    return words


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", help="an exported model folder (training.export)")
    parser.add_argument("--pairs", default="data/pairs", help="pairs dataset (the clean side of its train split is read)")
    parser.add_argument("--order", type=int, default=4, help="n-gram order")
    parser.add_argument("--prune", type=int, nargs="+", default=[0, 0, 1],
                        help="lmplz --prune: per order from the unigrams on, drop n-grams seen this often or less "
                             "(non-decreasing, unigrams 0; the last value holds for the higher orders)")
    parser.add_argument("--bits", type=int, default=6,
                        help="build_binary -q/-b: bits of each probability and back-off (1-25; 6 or more lose nothing measurable)")
    parser.add_argument("--memory", default="30%", help="lmplz -S: memory for sorting")
    parser.add_argument("--kenlm_bin", default=None, help="folder with lmplz and build_binary (default: PATH)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.order < 2:
        parser.error("--order must be 2 or more")
    if not 1 <= args.bits <= 25:
        parser.error("--bits must be between 1 and 25")
    model_dir = Path(args.model_dir)
    if not model_dir.is_dir():
        raise SystemExit(f"restore error: no model folder at {model_dir}")
    prune = (args.prune + args.prune[-1:] * args.order)[: args.order]
    if prune[0] != 0 or prune != sorted(prune):
        parser.error("--prune must start at 0 and never decrease")
    lmplz, build_binary = kenlm_tool("lmplz", args.kenlm_bin), kenlm_tool("build_binary", args.kenlm_bin)
    with tempfile.TemporaryDirectory(prefix="ngram-") as tmp:
        corpus, arpa = Path(tmp) / "clean.txt", Path(tmp) / "model.arpa"
        words = write_corpus(args.pairs, corpus, progress=not args.no_progress)
        if not words:
            raise SystemExit(f"restore error: the train split of {args.pairs} has no text")
        print(f"{words:,} words of clean text; estimating a {args.order}-gram model (prune {prune})", flush=True)
        with corpus.open("rb") as src, arpa.open("wb") as out:
            subprocess.run([lmplz, "-o", str(args.order), "-S", args.memory, "-T", tmp, "--discount_fallback",
                            "--prune", *map(str, prune)], stdin=src, stdout=out, check=True)
        target = model_dir / NGRAM_FILE
        bits = str(args.bits)
        subprocess.run([build_binary, "-a", "64", "-q", bits, "-b", bits, "trie", str(arpa), str(target)], check=True,
                       stdout=subprocess.DEVNULL)
    model = NgramLM(target)
    info = {"pairs": args.pairs, "words": words, "order": args.order, "prune": prune, "bits": args.bits,
            "bytes": target.stat().st_size}
    (model_dir / "ngram.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {target} ({model.info()})")
    return target


if __name__ == "__main__":
    main()
