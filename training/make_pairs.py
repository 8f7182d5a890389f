"""Make (spun, clean) training pairs from clean corpora with the spinner.

    python -m training.make_pairs --output data/pairs --max_words 3000000 --num_proc 2

Each corpus is read with ``datasets.load_dataset("text", ...)``: one document a row (blank-line
separated documents, or one line each for corpora without blank lines).  Documents are cut
into training units (whole sentences, at most ``unit_words`` words and ``unit_tokens``
tokens, never across a paragraph), a word budget is sampled per source group, and each unit
is spun with a profile and rate chosen per document and a seed derived from the document id,
so spinner choices agree across the units of a document.  About ``unspun_share`` of the
units stay clean so the model learns to leave clean text alone.  Splits are by a stable hash
of the document id; benchmark documents (all of NTREX, a fixed fifth of Wikinews) never enter.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from restore.spin import PROFILES, spin
from restore.text import tokenize

TRAINING_PROFILES: tuple[str, ...] = ("news", "wordnet", "tortured", "broad", "neighbours")
"""Profiles a training mixture may draw on (``--profile_mix``); the held-out profiles of
:mod:`training.heldout` (``heldout``, ``moby``) are kept out for the unseen-profile benchmark.
``neighbours`` (word2vec neighbours, loose) teaches the tagger to doubt a word that does not fit
its context whatever table wrote it; its restorations are not all synonyms."""
PROFILE_MIX: dict[str, float] = {"news": 0.55, "wordnet": 0.25, "tortured": 0.20}
"""The default mixture (the shipped model's first stage); ``broad`` joins it with ``--profile_mix``."""
RATE_SCALES: tuple[float, ...] = (0.5, 0.75, 1.0, 1.0, 1.25, 1.5)
"""A document's rate is its profile's default times one of these (capped at 1)."""

def _default_corpora() -> Path:
    """The shared corpora where the benchmark finds its data (:func:`benchmarks.suites.shared_roots`):
    the first root that holds a ``corpora`` folder, else ``../shared``'s, which the error messages
    then name."""
    from benchmarks.suites import shared_roots

    for root in shared_roots():
        if (root / "corpora").is_dir():
            return root / "corpora"
    return Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


CORPORA = _default_corpora()
# source name -> (file under CORPORA, sample_by, group).  Blank lines separate documents.
DEFAULT_SOURCES: dict[str, tuple[str, str, str]] = {
    "ungdc-1": ("ungdc/un-general-debate-part1.txt.gz", "paragraph", "ungdc"),
    "ungdc-2": ("ungdc/un-general-debate-part2.txt.gz", "paragraph", "ungdc"),
    "ungdc-3": ("ungdc/un-general-debate-part3.txt.gz", "paragraph", "ungdc"),
    "ungdc-4": ("ungdc/un-general-debate-part4.txt.gz", "paragraph", "ungdc"),
    "gutenberg": ("gutenberg/gutenberg-subset.txt.gz", "paragraph", "gutenberg"),
    "wikinews": ("news/wikinews-2019-2020.txt.gz", "paragraph", "news"),
    "current-events": ("news/wikipedia-current-events-2025-2026.txt.gz", "line", "news"),
    "ntrex": ("news/ntrex-newstest2019-en.txt.gz", "line", "news"),
}
BENCHMARK_SOURCES = frozenset({"ntrex"})
"""Sources held out entirely for the benchmark."""
WIKINEWS_HELD_OUT_PERCENT = 20


class CorpusError(ValueError):
    """A corpus that cannot be read: missing, not a file, or not UTF-8 (one-line message)."""


def check_source(source: str, corpora: str | Path = CORPORA, flag: str = "--sources") -> None:
    """Raise :class:`CorpusError` unless ``source`` (a name of :data:`DEFAULT_SOURCES` under
    ``corpora``, or a text file) can be read; a file of one's own is also checked to be UTF-8
    from end to end.  ``flag`` is the option that names sources, for the message."""
    import codecs
    import gzip

    name, path, _, _ = source_spec(source, corpora)
    if source in DEFAULT_SOURCES and not Path(path).is_file():
        raise CorpusError(
            f"the corpus {name!r} is not here (no {path}): a fresh clone has no shared corpora; "
            f"train on your own text with {flag} my.txt (UTF-8, documents separated by blank lines), "
            f"or give --corpora the folder that holds them"
        )
    if source in DEFAULT_SOURCES:
        return
    if not Path(path).is_file():
        raise CorpusError(f"{path} is not a file: give {flag} text files (.txt or .txt.gz)")
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if path.endswith(".gz") else open
    read = 0
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            buffered = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                data = buffered + chunk
                raise CorpusError(
                    f"{path} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {read - len(buffered) + e.start}); "
                    f"convert it first, e.g. iconv -f latin1 -t utf-8 {path} > converted.txt"
                ) from None
            read += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CorpusError(f"{path} is not valid UTF-8 (it ends inside a character)") from None


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text`` that is the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def doc_id(source: str, index: int) -> str:
    """The id of a source's ``index``-th document (0-based, in file order)."""
    return f"{source}/{index}"


def is_benchmark_doc(source: str, doc_id: str) -> bool:
    """True for documents reserved for the benchmark: every NTREX line, and a fixed fifth of
    Wikinews articles (by a stable hash of their id).  They never enter training pairs."""
    if source in BENCHMARK_SOURCES:
        return True
    return source == "wikinews" and stable_hash(doc_id) % 100 < WIKINEWS_HELD_OUT_PERCENT


def read_documents(path: str | Path, sample_by: str = "paragraph") -> Iterator[str]:
    """A corpus file's documents in the order (and so with the indices) make_pairs gives them."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    parts = text.split("\n\n") if sample_by == "paragraph" else text.split("\n")
    yield from (p for p in parts if p)


def split_of(doc: str, validation_percent: float, test_percent: float) -> str:
    """``train``, ``validation`` or ``test`` for a document, by a stable hash of its id."""
    bucket = stable_hash("split:" + doc) % 10_000 / 100
    if bucket < test_percent:
        return "test"
    if bucket < test_percent + validation_percent:
        return "validation"
    return "train"


# --- units ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_CLAUSE_END = re.compile(r"[,;:]\s+")


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a paragraph (whitespace between them excluded)."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(paragraph.rstrip()):
        spans.append((start, len(paragraph.rstrip())))
    return [(s, e) for s, e in spans if paragraph[s:e].strip()]


def _size(text: str) -> tuple[int, int]:
    tokens = tokenize(text)
    return sum(t.is_word for t in tokens), len(tokens)


def _split_long(paragraph: str, start: int, end: int, max_words: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause punctuation if possible, else between words."""
    pieces = []
    while True:
        words, tokens = _size(paragraph[start:end])
        if words <= max_words and tokens <= max_tokens:
            pieces.append((start, end))
            return pieces
        toks = tokenize(paragraph[start:end])
        word_count, limit = 0, start
        for k, tok in enumerate(toks):  # the furthest token that keeps within both limits
            word_count += tok.is_word
            if word_count > max_words or k >= max_tokens:
                break
            limit = start + tok.end
        cut = None
        for m in _CLAUSE_END.finditer(paragraph, start, limit + 1):
            if m.start() - start > (limit - start) // 3:
                cut = m
        if cut is not None:
            cut_end, next_start = cut.start() + 1, cut.end()
        else:
            space = paragraph.rfind(" ", start, limit + 1)
            if space <= start:
                space = limit
            cut_end, next_start = space, space
            while next_start < end and paragraph[next_start].isspace():
                next_start += 1
        pieces.append((start, cut_end))
        start = next_start


def units(paragraph: str, max_words: int = 60, max_tokens: int = 100) -> list[str]:
    """Consecutive whole sentences of ``paragraph`` packed into units within both limits.

    Each unit is an exact slice of the paragraph; only the whitespace between units is lost.
    """
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(paragraph):
        sentences.extend(_split_long(paragraph, s, e, max_words, max_tokens))
    out: list[str] = []
    cur_start = cur_end = None
    cur_words = cur_tokens = 0
    for s, e in sentences:
        words, tokens = _size(paragraph[s:e])
        if cur_start is not None and cur_words + words <= max_words and cur_tokens + tokens <= max_tokens:
            cur_end, cur_words, cur_tokens = e, cur_words + words, cur_tokens + tokens
            continue
        if cur_start is not None:
            out.append(paragraph[cur_start:cur_end])
        cur_start, cur_end, cur_words, cur_tokens = s, e, words, tokens
    if cur_start is not None:
        out.append(paragraph[cur_start:cur_end])
    return out


# --- spinning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpinPlan:
    """How one unit is spun (``profile`` ``none``: left clean)."""

    profile: str
    rate: float
    seed: int


def parse_profile_mix(text: str) -> dict[str, float]:
    """``news=0.4,broad=0.3,...`` -> shares summing to 1, in the order given; only
    :data:`TRAINING_PROFILES` (a held-out profile would leak into the unseen suites)."""
    mix: dict[str, float] = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"profile_mix item {item!r} is not NAME=SHARE")
        if name not in TRAINING_PROFILES:
            raise ValueError(f"profile_mix: {name!r} is not a training profile ({', '.join(TRAINING_PROFILES)})")
        try:
            mix[name] = float(value)
        except ValueError:
            raise ValueError(f"profile_mix: share {value!r} of {name} is not a number") from None
        if mix[name] < 0:
            raise ValueError(f"profile_mix: share of {name} is negative")
    total = sum(mix.values())
    if not mix or total <= 0:
        raise ValueError("profile_mix needs at least one profile with a positive share")
    return {k: v / total for k, v in mix.items()}


def plan(doc: str, unit_index: int, unspun_share: float, mix: dict[str, float] | None = None) -> SpinPlan:
    """Profile (drawn from ``mix``, default :data:`PROFILE_MIX`) and rate per document, seed
    from the document id; some units stay clean."""
    mix = PROFILE_MIX if mix is None else mix
    seed = stable_hash("seed:" + doc) % 2**31
    if stable_hash(f"clean:{doc}:{unit_index}") % 10_000 < unspun_share * 10_000:
        return SpinPlan("none", 0.0, seed)
    u = stable_hash("profile:" + doc) % 10_000 / 10_000
    acc = 0.0
    profile = list(mix)[-1]
    for name, share in mix.items():
        acc += share
        if u < acc:
            profile = name
            break
    scale = RATE_SCALES[stable_hash("rate:" + doc) % len(RATE_SCALES)]
    return SpinPlan(profile, min(1.0, PROFILES[profile].rate * scale), seed)


# --- the pipeline -----------------------------------------------------------------------


@dataclass
class MakePairsArgs:
    """Command-line arguments of ``python -m training.make_pairs``."""

    output: str = field(default="data/pairs", metadata={"help": "folder for the DatasetDict (save_to_disk)"})
    sources: list[str] = field(
        default_factory=lambda: [s for s in DEFAULT_SOURCES if s not in BENCHMARK_SOURCES],
        metadata={"help": f"source names ({', '.join(DEFAULT_SOURCES)}) or paths of text files (.txt/.txt.gz)"},
    )
    corpora: str = field(default=str(CORPORA), metadata={"help": "folder holding the named sources' files"})
    max_words: int = field(default=3_000_000, metadata={"help": "total clean words to spin (0: everything)"})
    group_shares: str = field(
        default="news=0.2,ungdc=0.55,gutenberg=0.25",
        metadata={"help": "share of max_words per source group (a group short of words gives its rest away)"},
    )
    max_samples: int = field(default=0, metadata={"help": "stop after this many units (smoke runs; 0: no limit)"})
    unit_words: int = field(default=60, metadata={"help": "most words per training unit"})
    unit_tokens: int = field(default=100, metadata={"help": "most tokens (words and punctuation) per unit"})
    unspun_share: float = field(default=0.07, metadata={"help": "share of units left unspun"})
    profile_mix: str = field(
        default=",".join(f"{k}={v}" for k, v in PROFILE_MIX.items()),
        metadata={"help": f"spinner profiles and their shares of documents (of {', '.join(TRAINING_PROFILES)})"},
    )
    validation_percent: float = field(default=1.0, metadata={"help": "percent of documents for validation"})
    test_percent: float = field(default=1.0, metadata={"help": "percent of documents for test"})
    num_proc: int = field(default=2, metadata={"help": "worker processes for datasets.map"})
    seed: int = field(default=0, metadata={"help": "seed for sampling units"})

    def __post_init__(self):
        if isinstance(self.sources, str):
            self.sources = [s for s in self.sources.split(",") if s]
        for s in self.sources:
            if s not in DEFAULT_SOURCES and not Path(s).exists():
                raise ValueError(f"unknown source {s!r}: not one of {sorted(DEFAULT_SOURCES)} and not a file")
            check_source(s, self.corpora)
        if self.max_words < 0 or self.max_samples < 0:
            raise ValueError("max_words and max_samples must be >= 0")
        if not 0 <= self.unspun_share < 1:
            raise ValueError("unspun_share must be in [0, 1)")
        if self.num_proc < 1:
            raise ValueError("num_proc must be >= 1")
        self.shares = self.parse_shares(self.group_shares)
        self.mix = parse_profile_mix(self.profile_mix)

    @staticmethod
    def parse_shares(text: str) -> dict[str, float]:
        shares = {k: float(v) for k, v in (item.split("=") for item in text.split(",") if item)}
        total = sum(shares.values())
        return {k: v / total for k, v in shares.items()}


def source_spec(source: str, corpora: str | Path = CORPORA) -> tuple[str, str, str, str]:
    """``(name, path, sample_by, group)`` for a source name (under ``corpora``) or a file path."""
    if source in DEFAULT_SOURCES:
        rel, sample_by, group = DEFAULT_SOURCES[source]
        return source, str(Path(corpora) / rel), sample_by, group
    name = Path(source).name.split(".")[0]
    return name, source, "paragraph", name


def load_documents(name: str, path: str, sample_by: str, group: str):
    """One row per document: ``text``, ``source``, ``group``, ``doc_id``; benchmark docs dropped."""
    from datasets import load_dataset

    ds = load_dataset("text", data_files={"train": path}, sample_by=sample_by, split="train")
    ds = ds.map(
        lambda batch, idx: {
            "source": [name] * len(idx),
            "group": [group] * len(idx),
            "doc_id": [doc_id(name, i) for i in idx],
            "doc_words": [len(t.split()) for t in batch["text"]],
        },
        batched=True,
        with_indices=True,
        desc=f"ids {name}",
    )
    return ds.filter(lambda ex: not is_benchmark_doc(ex["source"], ex["doc_id"]), desc=f"held-out {name}")


def to_units(batch: dict, unit_words: int, unit_tokens: int) -> dict:
    """Batched map: documents -> units (``clean``, ``source``, ``group``, ``doc_id``, ``unit``, ``words``)."""
    out: dict[str, list] = {"clean": [], "source": [], "group": [], "doc_id": [], "unit": [], "words": []}
    for text, source, group, doc in zip(batch["text"], batch["source"], batch["group"], batch["doc_id"]):
        k = 0
        for paragraph in text.split("\n"):
            for unit in units(paragraph, unit_words, unit_tokens):
                out["clean"].append(unit)
                out["source"].append(source)
                out["group"].append(group)
                out["doc_id"].append(doc)
                out["unit"].append(k)
                out["words"].append(len(unit.split()))
                k += 1
    return out


def spin_unit(example: dict, unspun_share: float, validation_percent: float, test_percent: float,
              mix: dict[str, float] | None = None) -> dict:
    """Map: one unit -> its spun text, profile, rate, seed and split."""
    p = plan(example["doc_id"], example["unit"], unspun_share, mix)
    spun = example["clean"] if p.profile == "none" else spin(example["clean"], seed=p.seed, profile=p.profile, rate=p.rate)
    return {
        "spun": spun,
        "profile": p.profile,
        "rate": p.rate,
        "seed": p.seed,
        "split": split_of(example["doc_id"], validation_percent, test_percent),
    }


def allocate(available: dict[str, int], shares: dict[str, float], max_words: int) -> dict[str, int]:
    """Words to take per group: ``max_words`` split by ``shares``; what a small group cannot
    use goes to the others (groups without a share get nothing unless no group has one)."""
    shares = {g: shares.get(g, 0.0) for g in available}
    if sum(shares.values()) == 0:
        shares = {g: 1.0 for g in available}
    budget = {g: 0 for g in available}
    remaining, open_groups = max_words, {g: s for g, s in shares.items() if s > 0}
    while open_groups and remaining > 0:
        total = sum(open_groups.values())
        full = {g for g, s in open_groups.items() if available[g] <= remaining * s / total}
        if not full:
            for g, s in open_groups.items():
                budget[g] = int(remaining * s / total)
            break
        for g in full:
            budget[g] = available[g]
            remaining -= available[g]
            del open_groups[g]
    return budget


def thin_documents(docs: list, args: MakePairsArgs) -> list:
    """Keep a stable random share of each group's documents, about twice what its word budget
    needs, so that only those are cut into units (all documents if ``max_words`` is 0)."""
    if args.max_words == 0:
        return docs
    available: dict[str, int] = {}
    for ds in docs:
        group = ds[0]["group"] if len(ds) else None
        if group is not None:
            available[group] = available.get(group, 0) + int(sum(ds["doc_words"]))
    budget = allocate(available, args.shares, args.max_words)
    keep = {g: min(1.0, 2.0 * budget[g] / available[g]) if available[g] else 0.0 for g in available}
    return [
        ds.filter(
            lambda d, g: stable_hash("keep:" + d) % 10_000 < keep.get(g, 0.0) * 10_000,
            input_columns=["doc_id", "group"],
            desc="sample documents",
        )
        for ds in docs
    ]


def sample_budget(ds, args: MakePairsArgs):
    """Pick units at random up to each group's word budget (all units if ``max_words`` is 0)."""
    import numpy as np

    ds = ds.shuffle(seed=args.seed).flatten_indices()
    if args.max_words:
        groups = np.array(ds["group"])
        words = np.array(ds["words"])
        available = {str(g): int(words[groups == g].sum()) for g in np.unique(groups)}
        keep = np.zeros(len(ds), dtype=bool)
        for g, b in allocate(available, args.shares, args.max_words).items():
            idx = np.flatnonzero(groups == g)
            keep[idx[np.cumsum(words[idx]) <= b]] = True
        ds = ds.select(np.flatnonzero(keep))
    if args.max_samples:
        ds = ds.select(range(min(args.max_samples, len(ds))))
    return ds


def make_pairs(args: MakePairsArgs):
    """Run the pipeline and save a ``DatasetDict`` (train/validation/test) to ``args.output``."""
    from datasets import DatasetDict, concatenate_datasets

    started = time.time()
    unit_sets = []
    specs = [source_spec(source, args.corpora) for source in args.sources]
    documents = thin_documents([load_documents(*spec) for spec in specs], args)
    for (name, *_), docs in zip(specs, documents):
        unit_sets.append(
            docs.map(
                to_units,
                batched=True,
                batch_size=16,
                remove_columns=docs.column_names,
                fn_kwargs={"unit_words": args.unit_words, "unit_tokens": args.unit_tokens},
                num_proc=min(args.num_proc, max(1, len(docs))),
                desc=f"units {name}",
            )
        )
    all_units = sample_budget(concatenate_datasets(unit_sets), args)
    pairs = all_units.map(
        spin_unit,
        fn_kwargs={
            "unspun_share": args.unspun_share,
            "validation_percent": args.validation_percent,
            "test_percent": args.test_percent,
            "mix": args.mix,
        },
        num_proc=args.num_proc,
        desc="spin",
    )
    columns = ["spun", "clean", "profile", "rate", "seed", "source", "doc_id", "unit"]
    splits = DatasetDict(
        {
            name: pairs.filter(lambda s, n=name: s == n, input_columns="split", num_proc=args.num_proc).select_columns(columns)
            for name in ("train", "validation", "test")
        }
    )
    out = Path(args.output)
    splits.save_to_disk(str(out))
    stats = {
        "seconds": round(time.time() - started, 1),
        "units": {k: len(v) for k, v in splits.items()},
        "words": int(sum(all_units["words"])),
        "profiles": {p: int(c) for p, c in zip(*_counts(pairs["profile"]))},
        "args": {k: v for k, v in asdict(args).items()},
    }
    (out / "make_pairs.json").write_text(json.dumps(stats, indent=2))
    return splits, stats


def _counts(values: list[str]):
    import numpy as np

    return np.unique(np.array(values), return_counts=True)


def main(argv: list[str] | None = None) -> None:
    from transformers import HfArgumentParser

    try:
        (args,) = HfArgumentParser(MakePairsArgs).parse_args_into_dataclasses(args=argv)
    except ValueError as e:  # a bad value, or a corpus that cannot be read (CorpusError)
        raise SystemExit(f"training.make_pairs: error: {e}") from None
    _, stats = make_pairs(args)
    print(json.dumps({k: v for k, v in stats.items() if k != "args"}, indent=2))


if __name__ == "__main__":
    main()
