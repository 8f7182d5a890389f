"""Word tokens with character offsets, and the spans a spinner never touches.

Shared by the spinner (what it may change), the restorer (what it must leave alone)
and the edit alignment (what counts as a word).  Every function here works on exact
character offsets into the original string, so nothing is ever re-joined or normalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# A word: letters/digits with inner apostrophes or hyphens (won't, won’t, long-term);
# anything else that is not whitespace is a one-character punctuation token.
_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*|[^\s]")
_URL = regex.compile(r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b|\b[\w-]+\.(?:com|org|net|gov|edu|io)\b\S*")
_NUMBER = regex.compile(r"[1-9]")  # the numbers spinners write for number words that news spells out
_BEFORE_NUMBER = frozenset("([{\"'“‘—–")  # what may stand just before a standalone number
_AFTER_NUMBER = frozenset(".,;:!?)]}\"'”’—–")  # ... and just after it
# Where news keeps a figure even for one to nine (dates, times, measures, ranges, labels), a
# digit is not a spun number word; see _figure_in_context.
_MONTHS = frozenset(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
_MEASURES = frozenset(
    "million billion trillion percent per cent am pm gmt utc inch inches feet foot ft mile miles mph km kph "
    "kilometre kilometres kilometer kilometers metre metres meter meters cm mm kg kilogram kilograms gram grams "
    "pound pounds lb lbs ton tons tonne tonnes degree degrees".split()
)
_AGES = frozenset("year years month months week weeks day days".split())
_RANGE_WORDS = frozenset(["to", "or", "and", "-", "–", "—"])
_SENTENCE_OPENERS = frozenset(".!?:;\"“‘'([{—–")
_DOUBLE_QUOTES = {"“": "”", "„": "“", "«": "»", "»": "«", '"': '"', "‘": "’"}
_QUOTE_MARK = regex.compile("[" + regex.escape("'" + "".join(_DOUBLE_QUOTES)) + "]")  # a mark that may open one
_INLINE_CODE = regex.compile(r"`[^`\r\n]+`")
_FENCE = regex.compile(r"[ \t]*(?:```|~~~)")
_CODE_KEYWORDS = (
    "if elif else for while def class return import from try except finally with switch case "
    "function var let const public private static void int float double char bool fn func"
)
_CODE_LINE = (
    # a statement opened by a keyword, holding an operator or a bracket, closed by a colon,
    # a brace or a semicolon (``if x > 2:``; not ``for example:``), or a bare ``else:``
    regex.compile(rf"^\s*(?:{'|'.join(_CODE_KEYWORDS.split())})\b.*[()\[\]=<>].*[:{{;]\s*$"),
    regex.compile(r"^\s*(?:else|try|finally|do)\s*[:{]\s*$"),
    # a line that is one call: ``print(x)``, ``obj.run();``
    regex.compile(r"^\s*[A-Za-z][\w.]*\([^()]*\)\s*;?\s*$"),
    # an assignment, comparison or arrow between spaces, with a name or figure on each side
    regex.compile(r"[\w)\]'\"]\s+(?:[-+*/%|&^]?=|==|!=|===|<=|>=|<|>|->|=>|:=|&&|\|\|)\s+[\w(\['\"-]"),
    # a call: a name (dotted) right before a bracket that holds quotes, brackets or a comma
    regex.compile(r"(?<![\w.])[A-Za-z][\w.]*\((?:[^()]*['\"\[,][^()]*|)\)"),
    # a block opened at the end of a line or closed at its start
    regex.compile(r"(?:\{\s*$|^\s*\})"),
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a text: ``text == source[start:end]``."""

    start: int
    end: int
    text: str

    @property
    def is_word(self) -> bool:
        """True for letter/digit tokens, False for punctuation."""
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word and punctuation tokens with exact character offsets."""
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans (inclusive of the marks) of quotations in ``text``.

    Double quotes of every common kind are paired left to right; a single curly ‘ opens a
    quotation only where it starts a word, so apostrophes (won’t, Russia’s) never do.
    An unclosed quotation runs to the end of its paragraph.  A straight single quote
    opens one only where it starts a word and a closing ``'`` (one that ends a word) follows
    in the same paragraph, so ``don't``, ``Russia's``, ``students'`` and ``'90s`` open none.
    """
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        mark = _QUOTE_MARK.search(text, i)  # no other character opens a quotation
        if mark is None:
            break
        i = mark.start()
        ch = text[i]
        if ch == "'":
            end = _single_quotation_end(text, i)
            if end is None:
                i += 1
            else:
                spans.append((i, end))
                i = end
            continue
        closer = _DOUBLE_QUOTES.get(ch)
        opens = closer is not None and (ch != "‘" or i == 0 or not text[i - 1].isalnum())
        if ch == "»" and not (i + 1 < n and text[i + 1].isalpha()):
            opens = False  # a closing French quote on its own
        if not opens:
            i += 1
            continue
        j = i + 1
        para_end = text.find("\n\n", i)
        limit = n if para_end == -1 else para_end
        while j < limit:
            if text[j] == closer and (closer != "’" or j + 1 >= n or not text[j + 1].isalnum()):
                break
            j += 1
        end = min(j + 1, limit)
        spans.append((i, end))
        i = end
    return spans


def _single_quotation_end(text: str, i: int) -> int | None:
    """The end of the quotation that the straight single quote at ``i`` opens, or None
    if it opens none: it must start a word (no letter or digit before it, none of
    whitespace after it) and a quote that ends a word must close it in the paragraph."""
    n = len(text)
    if (i > 0 and text[i - 1].isalnum()) or i + 1 >= n or text[i + 1].isspace() or text[i + 1] == "'":
        return None
    para_end = text.find("\n\n", i)
    limit = n if para_end == -1 else para_end
    j = text.find("'", i + 1, limit)
    while j != -1:
        if not text[j - 1].isspace() and (j + 1 >= n or not text[j + 1].isalnum()):
            return j + 1
        j = text.find("'", j + 1, limit)
    return None


def code_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of code: ``inline code`` between backticks, fenced blocks (from a line
    of three backticks or tildes to the closing fence, or to the end of ``text``), and
    lines that read as code (:func:`is_code_line`), each whole."""
    spans = [(m.start(), m.end()) for m in _INLINE_CODE.finditer(text)]
    fence: int | None = None  # start of an open fenced block
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        if _FENCE.match(body):
            if fence is None:
                fence = pos
            else:
                spans.append((fence, pos + len(body)))
                fence = None
        elif fence is None and is_code_line(body):
            spans.append((pos, pos + len(body)))
        pos += len(line)
    if fence is not None:
        spans.append((fence, len(text)))
    return sorted(spans)


def is_code_line(line: str) -> bool:
    """True if one line of text reads as program code rather than prose: a statement
    opened by a keyword and closed by ``:``, ``{`` or ``;`` (``if x > 2:``), an assignment or
    comparison between spaces (``x = 3 + 4``), a call with quoted or bracketed arguments
    (``replace('mentioned', 'said')``) or a line that is one call (``print(x)``), or a block
    opened at the end of a line or closed at its start (``{``, ``}``)."""
    return any(pattern.search(line) for pattern in _CODE_LINE)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of URLs, e-mail addresses and bare domain names."""
    return [(m.start(), m.end()) for m in _URL.finditer(text)]


def is_protected_word(token: Token) -> bool:
    """Capitalised words, words with digits and all-caps acronyms are never spun."""
    t = token.text
    return (not token.is_word) or t[0].isupper() or any(c.isdigit() for c in t) or (
        len(t) > 1 and t.isupper()
    )


def protected_mask(text: str, tokens: list[Token] | None = None) -> list[bool]:
    """For each token of ``text``, True where a spinner would leave it alone.

    A token is protected when it is punctuation, capitalised, contains a digit, or lies
    inside a quotation, a URL or code (:func:`code_spans`).  A standalone digit from 1 to 9 (``2 people``, not ``2.5``,
    ``$2``, ``2%`` or ``2:30``) is not: spinners write number words as digits (``two`` →
    ``2``), so a restorer must be free to write them back.  News spells out one to nine and
    writes larger numbers in digits, so ``20`` stays protected although spinners write it
    for ``twenty`` too, and so do dates, times, measures, ranges and labels, where news
    writes figures for small numbers as well (``June 2``, ``7 a.m.``, ``2 to 4 inches``,
    ``Day 3``).  No spinner table has a number among its entries, so the spinner
    still never changes one.
    """
    tokens = tokenize(text) if tokens is None else tokens
    blocked = sorted(quoted_spans(text) + url_spans(text) + code_spans(text))
    mask: list[bool] = []
    k = 0
    for tok in tokens:
        while k < len(blocked) and blocked[k][1] <= tok.start:
            k += 1
        inside = k < len(blocked) and blocked[k][0] <= tok.start < blocked[k][1]
        mask.append(inside or (is_protected_word(tok) and not _spun_number(text, tokens, len(mask))))
    return mask


def _spun_number(text: str, tokens: list[Token], k: int) -> bool:
    """True if token ``k`` may be a number word a spinner wrote as a digit: a standalone
    number of :data:`_NUMBER` (:func:`_standalone_number`) outside the contexts where news
    writes figures anyway (:func:`_figure_in_context`)."""
    return _standalone_number(text, tokens[k]) and not _figure_in_context(tokens, k)


def _standalone_number(text: str, token: Token) -> bool:
    """True for a number of :data:`_NUMBER` that stands as a word of its own: spaced or
    bracketed, not part of a figure (``2.5``, ``3,000``, ``$2``, ``2%``, ``10:30``)."""
    if not _NUMBER.fullmatch(token.text):
        return False
    before = text[token.start - 1] if token.start else " "
    after = text[token.end] if token.end < len(text) else " "
    if not (before.isspace() or before in _BEFORE_NUMBER):
        return False
    if after.isspace():
        return True
    if after not in _AFTER_NUMBER:
        return False
    beyond = text[token.end + 1] if token.end + 1 < len(text) else " "
    return not beyond.isdigit()


def _figure_in_context(tokens: list[Token], k: int) -> bool:
    """True where news style keeps a figure for a number of one to nine, judged by the words
    around token ``k``: a date (``June 2``, ``Aug. 7``), a time or measure (``7 a.m.``,
    ``4 inches``, ``5 million``, ``6 years old``), a range (``2 to 4``, ``1-2``), or a label
    after a capitalised word inside a sentence (``Day 3``, ``Channel 5``)."""
    at = lambda i: tokens[i].text if 0 <= i < len(tokens) else ""  # noqa: E731
    previous, following = at(k - 1), at(k + 1)
    if previous in _MONTHS or (previous == "." and at(k - 2) in _MONTHS):
        return True
    if following.lower() in _MEASURES or (following.lower() in ("a", "p") and at(k + 2) == "."):
        return True
    if following.lower() in _AGES and at(k + 2).lower() == "old":
        return True
    if (following in _RANGE_WORDS and at(k + 2).isdigit()) or (previous in _RANGE_WORDS and at(k - 2).isdigit()):
        return True
    return k >= 2 and tokens[k - 1].is_word and previous[:1].isupper() and at(k - 2) not in _SENTENCE_OPENERS
