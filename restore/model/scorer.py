"""``CandidateScorer``: P(a candidate edit is right) from its features — a one-hidden-layer
network, small enough to live as plain numbers in the model's ``config.json``.

Fitted by ``training.calibrate`` on the validation split; :mod:`restore.model.editor` scores
every candidate with it (see ``CANDIDATE_FEATURES`` there for the inputs).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

CONSTANT_STD = 1e-6
"""The spread a feature is given when it was constant over the fitting rows: such a feature
told the scorer nothing, so it is read as its mean whatever its value later (a source added
after the fit, e.g. an n-gram model, cannot sway a scorer that never saw it)."""


@dataclass(frozen=True)
class CandidateScorer:
    """sigmoid(out_b + out_w · tanh(hidden_w · (x − mean) / std + hidden_b)); a feature
    whose ``std`` is :data:`CONSTANT_STD` (constant when fitted) is read as its mean."""

    mean: list[float]
    std: list[float]
    hidden_w: list[list[float]]  # hidden × features
    hidden_b: list[float]
    out_w: list[float]
    out_b: float

    def __call__(self, features: tuple[float, ...] | list[float]) -> float:
        return self.many([features])[0]

    def many(self, rows) -> list[float]:
        """``[self(r) for r in rows]``, computed as one float64 matrix product (the editor's hot
        path).  ``rows``: a list of feature rows or a 2-d array; wider rows than the scorer
        reads are an error (the editor gives a scorer fitted on fewer features the first ones)."""
        if len(rows) == 0:
            return []
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.mean):
            raise ValueError(f"expected {len(self.mean)} features, got {x.shape[1] if x.ndim == 2 else x.shape}")
        mean, scale, hidden_w, hidden_b, out_w = self._arrays
        hidden = np.tanh(((x - mean) * scale) @ hidden_w.T + hidden_b)
        logits = np.clip(hidden @ out_w + self.out_b, -50.0, 50.0)
        return (1.0 / (1.0 + np.exp(-logits))).tolist()

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, ...]:
        """The parameters as float64 arrays, ``1 / std`` as 0 where a feature was constant."""
        std = np.asarray(self.std, dtype=np.float64)
        scale = np.where(std > CONSTANT_STD, 1.0 / np.maximum(std, CONSTANT_STD), 0.0)
        return (np.asarray(self.mean, dtype=np.float64), scale, np.asarray(self.hidden_w, dtype=np.float64),
                np.asarray(self.hidden_b, dtype=np.float64), np.asarray(self.out_w, dtype=np.float64))

    def reads(self, index: int) -> bool:
        """Whether the score depends on feature ``index``: among the inputs, varied when the
        scorer was fitted, and weighted."""
        return (index < len(self.std) and self.std[index] > CONSTANT_STD
                and any(row[index] != 0.0 for row in self.hidden_w))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CandidateScorer":
        return cls(**{k: data[k] for k in ("mean", "std", "hidden_w", "hidden_b", "out_w", "out_b")})

    @classmethod
    def fit(cls, features: list, labels: list[bool], hidden: int = 16, steps: int = 1500, seed: int = 0) -> "CandidateScorer":
        """Fit to ``labels`` (full-batch Adam on the cross-entropy, weight decay; deterministic)."""
        import torch

        if not features or len(features) != len(labels):
            raise ValueError("need as many labels as feature rows, and at least one")
        gen = torch.Generator().manual_seed(seed)
        x = torch.tensor(features, dtype=torch.float32)
        y = torch.tensor(labels, dtype=torch.float32)
        mean, std = x.mean(0), x.std(0, unbiased=False).clamp_min(CONSTANT_STD)
        x = (x - mean) / std
        w1 = (torch.randn(hidden, x.shape[1], generator=gen) / math.sqrt(x.shape[1])).requires_grad_()
        b1 = torch.zeros(hidden, requires_grad=True)
        w2 = (torch.randn(hidden, generator=gen) / math.sqrt(hidden)).requires_grad_()
        b2 = torch.zeros((), requires_grad=True)
        opt = torch.optim.Adam([w1, b1, w2, b2], lr=3e-3, weight_decay=1e-4)
        for _ in range(steps):
            opt.zero_grad()
            logits = torch.tanh(x @ w1.T + b1) @ w2 + b2
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
            opt.step()
        r = lambda t: [round(float(v), 6) for v in t]  # noqa: E731
        return cls(r(mean), r(std), [r(row) for row in w1.detach()], r(b1.detach()), r(w2.detach()), round(float(b2.detach()), 6))


def confidences(scorer: CandidateScorer | None, rows) -> list[float]:
    """Each feature row's confidence: ``scorer``'s on the first features it reads, or without a
    scorer tag doubt × the candidate's probability in the tables (``exp`` of the first two)."""
    if len(rows) == 0:
        return []
    if scorer is not None:
        return scorer.many(np.asarray(rows, dtype=np.float64)[:, : len(scorer.mean)])
    return [math.exp(r[0] + r[1]) for r in rows]
