"""Generation in the echo format: the logits processor that forces ``<ek> spun words <sep>``.

Imported only when the decoder writes (generated edits, the decoder's n-best), so that a
restorer whose decoder is off never loads the ``transformers`` generation machinery.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from restore.model.formulation import free_tokens


class EchoSpans(LogitsProcessor):
    """Forces the echo format while generating: ``<ek> spun words <sep>`` for each span, then
    free text, which may end only with the next span's marker (``</s>`` after the last).

    Stateless: each step re-reads the sequence so far, so it works for any batch order.
    """

    def __init__(self, segments: list[list[list[int]]], markers: list[int], eos_id: int, special_ids: list[int]) -> None:
        self.segments = segments
        self.markers = markers
        self.eos_id = eos_id
        self.special_ids = special_ids  # never written freely: markers, <sep>, <pad>, <s>, …

    def next_token(self, row: int, seq: list[int]) -> tuple[int, bool]:
        """(token, forced): the forced token, or the only terminator allowed now."""
        segs, i, k = self.segments[row], 0, 0
        while True:
            for j, tok in enumerate(segs[k]):
                if i + j >= len(seq):
                    return tok, True
            i += len(segs[k])
            end = self.markers[k + 1] if k + 1 < len(segs) else self.eos_id
            free = 0
            while i < len(seq) and seq[i] != end:
                i, free = i + 1, free + 1
            if i >= len(seq):
                return end, free >= free_tokens(segs[k])
            if end == self.eos_id:
                return self.eos_id, True
            k += 1

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = scores.clone()
        for row in range(input_ids.shape[0]):
            tok, forced = self.next_token(row, input_ids[row, 1:].tolist())
            if forced:
                out[row] = float("-inf")
                out[row, tok] = 0.0
            else:
                keep = out[row, tok].clone()
                out[row, self.special_ids] = float("-inf")
                out[row, self.eos_id] = float("-inf")
                out[row, tok] = keep
        return out
