"""Train the tag-then-generate restorer with the ``transformers`` Seq2SeqTrainer.

    python -m training.train --preset cpu --output_dir runs/cpu                # from scratch
    python -m training.train --preset cpu --output_dir runs/cpu --resume       # go on in a run
    python -m training.train --preset cpu --output_dir runs/cpu2 --init_from restore/models/default
    python -m training.train --preset gpu --output_dir runs/gpu                # one H100/H200
    python -m training.train --preset tiny --output_dir /tmp/tiny              # seconds, tests
    python -m training.train --preset cpu --output_dir runs/ft --init_from runs/pretrain/final  # after training.pretrain

Every flag of ``ModelArguments``, ``DataArguments`` and ``Seq2SeqTrainingArguments`` can be
given; the preset only sets defaults.  The resolved settings are saved as
``run_config.json`` in the run folder; evaluation logs the dev loss and the dev
``spin_removed`` / ``damage`` (benchmarks' restoration metric) as a learning curve in
``trainer_state.json``.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoTokenizer,
    HfArgumentParser,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    TrainerCallback,
    set_seed,
)

from restore.model.feature_pool import usable_cores
from restore.edits import apply_edits
from restore.model.editor import Seq2SeqEditor
from restore.model.encoding import encode_pairs
from restore.model.formulation import MAX_SPANS
from restore.model.modeling import TagGenConfig, TagGenForRestoration
from restore.text import protected_mask
from training.presets import PRESETS

METRIC_PATH = str(Path(__file__).resolve().parent.parent / "benchmarks" / "metrics" / "restoration")


@dataclass
class ModelArguments:
    """Architecture (ignored with ``--init_from``, which brings its own)."""

    init_from: str | None = field(default=None, metadata={"help": "start from this model folder, a run's final or checkpoint-N folder (e.g. of training.pretrain), or a Hub id (e.g. restore/models/default)"})
    d_model: int = field(default=256, metadata={"help": "hidden size"})
    encoder_layers: int = field(default=6, metadata={"help": "encoder layers (deep)"})
    decoder_layers: int = field(default=2, metadata={"help": "decoder layers (shallow)"})
    attention_heads: int = field(default=4, metadata={"help": "attention heads, encoder and decoder"})
    ffn_dim: int = field(default=1024, metadata={"help": "feed-forward size"})
    dropout: float = field(default=0.1, metadata={"help": "dropout"})
    tag_loss_weight: float = field(default=1.0, metadata={"help": "weight of the tagging loss"})
    target_format: str = field(default="echo", metadata={"help": "decoder target: echo (spun words given after each marker) or plain (see restore.model.formulation)"})
    keep_threshold: float = field(default=0.5, metadata={"help": "inference: replace a token only if P(keep) is below this"})
    distill_from: str | None = field(default=None, metadata={"help": "teacher model folder or Hub id: the tagger also learns the teacher's tag probabilities on every unit (knowledge distillation; a shallower copy made by training.shrink learning from the model it was cut from)"})
    distill_weight: float = field(default=1.0, metadata={"help": "with --distill_from: weight of the KL divergence from the teacher's tag probabilities in the loss"})
    decoder_only: bool = field(default=False, metadata={"help": "train the decoder alone (its layers and the span embeddings): the shared word embeddings, the encoder and the tag head stay as they are, so the tagger, the candidate tables' calibration and the int8 encoder still fit (a generator trained on top of a shipped tagger)"})

    def __post_init__(self) -> None:
        if self.target_format not in ("echo", "plain"):
            raise ValueError("target_format must be 'echo' or 'plain'")
        if self.d_model % self.attention_heads:
            raise ValueError("d_model must be divisible by attention_heads")
        if not 0.0 < self.keep_threshold <= 1.0:
            raise ValueError("keep_threshold must be in (0, 1]")
        if self.distill_weight < 0:
            raise ValueError("distill_weight must be >= 0")
        if self.decoder_only and self.distill_from:
            raise ValueError("decoder_only keeps the tagger as it is; distill_from trains it: choose one")


@dataclass
class DataArguments:
    """Where the pairs and the tokenizer come from, and how much of them to use."""

    pairs: str = field(default="data/pairs", metadata={"help": "pairs dataset saved by training.make_pairs"})
    tokenizer: str = field(default="runs/tokenizer", metadata={"help": "tokenizer folder (training.train_tokenizer); ignored with --init_from"})
    max_source_length: int = field(default=128, metadata={"help": "subwords per unit"})
    max_target_length: int = field(default=96, metadata={"help": "subwords of the replacement script"})
    max_train_samples: int | None = field(default=None, metadata={"help": "truncate the training split (smoke runs)"})
    max_eval_samples: int | None = field(default=500, metadata={"help": "dev units for the loss"})
    dev_restore_samples: int = field(default=300, metadata={"help": "dev units restored at each evaluation for spin removed / damage"})
    preprocessing_num_workers: int | None = field(default=None, metadata={"help": "processes for encoding"})
    resume: bool = field(default=False, metadata={"help": "resume from the last checkpoint in output_dir"})
    time_limit_minutes: float | None = field(default=None, metadata={"help": "stop (with a checkpoint) after this long"})
    stop_at: float | None = field(default=None, metadata={"help": "stop (with a checkpoint) at this Unix time, or at the time limit if that comes first; the limit then starts when training does (scripted sessions: training.gpu_session)"})
    time_decay_fraction: float = field(default=0.0, metadata={"help": "with --time_limit_minutes or --stop_at: decay the learning rate linearly to zero over this last fraction of the training time (wall clock), replacing --lr_scheduler_type"})

    def __post_init__(self) -> None:
        if self.max_source_length < 8 or self.max_target_length < 4:
            raise ValueError("max_source_length must be >= 8 and max_target_length >= 4")
        if not 0.0 <= self.time_decay_fraction < 1.0:
            raise ValueError("time_decay_fraction must be in [0, 1)")
        if self.time_decay_fraction and not (self.time_limit_minutes or self.stop_at):
            raise ValueError("time_decay_fraction needs time_limit_minutes or stop_at")

    def training_minutes(self, now: float) -> float | None:
        """Minutes training may take from Unix time ``now``: the time limit, or what is left
        before ``stop_at`` if that is less (None: no bound)."""
        left = None if self.stop_at is None else max(0.0, (self.stop_at - now) / 60)
        if self.time_limit_minutes is None:
            return left
        return self.time_limit_minutes if left is None else min(self.time_limit_minutes, left)


class PairCollator:
    """Pads a batch of encoded pairs; the decoder reads ``</s>`` + decoder_tokens[:-1]."""

    def __init__(self, pad_id: int, eos_id: int) -> None:
        self.pad_id, self.eos_id = pad_id, eos_id

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        def pad(key: str, value: int) -> torch.Tensor:
            width = max(len(r[key]) for r in rows)
            return torch.tensor([list(r[key]) + [value] * (width - len(r[key])) for r in rows])

        labels = pad("labels", -100)
        tokens = pad("decoder_tokens", self.pad_id)
        decoder_input_ids = torch.cat([torch.full_like(tokens[:, :1], self.eos_id), tokens[:, :-1]], dim=1)
        return {
            "input_ids": pad("input_ids", self.pad_id),
            "attention_mask": pad("attention_mask", 0),
            "tag_labels": pad("tag_labels", -100),
            "span_ids": pad("span_ids", 0),
            "labels": labels,
            "decoder_input_ids": decoder_input_ids,
        }


def wall_clock_schedule(warmup_steps: int, deadline: float, decay_seconds: float, clock=time.monotonic):
    """Learning-rate factor by step: linear warmup, then 1 until ``decay_seconds`` before
    ``deadline`` (a ``clock`` time), then linearly down to 0 at the deadline.

    For runs bounded by time rather than steps (the ``gpu`` preset), where the step count at
    which to decay is not known in advance.  A plain closure, so a resumed run's scheduler
    state never carries an old deadline.
    """

    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
        left = deadline - clock()
        return warm * max(0.0, min(1.0, left / decay_seconds))

    return factor


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, tag_labels: torch.Tensor) -> torch.Tensor:
    """Mean KL divergence KL(teacher || student) of the tag distributions over the positions the
    tagger is read at (``tag_labels`` not -100); 0 if there are none."""
    where = tag_labels != -100
    if not bool(where.any()):
        return student_logits.sum() * 0.0
    student = torch.log_softmax(student_logits[where].float(), dim=-1)
    teacher = torch.log_softmax(teacher_logits[where].float(), dim=-1)
    return torch.nn.functional.kl_div(student, teacher, log_target=True, reduction="batchmean")


class RestorationTrainer(Seq2SeqTrainer):
    """Seq2SeqTrainer whose evaluation also restores dev units and logs spin removed.

    With ``lr_factor`` (see ``wall_clock_schedule``) it replaces the step-based scheduler.
    With a ``teacher`` (a :class:`TagGenForRestoration`), the loss adds ``distill_weight`` times
    :func:`distillation_loss` of the model's tag logits from the teacher's on the same units.
    """

    def __init__(self, *args, dev_pairs: list[tuple[str, str]], keep_threshold: float, lr_factor=None,
                 teacher: TagGenForRestoration | None = None, distill_weight: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dev_pairs = dev_pairs
        self.keep_threshold = keep_threshold
        self.lr_factor = lr_factor
        self.teacher = teacher
        self.distill_weight = distill_weight
        if teacher is not None:
            teacher.to(self.model.device).eval().requires_grad_(False)
        self._metric = None
        self._parts: dict[str, list[float]] = {"tag_loss": [], "gen_loss": []}
        if teacher is not None:
            self._parts["distill_loss"] = []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The model's loss (plus the distillation term with a teacher); its parts are kept for
        the next log line."""
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        parts = {part: getattr(outputs, part, None) for part in ("tag_loss", "gen_loss")}
        if self.teacher is not None and outputs.tag_logits is not None:
            with torch.no_grad():
                _, teacher_logits = self.teacher.encode(inputs["input_ids"], inputs["attention_mask"])
            parts["distill_loss"] = distillation_loss(outputs.tag_logits, teacher_logits, inputs["tag_labels"])
            loss = loss + self.distill_weight * parts["distill_loss"]
        if model.training:
            for part, values in self._parts.items():
                if parts.get(part) is not None:
                    values.append(float(parts[part].detach()))
        return (loss, outputs) if return_outputs else loss

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.lr_factor is None:
            return super().create_scheduler(num_training_steps, optimizer)
        if self.lr_scheduler is None:
            self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer or self.optimizer, self.lr_factor)
            self._created_lr_scheduler = True
        return self.lr_scheduler

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the mean tagging and generation losses since the last training log line."""
        if "loss" in logs:
            for part, values in self._parts.items():
                if values:
                    logs[part] = round(sum(values) / len(values), 4)
                values.clear()
        super().log(logs, start_time)

    def evaluate(self, *args, **kwargs) -> dict[str, float]:
        metrics = super().evaluate(*args, **kwargs)
        if self.dev_pairs:
            try:
                extra = self.restore_dev()
            except Exception as error:  # a failing side metric must not end hours of training
                print(f"restore: dev restoration failed at step {self.state.global_step}: {error!r}", file=sys.stderr)
                return metrics
            self.log(extra)
            metrics.update(extra)
        return metrics

    def restore_dev(self) -> dict[str, float]:
        """Restore the dev units with the model as it is and score them."""
        import evaluate

        if self._metric is None:
            self._metric = evaluate.load(METRIC_PATH)
        was_training = self.model.training
        editor = Seq2SeqEditor(self.model, self.processing_class, device=str(self.model.device), keep_threshold=self.keep_threshold)
        spun = [s for s, _ in self.dev_pairs]
        masks = [protected_mask(s) for s in spun]
        edits = editor.propose(spun, masks)
        restored = [apply_edits(s, e) for s, e in zip(spun, edits)]
        self.model.train(was_training)
        scores = self._metric.compute(sources=spun, predictions=restored, references=[c for _, c in self.dev_pairs])
        return {f"eval_{k}": float(scores[k]) for k in ("spin_removed", "damage", "precision", "recall") if scores.get(k) is not None}


def architecture(model: TagGenForRestoration) -> dict:
    """The architecture arguments of a built model (with ``--init_from``, the model's own, not the preset's)."""
    c = model.config
    return {"d_model": c.d_model, "encoder_layers": c.encoder_layers, "decoder_layers": c.decoder_layers,
            "attention_heads": c.encoder_attention_heads, "ffn_dim": c.encoder_ffn_dim}


def hardware(use_cpu: bool = False) -> str:
    """What a run trains on, in words: the processor, and the GPU where one is used."""
    gpu = "CPU" if use_cpu or not torch.cuda.is_available() else f"CUDA: {torch.cuda.get_device_name(0)}"
    return f"{platform.machine()} {platform.processor() or ''} ({gpu}, {usable_cores()} cores)".replace("  ", " ")


class TimeLimit(TrainerCallback):
    """Save and stop after a wall-clock budget (for runs that must end inside a session)."""

    def __init__(self, minutes: float) -> None:
        self.deadline = time.monotonic() + minutes * 60

    def on_step_end(self, args, state, control, **kwargs):
        if time.monotonic() > self.deadline:
            control.should_save = True
            control.should_training_stop = True
        return control


class StopOnNonFinite(TrainerCallback):
    """Stop at the first non-finite training loss or gradient norm, before it is checkpointed,
    so the run folder's newest checkpoint is the last sound one."""

    def __init__(self) -> None:
        self.step: int | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        values = [logs.get(k) for k in ("loss", "grad_norm")] if logs else []
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            self.step = state.global_step
            control.should_training_stop = True
            control.should_save = False
        return control


def build_model(model_args: ModelArguments, tokenizer, data_args: DataArguments) -> TagGenForRestoration:
    """A fresh model sized by ``model_args`` for ``tokenizer``."""
    config = TagGenConfig(
        vocab_size=len(tokenizer),
        d_model=model_args.d_model,
        encoder_layers=model_args.encoder_layers,
        decoder_layers=model_args.decoder_layers,
        encoder_attention_heads=model_args.attention_heads,
        decoder_attention_heads=model_args.attention_heads,
        encoder_ffn_dim=model_args.ffn_dim,
        decoder_ffn_dim=model_args.ffn_dim,
        dropout=model_args.dropout,
        attention_dropout=0.0,
        activation_function="gelu",
        max_position_embeddings=max(data_args.max_source_length, data_args.max_target_length) + 2,
        scale_embedding=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=None,
        tie_word_embeddings=True,
        max_spans=MAX_SPANS,
        tag_loss_weight=model_args.tag_loss_weight,
        echo_spans=model_args.target_format == "echo",
    )
    return TagGenForRestoration(config)


def parse_with_preset(argv: list[str], presets: dict[str, dict], types: tuple[type, ...]) -> tuple[tuple, str]:
    """Parse ``argv`` into instances of the dataclasses ``types``, with the values of the
    preset named by ``--preset`` (default ``cpu``) as defaults; returns them and the preset."""
    preset = "cpu"
    if "--preset" in argv:
        i = argv.index("--preset")
        preset = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    if preset not in presets:
        raise SystemExit(f"unknown preset {preset!r}; choose from {', '.join(presets)}")
    parser = HfArgumentParser(types)
    parser.set_defaults(**presets[preset])
    return tuple(parser.parse_args_into_dataclasses(argv)), preset


def parse_args(argv: list[str]) -> tuple[ModelArguments, DataArguments, Seq2SeqTrainingArguments, str]:
    """Parse the CLI with the chosen preset's values as defaults."""
    (model_args, data_args, train_args), preset = parse_with_preset(
        argv, PRESETS, (ModelArguments, DataArguments, Seq2SeqTrainingArguments)
    )
    return model_args, data_args, train_args, preset


def encode_splits(data_args: DataArguments, tokenizer, seed: int, echo: bool):
    """Training and dev splits of the pairs at ``data_args.pairs`` (columns ``spun`` and
    ``clean``; an optional boolean ``restorable`` limits the dev units restored for the
    curve) encoded for the model, plus raw dev pairs to restore."""
    from datasets import load_from_disk

    pairs = load_from_disk(data_args.pairs)
    train, dev = pairs["train"], pairs["validation"]
    if data_args.max_train_samples:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    dev = dev.shuffle(seed=seed)
    # Dev units to restore: all of them, or, where the split marks which are (pre-training's
    # denoising pairs), only those the editor can restore at all.
    restorable = dev.filter(lambda r: r, input_columns="restorable") if "restorable" in dev.column_names else dev
    restorable = restorable.select(range(min(data_args.dev_restore_samples, len(restorable))))
    dev_pairs = list(zip(restorable["spun"], restorable["clean"]))
    if data_args.max_eval_samples:
        dev = dev.select(range(min(data_args.max_eval_samples, len(dev))))

    def encode(batch: dict[str, list]) -> dict[str, list]:
        return encode_pairs(
            tokenizer, batch["spun"], batch["clean"], data_args.max_source_length, data_args.max_target_length, echo
        )

    keep = ["input_ids", "attention_mask", "tag_labels", "span_ids", "decoder_tokens", "labels"]
    train = train.map(encode, batched=True, num_proc=data_args.preprocessing_num_workers, desc="encoding train")
    dev = dev.map(encode, batched=True, num_proc=data_args.preprocessing_num_workers, desc="encoding dev")
    train = train.remove_columns([c for c in train.column_names if c not in keep])
    dev = dev.remove_columns([c for c in dev.column_names if c not in keep])
    return train, dev, dev_pairs


def freeze_tagger(model: TagGenForRestoration) -> int:
    """Leave only the decoder trainable: its layers, position embeddings and layer norms, and the
    span embeddings it reads; the shared word embeddings (tied to the output layer), the encoder
    and the tag head stop learning, so the tag probabilities stay exactly as they were.  Returns
    the number of parameters left trainable."""
    model.requires_grad_(False)
    shared = model.get_input_embeddings().weight
    for module in (model.model.decoder, model.span_embed):
        module.requires_grad_(True)
    shared.requires_grad_(False)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def load_model(model_args: ModelArguments, data_args: DataArguments) -> tuple[TagGenForRestoration, Any]:
    """The model to train and its tokenizer: ``--init_from``'s (a model folder, a run's
    ``final`` or ``checkpoint-N`` folder, or a Hub id) in float32, else a fresh model sized by
    ``model_args`` for the tokenizer at ``data_args.tokenizer``."""
    if model_args.init_from:
        tokenizer = AutoTokenizer.from_pretrained(model_args.init_from)
        return TagGenForRestoration.from_pretrained(model_args.init_from, dtype=torch.float32), tokenizer
    tokenizer = AutoTokenizer.from_pretrained(data_args.tokenizer)
    return build_model(model_args, tokenizer, data_args), tokenizer


def run(
    model_args: ModelArguments,
    data_args: DataArguments,
    train_args: Seq2SeqTrainingArguments,
    preset: str,
    stage: str = "fine-tune",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Train on the pairs at ``data_args.pairs``; returns the run folder (``output_dir``).

    ``stage`` (``pretrain`` or ``fine-tune``) and ``extra`` (more resolved settings, e.g. the
    corruption of pre-training) are recorded in ``run_config.json``, which
    ``training.export`` reads into the model's training history.
    """
    set_seed(train_args.seed)
    if train_args.use_cpu or not torch.cuda.is_available():
        torch.set_num_threads(usable_cores())  # all the cores this process may use (taskset, cgroups)
    else:
        torch.set_float32_matmul_precision("high")  # TF32 matmuls on a GPU; fp32 everywhere else
    model, tokenizer = load_model(model_args, data_args)
    model.config.restore = {"keep_threshold": model_args.keep_threshold, "max_words": 60, "preset": preset}
    train, dev, dev_pairs = encode_splits(data_args, tokenizer, train_args.seed, model.config.echo_spans)

    out = Path(train_args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    minutes = data_args.training_minutes(time.time())
    trainable = freeze_tagger(model) if model_args.decoder_only else model.num_parameters()
    resolved = {"stage": stage, "preset": preset, "model": {**asdict(model_args), **architecture(model)},
                "data": {**asdict(data_args), "time_bound_minutes": minutes}, **(extra or {}),
                "training": train_args.to_dict(), "parameters": model.num_parameters(),
                "trainable_parameters": trainable, "hardware": hardware(train_args.use_cpu)}
    (out / "run_config.json").write_text(json.dumps(resolved, indent=2, default=str))
    print(f"restore: {stage}, {model.num_parameters() / 1e6:.1f} M parameters ({trainable / 1e6:.1f} M trained), "
          f"{len(train)} training units, preset {preset}")

    guard = StopOnNonFinite()
    limit = TimeLimit(minutes) if minutes is not None else None
    callbacks = [guard] + ([limit] if limit else [])
    lr_factor = None
    if data_args.time_decay_fraction:  # DataArguments guarantees a time bound with it
        decay_seconds = max(1.0, data_args.time_decay_fraction * minutes * 60)
        lr_factor = wall_clock_schedule(train_args.warmup_steps, limit.deadline, decay_seconds)
    teacher = None
    if model_args.distill_from:
        teacher = TagGenForRestoration.from_pretrained(model_args.distill_from, dtype=torch.float32)
        if teacher.config.vocab_size != model.config.vocab_size:
            raise SystemExit(f"training.train: error: the teacher {model_args.distill_from} has another vocabulary "
                             f"({teacher.config.vocab_size} subwords, the model {model.config.vocab_size}): distil a model "
                             "made from it (python -m training.shrink)")
    trainer = RestorationTrainer(
        model=model,
        args=train_args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=PairCollator(tokenizer.pad_token_id, tokenizer.eos_token_id),
        processing_class=tokenizer,
        callbacks=callbacks,
        dev_pairs=dev_pairs,
        keep_threshold=model_args.keep_threshold,
        lr_factor=lr_factor,
        teacher=teacher,
        distill_weight=model_args.distill_weight,
    )
    resume = data_args.resume and any(out.glob("checkpoint-*"))
    start = time.time()
    trainer.train(resume_from_checkpoint=True if resume else None)
    if guard.step is not None:
        raise SystemExit(
            f"restore error: the training loss or gradient became NaN/inf by step {guard.step}; stopped without saving it. "
            f"The newest checkpoint in {out} is the last sound one: lower --learning_rate, or train without --bf16."
        )
    trainer.save_model(str(out / "final"))
    tokenizer.save_pretrained(str(out / "final"))
    metrics = trainer.evaluate()
    summary = {"stage": stage, "wall_seconds": time.time() - start, "global_step": trainer.state.global_step,
               "num_input_tokens_seen": trainer.state.num_input_tokens_seen, **metrics}
    (out / "final" / "train_summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return out


def main(argv: list[str] | None = None) -> Path:
    """Fine-tune on spinner pairs (``training.make_pairs``); returns the run folder (``output_dir``)."""
    model_args, data_args, train_args, preset = parse_args(list(sys.argv[1:] if argv is None else argv))
    if not (Path(data_args.pairs) / "dataset_dict.json").is_file():
        raise SystemExit(f"training.train: error: no pairs at {data_args.pairs}; make them first, "
                         f"e.g. python -m training.make_pairs --sources my.txt --output {data_args.pairs}")
    return run(model_args, data_args, train_args, preset)


if __name__ == "__main__":
    main()
