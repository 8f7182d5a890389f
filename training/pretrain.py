"""Pre-train the tag-then-generate restorer by denoising clean text, in the fine-tuning format.

    python -m training.pretrain --preset cpu --output_dir runs/pretrain --tokenizer runs/tokenizer
    python -m training.pretrain --preset cpu --output_dir runs/pretrain --resume          # go on
    python -m training.pretrain --preset gpu --output_dir runs/pretrain --init_from restore/models/default
    python -m training.pretrain --preset tiny --output_dir /tmp/pre --sources my.txt --tokenizer runs/tokenizer
    python -m training.train --preset cpu --output_dir runs/ft --init_from runs/pretrain/final   # then fine-tune

Clean units of the shared corpora (or of ``--sources`` files), cut and sampled as
``training.make_pairs`` cuts and samples them, are corrupted span by span, and the
(corrupted, clean) pairs train the model exactly as spinner pairs do
(:mod:`restore.model.formulation`): the encoder tags the corrupted spans, the decoder
writes their original words.  A span is corrupted in one of three ways:

* ``mask``: its words (one to ``max_span_words``) become one :data:`MASK` token, so the
  decoder must infer the words and how many;
* ``random``: one word becomes another word of the same document;
* ``thesaurus``: a phrase of the spinner's training tables (never a held-out profile's:
  see :func:`held_out_tables`) becomes one of its listed neighbours.

Only words the spinner could change are corrupted (lower-case words outside quotes,
:func:`restore.text.protected_mask`); about ``clean_share`` of the units stay clean.  Each
unit's corruption is seeded by its document and position, so it does not depend on the
number of processes.  The pairs are saved to ``<output_dir>/denoise_pairs`` (reused while the
corruption settings are the same) and trained on by :func:`training.train.run` with stage
``pretrain``: the same Seq2SeqTrainer, checkpoints, ``--resume``, time limits and dev curve
(dev loss, and spin removed on dev units without masks, which the editor never meets).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from transformers import Seq2SeqTrainingArguments

from restore.model.formulation import MASK
from restore.spin.profiles import PROFILES
from restore.spin.tables import Lexicon, load_table, merge
from restore.text import protected_mask, tokenize
from training import train
from training.make_pairs import (
    BENCHMARK_SOURCES,
    CORPORA,
    DEFAULT_SOURCES,
    TRAINING_PROFILES,
    MakePairsArgs,
    load_documents,
    sample_budget,
    source_spec,
    split_of,
    stable_hash,
    thin_documents,
    units,
)
from training.presets import PRETRAIN_PRESETS

KINDS = ("mask", "random", "thesaurus")
PAIRS_RECORD = "denoise_pairs.json"
"""Written beside the denoising pairs: the corruption settings they were made with, and counts."""


def training_tables() -> tuple[str, ...]:
    """The tables of the spinner's training profiles (``training.make_pairs.TRAINING_PROFILES``), in order."""
    names: list[str] = []
    for profile in TRAINING_PROFILES:
        names += [use.table for use in PROFILES[profile].tables if use.table not in names]
    return tuple(names)


def held_out_tables() -> frozenset[str]:
    """Tables that only profiles kept out of training use (``moby`` and the like): evaluation's."""
    used = {use.table for name, p in PROFILES.items() if name not in TRAINING_PROFILES for use in p.tables}
    return frozenset(used - set(training_tables()))


@dataclass
class CorruptionArguments:
    """Which clean text is corrupted, how, and where the pairs go."""

    sources: list[str] = field(
        default_factory=lambda: [s for s in DEFAULT_SOURCES if s not in BENCHMARK_SOURCES],
        metadata={"help": f"source names ({', '.join(DEFAULT_SOURCES)}) or paths of text files (.txt/.txt.gz)"},
    )
    corpora: str = field(default=str(CORPORA), metadata={"help": "folder holding the named sources' files"})
    max_words: int = field(default=5_000_000, metadata={"help": "total clean words to corrupt (0: everything)"})
    group_shares: str = field(default="news=0.2,ungdc=0.55,gutenberg=0.25", metadata={"help": "share of max_words per source group"})
    max_samples: int = field(default=0, metadata={"help": "stop after this many units (smoke runs; 0: no limit)"})
    noise_rate: float = field(default=0.15, metadata={"help": "share of a unit's changeable words corrupted, on average"})
    clean_share: float = field(default=0.07, metadata={"help": "share of units left clean"})
    kind_weights: str = field(default="mask=0.35,random=0.2,thesaurus=0.45", metadata={"help": f"how often each corruption ({', '.join(KINDS)}) is tried"})
    max_span_words: int = field(default=3, metadata={"help": "most words one mask hides"})
    tables: list[str] = field(default_factory=lambda: list(training_tables()), metadata={"help": "spinner tables (restore/spin/data) of the thesaurus corruption; never a held-out profile's"})
    validation_percent: float = field(default=1.0, metadata={"help": "percent of documents for validation"})
    test_percent: float = field(default=1.0, metadata={"help": "percent of documents for test"})
    noise_seed: int = field(default=0, metadata={"help": "seed of the corruption"})
    num_proc: int = field(default=2, metadata={"help": "worker processes for datasets.map"})
    denoise_pairs: str | None = field(default=None, metadata={"help": "where the pairs are saved (default <output_dir>/denoise_pairs)"})

    def __post_init__(self) -> None:
        if isinstance(self.sources, str):
            self.sources = [s for s in self.sources.split(",") if s]
        if isinstance(self.tables, str):
            self.tables = [t for t in self.tables.split(",") if t]
        if not 0.0 < self.noise_rate < 1.0 or not 0.0 <= self.clean_share < 1.0:
            raise ValueError("noise_rate must be in (0, 1) and clean_share in [0, 1)")
        if self.max_span_words < 1:
            raise ValueError("max_span_words must be >= 1")
        held = held_out_tables() & set(self.tables)
        if held:
            raise ValueError(f"tables {sorted(held)} are held out for evaluation; pre-training must not see them")
        self.weights = self.parse_weights(self.kind_weights)
        self.corpus()  # validates the sources, shares and sizes

    @staticmethod
    def parse_weights(text: str) -> dict[str, float]:
        """``mask=0.35,random=0.2,thesaurus=0.45`` as a dict; unknown kinds and no weight are refused."""
        weights = {k: float(v) for k, v in (item.split("=") for item in text.split(",") if item)}
        if set(weights) - set(KINDS) or sum(weights.values()) <= 0 or min(weights.values()) < 0:
            raise ValueError(f"kind_weights must give non-negative weights to some of {', '.join(KINDS)}")
        return weights

    def corpus(self) -> MakePairsArgs:
        """The corpus reading and sampling settings, as ``training.make_pairs`` takes them."""
        return MakePairsArgs(
            output="", sources=list(self.sources), corpora=self.corpora, max_words=self.max_words,
            group_shares=self.group_shares, max_samples=self.max_samples, validation_percent=self.validation_percent,
            test_percent=self.test_percent, num_proc=self.num_proc, seed=self.noise_seed,
        )

    def signature(self) -> dict:
        """What the pairs depend on (the worker count and the folder aside)."""
        return {k: v for k, v in asdict(self).items() if k not in ("num_proc", "denoise_pairs")}


def _words_in_row(tokens, free: list[bool], k: int, n: int, text: str) -> bool:
    """Tokens ``k .. k+n-1`` are all free words separated by single spaces."""
    if k + n > len(tokens):
        return False
    for j in range(k, k + n):
        if not (free[j] and tokens[j].is_word):
            return False
        if j > k and text[tokens[j - 1].end : tokens[j].start] != " ":
            return False
    return True


def corrupt(text: str, rng: random.Random, pool: list[str], lexicon: Lexicon, args: CorruptionArguments) -> tuple[str, list[str]]:
    """``text`` with some spans corrupted (see the module doc), and the kind of each span.

    Spans lie on changeable words only and never touch (a kept token between any two), so
    :func:`restore.edits.align` of the result with ``text`` finds them one by one.  ``pool``:
    words a ``random`` corruption may write.
    """
    tokens = tokenize(text)
    free = [not p for p in protected_mask(text)]
    slots = [k for k, t in enumerate(tokens) if t.is_word and free[k] and t.text.islower()]
    if not slots or rng.random() < args.clean_share:
        return text, []
    scale = rng.choice((0.5, 0.75, 1.0, 1.0, 1.25, 1.5))
    budget = max(1, round(args.noise_rate * scale * len(slots)))
    kinds, weights = zip(*args.weights.items())
    used = [False] * (len(tokens) + 1)
    spans: list[tuple[int, int, str, str]] = []  # (first token, end token, replacement, kind)
    for _ in range(4 * budget):
        if budget <= 0:
            break
        k = rng.choice(slots)
        if used[k] or (k > 0 and used[k - 1]) or used[k + 1]:
            continue
        kind = rng.choices(kinds, weights)[0]
        if kind == "thesaurus":
            span = _thesaurus(text, tokens, free, k, rng, lexicon)
        elif kind == "random":
            word = rng.choice(pool) if pool else tokens[k].text
            span = (k + 1, word, "random") if word != tokens[k].text else None
        else:
            n = 1
            while n < args.max_span_words and rng.random() < 0.4 and _words_in_row(tokens, free, k, n + 1, text) \
                    and not used[k + n + 1]:
                n += 1
            span = (k + n, MASK, "mask")
        if span is None:  # the tables know no phrase here, or the pool had only this word
            continue
        end, replacement, kind = span
        if any(used[j] for j in range(k, end + 1)):
            continue
        used[k:end] = [True] * (end - k)
        spans.append((k, end, replacement, kind))
        budget -= end - k
    out, pos = [], 0
    for k, end, replacement, _ in sorted(spans):
        out += [text[pos : tokens[k].start], replacement]
        pos = tokens[end - 1].end
    out.append(text[pos:])
    return "".join(out), [kind for *_, kind in sorted(spans)]


def _thesaurus(text: str, tokens, free: list[bool], k: int, rng: random.Random, lexicon: Lexicon) -> tuple[int, str, str] | None:
    """The longest table phrase starting at token ``k`` replaced by one of its choices:
    ``(end token, replacement, "thesaurus")``, or None if the tables know none."""
    first = tokens[k].text
    for n in range(lexicon.max_len.get(first, 0), 0, -1):
        if not _words_in_row(tokens, free, k, n, text):
            continue
        phrase = text[tokens[k].start : tokens[k + n - 1].end]
        entry = lexicon.entries.get(phrase)
        if entry is not None:
            choices = [c for c in entry[1] if c != phrase]
            if choices:
                return k + n, rng.choice(choices), "thesaurus"
    return None


_LEXICONS: dict[tuple[str, ...], Lexicon] = {}


def lexicon_of(tables: list[str]) -> Lexicon:
    """The named tables merged as a profile merges them (first table wins), once per process."""
    key = tuple(tables)
    if key not in _LEXICONS:
        _LEXICONS[key] = merge([(load_table(name), 1.0, 0) for name in tables])
    return _LEXICONS[key]


def corrupt_documents(batch: dict[str, list], args: CorruptionArguments) -> dict[str, list]:
    """Batched map: documents -> their units, clean and corrupted (``spun``, ``clean``,
    ``source``, ``group``, ``doc_id``, ``unit``, ``words``, ``corruption``, ``restorable``).

    A ``random`` corruption draws from the words of the unit's own document."""
    lexicon = lexicon_of(args.tables)
    corpus = args.corpus()
    out: dict[str, list] = {k: [] for k in ("spun", "clean", "source", "group", "doc_id", "unit", "words", "corruption", "restorable")}
    for text, source, group, doc in zip(batch["text"], batch["source"], batch["group"], batch["doc_id"]):
        pieces = [u for paragraph in text.split("\n") for u in units(paragraph, corpus.unit_words, corpus.unit_tokens)]
        pool = sorted({w for w in text.split() if w.isalpha() and w.islower() and len(w) > 1})
        for n, clean in enumerate(pieces):
            rng = random.Random(stable_hash(f"corrupt:{args.noise_seed}:{doc}:{n}"))
            spun, kinds = corrupt(clean, rng, pool, lexicon, args)
            for key, value in (("spun", spun), ("clean", clean), ("source", source), ("group", group), ("doc_id", doc),
                               ("unit", n), ("words", len(clean.split())), ("corruption", ",".join(kinds)),
                               ("restorable", "mask" not in kinds)):
                out[key].append(value)
    return out


def build_denoise_pairs(args: CorruptionArguments, output: str | Path) -> Path:
    """Corrupt the corpus into a ``DatasetDict`` (train/validation/test, split by document as
    ``training.make_pairs`` splits) saved at ``output``; returns ``output``.  A folder already
    made with the same :meth:`CorruptionArguments.signature` is reused as it is."""
    from datasets import DatasetDict, concatenate_datasets

    output = Path(output)
    record = output / PAIRS_RECORD
    if record.exists() and json.loads(record.read_text()).get("args") == args.signature():
        print(f"restore: reusing the denoising pairs in {output}")
        return output
    corpus = args.corpus()
    specs = [source_spec(source, corpus.corpora) for source in corpus.sources]
    documents = thin_documents([load_documents(*spec) for spec in specs], corpus)
    unit_sets = [
        docs.map(corrupt_documents, batched=True, batch_size=16, remove_columns=docs.column_names,
                 fn_kwargs={"args": args}, num_proc=min(args.num_proc, max(1, len(docs))), desc=f"corrupt {name}")
        for (name, *_), docs in zip(specs, documents)
    ]
    pairs = sample_budget(concatenate_datasets(unit_sets), corpus)
    split = [split_of(d, corpus.validation_percent, corpus.test_percent) for d in pairs["doc_id"]]
    columns = ["spun", "clean", "source", "doc_id", "unit", "corruption", "restorable"]
    splits = DatasetDict({
        name: pairs.select([i for i, s in enumerate(split) if s == name]).select_columns(columns)
        for name in ("train", "validation", "test")
    })
    for name in ("train", "validation"):
        if not len(splits[name]):
            raise SystemExit(f"restore error: the denoising pairs' {name} split is empty ({len(pairs)} units in all, "
                             f"split by document): give more text (--max_words) or a larger --validation_percent")
    splits.save_to_disk(str(output))
    counts = {kind: sum(c.split(",").count(kind) for c in pairs["corruption"]) for kind in KINDS}
    stats = {"units": {k: len(v) for k, v in splits.items()}, "words": int(sum(pairs["words"])), "spans": counts,
             "clean_units": sum(not c for c in pairs["corruption"]), "args": args.signature()}
    record.write_text(json.dumps(stats, indent=2))
    print(f"restore: denoising pairs in {output}: {json.dumps({k: v for k, v in stats.items() if k != 'args'})}")
    return output


def parse_args(argv: list[str]) -> tuple[CorruptionArguments, train.ModelArguments, train.DataArguments, Seq2SeqTrainingArguments, str]:
    """Parse the CLI with the chosen pre-training preset's values as defaults."""
    (corruption, model_args, data_args, train_args), preset = train.parse_with_preset(
        argv, PRETRAIN_PRESETS,
        (CorruptionArguments, train.ModelArguments, train.DataArguments, Seq2SeqTrainingArguments),
    )
    return corruption, model_args, data_args, train_args, preset


def run(corruption: CorruptionArguments, model_args: train.ModelArguments, data_args: train.DataArguments,
        train_args: Seq2SeqTrainingArguments, preset: str) -> Path:
    """Make (or reuse) the denoising pairs and pre-train on them; returns the run folder."""
    pairs = corruption.denoise_pairs or str(Path(train_args.output_dir) / "denoise_pairs")
    data_args.pairs = str(build_denoise_pairs(corruption, pairs))
    return train.run(model_args, data_args, train_args, preset, stage="pretrain", extra={"corruption": corruption.signature()})


def main(argv: list[str] | None = None) -> Path:
    """The command line: :func:`run` with the parsed arguments."""
    return run(*parse_args(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
