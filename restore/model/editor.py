"""``Seq2SeqEditor``: the trained tag-then-generate model behind the editor contract.

An *editor* has ``max_words`` and ``propose(units, protected) -> list[list[Edit]]``; the
:class:`restore.Restorer` segments text into units, calls it, and reassembles.  Here one
call tags every token of every unit in one encoder pass per batch, then proposes edits two
ways and keeps the most confident of overlapping ones:

* *generated* (``Edit.source == "generated"``): the decoder writes a replacement for each
  tagged span, greedily (:class:`restore.model.writer.SpanWriter`, which also gives the
  decoder's n-best replacements that join the candidates);
* *candidates* (``Edit.source == "table"``): where the spinner's inverted tables
  (:class:`restore.candidates.channel.Channel`, shipped beside the model as ``candidates.tsv.gz``,
  with counts from training pairs) list
  clean phrases for a run of words the tagger doubts, a small calibrated network
  (:class:`restore.model.scorer.CandidateScorer`) of the tag doubt, the tables' statistics
  (among them how often the spun words were in fact spun between the same neighbours in the
  training pairs, :meth:`restore.candidates.channel.Channel.context_spin`) and a trigram language
  model's view of the sentence (:data:`CANDIDATE_FEATURES`; the
  language model's best reading of the whole unit, :class:`restore.candidates.viterbi.Decoder`,
  among them), each also as a lead over the candidate's rivals on the same words
  (:func:`rival_leads`), scores each; the likeliest is proposed.

Deterministic: greedy decoding (beam search for the n-best candidates), no sampling.  The network runs in float32, or in bfloat16
where the hardware computes it natively (:func:`model_dtype`; ``dtype="float32"`` pins it):
about twice as fast on such a CPU, with keep probabilities within ±0.004 of float32's.
Where the int8 encoder tags and the decoder is not asked to write (the shipped settings),
neither torch nor transformers is imported: units are encoded by :class:`SubwordEncoder`
and everything after the encoder is numpy and Python, which saves about 1.7 s of load.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from restore.candidates.channel import Channel
from restore.candidates.features import CANDIDATE_FEATURES, CandidateEdit, CandidateFeatures, UnitView, unread_skippable
from restore.candidates.ngram import NGRAM_FILE, NgramLM
from restore.candidates.trigram import CmuTrigramLM
from restore.candidates.viterbi import Decoder
from restore.edits import Edit, edit_kind
from restore.model import DTYPES, ENCODERS
from restore.model.feature_pool import MIN_UNITS, FeaturePool, check_workers, score
from restore.model.encoding import SubwordEncoder, as_tensor, first_subwords, length_batches, subword_span_ids, subword_to_token
from restore.model.formulation import KEEP, MARKERS, spans_from_tags
from restore.model.gates import gated, gated_document
from restore.model.onnx_encoder import ENCODER_FILE, onnx_encoder_for
from restore.model.scorer import CandidateScorer, confidences
from restore.model.writer import SpanWriter
from restore.spin.articles import agree
from restore.text import tokenize

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerFast

CANDIDATES_FILE = "candidates.tsv.gz"
"""The inverted spinner tables a model folder may carry (written by ``training.candidates``)."""
_ARTICLES = frozenset({"a", "an"})


def model_dtype(dtype: str = "auto", device: str = "cpu") -> "torch.dtype":
    """The torch dtype to run the network in: as named, or for ``auto`` bfloat16 where
    ``device`` computes it natively (a CUDA GPU that supports it; a CPU whose flags in
    ``/proc/cpuinfo`` list AVX-512 BF16 or AMX-BF16), else float32.  Emulated bfloat16
    would be slower than float32, so ``auto`` never chooses it elsewhere."""
    import torch

    return getattr(torch, dtype_name(dtype, device))


def dtype_name(dtype: str = "auto", device: str = "cpu") -> str:
    """:func:`model_dtype`'s choice by name (``float32`` or ``bfloat16``); torch is imported
    only to ask a CUDA device."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if dtype != "auto":
        return dtype
    if device.startswith("cuda"):
        import torch

        native = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    else:
        native = device == "cpu" and _cpu_has_bf16()
    return "bfloat16" if native else "float32"


def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:  # not Linux: no cheap way to ask, so float32
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float32 (the tagger's probabilities)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def model_file(name: str, filename: str, required: bool = True) -> str | None:
    """The local path of ``filename`` in model ``name``: a folder's own file, else from the
    Hub through ``transformers``' cache (``cached_file``).  A missing file raises OSError
    if ``required``, else gives None."""
    folder = Path(name)
    if folder.is_dir():
        path = folder / filename
        if path.is_file():
            return str(path)
        if required:
            raise OSError(f"{name} does not have a file named {filename}")
        return None
    from transformers.utils import cached_file

    return cached_file(name, filename, _raise_exceptions_for_missing_entries=required)


class Seq2SeqEditor:
    """Propose edits for units of text with a :class:`TagGenForRestoration` model.

    ``model``: the network (its own config is read, ``config`` ignored), or a function without
    arguments that loads it when first needed (:attr:`model`), with ``config`` (its
    ``config.json`` as a dict), ``weights`` (its weights
    file, for :meth:`num_parameters`) and, as the function's ``dtype`` attribute, the dtype it
    loads in (its name): :meth:`from_pretrained` passes one where the int8 encoder tags, so that a restorer
    whose decoder is off never reads the weights.  ``tokenizer``: the model's
    ``PreTrainedTokenizerFast``, or a function without arguments that loads it when the decoder
    first needs it (:attr:`tokenizer`) together with ``subwords``, the :class:`SubwordEncoder`
    of the same ``tokenizer.json`` that encodes the units (by default the tokenizer's own
    backend).

    ``keep_threshold``: a token is replaced only if the model's probability that it should
    be kept is below this value (lower means fewer, surer edits).  ``min_confidence``: an
    edit is proposed only if its confidence reaches this value (generated edits: tag
    probability × the geometric mean of the replacement's token probabilities; candidates:
    :meth:`candidate_confidence`).  Both default to the model's
    ``config.restore`` settings (see ``training.calibrate``).  ``candidates``: the inverted
    spinner tables to draw candidate replacements from (None: generated edits only);
    ``candidate_keep_threshold``: a run of words is considered only if the model's
    probability that each of its words should be kept is below this value;
    ``candidate_scorer``: the :class:`CandidateScorer` behind :meth:`candidate_confidence`
    (``training.calibrate`` fits it; a dict is read with ``CandidateScorer.from_dict``);
    ``lm``: the word language model behind the trigram features (default: with candidates,
    :class:`restore.candidates.trigram.CmuTrigramLM`); ``ngram``: the in-domain :class:`NgramLM` behind
    the ``ngram fit`` features (None: they are 0).  ``min_evidence``, ``evidence_confidence``,
    ``sure_confidence``: the unit gate of :func:`gated` (``min_evidence=0``: no gate);
    ``document_evidence``: the document's share in it (:func:`gated_document`, 0: none).
    ``nbest``: for every run of words the tagger doubts as the candidates' bar does (up to
    ``nbest_max_words`` words), the decoder's ``nbest`` likeliest replacements (beam search,
    deduplicated, :func:`free_tokens`-bounded) join the tables' candidates, scored by the same
    scorer with the ``generated`` and ``decoder log-prob`` features (:data:`CANDIDATE_FEATURES`);
    their edits have ``source="generated"``.  0 (the default): off, and nothing is decoded.
    ``compose_words``: runs of up to this many adjacent doubted words also get their one-word
    candidates combined into candidates for the run (:mod:`restore.candidates.compose`;
    0, the default: none).
    ``encoder``: what tags the units, ``(input_ids, attention_mask) -> (states, tag logits)``
    (an :class:`restore.model.onnx_encoder.OnnxEncoder`), None for the network's own encoder.
    ``batch_size``, ``max_batch_tokens``: units per encoder batch and padded subwords per batch
    at most; units of like length go together (:func:`restore.model.encoding.length_batches`).
    ``workers``: processes that score candidates (:attr:`workers`; ``"auto"``: one per core).
    """

    def __init__(
        self,
        model,
        tokenizer,
        device: str = "cpu",
        batch_size: int = 32,
        max_batch_tokens: int = 512,
        keep_threshold: float = 0.5,
        min_confidence: float = 0.0,
        max_words: int = 60,
        candidates: Channel | None = None,
        candidate_keep_threshold: float = 0.5,
        candidate_scorer: CandidateScorer | dict | None = None,
        lm=None,
        ngram: NgramLM | None = None,
        min_evidence: int = 0,
        evidence_confidence: float = 0.5,
        sure_confidence: float = 1.01,
        document_evidence: float = 0.0,
        nbest: int = 0,
        nbest_max_words: int = 4,
        compose_words: int = 0,
        encoder=None,
        config: dict | None = None,
        weights: str | Path | None = None,
        subwords: SubwordEncoder | None = None,
        workers: int | str = 0,
    ) -> None:
        if nbest < 0 or nbest_max_words < 1:
            raise ValueError("nbest must be >= 0 and nbest_max_words >= 1")
        if compose_words < 0:
            raise ValueError("compose_words must be >= 0")
        if nbest and candidates is None:
            raise ValueError("nbest needs candidate tables: its proposals are scored beside theirs")
        if hasattr(model, "config") and hasattr(model, "generate"):  # the network itself
            self._model, self._load_model = model.to(device).eval(), None
            config = model.config.to_dict()
            self.network_dtype = model.dtype
        elif callable(model) and config is not None:
            self._model, self._load_model = None, model
            self.network_dtype = getattr(model, "dtype", "float32")
        else:
            raise TypeError("model must be the network, or a function that loads it together with its config")
        self._weights = weights
        if nbest and not config.get("echo_spans", False):
            raise ValueError("nbest needs an echo-format model (config echo_spans)")
        self.encoder = encoder
        if callable(tokenizer) and not hasattr(tokenizer, "convert_tokens_to_ids"):  # a loader
            if subwords is None:
                raise TypeError("a tokenizer loader needs the SubwordEncoder of the same tokenizer.json (subwords=)")
            self._tokenizer, self._load_tokenizer = None, tokenizer
        else:
            self._tokenizer, self._load_tokenizer = tokenizer, None
            if subwords is None:
                subwords = SubwordEncoder(tokenizer.backend_tokenizer, tokenizer.pad_token or "<pad>")
        self.subwords = subwords
        self.device = device
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.keep_threshold = keep_threshold
        self.min_confidence = min_confidence
        self.max_words = max_words
        self.candidates = candidates
        self.candidate_keep_threshold = candidate_keep_threshold
        self.min_evidence = min_evidence
        self.evidence_confidence = evidence_confidence
        self.sure_confidence = sure_confidence
        self.document_evidence = document_evidence
        self.nbest = nbest
        self.nbest_max_words = nbest_max_words
        self._compose_words = compose_words
        if isinstance(candidate_scorer, dict):
            candidate_scorer = CandidateScorer.from_dict(candidate_scorer)
        self.candidate_scorer = candidate_scorer
        fitted_with_ngram = candidate_scorer is not None and candidate_scorer.reads(CANDIDATE_FEATURES.index("ngram fit"))
        if candidates is not None and ngram is None and fitted_with_ngram:
            raise ValueError(
                f"the candidate scorer was fitted with an n-gram model ({NGRAM_FILE}), but none was given: "
                f"put the model's {NGRAM_FILE} back beside it, or run training.calibrate again without one"
            )
        self.ngram = ngram
        # Costly candidate features held at 0 whatever the scorer (training.calibrate --skip_features).
        self.skipped_features: frozenset[str] = frozenset()
        self.reader: Decoder | None = None
        self.features: CandidateFeatures | None = None
        if candidates is not None:
            self.use_candidates(candidates, lm)
        self.max_length = min(int(config["max_position_embeddings"]) - 2, 256)
        self.echo = bool(config.get("echo_spans", False))
        # The decoder's learned positions end at max_position_embeddings; the start token takes one.
        self.writer = SpanWriter(lambda: self.model, lambda: self.tokenizer, subwords, device, self.echo,
                                 max_new_tokens=int(config["max_position_embeddings"]) - 1)
        self._pool: FeaturePool | None = None
        self._pool_lock = threading.Lock()
        self._workers = 0
        self.workers = workers

    @property
    def model(self):
        """The network (:class:`restore.model.modeling.TagGenForRestoration`), loaded on first use
        where the editor was given a loader: with the int8 encoder and the decoder off, never."""
        if self._model is None:
            self._model = self._load_model().to(self.device).eval()
            self._load_model = None
        return self._model

    @property
    def tokenizer(self) -> "PreTrainedTokenizerFast":
        """The model's tokenizer, loaded on first use where the editor was given a loader: the
        decoder's paths read it (the encoder's batches are :attr:`subwords`')."""
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
            self._load_tokenizer = None
        return self._tokenizer

    @property
    def encoder_name(self) -> str:
        """What tags the units: ``torch`` (the network's own encoder) or ``onnx:<file name>``."""
        return "torch" if self.encoder is None else f"onnx:{self.encoder.path.name}"

    @property
    def network_loaded(self) -> bool:
        """Whether the network's weights are in memory (see :attr:`model`)."""
        return self._model is not None

    def num_parameters(self) -> int:
        """The network's parameter count, read from its weights file while they are not loaded."""
        if self._model is None and self._weights is not None:
            from safetensors import safe_open

            with safe_open(str(self._weights), "pt") as f:  # mBART's final_logits_bias is a buffer, not a parameter
                return sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys() if not k.endswith("final_logits_bias"))
        return sum(p.numel() for p in self.model.parameters())

    @classmethod
    def from_pretrained(
        cls, path_or_hub_id: str | Path, device: str = "cpu", batch_size: int = 32, dtype: str = "auto",
        encoder: str = "auto", threads: int | None = None, **kwargs
    ) -> "Seq2SeqEditor":
        """Load model (with its generation config), tokenizer and, if the folder has them,
        the candidate tables, the n-gram model (:data:`NGRAM_FILE`) and the int8 encoder
        (:data:`restore.model.onnx_encoder.ENCODER_FILE`) from a folder or a Hub id; the network
        in ``dtype`` (one of :data:`DTYPES`, see :func:`model_dtype`); ``encoder`` one of
        :data:`restore.model.onnx_encoder.ENCODERS`; ``threads``: CPU threads for the int8 encoder and,
        when it is loaded, the network (``torch.set_num_threads``); None: their defaults."""
        import json

        name = str(path_or_hub_id)
        network_dtype = dtype_name(dtype, device)  # before loading: a bad name fails fast
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        config_file = model_file(name, "config.json")
        with open(config_file, encoding="utf-8") as f:
            config = json.load(f)
        if "encoder" not in kwargs and encoder != "torch":
            path = model_file(name, ENCODER_FILE, required=False)
            kwargs["encoder"] = onnx_encoder_for(path, encoder, device, threads)

        def load_network():
            import torch
            from transformers.utils import logging as transformers_logging

            from restore.model.modeling import TagGenForRestoration

            if threads:
                torch.set_num_threads(threads)
            bars = transformers_logging.is_progress_bar_enabled()
            transformers_logging.disable_progress_bar()  # no "Loading weights" bar in the middle of a fix
            try:
                return TagGenForRestoration.from_pretrained(name, dtype=torch.float32).to(getattr(torch, network_dtype))
            finally:
                if bars:
                    transformers_logging.enable_progress_bar()

        load_network.dtype = network_dtype  # type: ignore[attr-defined]
        if kwargs.get("encoder") is None:
            model = load_network()  # its own encoder tags: needed now
        else:
            kwargs["weights"] = model_file(name, "model.safetensors")  # there, though read only if the decoder is asked
            model = load_network

        def load_tokenizer():
            from transformers import PreTrainedTokenizerFast

            return PreTrainedTokenizerFast.from_pretrained(name)

        if "subwords" not in kwargs:
            kwargs["subwords"] = SubwordEncoder.from_file(model_file(name, "tokenizer.json"))
        settings = config.get("restore") or {}
        known = ("keep_threshold", "min_confidence", "max_words", "candidate_keep_threshold", "candidate_scorer",
                 "min_evidence", "evidence_confidence", "sure_confidence", "document_evidence", "nbest", "nbest_max_words",
                 "compose_words")
        kwargs = {**{k: settings[k] for k in known if k in settings}, **kwargs}
        if "candidates" not in kwargs:
            path = model_file(name, CANDIDATES_FILE, required=False)
            kwargs["candidates"] = Channel.load(path) if path else None
        if "ngram" not in kwargs and kwargs["candidates"] is not None:
            path = model_file(name, NGRAM_FILE, required=False)
            kwargs["ngram"] = NgramLM(path) if path else None
        return cls(model, load_tokenizer, device=device, batch_size=batch_size, config=config, **kwargs)

    def use_candidates(self, candidates: Channel, lm=None) -> "Seq2SeqEditor":
        """Draw candidates from ``candidates`` from now on (same scorer, n-gram model and
        settings: for ablations, e.g. :meth:`Channel.restricted`), read with ``lm`` (default:
        the word language model already in use, else :class:`CmuTrigramLM`); returns self."""
        if lm is None:
            lm = self.reader.lm if self.reader is not None else CmuTrigramLM()
        self.candidates = candidates
        self.reader = Decoder(candidates, lm)
        self.features = CandidateFeatures(candidates, self.reader, self.ngram, self._compose_words)
        return self

    @property
    def compose_words(self) -> int:
        """The longest run of doubted words whose one-word candidates are combined (0: none)."""
        return self._compose_words

    @compose_words.setter
    def compose_words(self, value: int) -> None:
        if value < 0:
            raise ValueError("compose_words must be >= 0")
        self._compose_words = value
        if self.features is not None:
            self.features.compose_words = value

    def propose(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        """Edits for each unit, in the unit's character offsets, sorted and disjoint; each
        unit chosen on its own (:meth:`choose`)."""
        return [self.choose(edits) for edits in self.proposals(units, protected, self.gate_floor)]

    def proposals(self, units: list[str], protected: list[list[bool]] | None = None,
                  floor: float = 0.0, focus: list[list[bool] | None] | None = None) -> list[list[Edit]]:
        """Every edit each unit proposes (generated and candidate, possibly overlapping), with
        its confidence, before any choice: what :meth:`choose` and :meth:`choose_document`
        choose from: :meth:`propose_all` with the candidates as edits.  Candidates below
        ``floor`` are left out (:attr:`gate_floor`: those the gates can never choose).
        ``focus[i]`` (per token, or None for all): the tokens whose candidates are looked at
        (a later restoring round's, near the last round's edits)."""
        return [generated + [c.edit for c in candidates]
                for generated, candidates in self.propose_all(units, protected, floor, focus)]

    @property
    def gate_floor(self) -> float:
        """The confidence below which an edit plays no part in :meth:`choose` or
        :meth:`choose_document`: neither made nor counted as evidence."""
        return min(self.min_confidence, self.evidence_confidence)

    def keep_probabilities(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[float | None]]:
        """For each unit, per token of ``restore.text.tokenize(unit)``, the tagger's probability
        that it should be kept (one encoder pass; None for a token it may not change: protected,
        or past the encoder's length).  ``restore.detect`` reads the doubt, 1 minus this."""
        out: list[list[float | None]] = [[] for _ in units]
        for idx, encoded in self._batches(units):
            chunk = [units[j] for j in idx]
            input_ids, attention_mask, offsets = self.subwords.pad(encoded)
            _, tag_logits = self._encode(input_ids, attention_mask)
            keep_column = _softmax(tag_logits)[..., KEEP].tolist()
            for i, (j, unit) in enumerate(zip(idx, chunk)):
                tokens = tokenize(unit)
                sub2tok = subword_to_token(offsets[i], tokens)
                mask = None if protected is None else protected[j]
                out[j] = [keep_column[i][pos] if pos >= 0 and not (mask is not None and mask[k]) else None
                          for k, pos in enumerate(first_subwords(sub2tok, len(tokens)))]
        return out

    def _encode(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple:
        """Encoder states (a numpy array from the int8 encoder, a tensor on the device from the
        network's own, in its dtype) and tag logits (float32 numpy) of a batch."""
        if self.encoder is not None:
            return self.encoder(input_ids, attention_mask)
        import torch

        with torch.inference_mode():
            states, tag_logits = self.model.encode(as_tensor(input_ids, self.device), as_tensor(attention_mask, self.device))
            return states, tag_logits.float().cpu().numpy()

    def _batches(self, units: list[str]) -> list[tuple[list[int], list]]:
        """``units`` encoded once and put in encoder batches of like subword lengths
        (:func:`length_batches` with ``batch_size`` and ``max_batch_tokens``): per batch, the
        units' indices and their encodings (:meth:`SubwordEncoder.encode`)."""
        encoded = self.subwords.encode(units, self.max_length)
        batches = length_batches([len(e.ids) for e in encoded], self.batch_size, self.max_batch_tokens)
        return [(idx, [encoded[j] for j in idx]) for idx in batches]

    def _tag_batch(self, units: list[str], protected: list[list[bool]] | None, encoded: list) -> list:
        """One encoder batch tagged: per unit, its view (:class:`UnitView`), its generated edits
        and the decoder's n-best (``{}`` when off)."""
        input_ids, attention_mask, offsets = self.subwords.pad(encoded)
        states, tag_logits = self._encode(input_ids, attention_mask)
        keep_probs = _softmax(tag_logits)
        span_ids = np.zeros_like(input_ids)
        keep_column = keep_probs[..., KEEP].tolist()  # per unit, per subword: P(keep)
        views: list[UnitView] = []
        plans: list[tuple[list, list[tuple[int, int]], list[float]]] = []
        for i, unit in enumerate(units):
            tokens = tokenize(unit)
            sub2tok = subword_to_token(offsets[i], tokens)
            first = first_subwords(sub2tok, len(tokens))
            free = [pos >= 0 and not (protected is not None and protected[i][k]) for k, pos in enumerate(first)]
            p_keep = [keep_column[i][pos] if pos >= 0 else 1.0 for pos in first]
            views.append(UnitView(tokens, free, p_keep, sub2tok))
            tags, tag_conf = [], []
            for k, pos in enumerate(first):
                if not free[k] or p_keep[k] >= self.keep_threshold:
                    tags.append(KEEP)
                    tag_conf.append(1.0)
                else:
                    tags.append(int(keep_probs[i, pos, 1:].argmax()) + 1)
                    tag_conf.append(1.0 - p_keep[k])
            ranges = spans_from_tags(tags)[: len(MARKERS)]
            span_ids[i] = subword_span_ids(sub2tok, ranges, len(tokens))
            confs = [min(tag_conf[a:z]) for a, z in ranges]
            plans.append((tokens, ranges, confs))
        generated = self.writer.greedy(units, plans, states, attention_mask, span_ids)
        nbest = self.writer.nbest(units, views, keep_probs, states, attention_mask, self.nbest, self.nbest_max_words,
                                  self.candidate_keep_threshold, self.batch_size) if self.nbest else [{} for _ in units]
        return list(zip(views, generated, nbest))

    def choose(self, edits: list[Edit]) -> list[Edit]:
        """The unit's edits to make, from all it proposed: :func:`gated` with this editor's settings."""
        return gated(edits, self.min_confidence, self.min_evidence, self.evidence_confidence, self.sure_confidence)

    def choose_document(self, units_edits: list[list[Edit]]) -> list[list[Edit]]:
        """The edits to make in each unit of one document, from all each proposed:
        :func:`gated_document` with this editor's settings."""
        return gated_document(units_edits, self.min_confidence, self.min_evidence, self.evidence_confidence,
                              self.sure_confidence, self.document_evidence)


    def _feature_args(self, units, views, nbest: list[dict], focus) -> tuple:
        """The arguments of :meth:`CandidateFeatures.rows` (and of the feature workers') for
        ``units``: every doubted run of words the candidate tables know (or, with ``nbest``, the
        decoder proposes replacements of: :meth:`_nbest`); with ``focus``, only runs that touch
        its tokens."""
        return units, views, self.candidate_keep_threshold, nbest if self.nbest else None, self.feature_skip(), focus

    def _candidate_edits(self, units, views, found: list[tuple]) -> list[list[CandidateEdit]]:
        """Per unit, its candidates as edits (:class:`CandidateEdit`) from ``found``: feature
        rows (:class:`CandidateFeatures`) with their confidence appended
        (:func:`restore.model.feature_pool.keep_confident`), in unit order."""
        results: list[list[CandidateEdit]] = [[] for _ in units]
        generated = CANDIDATE_FEATURES.index("generated")
        for i, a, z, replacement, source, doubt, features, confidence in found:
            origin = "generated" if features[generated] else "table"
            edit = _edit_with_article(units[i], views[i], a, z, replacement, confidence, origin)
            results[i].append(CandidateEdit((a, z), source, doubt, features, edit))
        return results

    def feature_skip(self) -> frozenset[str]:
        """The costly candidate features left at 0 (:data:`restore.candidates.features.SKIPPABLE`):
        :attr:`skipped_features`, and those the candidate scorer does not read (a scorer fitted
        with them held at 0 never does), so their work is saved."""
        if self.candidate_scorer is None:
            return self.skipped_features
        return self.skipped_features | unread_skippable(self.candidate_scorer.reads)

    def candidate_confidences(self, rows: list[tuple[float, ...]]) -> list[float]:
        """:meth:`candidate_confidence` of many feature rows at once."""
        return confidences(self.candidate_scorer, rows)

    def candidate_confidence(self, features: tuple[float, ...]) -> float:
        """P(the candidate is right): the calibrated scorer of :data:`CANDIDATE_FEATURES` if the
        model has one (``config.restore["candidate_scorer"]``; one fitted on fewer features
        reads the first ones), else tag doubt × the candidate's probability in the tables."""
        if self.candidate_scorer is not None:
            return self.candidate_scorer(features[: len(self.candidate_scorer.mean)])
        return math.exp(features[0] + features[1])  # tag doubt × P(candidate | spun words)

    def propose_all(self, units: list[str], protected: list[list[bool]] | None = None, floor: float = 0.0,
                    focus: list[list[bool] | None] | None = None):
        """For calibration: per unit, the generated edits (no confidence floor) and every
        scored candidate (:class:`CandidateEdit`) at confidence ``floor`` or above, before any
        choice between them (with ``focus``, as :meth:`proposals`)."""
        tagged: list = [None] * len(units)
        pool = self._feature_pool(len(units)) if self.candidates is not None else None
        started = []  # with feature workers: (unit indices, the rows' waiting function) per batch
        for idx, encoded in self._batches(units):
            masks = None if protected is None else [protected[j] for j in idx]
            batch = self._tag_batch([units[j] for j in idx], masks, encoded)
            for j, answer in zip(idx, batch):
                tagged[j] = answer
            if pool is not None:  # its candidates are scored while the next batch is tagged
                started.append((idx, pool.submit(*self._feature_args([units[j] for j in idx], [b[0] for b in batch],
                                                                      [b[2] for b in batch],
                                                                      None if focus is None else [focus[j] for j in idx]),
                                                  self.candidate_scorer, floor)))
        views, generated, nbest = (list(column) for column in zip(*tagged)) if units else ([], [], [])
        if self.candidates is None:
            return [(g, []) for g in generated]
        if pool is None:
            found = score(self.features, *self._feature_args(units, views, nbest, focus), self.candidate_scorer, floor)
        else:
            found = [(idx[row[0]], *row[1:]) for idx, rows in started for row in rows()]
        return list(zip(generated, self._candidate_edits(units, views, found)))

    @property
    def workers(self) -> int:
        """Processes that score candidates (:mod:`restore.model.feature_pool`) for calls of
        :data:`~restore.model.feature_pool.MIN_UNITS` units or more; 0: this process only."""
        return self._workers

    @workers.setter
    def workers(self, value: int | str) -> None:
        value = check_workers(value)
        self.close()
        self._workers = value

    def _feature_pool(self, n_units: int) -> FeaturePool | None:
        """The feature workers for a call of ``n_units`` units (started on first use), or None."""
        if not self._workers or n_units < MIN_UNITS or self.features is None:
            return None
        with self._pool_lock:
            if self._pool is None or self._pool.features is not self.features or self._pool.broken:
                self.close()
                self._pool = FeaturePool(self.features, self._workers)
                self._pool_closer = weakref.finalize(self, self._pool.close)
            return self._pool

    def close(self) -> None:
        """Stop the feature workers, if any are running (a later call starts them again)."""
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is not None:
            self._pool_closer.detach()
            pool.close()


def _edit_with_article(unit: str, view: UnitView, a: int, z: int, replacement: str, confidence: float,
                       source: str = "table") -> Edit:
    """The edit replacing tokens ``[a, z)`` (from ``source``, see :class:`Edit`); a free
    ``a``/``an`` just before them is made to agree with the replacement (``an information
    convention`` -> ``a news conference``)."""
    tokens = view.tokens
    start, end = tokens[a].start, tokens[z - 1].end
    if (
        a > 0 and view.free[a - 1] and tokens[a - 1].text.lower() in _ARTICLES
        and unit[tokens[a - 1].end : start] == " "
    ):
        article = tokens[a - 1].text
        fixed = agree(article, replacement.split()[0])
        if fixed != article:
            start, replacement = tokens[a - 1].start, f"{fixed} {replacement}"
    before = unit[start:end]
    return Edit(start, end, before, replacement, edit_kind(before, replacement), confidence, source)


