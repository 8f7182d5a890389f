"""Export a training run as the shipped model, with its model card.

    python -m training.export runs/cpu [--checkpoint checkpoint-4000] [--output restore/models/default]
    python -m training.export --update-card      # after python -m benchmarks.run

Writes fp16 safetensors, config, tokenizer and generation config to the output folder
(replacing what was there), the int8 ONNX encoder (``training.export_encoder``; ``--no-encoder``:
none) and a ``README.md`` model card: formulation, data and its
licenses, steps, tokens seen, wall time, hardware, the learning curve, the run's
``comparison.md`` if it has one (how the formulation was chosen), and the benchmark
scores of ``benchmarks/results/report.json`` when it has the ``seq2seq`` system.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoTokenizer, GenerationConfig

from restore.candidates.features import SKIPPABLE
from restore.model.modeling import TagGenForRestoration
from restore.model.scorer import CandidateScorer
from training.train import hardware

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "restore" / "models" / "default"
REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "report.json"
MAX_BYTES = 50 * 1024 * 1024
HISTORY_FILE = "training_history.json"
"""Every training run behind a model's weights, oldest first (one record per run, see ``run_record``)."""

DATA_NOTE = """\
Pairs were made by `python -m training.make_pairs` from the corpora of the project's shared data,
spun by `restore.spin` with the training profiles (never `moby`):

| corpus | license |
| --- | --- |
| UN General Debate Corpus 1946–2024 | CC0 (Harvard Dataverse) |
| English Wikinews 2019–2020 (benchmark documents held out) | CC BY 2.5, Wikinews contributors |
| Wikipedia Current Events 2025–2026 | CC BY-SA 4.0, Wikipedia contributors |
| Project Gutenberg subset | public domain |
| Problematic Paper Screener tortured phrases (pps-dev) — spinner tables | CC BY 4.0, Cabanac, Labbé, Magazinov (2021) |

NTREX-128 (newstest2019 English) is never trained on: it is benchmark data, and so are the resources
the unseen suites hold out (`training/heldout.py`: Moby, the held-out phrase table, a quarter of the
tortured list; the tables and calibration never used that quarter, the first training stage of
2026-11-28 predates the split). The spinner's lexical
sources (WordNet 3.0, the OpenOffice/MyThes thesaurus, Moby) are credited in
`restore/spin/data/LICENSES.md`. As the weights are trained on CC BY-SA text, share them alike.
"""


def pick_checkpoint(run_dir: Path, name: str | None) -> Path:
    """The folder to export: ``name`` in the run, else ``final``, else the newest checkpoint."""
    if name:
        return run_dir / name
    if (run_dir / "final" / "config.json").exists():
        return run_dir / "final"
    checkpoints = sorted(run_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    if not checkpoints:
        raise SystemExit(f"restore error: no checkpoint in {run_dir}")
    return checkpoints[-1]


def trainer_state(run_dir: Path, source: Path) -> Path:
    """The trainer state of ``source``, else of the run's newest checkpoint."""
    if (source / "trainer_state.json").exists():
        return source / "trainer_state.json"
    states = sorted(run_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[-1]))
    return states[-1] if states else source / "trainer_state.json"


def learning_curve(state_file: Path) -> list[dict]:
    """Evaluation rows (step, tokens, dev loss, spin removed, damage) of a trainer state."""
    if not state_file.exists():
        return []
    rows: dict[int, dict] = {}
    for entry in json.loads(state_file.read_text()).get("log_history", []):
        if any(k.startswith("eval_") for k in entry):
            row = rows.setdefault(entry["step"], {"step": entry["step"]})
            row.update({k: v for k, v in entry.items() if k.startswith("eval_") or k == "num_input_tokens_seen"})
    return [rows[s] for s in sorted(rows)]


def training_seconds(log_history: list[dict]) -> float | None:
    """Wall seconds of training behind a trainer state, summed over resumed runs.

    Each run logs ``train_runtime`` counted from its own start; a value lower than the one
    before marks a resume, so the total is the sum of each run's last value."""
    total, last = 0.0, None
    for entry in log_history:
        runtime = entry.get("train_runtime")
        if runtime is None:
            continue
        if last is not None and runtime < last:
            total += last
        last = runtime
    return None if last is None else total + last


def _fmt(value, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value if value is not None else "")


def _wall_time(summary: dict, state: dict) -> str:
    seconds = training_seconds(state.get("log_history", []))
    if seconds is None:
        seconds = summary.get("wall_seconds")
    return "unknown" if seconds is None else f"{seconds / 3600:.1f} h ({round(seconds)} s)"


def _run_files(run_dir: Path, source: Path) -> tuple[dict, dict, dict]:
    """(run_config.json, the trainer state, train_summary.json) of a run's exported checkpoint, each {} if absent."""
    def read(path: Path) -> dict:
        return json.loads(path.read_text()) if path.exists() else {}

    return read(run_dir / "run_config.json"), read(trainer_state(run_dir, source)), read(source / "train_summary.json")


def run_record(run_dir: Path, source: Path) -> dict:
    """This run's entry in the model's training history: its stage (``pretrain`` or
    ``fine-tune``), what it started from, its steps, source tokens, wall seconds, hardware,
    learning rate and data."""
    config, state, summary = _run_files(run_dir, source)
    training, data = config.get("training", {}), config.get("data") or {}
    seconds = training_seconds(state.get("log_history", []))
    record = {
        "run": str(run_dir),
        "checkpoint": source.name,
        "stage": config.get("stage", "fine-tune"),
        "preset": config.get("preset"),
        "started_from": (config.get("model") or {}).get("init_from"),
        "steps": state.get("global_step", summary.get("global_step")),
        "tokens": state.get("num_input_tokens_seen", summary.get("num_input_tokens_seen")),
        "seconds": summary.get("wall_seconds") if seconds is None else round(seconds, 1),
        "hardware": config.get("hardware") or hardware(),
        "learning_rate": training.get("learning_rate"),
        "schedule": _schedule(training, data),
        "batch": training.get("per_device_train_batch_size"),
        "pairs": data.get("pairs"),
    }
    teacher = (config.get("model") or {}).get("distill_from")
    if teacher:
        record["distilled_from"] = teacher  # the tagger also learned this model's tag probabilities
    return record


def earlier_history(init_from: str | None) -> list[dict]:
    """The training history of the model a run started from: an exported model folder's or
    Hub id's ``training_history.json``, or, for a folder of a training run (its ``final`` or a
    ``checkpoint-N``, e.g. of ``training.pretrain``), that run's history; [] if it started
    from random weights or its model carries none."""
    if not init_from:
        return []
    folder = Path(init_from)
    if folder.is_dir() and not (folder / HISTORY_FILE).exists() and (folder.parent / "run_config.json").exists():
        return training_history(folder.parent, folder)
    from transformers.utils import cached_file

    found = cached_file(init_from, HISTORY_FILE, _raise_exceptions_for_missing_entries=False)
    return json.loads(Path(found).read_text()) if found else []


def training_history(run_dir: Path, source: Path) -> list[dict]:
    """Every run behind the exported weights, oldest first: the starting model's history and this run."""
    record = run_record(run_dir, source)
    return earlier_history(record["started_from"]) + [record]


def history_lines(history: list[dict]) -> list[str]:
    """The card's table of the runs behind the weights, with totals (empty for a single run)."""
    if len(history) < 2:
        return []
    lines = [
        "",
        "Every run behind these weights, oldest first (`training_history.json`):",
        "",
        "| run | stage | started from | preset | hardware | steps | batch | source tokens | wall time | learning rate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in history:
        seconds, tokens = r.get("seconds"), r.get("tokens")
        wall = "?" if seconds is None else f"{seconds / 3600:.2f} h"
        lines.append(
            f"| `{r.get('run')}` | {r.get('stage', 'fine-tune')} | {r.get('started_from') or 'random weights'}"
            f"{' (distilled from ' + r['distilled_from'] + ')' if r.get('distilled_from') else ''} | "
            f"{r.get('preset')} | {r.get('hardware')} | "
            f"{r.get('steps')} | {r.get('batch')} | {f'{tokens:,}' if isinstance(tokens, int) else '?'} | {wall} | "
            f"{r.get('learning_rate')} ({r.get('schedule')}) |"
        )
    tokens = sum(r.get("tokens") or 0 for r in history)
    seconds = sum(r.get("seconds") or 0 for r in history)
    lines += ["", f"In all: {sum(r.get('steps') or 0 for r in history):,} steps, {tokens:,} source tokens, "
                  f"{seconds / 3600:.2f} h of training" + _stage_totals(history) + "."]
    return lines


def _stage_totals(history: list[dict]) -> str:
    """The history's tokens and hours per stage, in words (empty if every run fine-tuned)."""
    stages: dict[str, list[float]] = {}
    for r in history:
        totals = stages.setdefault(r.get("stage", "fine-tune"), [0, 0.0])
        totals[0] += r.get("tokens") or 0
        totals[1] += r.get("seconds") or 0
    if set(stages) == {"fine-tune"}:
        return ""
    return " (" + "; ".join(f"{stage}: {int(t):,} tokens, {s / 3600:.2f} h" for stage, (t, s) in stages.items()) + ")"


def model_card(source: Path, run_dir: Path, model: TagGenForRestoration, history: list[dict] | None = None) -> str:
    """The model card's markdown (``history``: the runs behind the weights, see :func:`training_history`)."""
    config, state, summary = _run_files(run_dir, source)
    training = config.get("training", {})
    curve = learning_curve(trainer_state(run_dir, source))
    restored = (config.get("data") or {}).get("dev_restore_samples", "?")
    c = model.config
    lines = [
        "# restore default model",
        "",
        "A tag-then-generate restorer of synonym-spun English: the encoder tags each token KEEP / BEGIN /",
        "INSIDE (tokens to replace), the decoder writes only the replacements, one per tagged span, after",
        "a span marker (`<e1> said <e2> news conference </s>`), attending to encoder states that carry a",
        "span-id embedding. Contract: `restore/model/formulation.py`. Beside it, `training.candidates` puts",
        "candidate tables (`candidates.tsv.gz`: the spinner's tables inverted, with counts from the training",
        "pairs) whose candidates for doubted words a calibrated scorer accepts or rejects (see Candidate tables",
        "and Calibration). Architecture: pre-layer-norm mBART,",
        f"d_model {c.d_model}, {c.encoder_layers} encoder / {c.decoder_layers} decoder layers, "
        f"{c.encoder_ffn_dim} FFN, vocabulary {c.vocab_size} (cased byte-level BPE), "
        f"{model.num_parameters() / 1e6:.1f} M parameters, stored in fp16.",
        "",
        "## Training",
        "",
        f"- run: `{run_dir}` ({config.get('stage', 'fine-tune')}), exported from `{source.name}`, preset "
        f"`{config.get('preset', '?')}`, started from "
        f"{_started_from(config)}",
        f"- steps: {state.get('global_step', summary.get('global_step', '?'))}; "
        f"tokens seen (source side): {state.get('num_input_tokens_seen', summary.get('num_input_tokens_seen', '?'))}",
        f"- training wall time (every run in this folder up to this checkpoint): {_wall_time(summary, state)}; "
        f"hardware: {config.get('hardware') or hardware()}",
        f"- learning rate {training.get('learning_rate', '?')} ({_schedule(training, config.get('data') or {})}), batch "
        f"{training.get('per_device_train_batch_size', '?')}, "
        "decision thresholds: see Calibration",
        f"- pairs: {_pairs_words(config.get('data') or {})}",
        *history_lines(history or []),
        "",
        "## Data",
        "",
        DATA_NOTE,
        f"## Learning curve of the last run (dev split, {restored} units restored at each evaluation)",
        "",
        "| step | source tokens seen | dev loss | spin removed | damage | precision | recall |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in curve:
        lines.append(
            f"| {r['step']} | {r.get('num_input_tokens_seen', '')} | {_fmt(r.get('eval_loss'))} | "
            f"{_fmt(r.get('eval_spin_removed'))} | {_fmt(r.get('eval_damage'))} | "
            f"{_fmt(r.get('eval_precision'))} | {_fmt(r.get('eval_recall'))} |"
        )
    notes = run_dir / "comparison.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    else:
        lines += formulation_section((config.get("model") or {}).get("init_from"))
    lines += ["", "## Benchmark", ""]
    lines += benchmark_lines()
    return "\n".join(lines) + "\n"


def benchmark_lines() -> list[str]:
    """The seq2seq scores of the committed benchmark report, beside the lexicon baseline."""
    if not REPORT.exists():
        return ["Not benchmarked yet: run `python -m benchmarks.run`."]
    report = json.loads(REPORT.read_text())
    if "seq2seq" not in report.get("seed_outputs", {}) and not any(
        "seq2seq" in systems for systems in report.get("scores", {}).values()
    ):
        return ["Not benchmarked yet: run `python -m benchmarks.run`."]
    dtype = report.get("systems", {}).get("seq2seq", {}).get("info", {}).get("dtype")
    lines = [
        f"`{report.get('command', 'python -m benchmarks.run')}` ({report.get('started', '')}), from",
        "`benchmarks/results/report.md`" + (f" (the network in {dtype}, as `dtype=\"auto\"` chose there):" if dtype else ":"),
        "",
        "| suite | system | spin removed | damage | P | R | F0.5 | words/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for suite, systems in report.get("scores", {}).items():
        for name in ("seq2seq", "lexicon"):
            row = systems.get(name)
            if row and "damage" in row:
                lines.append(
                    f"| {suite} | {name} | {_fmt(row.get('spin_removed'))} | {_fmt(row.get('damage'), 4)} | "
                    f"{_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} | {_fmt(row.get('f0.5'))} | "
                    f"{row.get('words_per_s', 0):,.0f} |"
                )
    lines += ["", f"Signature: `{report.get('signature', '')}`"]
    return lines


CARRIED_FILES = ("candidates.tsv.gz", "candidates.json", "calibration.json", "ngram.bin", "ngram.json", "detect.json")
"""What ``export(carry_from=...)`` takes over from a teacher folder, beside its ``config.restore``."""


def _carry(teacher: Path, tokenizer, into: Path) -> dict:
    """Copy the teacher folder's :data:`CARRIED_FILES` (those it has) into ``into``; returns its
    ``config.restore``.  Raises SystemExit if it is not a model folder or its tokenizer differs
    from ``tokenizer``'s (its tables and calibration read the same subwords and tags only then)."""
    config = teacher / "config.json"
    if not config.is_file():
        raise SystemExit(f"restore error: --carry_from {teacher} is not a model folder (no config.json)")
    theirs = json.loads((teacher / "tokenizer.json").read_text()) if (teacher / "tokenizer.json").is_file() else None
    if theirs is None or theirs.get("model") != json.loads(tokenizer.backend_tokenizer.to_str()).get("model"):
        raise SystemExit(f"restore error: --carry_from {teacher} has another tokenizer; its tables and calibration "
                         "fit only a model distilled from it (training.shrink, training.train --distill_from)")
    for name in CARRIED_FILES:
        if (teacher / name).is_file():
            shutil.copy2(teacher / name, into / name)
    return json.loads(config.read_text()).get("restore") or {}


def export(run_dir: Path, output: Path = DEFAULT_OUTPUT, checkpoint: str | None = None, encoder: bool = True,
           carry_from: Path | None = None) -> Path:
    """Write the shipped model folder from a run; returns the folder.  ``encoder``: also write
    the int8 ONNX encoder (``training.export_encoder``), the fast path on a CPU.  ``carry_from``:
    a model folder whose candidate tables, n-gram model, detection and calibration (files and
    ``config.restore``) the new weights take over as they are: for a model distilled from it,
    whose tags mean what its tags mean (the card says so); it may be ``output`` itself."""
    source = pick_checkpoint(run_dir, checkpoint)
    model = TagGenForRestoration.from_pretrained(str(source), dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(source) if (source / "tokenizer.json").exists() else str(run_dir / "final"))
    carried = tempfile.TemporaryDirectory() if carry_from else None
    if carry_from:
        from benchmarks.systems.seq2seq import model_hash

        model.config.restore = _carry(Path(carry_from), tokenizer, Path(carried.name))
        teacher = f"{carry_from} (model {model_hash(Path(carry_from))}, as the benchmark report names it)"
    generation = GenerationConfig(
        decoder_start_token_id=model.config.decoder_start_token_id,
        eos_token_id=model.config.eos_token_id,
        pad_token_id=model.config.pad_token_id,
        do_sample=False,
        num_beams=1,
    )
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    model.half().save_pretrained(str(output), safe_serialization=True)
    generation.save_pretrained(str(output))
    tokenizer.save_pretrained(str(output))
    if carried is not None:
        with carried:
            for path in Path(carried.name).iterdir():
                shutil.copy2(path, output / path.name)
        calibration = output / "calibration.json"
        if calibration.exists():
            record = json.loads(calibration.read_text())
            record["carried_from"] = teacher
            calibration.write_text(json.dumps(record, indent=1))
    history = training_history(run_dir, source)
    (output / HISTORY_FILE).write_text(json.dumps(history, indent=1))
    (output / "README.md").write_text(model_card(source, run_dir, model, history))
    (output / "learning_curve.json").write_text(json.dumps(learning_curve(trainer_state(run_dir, source)), indent=1))
    size = sum(p.stat().st_size for p in output.iterdir() if p.name not in CARRIED_FILES)
    if size > MAX_BYTES:
        raise SystemExit(f"restore error: exported model is {size / 1e6:.1f} MB, over the 50 MB limit")
    print(f"exported {source} to {output} ({size / 1e6:.1f} MB)")
    if encoder:
        from training.export_encoder import export_encoder

        export_encoder(output)
    return output


FORMULATION_HEADING = "## How the formulation was chosen"
CARRIED = "(Carried over from the card of"


def formulation_section(init_from: str | None) -> list[str]:
    """The card section comparing formulations, carried over from the card of the model a run
    started from (a run with its own ``comparison.md`` uses that instead); [] if there is none."""
    card = Path(init_from) / "README.md" if init_from else None
    if card is None or not card.exists() or FORMULATION_HEADING not in card.read_text():
        return []
    section = FORMULATION_HEADING + card.read_text().split(FORMULATION_HEADING, 1)[1].split("\n## ", 1)[0]
    section = "\n".join(line for line in section.splitlines() if not line.startswith(CARRIED))
    return ["", section.strip(), "", f"{CARRIED} `{init_from}`, the model this run started from.)"]


def _pairs_words(data: dict) -> str:
    """A run's training pairs in words, from the ``make_pairs.json`` beside them when it is there."""
    pairs = data.get("pairs")
    record = Path(pairs) / "make_pairs.json" if pairs else None
    if record is None or not record.exists():
        return f"`{pairs}`"
    made = json.loads(record.read_text())
    units = made.get("units", {}).get("train", 0)
    used = data.get("max_train_samples")
    sources = ", ".join((made.get("args") or {}).get("sources", []))
    profiles = ", ".join(sorted(made.get("profiles", {})))
    return (f"`{pairs}`: {units:,} training units (of {made.get('words', 0) / 1e6:.1f} M words spun for all splits) of "
            f"`python -m training.make_pairs` over {sources} (profiles {profiles})"
            + (f"; this run drew the first {min(used, units):,} of them" if used and used < units else ""))


def _started_from(config: dict) -> str:
    """Where a run's weights began, in words."""
    model = config.get("model") or {}
    init_from, teacher = model.get("init_from"), model.get("distill_from")
    began = f"`{init_from}`" if init_from else "random weights"
    return began + (f", its tagger distilled from `{teacher}` (training.train --distill_from)" if teacher else "")


def _schedule(training: dict, data: dict | None = None) -> str:
    """The learning-rate schedule of a run's resolved training and data arguments, in words."""
    if (data or {}).get("time_decay_fraction"):
        return (f"{_count(training.get('warmup_steps', 0))} warmup steps, then constant, then a linear decay to 0 over the "
                f"last {data['time_decay_fraction']:.0%} of the {data.get('time_bound_minutes') or data['time_limit_minutes']:.3g}-minute "
                "time limit (wall clock)")
    kind = training.get("lr_scheduler_type", "?")
    kwargs = training.get("lr_scheduler_kwargs") or {}  # run_config.json holds it parsed (a dict)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(kwargs.items()))
    return f"{kind}, {_count(training.get('warmup_steps', 0))} warmup steps" + (f", {shown}" if shown else "")


def _count(value) -> str:
    """A step count as written (``100.0`` -> ``100``; a fraction of training stays as it is)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _gate_words(best: dict) -> str:
    """The chosen unit gate in words (empty without one)."""
    if not best.get("min_evidence"):
        return ""
    sure = best["sure_confidence"]
    alone = f"only edits at {sure} or above" if sure <= 1.0 else "no edit"
    document = best.get("document_evidence") or 0
    whole = (f"; in a text of several units that have {document:g} such edits a unit or more on average, "
             "every unit counts as spun" if document else "")
    return (f", with a unit gate (a unit with fewer than {best['min_evidence']} edits at confidence "
            f"{best['evidence_confidence']} or above gets {alone}{whole})")


ABLATION_REPORT = REPORT.parent / "ablation" / "report.json"
"""The candidate-source ablation (``python -m benchmarks.run --systems seq2seq seq2seq-thesauri
seq2seq-ours --output benchmarks/results/ablation``), which the card shows if present."""


def _candidates_kept(info: dict) -> str:
    """What an ablation system's report info says it kept: its sources, its origin, or all."""
    if info.get("candidate_sources"):
        return info["candidate_sources"]
    return f"{info['candidate_origin']} only" if info.get("candidate_origin") else "all"


def reference_comparison(path: Path = REPORT) -> str:
    """One sentence comparing ``seq2seq`` with ``seq2seq-torch`` (the reference path) in the same
    report: words/s, and the largest difference in spin removed and in damage over the suites;
    empty without both."""
    if not path.exists():
        return ""
    report = json.loads(path.read_text())
    systems = report.get("systems", {})
    if any(systems.get(s, {}).get("status") != "ok" for s in ("seq2seq", "seq2seq-torch")):
        return ""
    gaps = {"spin_removed": 0.0, "damage": 0.0}
    for rows in report.get("scores", {}).values():
        fast, reference = rows.get("seq2seq", {}), rows.get("seq2seq-torch", {})
        for key in gaps:
            if fast.get(key) is not None and reference.get(key) is not None:
                gaps[key] = max(gaps[key], abs(fast[key] - reference[key]))
    return (f" In `{report.get('command', '')}` ({report.get('started', '')}): {systems['seq2seq']['words_per_s']:,.0f} "
            f"words/s against {systems['seq2seq-torch']['words_per_s']:,.0f} on the reference path, load "
            f"{systems['seq2seq']['load_s']:.1f} s against {systems['seq2seq-torch']['load_s']:.1f} s, peak memory "
            f"{systems['seq2seq']['peak_rss_mb']:,.0f} MB against {systems['seq2seq-torch']['peak_rss_mb']:,.0f} MB; "
            f"spin removed within {_ceil(100 * gaps['spin_removed'], 1)} points and damage within "
            f"{_ceil(100 * gaps['damage'], 2)} points of it on every suite.")


def _ceil(value: float, digits: int) -> str:
    """``value`` rounded up at ``digits`` decimals ("within" must hold: 0.233 is within 0.3, not 0.2)."""
    scale = 10 ** digits
    return f"{math.ceil(round(value * scale, 6)) / scale:.{digits}f}"


def ablation_lines(path: Path = ABLATION_REPORT) -> list[str]:
    """What each candidate source adds: the seq2seq model with all its sources, and with some
    taken out (same scorer and settings), from one ablation run."""
    if not path.exists():
        return []
    report = json.loads(path.read_text())
    from benchmarks.systems import ABLATIONS

    systems = [s for s in ("seq2seq", *ABLATIONS) if report.get("systems", {}).get(s, {}).get("status") == "ok"]
    if len(systems) < 2:
        return []
    sources = {s: _candidates_kept(report["systems"][s].get("info", {})) for s in systems}
    lines = [
        "## Candidate sources\n",
        f"One run of `{report.get('command', '')}` ({report.get('started', '')}): the same network, scorer and "
        "settings, with the candidates of some sources (tables, or the decoder's n-best) taken out "
        "(`benchmarks.systems.ABLATIONS`). "
        "Spin removed / reachability / damage:",
        "",
        "| suite | " + " | ".join(f"{s} ({sources[s]})" for s in systems) + " |",
        "| --- |" + " --- |" * len(systems),
    ]
    for suite, rows in report.get("scores", {}).items():
        cells = []
        for s in systems:
            row = rows.get(s, {})
            if "spin_removed" in row and row.get("spin_removed") is not None:
                reach = row.get("reachability")
                cells.append(f"{_fmt(row['spin_removed'])} / {_fmt(reach) if reach is not None else '–'} / {_fmt(row.get('damage'), 4)}")
            else:
                cells.append(f"changed {_fmt(row.get('changed_share'), 4)}" if "changed_share" in row else "–")
        lines.append(f"| {suite} | " + " | ".join(cells) + " |")
    return lines + [""]


def _calibration_units(record: dict) -> str:
    """What ``training.calibrate`` restored, from its ``calibration.json`` record."""
    if "split" in record:  # before news units were added
        return f"{record['samples']} units of the pairs' {record['split']} split"
    news = ("sentences of the held-out news paragraphs that no benchmark suite holds (`benchmarks.suites."
            "dev_paragraphs`: NTREX and held-out Wikinews, as the news suites)"
            if record.get("news_from") == "benchmark dev paragraphs" else "held-out news units (validation and test splits)")
    return (
        f"{record['samples']} units of the pairs' validation split, {record.get('news_samples', 0)} {news} "
        f"spun afresh with the {' and '.join(record.get('news_profiles', ['news']))} "
        f"profile{'s (one per paragraph)' if len(record.get('news_profiles', ['news'])) > 1 else ''}, "
        + (f"{record['tortured_samples']} held-out sentences with a phrase of the tortured list put in "
           "(sparse spin, built as the tortured suite but never from its sentences), "
           if record.get("tortured_samples") else "")
        + "and the clean side of "
        f"{record['clean_samples']} held-out units as genuine text (news first)"
        + (f"; the candidate scorer was fitted on these and {record['scorer_units']:,} more held-out units of the "
           "same kinds, none a text of these"
           if record.get("scorer_units") else "")
    )


def update_card(output: Path = DEFAULT_OUTPUT) -> Path:
    """Rewrite the benchmark section of an exported model's card from the committed report."""
    card = output / "README.md"
    if not card.exists():
        raise SystemExit(f"restore error: no model card at {card}; export a run first")
    head = card.read_text()
    for section in ("## Candidate tables", "## Candidate sources", "## N-gram model", "## Fast encoder", "## Calibration",
                    "## Benchmark"):
        head = head.split(section)[0]
    candidates = output / "candidates.json"
    if candidates.exists():
        info = json.loads(candidates.read_text())
        head += (
            "## Candidate tables\n\n"
            f"`candidates.tsv.gz` (`python -m training.candidates`): the inverted tables of the "
            f"{', '.join(info['profiles'])} spinner profiles ({info['spun_phrases']:,} spun phrases), reweighted by "
            f"counting {info['counted_units']:,} units of the pairs' train split ({info['restored']:,} of "
            f"{info['seen']:,} spun-looking phrases there were restored by a candidate), with word counts of "
            f"{info['context_documents']:,} training documents ({', '.join(info['context_sources'])}: "
            f"{info['unigrams']:,} words, {info['bigrams']:,} word pairs)"
            + (", and spin-in-context counts on the train split ("
               + ", ".join(f"{n:,} {p} units" for p, n in info["spin_units"].items())
               + f"; {info['spin_contexts']:,} contexts kept: how often each profile in fact spun each "
               "spun-looking phrase next to the word before it, after it and both)"
               if info.get("spin_units") else "")
            + "." + (f" {info['note']}" if info.get("note") else "") + "\n\n"
        )
    ablation = ablation_lines()
    head += "\n".join(ablation) + ("\n" if ablation else "")
    ngram = output / "ngram.json"
    if ngram.exists():
        info = json.loads(ngram.read_text())
        head += (
            "## N-gram model\n\n"
            f"`ngram.bin` (`python -m training.ngram`): a {info['order']}-gram KenLM model of the clean side of "
            f"the pairs' train split ({info['words']:,} words, pruned {info['prune']}"
            + (f", {info['bits']}-bit" if "bits" in info else "")
            + f", {info['bytes'] / 1e6:.0f} MB; contractions with one reading written out, so it has no say on "
            "contracting), which the `ngram fit` candidate features read.\n\n"
        )
    from restore.model.onnx_encoder import ENCODER_FILE

    if (output / ENCODER_FILE).exists():
        head += (
            "## Fast encoder\n\n"
            f"`{ENCODER_FILE}` (`python -m training.export_encoder`): the encoder and tag head of these weights "
            f"exported to ONNX with their linear layers' weights in int8 ({(output / ENCODER_FILE).stat().st_size / 1e6:.0f} MB), "
            "which ONNX Runtime runs on the CPU in place of the network's own encoder (`encoder='auto'`; "
            "`encoder='torch'` is the reference path, benchmarked beside it as `seq2seq-torch` when the report has it)."
            + reference_comparison() + "\n\n"
        )
    calibration = output / "calibration.json"
    if calibration.exists():
        record = json.loads(calibration.read_text())
        best = record["chosen"]
        head += (
            "## Calibration\n\n"
            f"`python -m training.calibrate` on {_calibration_units(record)} "
            f"(damage ≤ {record['max_damage']}, unspun words changed ≤ {record['max_clean_changes']}"
            + (f", both at the {record['bound_quantile']} quantile over resampled documents" if record.get("bound_quantile") else "")
            + ") chose "
            f"keep_threshold {best['keep_threshold']}"
            + (" (no token is tagged, so the decoder writes nothing: every edit is a candidate of the tables)"
               if best["keep_threshold"] <= 0 else "")
            + ", candidate_keep_threshold "
            f"{best.get('candidate_keep_threshold')} and min_confidence {best['min_confidence']}{_gate_words(best)}: spin removed "
            f"{best['spin_removed']:.3f}, damage {best['damage']:.4f}, unspun words changed {best['clean_changes']:.4f} "
            "there"
            + (f" (at the {record['upper_quantile']} quantile over {record.get('bootstraps', 0):,} resamples of the dev documents: damage "
               f"{best['damage_upper']:.4f}, unspun words changed {best['clean_changes_upper']:.4f})"
               if "damage_upper" in best and record.get("upper_quantile") else "")
            + ". The whole grid is in `calibration.json`."
            + (f" Carried over with the candidate tables and the n-gram model from `{record['carried_from']}`, the "
               "model these weights were distilled from: it was calibrated on that network's tags, which these "
               "weights learned to match." if record.get("carried_from") else "")
            + "\n\n"
        )
        if record.get("candidate_scorer"):
            scorer = CandidateScorer.from_dict(record["candidate_scorer"])
            names = record["candidate_features"][: len(scorer.mean)]
            read = [n for k, n in enumerate(names) if scorer.reads(k)]
            held = [f for name in record.get("skip_features", []) for f in SKIPPABLE.get(name, (name,))]
            unread = [n for n in names if n not in read and n not in held]
            head += (
                f"Candidate confidence: a {len(record['candidate_scorer']['hidden_b'])}-unit network "
                f"(`restore/model/scorer.py`) of {', '.join(read)}"
                + (f" ({', '.join(held)}: held at 0 by `--skip_features`, so restoring never computes them)" if held else "")
                + (f" ({', '.join(unread)}: constant on these units, so not read)" if unread else "")
                + ", fitted on the same "
                "units (a candidate counts as right if making it alone brings the unit closer to its reference)"
                + (f"; the grid read each unit's candidates through a scorer fitted without its fold of "
                   f"{record['scorer_folds']} (folds by text), as new text meets the shipped one"
                   if record.get("scorer_folds") else "")
                + ".\n\n"
            )
            if "trigram fit" in record["candidate_features"]:
                head += (
                    "The trigram features read the CMU US English trigram model that the `pocketsphinx` wheel "
                    "carries (a dependency, BSD-style license; not copied into this folder): `restore/candidates/trigram.py`"
                    + (", and the best reading of each unit under it and the tables, `restore/candidates/viterbi.py`"
                       if "on best reading" not in record.get("skip_features", []) else "")
                    + ".\n\n"
                )
    card.write_text(head + "## Benchmark\n\n" + "\n".join(benchmark_lines()) + "\n")
    print(f"updated the benchmark section of {card}")
    return card


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, nargs="?", help="a training run folder (training.train's output_dir)")
    parser.add_argument("--checkpoint", help="checkpoint folder name inside the run (default: final, else newest)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the model")
    parser.add_argument("--no-encoder", dest="encoder", action="store_false",
                        help="do not write the int8 ONNX encoder (training.export_encoder) beside the weights")
    parser.add_argument("--carry_from", type=Path,
                        help="a model folder whose candidate tables, n-gram model, detection and calibration the new "
                             "weights take over (a model distilled from it: training.train --distill_from)")
    parser.add_argument("--update-card", action="store_true",
                        help="only refresh the card's benchmark section from benchmarks/results/report.json")
    args = parser.parse_args(argv)
    if args.update_card:
        update_card(args.output)
    elif args.run_dir is None:
        parser.error("give a run folder, or --update-card")
    else:
        export(args.run_dir, args.output, args.checkpoint, args.encoder, args.carry_from)


if __name__ == "__main__":
    main()
