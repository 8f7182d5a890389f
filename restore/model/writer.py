"""The decoder's side of :class:`restore.model.editor.Seq2SeqEditor`: it writes replacements.

On the encoder states of a batch the tagger has just read:

* :meth:`SpanWriter.greedy` writes the decoder's own replacement of every span the tagger
  tagged (edits with ``source="generated"``);
* :meth:`SpanWriter.nbest` gives the decoder's N likeliest replacements of every run of words
  the candidates' bar doubts (beam search), which join the table candidates.

In the echo format (config ``echo_spans``) each span's words are forced after its marker
(:class:`restore.model.echo.EchoSpans`) and the replacement follows ``<sep>``.  The network and
its tokenizer are asked for only when there is something to write: with the shipped settings
(``keep_threshold`` 0, ``nbest`` 0), never, so neither torch nor transformers is imported.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from restore.candidates.channel import norm
from restore.candidates.features import UnitView
from restore.edits import Edit
from restore.model.encoding import SubwordEncoder, as_tensor, first_subwords, subword_span_ids
from restore.model.formulation import KEEP, MARKERS, SEP, Span, edits_from_spans, free_tokens, spans_from_tags
from restore.text import tokenize

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast


def _inference(method):
    """Run ``method`` under ``torch.inference_mode`` (torch imported only when it is called)."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        import torch

        with torch.inference_mode():
            return method(*args, **kwargs)

    return run


class SpanWriter:
    """Writes replacements with the network's decoder.  ``network`` and ``tokenizer``: functions
    without arguments that give the :class:`restore.model.modeling.TagGenForRestoration` and its
    ``PreTrainedTokenizerFast`` (the editor's, loaded on first use); ``subwords``: the
    :class:`SubwordEncoder` of the same ``tokenizer.json``; ``echo``: the model writes in the echo
    format; ``max_new_tokens``: the decoder's positions (its learned positions less the start)."""

    def __init__(self, network: Callable[[], object], tokenizer: Callable[[], "PreTrainedTokenizerFast"],
                 subwords: SubwordEncoder, device: str, echo: bool, max_new_tokens: int) -> None:
        self._network, self._tokenizer = network, tokenizer
        self.device = device
        self.echo = echo
        self.max_new_tokens = max_new_tokens
        self._marker_list = [subwords.token_id(m) for m in MARKERS]
        self._marker_ids = {t: k for k, t in enumerate(self._marker_list)}
        self._sep_id = subwords.token_id(SEP)
        self._special_ids = sorted(set(self._marker_list) | {self._sep_id} | {
            subwords.token_id(t) for t in ("<s>", "<pad>", "<unk>", "<mask>")
        })

    @property
    def network(self):
        """The network (loaded by the editor on first use)."""
        return self._network()

    @property
    def tokenizer(self) -> "PreTrainedTokenizerFast":
        """The network's tokenizer (loaded by the editor on first use)."""
        return self._tokenizer()

    def greedy(self, units: list[str], plans: list, states, attention_mask, span_ids) -> list[list[Edit]]:
        """Per unit, the decoder's own replacement of each span of its plan ``(tokens, spans,
        tag confidences)``, greedily, as edits (``source="generated"``) whose confidence is the
        span's tag confidence × the geometric mean of its written subwords' probabilities."""
        todo = [i for i, (_, ranges, _) in enumerate(plans) if ranges]
        if not todo:  # nothing tagged (always so with keep_threshold 0): neither torch nor the network is needed
            return [[] for _ in units]
        return self._greedy(units, plans, todo, states, attention_mask, span_ids)

    @_inference
    def _greedy(self, units, plans, todo, states, attention_mask, span_ids) -> list[list[Edit]]:
        results: list[list[Edit]] = [[] for _ in units]
        states, attention_mask, span_ids = (as_tensor(x, self.device) for x in (states, attention_mask, span_ids))
        from transformers import LogitsProcessorList

        from restore.model.echo import EchoSpans

        processors = LogitsProcessorList()
        max_new = min(8 * max(len(plans[i][1]) for i in todo) + 2, self.max_new_tokens)
        if self.echo:
            segments = self._echo_segments(units, plans, todo)
            for row, i in enumerate(todo):  # spans whose echo does not fit the decoder are kept as they are
                tokens, ranges, confs = plans[i]
                plans[i] = (tokens, ranges[: len(segments[row])], confs[: len(segments[row])])
                span_ids[i][span_ids[i] > len(segments[row])] = 0
            todo, segments = [i for i, s in zip(todo, segments) if s], [s for s in segments if s]
            if not todo:
                return results
            processors.append(EchoSpans(segments, self._marker_list, self.tokenizer.eos_token_id, self._special_ids))
            max_new = min(max(sum(len(f) + free_tokens(f) for f in segs) + 1 for segs in segments), self.max_new_tokens)
        import torch

        idx = torch.tensor(todo, device=self.device)
        encoder_outputs = self.network.with_spans(states[idx].to(self.network.dtype), span_ids[idx])
        gen = self.network.generate(
            encoder_outputs=encoder_outputs,
            attention_mask=attention_mask[idx],
            max_new_tokens=max_new,
            logits_processor=processors,
            do_sample=False,
            num_beams=1,
            output_scores=True,
            return_dict_in_generate=True,
        )
        scores = tuple(s.float() for s in gen.scores)  # log-probs in float32 whatever the network's dtype
        logprobs = self.network.compute_transition_scores(gen.sequences, scores, normalize_logits=True)
        for row, i in enumerate(todo):
            tokens, ranges, confs = plans[i]
            written = self._read_replacements(gen.sequences[row, 1:].tolist(), logprobs[row].tolist())
            spans, span_conf = [], []
            for n, (a, z) in enumerate(ranges):
                if n in written:
                    text, lp = written[n]
                    spans.append(Span(a, z, text))
                    span_conf.append(confs[n] * math.exp(lp))
            results[i] = edits_from_spans(units[i], tokens, spans, span_conf, source="generated")
        return results

    @_inference
    def nbest(self, units: list[str], views: list[UnitView], keep_probs: np.ndarray, states, attention_mask,
              n: int, max_words: int, keep_bar: float, batch_size: int) -> list[dict]:
        """For each unit, ``{(first, stop): {words: decoder log-prob}}``: the decoder's
        ``n`` likeliest replacements (normalised words, deduplicated, none empty, none the
        span's own words) of each run of words the tagger doubts (tags as the candidates' bar,
        runs of at most ``max_words``), each span decoded on its own as span 1, by beam
        search under :class:`EchoSpans`; the log-probability sums the written subwords and the
        end."""
        rows: list[tuple[int, int, int, list[int]]] = []  # (unit, first, stop, forced segment)
        for i, view in enumerate(views):
            first = first_subwords(view.sub2tok, len(view.tokens))
            tags = [
                int(keep_probs[i, first[k], 1:].argmax()) + 1
                if view.free[k] and view.tokens[k].is_word and view.p_keep[k] < keep_bar else KEEP
                for k in range(len(view.tokens))
            ]
            for a, z in spans_from_tags(tags):
                if z - a <= max_words:
                    spun = units[i][view.tokens[a].start : view.tokens[z - 1].end]
                    seg = [self._marker_list[0]] + self.tokenizer(spun, add_special_tokens=False)["input_ids"] + [self._sep_id]
                    if len(seg) + free_tokens(seg) < self.max_new_tokens:
                        rows.append((i, a, z, seg))
        import torch
        from transformers import LogitsProcessorList

        from restore.model.echo import EchoSpans

        states, attention_mask = as_tensor(states, self.device), as_tensor(attention_mask, self.device)
        found: list[dict] = [{} for _ in units]
        step = max(1, batch_size // n)
        for b in range(0, len(rows), step):
            chunk = rows[b : b + step]
            idx = torch.tensor([i for i, *_ in chunk], device=self.device)
            span_ids = torch.tensor([subword_span_ids(views[i].sub2tok, [(a, z)], len(views[i].tokens)) for i, a, z, _ in chunk],
                                    device=self.device)
            segments = [[seg] for *_, seg in chunk for _ in range(n)]  # one row per beam
            gen = self.network.generate(
                encoder_outputs=self.network.with_spans(states[idx].to(self.network.dtype), span_ids),
                attention_mask=attention_mask[idx],
                max_new_tokens=max(len(seg) + free_tokens(seg) for *_, seg in chunk) + 1,
                logits_processor=LogitsProcessorList(
                    [EchoSpans(segments, self._marker_list, self.tokenizer.eos_token_id, self._special_ids)]),
                do_sample=False, num_beams=n, num_return_sequences=n, length_penalty=0.0,
                early_stopping=True, output_scores=True, return_dict_in_generate=True,
            )
            for row, (ids, score) in enumerate(zip(gen.sequences.tolist(), gen.sequences_scores.float().tolist())):
                i, a, z, seg = chunk[row // n]
                written = []
                for tok in ids[1 + len(seg) :]:
                    if tok in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id):
                        break
                    written.append(tok)
                tokens = tokenize(self.tokenizer.decode(written, skip_special_tokens=True).strip())
                words = tuple(norm(t.text) for t in tokens)
                if not tokens or not all(t.is_word for t in tokens) or words == tuple(norm(t.text) for t in views[i].tokens[a:z]):
                    continue
                span = found[i].setdefault((a, z), {})
                span[words] = max(score, span.get(words, -math.inf))
        return found

    def _echo_segments(self, units: list[str], plans: list, todo: list[int]) -> list[list[list[int]]]:
        """For each unit to decode, the forced segments ``<ek> spun words <sep>`` of its spans,
        as many as fit the decoder's positions with room for their replacements."""
        texts = [units[i][plans[i][0][a].start : plans[i][0][z - 1].end] for i in todo for a, z in plans[i][1]]
        words = iter(self.tokenizer(texts, add_special_tokens=False)["input_ids"])
        segments: list[list[list[int]]] = []
        for i in todo:
            segs, used = [], 1
            for n, _ in enumerate(plans[i][1]):
                seg = [self._marker_list[n]] + next(words) + [self._sep_id]
                used += len(seg) + free_tokens(seg)
                if used <= self.max_new_tokens:
                    segs.append(seg)
            segments.append(segs)
        return segments

    def _read_replacements(self, ids: list[int], logprobs: list[float]) -> dict[int, tuple[str, float]]:
        """Split generated ids at span markers: {span index: (replacement, mean log-prob)}.

        In the echo format the words between a marker and ``<sep>`` are the forced echo and
        are skipped; a replacement's log-prob includes the token that ended it.
        """
        found: dict[int, tuple[str, float]] = {}
        current, pieces, lps, writing = None, [], [], not self.echo

        def close(end_lp: float | None) -> None:
            if current is not None and current not in found:
                scores = lps + ([end_lp] if end_lp is not None else [])
                text = self.tokenizer.decode(pieces, skip_special_tokens=True).strip()
                found[current] = (text, sum(scores) / len(scores) if scores else 0.0)

        for tok, lp in zip(ids, logprobs):
            if tok in self._marker_ids:
                close(lp if self.echo else None)
                current, pieces, writing = self._marker_ids[tok], [], not self.echo
                lps = [] if self.echo else [lp]
            elif tok in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id):
                close(lp if self.echo else None)
                current = None
                break
            elif tok == self._sep_id and self.echo:
                writing = True
            elif writing:
                pieces.append(tok)
                lps.append(lp)
        close(None)
        return found
