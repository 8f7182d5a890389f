"""``Seq2SeqEditor``: the trained tag-then-generate model behind the editor contract.

An *editor* has ``max_words`` and ``propose(units, protected) -> list[list[Edit]]``; the
:class:`restore.Restorer` segments text into units, calls it, and reassembles.  Here one
call tags every token of every unit in one encoder pass per batch, then runs the decoder
only for units with spans to fill, greedily (deterministic).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from restore.edits import Edit
from restore.model.encoding import first_subwords, subword_to_token
from restore.model.formulation import KEEP, MARKERS, Span, edits_from_spans, spans_from_tags
from restore.model.modeling import TagGenForRestoration
from restore.text import tokenize


class Seq2SeqEditor:
    """Propose edits for units of text with a :class:`TagGenForRestoration` model.

    ``keep_threshold``: a token is replaced only if the model's probability that it should
    be kept is below this value (lower means fewer, surer edits).
    """

    def __init__(
        self,
        model: TagGenForRestoration,
        tokenizer: PreTrainedTokenizerFast,
        device: str = "cpu",
        batch_size: int = 32,
        keep_threshold: float = 0.5,
        max_words: int = 60,
    ) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.keep_threshold = keep_threshold
        self.max_words = max_words
        self.max_length = min(int(model.config.max_position_embeddings) - 2, 256)
        # The decoder's learned positions end at max_position_embeddings; the start token takes one.
        self.max_new_tokens = int(model.config.max_position_embeddings) - 1
        self._marker_ids = {tokenizer.convert_tokens_to_ids(m): k for k, m in enumerate(MARKERS)}

    @classmethod
    def from_pretrained(
        cls, path_or_hub_id: str | Path, device: str = "cpu", batch_size: int = 32, **kwargs
    ) -> "Seq2SeqEditor":
        """Load model (with its generation config) and tokenizer from a folder or a Hub id."""
        name = str(path_or_hub_id)
        model = TagGenForRestoration.from_pretrained(name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(name)
        settings = getattr(model.config, "restore", {}) or {}
        kwargs = {**{k: settings[k] for k in ("keep_threshold", "max_words") if k in settings}, **kwargs}
        return cls(model, tokenizer, device=device, batch_size=batch_size, **kwargs)

    def propose(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        """Edits for each unit, in the unit's character offsets, sorted and disjoint."""
        out: list[list[Edit]] = []
        for b in range(0, len(units), self.batch_size):
            batch = units[b : b + self.batch_size]
            masks = None if protected is None else protected[b : b + self.batch_size]
            out.extend(self._propose_batch(batch, masks))
        return out

    @torch.inference_mode()
    def _propose_batch(self, units: list[str], protected: list[list[bool]] | None) -> list[list[Edit]]:
        enc = self.tokenizer(
            units, truncation=True, max_length=self.max_length, padding=True,
            return_offsets_mapping=True, return_tensors="pt",
        )
        input_ids = enc["input_ids"].to(self.device)
        attention_mask = enc["attention_mask"].to(self.device)
        states, tag_logits = self.model.encode(input_ids, attention_mask)
        tag_probs = tag_logits.float().softmax(-1).cpu()
        span_ids = torch.zeros_like(input_ids)
        plans: list[tuple[list, list[tuple[int, int]], list[float]]] = []
        for i, unit in enumerate(units):
            tokens = tokenize(unit)
            sub2tok = subword_to_token([tuple(o) for o in enc["offset_mapping"][i].tolist()], tokens)
            first = first_subwords(sub2tok, len(tokens))
            tags, tag_conf = [], []
            for k, pos in enumerate(first):
                blocked = pos < 0 or (protected is not None and protected[i][k])
                p = tag_probs[i, pos] if pos >= 0 else None
                if blocked or p[KEEP] >= self.keep_threshold:
                    tags.append(KEEP)
                    tag_conf.append(1.0)
                else:
                    tags.append(int(p[1:].argmax()) + 1)
                    tag_conf.append(float(1.0 - p[KEEP]))
            ranges = spans_from_tags(tags)[: len(MARKERS)]
            for n, (a, z) in enumerate(ranges, start=1):
                for pos, k in enumerate(sub2tok):
                    if a <= k < z:
                        span_ids[i, pos] = n
            confs = [min(tag_conf[a:z]) for a, z in ranges]
            plans.append((tokens, ranges, confs))
        todo = [i for i, (_, ranges, _) in enumerate(plans) if ranges]
        results: list[list[Edit]] = [[] for _ in units]
        if not todo:
            return results
        idx = torch.tensor(todo, device=self.device)
        encoder_outputs = self.model.with_spans(states[idx], span_ids[idx])
        max_spans = max(len(plans[i][1]) for i in todo)
        gen = self.model.generate(
            encoder_outputs=encoder_outputs,
            attention_mask=attention_mask[idx],
            max_new_tokens=min(8 * max_spans + 2, self.max_new_tokens),
            do_sample=False,
            num_beams=1,
            output_scores=True,
            return_dict_in_generate=True,
        )
        logprobs = self.model.compute_transition_scores(gen.sequences, gen.scores, normalize_logits=True)
        for row, i in enumerate(todo):
            tokens, ranges, confs = plans[i]
            written = self._read_replacements(gen.sequences[row, 1:].tolist(), logprobs[row].tolist())
            spans, span_conf = [], []
            for n, (a, z) in enumerate(ranges):
                if n in written:
                    text, lp = written[n]
                    spans.append(Span(a, z, text))
                    span_conf.append(confs[n] * math.exp(lp))
            results[i] = edits_from_spans(units[i], tokens, spans, span_conf)
        return results

    def _read_replacements(self, ids: list[int], logprobs: list[float]) -> dict[int, tuple[str, float]]:
        """Split generated ids at span markers: {span index: (replacement, mean log-prob)}."""
        found: dict[int, tuple[str, float]] = {}
        current, pieces, lps = None, [], []

        def close() -> None:
            if current is not None and current not in found:
                text = self.tokenizer.decode(pieces, skip_special_tokens=True).strip()
                found[current] = (text, sum(lps) / len(lps))

        for tok, lp in zip(ids, logprobs):
            if tok in self._marker_ids:
                close()
                current, pieces, lps = self._marker_ids[tok], [], [lp]
            elif tok in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id):
                break
            else:
                pieces.append(tok)
                lps.append(lp)
        close()
        return found
