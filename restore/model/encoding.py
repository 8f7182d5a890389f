"""Subword encoding of units and training pairs for the tag-then-generate model.

The tokenizer is a cased byte-level BPE (``training.train_tokenizer``) whose special
tokens are ``<s> <pad> </s> <unk> <mask>`` followed by the span markers ``<e1>`` … .
Subwords are mapped to :func:`restore.text.tokenize` tokens through character offsets;
a token that shares its subword with the token before it (``”.``) gets no subword of its
own and is always kept.
"""

from __future__ import annotations

from bisect import bisect_right
from transformers import PreTrainedTokenizerFast

from restore.model.formulation import BEGIN, INSIDE, MAX_SPANS, Span, marker, spans_from_pair, tags_from_spans
from restore.text import Token, tokenize

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


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


def encode_pairs(
    tokenizer: PreTrainedTokenizerFast,
    spun: list[str],
    clean: list[str],
    max_source_length: int,
    max_target_length: int,
) -> dict[str, list[list[int]]]:
    """Model inputs and targets for a batch of (spun, clean) pairs.

    Returns, per pair, ``input_ids``, ``attention_mask``, ``tag_labels`` (per subword; -100
    on specials), ``span_ids`` (per subword; 0 = keep) and ``labels`` (the decoder target
    ``<e1> r1 <e2> r2 … </s>``).  Spans cut off by truncation or beyond ``MAX_SPANS`` are
    tagged -100 (no signal) rather than KEEP.
    """
    enc = tokenizer(spun, truncation=True, max_length=max_source_length, return_offsets_mapping=True)
    rows = [_source_side(text, target, offsets) for text, target, offsets in zip(spun, clean, enc["offset_mapping"])]
    replacements = [s.replacement for _, _, kept in rows for s in kept]
    pieces = iter(tokenizer(replacements, add_special_tokens=False)["input_ids"] if replacements else [])
    out: dict[str, list[list[int]]] = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                                       "tag_labels": [], "span_ids": [], "labels": []}
    for tag_labels, span_ids, kept in rows:
        target: list[int] = []
        for n, _ in enumerate(kept, start=1):
            target.append(tokenizer.convert_tokens_to_ids(marker(n)))
            target.extend(next(pieces))
        out["tag_labels"].append(tag_labels)
        out["span_ids"].append(span_ids)
        out["labels"].append(target[: max_target_length - 1] + [tokenizer.eos_token_id])
    return out


def encode_pair(
    tokenizer: PreTrainedTokenizerFast, spun: str, clean: str, max_source_length: int, max_target_length: int
) -> dict[str, list[int]]:
    """:func:`encode_pairs` for one pair."""
    batch = encode_pairs(tokenizer, [spun], [clean], max_source_length, max_target_length)
    return {k: v[0] for k, v in batch.items()}


def _source_side(spun: str, clean: str, offsets: list[tuple[int, int]]) -> tuple[list[int], list[int], list[Span]]:
    """Per-subword tags and span ids of one pair, and the spans the target will name."""
    tokens, spans = spans_from_pair(spun, clean)
    sub2tok = subword_to_token(offsets, tokens)
    token_tags = tags_from_spans(len(tokens), spans)
    token_span = [0] * len(tokens)
    last_token_seen = max((k for k in sub2tok if k >= 0), default=-1)
    kept: list[Span] = []
    for s in spans:
        if len(kept) < MAX_SPANS and s.last - 1 <= last_token_seen:
            kept.append(s)
            for i in range(s.first, s.last):
                token_span[i] = len(kept)
        else:
            for i in range(s.first, s.last):
                token_tags[i] = -100
    tag_labels, span_ids = [], []
    prev = -1
    for k in sub2tok:
        if k < 0:
            tag_labels.append(-100)
            span_ids.append(0)
        else:
            tag = token_tags[k]
            if tag == BEGIN and k == prev:
                tag = INSIDE  # a later subword of the span's first token
            tag_labels.append(tag)
            span_ids.append(token_span[k])
        prev = k
    return tag_labels, span_ids, kept


__all__ = ["SPECIAL_TOKENS", "encode_pair", "encode_pairs", "first_subwords", "subword_to_token"]
