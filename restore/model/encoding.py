"""Subword encoding of units and training pairs for the tag-then-generate model.

The tokenizer is a cased byte-level BPE (``training.train_tokenizer``) whose special
tokens are ``<s> <pad> </s> <unk> <mask> <sep>`` followed by the span markers ``<e1>`` … .
Subwords are mapped to :func:`restore.text.tokenize` tokens through character offsets;
a token that shares its subword with the token before it (``”.``) gets no subword of its
own and is always kept.
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from restore.model.formulation import BEGIN, INSIDE, MASK, MAX_SPANS, SEP, Span, marker, spans_from_pair, tags_from_spans
from restore.text import Token

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", MASK, SEP]


def as_tensor(array, device: str) -> "torch.Tensor":
    """``array`` (numpy or a tensor) as a tensor on ``device`` (torch imported only here)."""
    import torch

    return torch.as_tensor(array, device=device)


def length_batches(lengths: list[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Indices of items of subword ``lengths`` grouped into encoder batches: longest first,
    each batch at most ``batch_size`` items and, padded to its longest, at most ``max_tokens``
    subwords (an item longer than that alone).  Every index once; batches of like lengths
    waste little on padding."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < batch_size and lengths[batches[-1][0]] * (len(batches[-1]) + 1) <= max_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


class SubwordEncoder:
    """The model's ``tokenizer.json`` run by the ``tokenizers`` library itself: what the editor
    encodes units with (the same ids and offsets as the ``transformers`` tokenizer built from
    the file, without importing ``transformers``).  Batches come as numpy arrays, padded on the
    right with ``pad_id``."""

    def __init__(self, backend, pad_token: str = "<pad>") -> None:
        """``backend``: a ``tokenizers.Tokenizer`` (copied: its padding and truncation are left alone)."""
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_str(backend.to_str())
        self.backend.no_padding()
        self.backend.no_truncation()
        self._max_length: int | None = None
        self.pad_id = self.token_id(pad_token)

    @classmethod
    def from_file(cls, path: str | Path, pad_token: str = "<pad>") -> "SubwordEncoder":
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(path)), pad_token)

    def token_id(self, token: str) -> int:
        """The id of ``token``; KeyError if the vocabulary has none."""
        found = self.backend.token_to_id(token)
        if found is None:
            raise KeyError(f"the tokenizer has no token {token!r}")
        return found

    def encode(self, units: list[str], max_length: int) -> list:
        """Each unit's ``tokenizers.Encoding`` (special tokens included, truncated at ``max_length``)."""
        if self._max_length != max_length:
            self.backend.enable_truncation(max_length)
            self._max_length = max_length
        return self.backend.encode_batch(units)

    def pad(self, encoded: list) -> tuple[np.ndarray, np.ndarray, list[list[tuple[int, int]]]]:
        """``(input_ids, attention_mask, offsets)`` of encodings (:meth:`encode`): int64 arrays of
        shape (units, longest) and per unit its subwords' character offsets, ``(0, 0)`` for
        special tokens and padding."""
        width = max((len(e.ids) for e in encoded), default=0)
        ids = np.full((len(encoded), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=np.int64)
        offsets = []
        for i, e in enumerate(encoded):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
            offsets.append(list(e.offsets) + [(0, 0)] * (width - len(e.ids)))
        return ids, mask, offsets


def subword_to_token(offsets: list[tuple[int, int]], tokens: list[Token]) -> list[int]:
    """For each subword offset pair, the index of the token it starts in (-1 for specials)."""
    starts = [t.start for t in tokens]
    out: list[int] = []
    for s, e in offsets:
        if s == e:
            out.append(-1)
            continue
        k = bisect_right(starts, s) - 1
        # A subword starting in whitespace before a token belongs to the next token.
        if k < 0 or s >= tokens[k].end:
            k += 1
        out.append(k if 0 <= k < len(tokens) else -1)
    return out


def first_subwords(sub2tok: list[int], n_tokens: int) -> list[int]:
    """For each token, the position of its first subword (-1 if it has none)."""
    first = [-1] * n_tokens
    for pos, k in enumerate(sub2tok):
        if k >= 0 and first[k] == -1:
            first[k] = pos
    return first


def subword_span_ids(sub2tok: list[int], ranges: list[tuple[int, int]], n_tokens: int) -> list[int]:
    """Per subword, the 1-based number of the token range ``[first, last)`` it lies in (0 if none)."""
    token_span = [0] * n_tokens
    for n, (first, last) in enumerate(ranges, start=1):
        token_span[first:last] = [n] * (last - first)
    return [token_span[k] if k >= 0 else 0 for k in sub2tok]


def encode_pairs(
    tokenizer: PreTrainedTokenizerFast,
    spun: list[str],
    clean: list[str],
    max_source_length: int,
    max_target_length: int,
    echo: bool = True,
) -> dict[str, list[list[int]]]:
    """Model inputs and targets for a batch of (spun, clean) pairs.

    Returns, per pair, ``input_ids``, ``attention_mask``, ``tag_labels`` (per subword; -100
    on specials), ``span_ids`` (per subword; 0 = keep), ``decoder_tokens`` (the whole target
    sequence, see :mod:`restore.model.formulation`; *echo* format unless ``echo=False``)
    and ``labels`` (``decoder_tokens`` with -100 on the echoed words and ``<sep>``, which
    are forced; a marker is predicted, as it ends the replacement before it).  Spans cut off by truncation,
    beyond ``MAX_SPANS`` or past ``max_target_length`` are tagged -100 (no signal).
    """
    enc = tokenizer(spun, truncation=True, max_length=max_source_length, return_offsets_mapping=True)
    pairs = [spans_from_pair(s, c) for s, c in zip(spun, clean)]
    replacements = [s.replacement for _, spans in pairs for s in spans]
    echoed = [text[tokens[s.first].start : tokens[s.last - 1].end] for text, (tokens, spans) in zip(spun, pairs) for s in spans]
    ids = tokenizer(replacements + echoed, add_special_tokens=False)["input_ids"] if replacements else []
    replacement_ids, echo_ids = iter(ids[: len(replacements)]), iter(ids[len(replacements) :])
    sep, eos = tokenizer.convert_tokens_to_ids(SEP), tokenizer.eos_token_id
    out: dict[str, list[list[int]]] = {k: [] for k in ("tag_labels", "span_ids", "decoder_tokens", "labels")}
    for (tokens, spans), offsets in zip(pairs, enc["offset_mapping"]):
        sub2tok = subword_to_token(offsets, tokens)
        last_token_seen = max((k for k in sub2tok if k >= 0), default=-1)
        decoder_tokens: list[int] = []
        loss: list[bool] = []
        kept: list[Span] = []
        for s in spans:
            replacement, words = next(replacement_ids), next(echo_ids)
            head = [tokenizer.convert_tokens_to_ids(marker(len(kept) + 1))] + (words + [sep] if echo else [])
            fits = len(decoder_tokens) + len(head) + len(replacement) < max_target_length
            if len(kept) < MAX_SPANS and s.last - 1 <= last_token_seen and fits:
                kept.append(s)
                decoder_tokens += head + replacement
                loss += [True] + [False] * (len(head) - 1) + [True] * len(replacement)
        decoder_tokens.append(eos)
        loss.append(True)
        tag_labels, span_ids = _source_labels(len(tokens), spans, kept, sub2tok)
        out["tag_labels"].append(tag_labels)
        out["span_ids"].append(span_ids)
        out["decoder_tokens"].append(decoder_tokens)
        out["labels"].append([t if keep else -100 for t, keep in zip(decoder_tokens, loss)])
    out["input_ids"], out["attention_mask"] = enc["input_ids"], enc["attention_mask"]
    return out


def encode_pair(
    tokenizer: PreTrainedTokenizerFast, spun: str, clean: str, max_source_length: int, max_target_length: int, echo: bool = True
) -> dict[str, list[int]]:
    """:func:`encode_pairs` for one pair."""
    batch = encode_pairs(tokenizer, [spun], [clean], max_source_length, max_target_length, echo)
    return {k: v[0] for k, v in batch.items()}


def _source_labels(n_tokens: int, spans: list[Span], kept: list[Span], sub2tok: list[int]) -> tuple[list[int], list[int]]:
    """Per-subword tags and span ids; the tokens of spans not ``kept`` get tag -100."""
    token_tags = tags_from_spans(n_tokens, spans)
    kept_ids = {id(s) for s in kept}
    for s in spans:
        if id(s) not in kept_ids:
            token_tags[s.first : s.last] = [-100] * (s.last - s.first)
    tag_labels = []
    prev = -1
    for k in sub2tok:
        if k < 0:
            tag_labels.append(-100)
        else:
            tag = token_tags[k]
            if tag == BEGIN and k == prev:
                tag = INSIDE  # a later subword of the span's first token
            tag_labels.append(tag)
        prev = k
    return tag_labels, subword_span_ids(sub2tok, [(s.first, s.last) for s in kept], n_tokens)


__all__ = ["SPECIAL_TOKENS", "encode_pair", "encode_pairs", "first_subwords", "subword_span_ids", "subword_to_token"]
