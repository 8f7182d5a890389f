"""Benchmark suites: deterministic, versioned lists of (id, spun source, clean reference).

Built from the shared data folder (``--shared``; by default ``../shared`` beside the repository,
then ``/work/shared``), never from anything that enters training:

- ``news-unseen``: held-out news paragraphs (NTREX-128 newstest2019 sentences grouped three by
  three, plus the Wikinews documents that ``training.make_pairs`` keeps out of training), spun
  with ``heldout``, a profile built to resemble a commercial spinner from resources that no
  training pair, candidate table or calibration uses (:mod:`training.heldout`): the headline.
- ``news-unseen-moby``: the same paragraphs spun with ``moby`` (loose Moby senses; also unseen,
  and harder: few of its substitutions are in any table of ours).
- ``news``: the same paragraphs spun with the default ``news`` profile, which training uses.
- ``tortured``: held-out sentences (then others) containing an ``expected`` phrase of the
  Problematic Paper Screener list (``pps-dev.tsv``, n_papers ≥ 1) that training uses, with that
  phrase replaced by its real tortured form (case-sensitive, whole words; a seeded choice among
  its forms, at most :data:`PER_PHRASE` sentences per phrase).
- ``tortured-unseen``: the same with the phrases the list holds out of training, tables and
  calibration (:func:`training.heldout.is_heldout_phrase`).
- ``clean``: other held-out news paragraphs, unspun (reference = source): false edits.
- ``clean-speeches``, ``clean-fiction``: unspun paragraphs of UN General Debate speeches and
  Gutenberg books from documents of ``training.make_pairs``'s test split (never trained on).
- ``seed``: the real spun article(s) in ``seeds/``; no reference (words changed are reported).

Every spun item carries its gold spans (``Item.gold``: where in the source the spinner changed
words, and the clean words), from which the report counts reachability and
``benchmarks.diagnose`` sorts the misses.

``quick`` suites are prefixes of the full ones.  Bump :data:`VERSION` whenever what a suite
holds changes; each suite's signature also carries a hash of its content, so a change in the
spinner's tables shows up there.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from benchmarks.spans import gold_span

REPO_ROOT = Path(__file__).resolve().parents[1]
VERSION = 2
SEED = 2019
SUITE_NAMES = ("news-unseen", "news-unseen-moby", "news", "tortured-unseen", "tortured", "clean",
               "clean-speeches", "clean-fiction", "seed")
SIZES = {
    "quick": {"news-unseen": 50, "news-unseen-moby": 50, "news": 50, "tortured-unseen": 50, "tortured": 50,
              "clean": 50, "clean-speeches": 25, "clean-fiction": 25},
    "full": {"news-unseen": 300, "news-unseen-moby": 300, "news": 300, "tortured-unseen": 300, "tortured": 300,
             "clean": 200, "clean-speeches": 100, "clean-fiction": 100},
}
SPUN_PROFILES = {"news-unseen": "heldout", "news-unseen-moby": "moby", "news": "news"}
"""The spun news suites and the spinner profile of each."""
NEWS_PROFILE = SPUN_PROFILES["news"]
PER_PHRASE = 3
PARAGRAPH_WORDS = (15, 150)
NTREX = "corpora/news/ntrex-newstest2019-en.txt.gz"
WIKINEWS = "corpora/news/wikinews-2019-2020.txt.gz"
OTHER_SENTENCES = ("corpora/news/wikipedia-current-events-2025-2026.txt.gz",)
UN_SPEECHES = "corpora/ungdc/un-general-debate-part4.txt.gz"
PPS = "tortured-phrases/pps-dev.tsv"


Gold = tuple[tuple[int, int, str], ...]
"""Spun spans of an item: (start, end) in its source and the clean words they replaced."""


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of a suite: ``reference`` is None where no clean original exists; ``gold``, where
    known, every span of ``source`` that was spun and its clean words (words a span shares with
    its clean side at its edges left out, as :func:`gold_span` does)."""

    id: str
    source: str
    reference: str | None
    gold: Gold | None = None


@dataclass
class Suite:
    """A named list of items and what it was built from (goes into its signature)."""

    name: str
    items: list[Item]
    params: dict = field(default_factory=dict)
    version: int = VERSION

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for it in self.items:
            h.update(json.dumps([it.id, it.source, it.reference], ensure_ascii=False).encode())
        return h.hexdigest()[:10]

    @property
    def words(self) -> int:
        return sum(len(it.source.split()) for it in self.items)

    def signature(self) -> str:
        parts = [f"suite:{self.name}", f"v:{self.version}"]
        parts += [f"{k}:{v}" for k, v in self.params.items()]
        parts += [f"n:{len(self.items)}", f"hash:{self.content_hash}"]
        return "|".join(parts)


def shared_roots() -> list[Path]:
    """Where the shared data folder is looked for, in order: ``$RESTORE_SHARED``, ``../shared``
    beside the repository, ``/work/shared``."""
    return [Path(c) for c in (os.environ.get("RESTORE_SHARED"), REPO_ROOT.parent / "shared", "/work/shared") if c]


def shared_dir(path: str | os.PathLike | None = None) -> Path:
    """The shared data folder: ``path``, else the first of :func:`shared_roots` that holds the data."""
    candidates = [path] if path else shared_roots()
    for c in candidates:
        if c and (Path(c) / NTREX).is_file():
            return Path(c)
    raise FileNotFoundError(
        f"no shared data folder (with {NTREX}) at {', '.join(str(c) for c in candidates if c)}; "
        "pass --shared PATH"
    )


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith((".", "!", "?", '"', "”", "’", "'", ")"))


def _ntrex_paragraphs(shared: Path) -> list[tuple[str, str]]:
    """NTREX sentences grouped three by three into pseudo-paragraphs; headlines start a new group."""
    out: list[tuple[str, str]] = []
    group: list[str] = []
    start = 0

    def flush():
        if group:
            out.append((f"ntrex:{start}", " ".join(group)))
            group.clear()

    for k, line in enumerate(_lines(shared / NTREX)):
        if not line.strip() or not _ends_sentence(line):  # a headline: a new story starts
            flush()
            continue
        if not group:
            start = k
        group.append(line.strip())
        if len(group) == 3:
            flush()
    flush()
    return out


def _wikinews_docs(shared: Path) -> list[tuple[str, list[str], bool]]:
    """(doc id, paragraphs with the title first, held out?) for every Wikinews document, with
    the ids and the held-out rule of ``training.make_pairs``."""
    from training.make_pairs import doc_id, is_benchmark_doc, read_documents

    docs = []
    for k, doc in enumerate(read_documents(shared / WIKINEWS, "paragraph")):
        did = doc_id("wikinews", k)
        docs.append((did, [p.strip() for p in doc.split("\n") if p.strip()], is_benchmark_doc("wikinews", did)))
    return docs


def _heldout_wikinews(shared: Path) -> list[tuple[str, str]]:
    """Paragraphs (not titles) of the Wikinews documents held out of training."""
    return [
        (f"{did}:{k}", p)
        for did, paragraphs, heldout in _wikinews_docs(shared)
        if heldout
        for k, p in enumerate(paragraphs[1:], start=1)
    ]


def heldout_paragraphs(shared: Path) -> list[tuple[str, str]]:
    """All held-out news paragraphs of a usable length, in a fixed shuffled order."""
    lo, hi = PARAGRAPH_WORDS
    pool = [(i, p) for i, p in _ntrex_paragraphs(shared) + _heldout_wikinews(shared) if lo <= len(p.split()) <= hi]
    random.Random(SEED).shuffle(pool)
    return pool


def dev_paragraphs(shared: Path) -> list[tuple[str, str]]:
    """Held-out news paragraphs that no suite holds, for choosing settings (``training.calibrate
    --dev_news``), never for scores: the pool after the full news suites' and ``clean`` suite's
    paragraphs, less any holding a sentence of the ``tortured`` or ``tortured-unseen`` suite.
    Same sources as the news suites, so what is chosen on them carries over; other paragraphs of
    a story may be scored."""
    pool = heldout_paragraphs(shared)
    tortured = [it.reference for held_out in (False, True)
                for it in _tortured_suite(shared, SIZES["full"]["tortured"], held_out).items]
    start = SIZES["full"]["news"] + SIZES["full"]["clean"]
    return [(i, p) for i, p in pool[start:] if not any(t in p for t in tortured)]


def spun_item(item_id: str, clean: str, seed: int, profile: str) -> Item:
    """``clean`` spun with ``profile`` and ``seed``, with its gold spans."""
    from restore.spin import spin

    result = spin(clean, seed=seed, profile=profile, return_spans=True)
    gold = tuple(gold_span(result.text, s.spun_start, s.spun_end, s.clean) for s in result.spans)
    return Item(item_id, result.text, clean, gold)


def _spun_suite(name: str, pool: list[tuple[str, str]], n: int, profile: str) -> Suite:
    items = [spun_item(i, p, SEED + k, profile) for k, (i, p) in enumerate(pool[:n])]
    return Suite(name, items, {"profile": profile, "seed": SEED})


def _sentences(shared: Path) -> Iterator[tuple[str, str]]:
    """Candidate sentences for the tortured suite: held-out news first, then other corpora."""
    from restore.segment import sentence_spans

    yield from ((f"ntrex:{k}", s.strip()) for k, s in enumerate(_lines(shared / NTREX)) if s.strip())
    heldout = _heldout_wikinews(shared)
    for pid, paragraph in heldout:
        yield from ((f"{pid}:{a}", paragraph[a:b]) for a, b in sentence_spans(paragraph))
    for rel in OTHER_SENTENCES:
        stem = Path(rel).name.split("-")[0]
        yield from ((f"{stem}:{k}", s.strip()) for k, s in enumerate(_lines(shared / rel)) if s.strip())
    for did, paragraphs, held_out in _wikinews_docs(shared):
        if not held_out:
            for k, p in enumerate(paragraphs[1:], start=1):
                yield from ((f"{did}:{k}:{a}", p[a:b]) for a, b in sentence_spans(p))
    with gzip.open(shared / UN_SPEECHES, "rt", encoding="utf-8") as f:
        for k, p in enumerate(f):
            yield from ((f"ungdc4:{k}:{a}", p[a:b]) for a, b in sentence_spans(p))


def tortured_phrases(shared: Path, held_out: bool = False) -> dict[str, list[str]]:
    """expected phrase -> its tortured forms (n_papers ≥ 1), most frequent first: the phrases
    training may use, or with ``held_out`` only those it never sees
    (:func:`training.heldout.is_heldout_phrase`)."""
    from training.heldout import is_heldout_phrase

    forms: dict[str, list[tuple[int, str]]] = {}
    with open(shared / PPS, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            n = int(row["n_papers"]) if (row["n_papers"] or "").strip().isdigit() else 0
            expected, tortured = row["expected"].strip(), row["tortured"].strip()
            if is_heldout_phrase(expected) != held_out:
                continue
            if n >= 1 and expected and tortured and expected != tortured:
                forms.setdefault(expected, []).append((n, tortured))
    return {e: [t for _, t in sorted(v, key=lambda x: (-x[0], x[1]))] for e, v in forms.items()}


def _find(sentence: str, phrase: str, start: int = 0) -> int:
    """Start of the first whole-word occurrence of ``phrase`` in ``sentence`` from ``start``, or -1."""
    start = sentence.find(phrase, start)
    while start != -1:
        end = start + len(phrase)
        before = sentence[start - 1] if start else " "
        after = sentence[end] if end < len(sentence) else " "
        if not (before.isalnum() or before in "-_'’") and not (after.isalnum() or after in "-_"):
            return start
        start = sentence.find(phrase, start + 1)
    return -1


def torture(sentence: str, expected: str, tortured: str) -> str:
    """``sentence`` with every whole-word occurrence of ``expected`` replaced by ``tortured``."""
    return torture_with_spans(sentence, expected, tortured)[0]


def torture_with_spans(sentence: str, expected: str, tortured: str) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """:func:`torture`, and the gold spans of the result (:func:`benchmarks.spans.gold_span`)."""
    out, spans, pos, length = [], [], 0, 0
    hit = _find(sentence, expected)
    while hit >= 0:
        out += [sentence[pos:hit], tortured]
        length += hit - pos
        spans.append((length, length + len(tortured)))
        length += len(tortured)
        pos = hit + len(expected)
        hit = _find(sentence, expected, pos)
    text = "".join(out) + sentence[pos:]
    return text, tuple(gold_span(text, a, z, expected) for a, z in spans)


def tortured_items(sentences: Iterable[tuple[str, str]], phrases: dict[str, list[str]], n: int, seed: int) -> list[Item]:
    """Up to ``n`` items: the first sentences holding an expected phrase (at most
    :data:`PER_PHRASE` per phrase), that phrase replaced by a seeded choice of its tortured forms."""
    by_word: dict[str, list[str]] = {}
    for expected in sorted(phrases, key=lambda e: (-len(e), e)):  # longest phrase first
        by_word.setdefault(expected.split()[0], []).append(expected)
    rng = random.Random(seed)
    used: dict[str, int] = {}
    items: list[Item] = []
    for sid, sentence in sentences:
        if len(items) >= n:
            break
        words = dict.fromkeys(sentence.replace("(", " ").split())  # in order: deterministic
        for expected in (e for w in words if w in by_word for e in by_word[w]):
            if used.get(expected, 0) >= PER_PHRASE or _find(sentence, expected) < 0:
                continue
            used[expected] = used.get(expected, 0) + 1
            source, gold = torture_with_spans(sentence, expected, rng.choice(phrases[expected]))
            items.append(Item(f"{sid}|{expected}", source, sentence, gold))
            break
    return items


def _tortured_suite(shared: Path, n: int, held_out: bool = False) -> Suite:
    from training.heldout import TORTURED_HELD_OUT_PERCENT

    items = tortured_items(_sentences(shared), tortured_phrases(shared, held_out), n, SEED)
    name = "tortured-unseen" if held_out else "tortured"
    return Suite(name, items, {"list": "pps-dev", "held_out": f"{TORTURED_HELD_OUT_PERCENT}%" if held_out else "no",
                               "min_papers": 1, "per_phrase": PER_PHRASE, "seed": SEED})


def _test_split_paragraphs(shared: Path, source: str, n: int) -> list[tuple[str, str]]:
    """Up to ``n`` paragraphs of a usable length from documents of ``training.make_pairs``'s test
    split of ``source`` (one of its default sources): as many from each document, spread over
    it, then in a fixed shuffled order."""
    from training.make_pairs import DEFAULT_SOURCES, MakePairsArgs, doc_id, read_documents, split_of

    rel, sample_by, _ = DEFAULT_SOURCES[source]
    lo, hi = PARAGRAPH_WORDS
    docs = []
    for k, doc in enumerate(read_documents(shared / "corpora" / rel, sample_by)):
        did = doc_id(source, k)
        if split_of(did, MakePairsArgs.validation_percent, MakePairsArgs.test_percent) == "test":
            docs.append([(f"{did}:{j}", p.strip()) for j, p in enumerate(doc.split("\n")) if lo <= len(p.split()) <= hi])
    share = -(-n // max(1, len(docs)))
    pool = [item for paragraphs in docs
            for item in paragraphs[:: max(1, len(paragraphs) // share)][:share]]
    random.Random(SEED).shuffle(pool)
    return pool[:n]


def _seed_suite() -> Suite:
    files = sorted((REPO_ROOT / "seeds").glob("*.txt"))
    items = [Item(f.stem, f.read_text(encoding="utf-8"), None) for f in files]
    return Suite("seed", items, {"files": len(files)})


def build_suites(
    names: list[str] | tuple[str, ...] = SUITE_NAMES, quick: bool = False, shared: str | os.PathLike | None = None
) -> list[Suite]:
    """Build the named suites (``quick``: the small prefix of each)."""
    unknown = set(names) - set(SUITE_NAMES)
    if unknown:
        raise ValueError(f"unknown suite(s) {sorted(unknown)}; choose from {list(SUITE_NAMES)}")
    sizes = SIZES["quick" if quick else "full"]
    needs_data = any(n != "seed" for n in names)
    root = shared_dir(shared) if needs_data else None
    pool = heldout_paragraphs(root) if root is not None else []
    n_news = SIZES["full"]["news"]
    suites: list[Suite] = []
    for name in names:
        if name in SPUN_PROFILES:
            suites.append(_spun_suite(name, pool, sizes[name], SPUN_PROFILES[name]))
        elif name in CLEAN_REGISTERS:
            source = CLEAN_REGISTERS[name]
            items = [Item(i, p, p, ()) for i, p in _test_split_paragraphs(root, source, sizes[name])]  # type: ignore[arg-type]
            suites.append(Suite(name, items, {"profile": "none", "source": source, "split": "test"}))
        elif name == "clean":
            rest = pool[n_news:] if len(pool) >= n_news + sizes[name] else pool
            items = [Item(i, p, p, ()) for i, p in rest[: sizes[name]]]
            suites.append(Suite(name, items, {"profile": "none"}))
        elif name in ("tortured", "tortured-unseen"):
            suites.append(_tortured_suite(root, sizes[name], name == "tortured-unseen"))  # type: ignore[arg-type]
        else:
            suites.append(_seed_suite())
    for s in suites:
        s.params["size"] = "quick" if quick else "full"
    return suites


CLEAN_REGISTERS = {"clean-speeches": "ungdc-4", "clean-fiction": "gutenberg"}
"""The unspun suites of other registers and the ``training.make_pairs`` source of each."""


def load_suites_file(path: str | os.PathLike) -> list[Suite]:
    """Suites from a JSON-lines file of ``{"suite", "id", "source", "reference"}`` records
    (used by the tests' tiny fixture; ``reference`` may be null; an optional ``gold`` is a list of
    [start, end, clean] spun spans)."""
    suites: dict[str, Suite] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                suite = suites.setdefault(r["suite"], Suite(r["suite"], [], {"file": Path(path).name}))
                gold = r.get("gold")
                suite.items.append(Item(r["id"], r["source"], r.get("reference"),
                                        None if gold is None else tuple((a, z, c) for a, z, c in gold)))
    return list(suites.values())
