"""Cut a text into units an editor can take: paragraphs, then sentences, then word windows.

Every span is a pair of exact character offsets into the original text, so nothing is ever
re-joined: the restorer applies edits to the original and everything outside an edit comes
back byte-identical.  Spans never start or end in whitespace and never cut inside a token
of :func:`restore.text.tokenize`; text between spans (whitespace only) belongs to no unit.

- Paragraphs end at a blank line (two or more line breaks, ``\\r\\n`` counting as one, with
  only whitespace between them) or at U+2029.
- Sentences end after ``.``, ``!``, ``?``, ``…`` or ``...`` (and any closing quotes or
  brackets) followed by whitespace and a word that does not start in lower case, except
  after titles and other known abbreviations (``Mr.``, ``Jan.``, ``No.``), upper-case
  initialisms (``U.S.``, ``D.C.``) and single initials (``John F. Kennedy``).  A line break
  also ends a sentence unless the next line starts in lower case (a hard-wrapped line).
- A sentence longer than ``max_words`` words (or ``max_chars`` characters) is cut into
  windows, preferably after a comma, semicolon, colon or dash, and at whitespace.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import regex

from restore.text import Token, tokenize

_WHITESPACE = regex.compile(r"\s+")  # whitespace as restore.text.tokenize sees it
_NON_SPACE = regex.compile(r"\S")
_LINE_BREAK = regex.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028]")
# End of a sentence: terminal punctuation, closing quotes/brackets, then whitespace.
_SENTENCE_END = regex.compile(r"(?:\.(?:[ \t]?\.){2,}|[.!?…‽]+)[\"'”’»)\]]*(?=\s)")
_CLAUSE_PUNCT = frozenset(",;:—–")
# Lower-case forms of abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sr st gen gov sen rep lt col capt sgt maj adm rev hon pres supt
    cmdr cpl pvt insp det messrs mme mlle
    no nos vs v fig figs vol vols pp cf approx dept est al ft mt
    inc corp ltd co bros
    jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)
_UPPER_INITIALISM = regex.compile(r"(?:\p{Lu}\.)+\p{Lu}|\p{Lu}")


@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of text for the editor: ``text[start:end]`` of the original."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph ``text[start:end]``, its units in order, and its tokens.

    ``tokens`` is ``tokenize(text[start:end])``: offsets relative to the paragraph.  A
    unit's tokens are the paragraph tokens that lie inside it (a unit starts and ends on
    token boundaries, so tokenizing the unit's text alone gives the same tokens).
    """

    start: int
    end: int
    units: tuple[Unit, ...]
    tokens: tuple[Token, ...]


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs of ``text``, without their surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start: int | None = None  # start of the open paragraph
    pos = 0  # end of the previous whitespace run
    for m in _WHITESPACE.finditer(text):
        if m.start() > pos and start is None:
            start = pos
        if start is not None and (_is_paragraph_break(m.group()) or m.end() == len(text)):
            spans.append((start, m.start()))
            start = None
        pos = m.end()
    if pos < len(text):
        spans.append((pos if start is None else start, len(text)))
    return spans


def _is_paragraph_break(whitespace: str) -> bool:
    return "\u2029" in whitespace or len(_LINE_BREAK.findall(whitespace)) >= 2


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]`` (one paragraph), in original offsets."""
    end = len(text) if end is None else end
    cuts: list[tuple[int, int]] = []  # (end of the sentence before, start of the next)
    for m in _SENTENCE_END.finditer(text, start, end):
        gap = _WHITESPACE.match(text, m.end(), end)
        if gap is None or gap.end() >= end:
            continue
        if _starts_lower(text[gap.end()]) or _is_abbreviation(text, start, m):
            continue
        cuts.append((m.end(), gap.end()))
    for m in _WHITESPACE.finditer(text, start, end):
        if m.end() < end and _LINE_BREAK.search(m.group()) and not _starts_lower(text[m.end()]):
            cuts.append((m.start(), m.end()))
    spans: list[tuple[int, int]] = []
    pos = start
    for left_end, right_start in sorted(set(cuts)):
        if left_end > pos:
            spans.append((pos, left_end))
        pos = max(pos, right_start)
    spans.append((pos, end))
    return [_strip(text, a, b) for a, b in spans if _NON_SPACE.search(text, a, b)]


def segment(text: str, max_words: int, max_chars: int | None = None) -> list[Paragraph]:
    """Paragraphs of ``text``, each cut into units of at most ``max_words`` word tokens.

    ``max_chars`` (default ``16 * max_words``) also bounds a unit's length, so a run of
    very long tokens cannot make an oversized unit; a single token longer than that
    becomes a unit of its own.
    """
    if max_words < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}")
    max_chars = 16 * max_words if max_chars is None else max_chars
    paragraphs: list[Paragraph] = []
    for p_start, p_end in paragraph_spans(text):
        tokens = tokenize(text[p_start:p_end])
        starts = [t.start for t in tokens]
        units: list[Unit] = []
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            lo = bisect.bisect_left(starts, s_start - p_start)
            hi = bisect.bisect_left(starts, s_end - p_start)
            units.extend(_windows(tokens[lo:hi], p_start, max_words, max_chars))
        paragraphs.append(Paragraph(p_start, p_end, tuple(units), tuple(tokens)))
    return paragraphs


def units(text: str, max_words: int, max_chars: int | None = None) -> list[Unit]:
    """All units of ``text`` in order (see :func:`segment`)."""
    return [u for p in segment(text, max_words, max_chars) for u in p.units]


def _windows(tokens: list[Token], offset: int, max_words: int, max_chars: int) -> list[Unit]:
    """Cut a sentence's tokens (at ``offset`` in the text) into units within the limits."""
    out: list[Unit] = []
    pos, n = 0, len(tokens)
    while pos < n:
        end, words = pos, 0
        while end < n:
            words += tokens[end].is_word
            if words > max_words or tokens[end].end - tokens[pos].start > max_chars:
                break
            end += 1
        if end < n:
            end = _best_cut(tokens, pos, end)
        out.append(Unit(tokens[pos].start + offset, tokens[end - 1].end + offset))
        pos = end
    return out


def _best_cut(tokens: list[Token], pos: int, end: int) -> int:
    """Where to cut ``tokens[pos:]`` so that ``tokens[pos:cut]`` fits (``cut <= end``).

    The latest cut after clause punctuation in the second half of the window, else the
    latest cut at whitespace, else ``end`` itself (at least one token always goes).
    """
    if end <= pos:
        return pos + 1

    def at_space(cut: int) -> bool:
        return tokens[cut].start > tokens[cut - 1].end

    for cut in range(end, pos + max(1, (end - pos) // 2) - 1, -1):
        if at_space(cut) and tokens[cut - 1].text in _CLAUSE_PUNCT:
            return cut
    for cut in range(end, pos, -1):
        if at_space(cut):
            return cut
    return end


def _starts_lower(ch: str) -> bool:
    return ch.islower()


def _is_abbreviation(text: str, start: int, m: regex.Match) -> bool:
    """True if the single full stop matched by ``m`` closes an abbreviation, not a sentence."""
    if m.group() != ".":
        return False
    word_start = m.start()
    while word_start > start and not _WHITESPACE.match(text[word_start - 1]):
        word_start -= 1
    word = text[word_start : m.start()].lstrip("\"'“‘«([")
    return word.lower() in ABBREVIATIONS or _UPPER_INITIALISM.fullmatch(word) is not None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    first = _NON_SPACE.search(text, start, end)
    while end > start and _WHITESPACE.match(text[end - 1]):
        end -= 1
    return (first.start() if first else end), end
