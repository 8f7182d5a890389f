"""Viterbi search over the readings of one unit: keep each word, or undo a spinner entry.

The benchmark's lexicon baseline proposes the edits of the best reading; the seq2seq editor
(``restore.model.editor``) uses whether a candidate lies on it, and :meth:`Decoder.fit`, as
features of the candidate's confidence.

Every token position has arcs: *keep* (the token as it is, scored log P(unchanged) plus a
keep bonus) and, for unprotected word tokens, one arc per clean phrase the inverted tables
offer for the spun words starting there (scored log P(spun | clean)).  A word-language-model
score over the emitted words decides between them; the state is the last two words.
Punctuation is invisible to the language model except ``.``, ``!`` and ``?``, which end a
sentence.  An ``a``/``an`` before a replaced word is corrected to agree with it, as the
spinner did in the other direction (``an enormous`` -> ``a massive``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from restore.edits import Edit, edit_kind
from restore.spin.articles import agree
from restore.candidates.channel import Channel, match_apostrophes, norm
from restore.candidates.trigram import BOS, EOS
from restore.text import Token

KEEP_BONUS = 2.5
"""Log-score bonus of keeping a word, as ``python -m benchmarks.systems.lexicon.tune`` picked it
(false edits on clean text under 1% for the lexicon baseline)."""
_SENTENCE_END = frozenset(".!?")
_ARTICLES = frozenset({"a", "an"})

State = tuple[str, str]  # (prev2, prev1)


@dataclass(frozen=True, slots=True)
class Arc:
    """Tokens ``[start, end)`` read as ``words``; ``changes`` are (first, stop, after) token edits."""

    start: int
    end: int
    words: tuple[str, ...]
    score: float
    changes: tuple[tuple[int, int, str], ...] = ()
    sentence_end: bool = False


class Decoder:
    """Finds the best reading of a unit under channel × language model; returns its edits."""

    def __init__(self, channel: Channel, lm, keep_bonus: float = KEEP_BONUS, beam: int = 8):
        self.channel = channel
        self.lm = lm
        self.keep_bonus = keep_bonus
        self.beam = beam

    # -- arcs -------------------------------------------------------------------------------
    def _arcs(self, text: str, tokens: list[Token], protected: list[bool]) -> list[list[Arc]]:
        n = len(tokens)
        keys = [norm(t.text) if t.is_word else None for t in tokens]
        free = [t.is_word and not p for t, p in zip(tokens, protected)]
        joinable = [
            i + 1 < n and _joinable(text[tokens[i].end : tokens[i + 1].start]) for i in range(n)
        ]
        starting: list[list[tuple[int, list]]] = [[] for _ in range(n)]
        for a, z, cands in self.channel.spans(text, tokens, free):
            starting[a].append((z, cands))
        arcs: list[list[Arc]] = [[] for _ in range(n)]
        for i in range(n - 1, -1, -1):
            tok = tokens[i]
            if not tok.is_word:
                arcs[i].append(Arc(i, i + 1, (), 0.0, sentence_end=tok.text in _SENTENCE_END))
                continue
            key = keys[i]
            if not free[i]:
                arcs[i].append(Arc(i, i + 1, (key,), 0.0))
                continue
            own = [Arc(i, i + 1, (key,), self.channel.keep_logp.get(key, 0.0) + self.keep_bonus)]
            for end, cands in starting[i]:
                for cand in cands:
                    own.append(Arc(i, end, cand.words, cand.logp, ((i, end, cand.source),)))
            if key in _ARTICLES and i + 1 < n and free[i + 1] and joinable[i]:
                own.extend(self._with_article(i, tok.text, own[0].score, arcs[i + 1]))
                own = [a for a in own if a.end != i + 1 or a.changes]  # the bare article is bundled
            arcs[i] = own
        return arcs

    @staticmethod
    def _with_article(i: int, article: str, keep_score: float, following: list[Arc]) -> list[Arc]:
        """Arcs reading the article ``tokens[i]`` (kept, or made to agree) with each arc of the next word."""
        out = []
        for a in following:
            replaced = a.changes and a.changes[0][0] == i + 1
            fixed = agree(article, a.changes[0][2].split()[0]) if replaced else article
            changes = a.changes if fixed == article else ((i, i + 1, fixed),) + a.changes
            out.append(Arc(i, a.end, (norm(fixed),) + a.words, keep_score + a.score, changes, a.sentence_end))
        return out

    # -- search -----------------------------------------------------------------------------
    def _advance(self, state: State, arc: Arc) -> tuple[float, State]:
        return self._read(state, arc.words, arc.score, arc.sentence_end)

    def _read(self, state: State, words, score: float, sentence_end: bool) -> tuple[float, State]:
        """``score`` plus the language model's log-prob of ``words`` after ``state`` (and of the
        sentence's end with ``sentence_end``), and the state after them."""
        p2, p1 = state
        lm = self.lm.logprob
        for w in words:
            score += lm(w, p1, p2)
            p2, p1 = p1, w
        if sentence_end and p1 != BOS:
            score += lm(EOS, p1, p2)
            p2, p1 = BOS, BOS
        return score, (p2, p1)

    def _search(self, arcs: list[list[Arc]]) -> list[tuple[Arc, State]]:
        """The best sequence of arcs through ``arcs``, each with the state before it."""
        n = len(arcs)
        read, beam, lm = self._read, self.beam, self.lm.logprob
        chart: list[dict[State, tuple[float, tuple | None]]] = [dict() for _ in range(n + 1)]
        chart[0][(BOS, BOS)] = (0.0, None)
        for i in range(n):
            states = chart[i]
            if not states:
                continue
            if len(states) > beam:
                states = dict(sorted(states.items(), key=lambda kv: -kv[1][0])[:beam])
            items = list(states.items())
            for arc in arcs[i]:
                target = chart[arc.end]
                words, arc_score, sentence_end = arc.words, arc.score, arc.sentence_end
                one = words[0] if len(words) == 1 and not sentence_end else None  # most arcs: inlined
                for state, (score, _) in items:
                    if one is not None:
                        total = score + (arc_score + lm(one, state[1], state[0]))
                        new_state = (state[1], one)
                    else:
                        gain, new_state = read(state, words, arc_score, sentence_end)
                        total = score + gain
                    old = target.get(new_state)
                    if old is None or total > old[0]:
                        target[new_state] = (total, (i, state, arc))
        final = chart[n]
        best_state = max(final, key=lambda s: final[s][0] + self._end_score(s))
        path: list[tuple[Arc, State]] = []
        pos, state = n, best_state
        while pos > 0:
            _, (prev_pos, prev_state, arc) = chart[pos][state]  # type: ignore[misc]
            path.append((arc, prev_state))
            pos, state = prev_pos, prev_state
        path.reverse()
        return path

    def best_path(self, text: str, tokens: list[Token], protected: list[bool]) -> list[tuple[Arc, float]]:
        """The best sequence of arcs, each with its margin over keeping its tokens instead."""
        arcs = self._arcs(text, tokens, protected)
        path = self._search(arcs)
        return [(arc, self._margin(arc, before, path, k, arcs)) for k, (arc, before) in enumerate(path)]

    def _end_score(self, state: State) -> float:
        return 0.0 if state[1] == BOS else self.lm.logprob(EOS, state[1], state[0])

    def _margin(self, arc: Arc, before: State, path, k: int, arcs: list[list[Arc]]) -> float:
        """Local log-odds of ``arc`` against keeping its tokens, with two words of right context."""
        if not arc.changes:
            return math.inf
        following = tuple(w for a, _ in path[k + 1 : k + 3] for w in a.words)[:2]
        pos = arc.start
        keep_words: list[str] = []
        keep_score = 0.0
        while pos < arc.end:  # the keep arcs of the same tokens (every position has one)
            a = next(a for a in arcs[pos] if not a.changes)
            keep_words.extend(a.words)
            keep_score += a.score
            pos = a.end
        keep = Arc(arc.start, arc.end, tuple(keep_words) + following, keep_score)
        chosen = Arc(arc.start, arc.end, arc.words + following, arc.score)
        return self._advance(before, chosen)[0] - self._advance(before, keep)[0]

    def chosen(self, text: str, tokens: list[Token], protected: list[bool]) -> set[tuple[int, int, str]]:
        """The replacements ``(first token, stop token, clean phrase)`` of the best reading."""
        return {change for arc, _ in self._search(self._arcs(text, tokens, protected)) for change in arc.changes}

    def fit(self, tokens: list[Token], a: int, z: int, words: tuple[str, ...] | list[str]) -> float:
        """How much better ``words`` (normalised) fit in place of tokens ``[a, z)`` than the
        tokens themselves: the language model's log-prob of them and the two words after,
        given the two words before (within the sentence), minus the same for the tokens."""
        return self.fits(tokens, a, z, [words])[0]

    def fits(self, tokens: list[Token], a: int, z: int, phrases: list) -> list[float]:
        """:meth:`fit` of each of ``phrases`` in place of the same tokens (their context read once)."""
        left: list[str] = []
        i = a - 1
        while i >= 0 and len(left) < 2 and tokens[i].text not in _SENTENCE_END:
            if tokens[i].is_word:
                left.insert(0, norm(tokens[i].text))
            i -= 1
        left = [BOS] * (2 - len(left)) + left
        right: list[str] = []
        i = z
        while i < len(tokens) and len(right) < 2 and tokens[i].text not in _SENTENCE_END:
            if tokens[i].is_word:
                right.append(norm(tokens[i].text))
            i += 1
        ends = i >= len(tokens) or len(right) < 2  # the sentence ends before two more words
        state = (left[0], left[1])
        read = self._read

        def score(phrase) -> float:
            return read(state, (*phrase, *right), 0.0, ends)[0]

        own = score([norm(t.text) for t in tokens[a:z]])
        return [score(words) - own for words in phrases]

    def propose(self, text: str, tokens: list[Token], protected: list[bool]) -> list[Edit]:
        """The edits of the best reading of ``text``, in its character offsets."""
        edits: list[Edit] = []
        for arc, margin in self.best_path(text, tokens, protected):
            for first, stop, after in arc.changes:
                start, end = tokens[first].start, tokens[stop - 1].end
                before = text[start:end]
                after = match_apostrophes(after, before, text)
                if after != before:
                    confidence = 1.0 / (1.0 + math.exp(-margin)) if margin < 50 else 1.0
                    edits.append(Edit(start, end, before, after, edit_kind(before, after), confidence))
        return edits


def _joinable(gap: str) -> bool:
    """One plain space: the only gap the spinner's phrases span (other whitespace stays as it is)."""
    return gap == " "
