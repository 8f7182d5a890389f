"""The report of a benchmark run: failure examples, Markdown, JSON and the plot.

Input is the run record built by :mod:`benchmarks.run` (suites, systems, scores, examples);
nothing here runs a system or computes a score.
"""

from __future__ import annotations

import json
from pathlib import Path

from restore.text import Token, tokenize

PLOT_NAME = "spin_removed_vs_speed.png"
CONTEXT_TOKENS = 5


# -- failure examples ---------------------------------------------------------------------------
def _project(opcodes, i1: int, i2: int) -> tuple[int, int]:
    """The target token range aligned with source tokens ``[i1, i2)`` (whole blocks)."""
    lo, hi = None, None
    for op, a1, a2, b1, b2 in opcodes:
        touches = (a1 < i2 and i1 < a2) if i1 < i2 else a1 == a2 == i1  # an empty span: an insertion there
        if not touches:
            continue
        if op == "equal":
            s, e = b1 + max(i1 - a1, 0), b1 + min(i2, a2) - a1
        else:
            s, e = b1, b2
        lo, hi = (s, e) if lo is None else (min(lo, s), max(hi, e))
    return (lo, hi) if lo is not None else (0, 0)


def _span(text: str, toks: list[Token], j1: int, j2: int) -> str:
    return text[toks[j1].start : toks[j2 - 1].end] if j1 < j2 else ""


def _snippet(source: str, toks: list[Token], i1: int, i2: int) -> str:
    """The source around tokens ``[i1, i2)`` with the span in bold."""
    left = max(0, i1 - CONTEXT_TOKENS)
    right = min(len(toks), i2 + CONTEXT_TOKENS)
    pre = source[toks[left].start : toks[i1].start] if i1 > left else ""
    span = _span(source, toks, i1, i2)
    post_start = toks[i2 - 1].end if i2 > i1 else (toks[i1].start if i1 < len(toks) else len(source))
    post = source[post_start : toks[right - 1].end] if right > i2 else ""
    dots = ("…" if left > 0 else "", "…" if right < len(toks) else "")
    return f"{dots[0]}{pre}**{span or '∅'}**{post}{dots[1]}".replace("\n", " ")


def failure_examples(
    ids: list[str], sources: list[str], predictions: list[str], references: list[str | None], k: int = 3
) -> dict[str, list[dict]]:
    """Up to ``k`` false edits (system blocks not in the gold alignment) and ``k`` misses (gold
    blocks the system did not make), at most one of each per unit; without references, the
    system's first ``4k`` changes."""
    from benchmarks.metrics.restoration.restoration import align_tokens  # imports evaluate: only here

    out: dict[str, list[dict]] = {"false_edits": [], "misses": [], "changes": []}
    for uid, source, prediction, reference in zip(ids, sources, predictions, references):
        src_toks, pred_toks = tokenize(source), tokenize(prediction)
        src = [t.text for t in src_toks]
        system = align_tokens(src, [t.text for t in pred_toks])
        if reference is None:
            for i1, i2, _ in system.blocks[: 4 * k - len(out["changes"])]:
                j1, j2 = _project(system.opcodes, i1, i2)
                out["changes"].append({"id": uid, "before": _span(source, src_toks, i1, i2),
                                       "after": _span(prediction, pred_toks, j1, j2)})
            continue
        ref_toks = tokenize(reference)
        gold = align_tokens(src, [t.text for t in ref_toks])
        for kind, blocks, other in (("false_edits", system.blocks, gold.blocks), ("misses", gold.blocks, system.blocks)):
            if len(out[kind]) >= k:
                continue
            wrong = [b for b in blocks if b not in set(other)]
            if wrong:
                i1, i2, _ = wrong[0]
                out[kind].append({
                    "id": uid,
                    "source": _snippet(source, src_toks, i1, i2),
                    "system": _span(prediction, pred_toks, *_project(system.opcodes, i1, i2)),
                    "reference": _span(reference, ref_toks, *_project(gold.opcodes, i1, i2)),
                })
    return {kind: v for kind, v in out.items() if v}


# -- rendering ------------------------------------------------------------------------------
def _pct(x, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _num(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _int(x) -> str:
    return "–" if x is None else f"{x:,.0f}"


SCORE_HEADER = ("| system | spin removed | reachability | P | R | F0.5 | damage | WER (spun) | BLEU | chrF | stable "
                "| words/s | peak MB |")
CHANGE_HEADER = "| system | tokens changed | share changed | stable | words/s | peak MB |"


def score_table(run: dict, suite: str) -> str:
    """The Markdown table of one suite: a row per system that ran."""
    rows = []
    has_reference = run["suites"][suite]["has_reference"]
    for name, scores in run["scores"].get(suite, {}).items():
        peak = run["systems"][name].get("peak_rss_mb")
        if has_reference:
            rows.append(
                f"| {name} | {_pct(scores['spin_removed'])} | {_pct(scores.get('reachability'))} "
                f"| {_num(scores['precision'])} | {_num(scores['recall'])} "
                f"| {_num(scores['f0.5'])} | {_pct(scores['damage'], 2)} | {_pct(scores['wer'])} ({_pct(scores['source_wer'])}) "
                f"| {_num(scores['bleu'], 1)} | {_num(scores['chrf'], 1)} | {_pct(scores.get('stable'))} "
                f"| {_int(scores['words_per_s'])} | {_int(peak)} |"
            )
        else:
            rows.append(
                f"| {name} | {scores['changed']} of {scores['source_tokens']} tokens | {_pct(scores['changed_share'])} "
                f"| {_pct(scores.get('stable'))} | {_int(scores['words_per_s'])} | {_int(peak)} |"
            )
    header = SCORE_HEADER if has_reference else CHANGE_HEADER
    sep = "|" + "---|" * (header.count("|") - 1)
    return "\n".join([header, sep, *rows])


def systems_table(run: dict) -> str:
    lines = ["| system | status | load s | RSS after load MB | peak RSS MB | worker peak RSS MB | words/s (all suites) | settings |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in run["systems"].items():
        info = ", ".join(f"{k}={v}" for k, v in s.get("info", {}).items())
        status = s["status"] if s["status"] == "ok" else f"{s['status']}: {s.get('note', '')}"
        lines.append(
            f"| {name} | {status} | {_num(s.get('load_s'), 1)} | {_int(s.get('rss_loaded_mb'))} "
            f"| {_int(s.get('peak_rss_mb'))} | {_int(s.get('workers_peak_rss_mb'))} | {_int(s.get('words_per_s'))} | {info} |"
        )
    return "\n".join(lines)


def _examples_md(run: dict) -> list[str]:
    out = []
    for name, per_suite in run["examples"].items():
        if not per_suite:
            continue
        out.append(f"### {name}\n")
        for suite, kinds in per_suite.items():
            for kind, label in (("false_edits", "false edits"), ("misses", "misses")):
                for ex in kinds.get(kind, []):
                    out.append(f"- {suite}, {label}: {ex['source']} — system: “{ex['system']}”, "
                               f"reference: “{ex['reference']}” <sub>{ex['id']}</sub>")
            if kinds.get("changes"):
                changes = "; ".join(f"“{c['before']}” → “{c['after']}”" for c in kinds["changes"])
                out.append(f"- {suite}, first changes: {changes}")
        out.append("")
    return out


def render_markdown(run: dict) -> str:
    lines = [
        "# restore benchmark report",
        "",
        f"`{run['signature']}`",
        "",
        f"Command: `{run['command']}` — {run['started']}, {run['duration_s']:.0f} s in all, on {run['environment']['machine']}.",
        "",
        "## Systems",
        "",
        systems_table(run),
        "",
        "Peak RSS: `ru_maxrss` of the process the system ran in alone (interpreter, imports, model and "
        "working memory; torch allocations included); worker peak: the largest of the processes it forked "
        "to score candidates (`workers`; their pages are shared with it until written). Words/s: whitespace words of the spun input over "
        "the wall time of the `restore` calls, loading excluded, on this machine in this run.",
        "",
        "## Scores",
        "",
    ]
    for suite, meta in run["suites"].items():
        lines += [f"### {suite}", "", f"`{meta['signature']}` — {meta['units']} units, {meta['words']:,} words. {meta['about']}", ""]
        lines += [score_table(run, suite), ""]
    if run.get("plot"):
        lines += [f"![spin removed vs speed]({run['plot']})", ""]
    lines += [
        "Spin removed = 1 − WER(output, reference) / WER(spun, reference), errors summed over the suite; "
        "P/R/F0.5 on edit blocks (a system block counts only with the gold span and replacement); damage = share "
        "of tokens that needed no change that the system changed; WER, BLEU and chrF (sacrebleu) against the "
        "reference, with the spun input's WER in brackets. Tokens are restore.text.tokenize's words and "
        "punctuation marks, case-sensitive. Without a reference (`seed`) the table counts the tokens changed. "
        "Reachability = share of the suite's gold spun spans whose clean words are among the replacements the "
        "system considered (any source, made or not; `–`: the system lists none). Stable = share of units that a "
        "second pass over the system's own output leaves unchanged (idempotence).",
        "",
        "## Failures",
        "",
        *_examples_md(run),
        "## Signatures",
        "",
        *[f"- `{meta['signature']}`" for meta in run["suites"].values()],
        *[f"- `{s['signature']}`" for s in run["systems"].values() if s.get("signature")],
        "",
    ]
    return "\n".join(lines)


PLOT_SUITES = ("news-unseen", "news")


def plot(run: dict, path: Path, suite: str | None = None) -> bool:
    """Spin removed on ``suite`` (default: the first of :data:`PLOT_SUITES` in the run, else its
    first suite) against words/s, one point per system; False if nothing to plot."""
    if suite is None:
        suite = next((s for s in PLOT_SUITES if s in run["scores"]), next(iter(run["scores"]), ""))
    points = [
        (name, s["words_per_s"], s["spin_removed"])
        for name, s in run["scores"].get(suite, {}).items()
        if s.get("spin_removed") is not None and s.get("words_per_s")
    ]
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for name, wps, sr in points:
        ax.scatter(wps, 100 * sr, s=40)
        ax.annotate(name, (wps, 100 * sr), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.margins(x=0.25, y=0.15)
    ax.set_xlabel("words per second (log scale, this machine)")
    ax.set_ylabel(f"spin removed on {suite} (%)")
    ax.set_title(run["suites"][suite]["signature"], fontsize=7)
    ax.axhline(0, color="grey", lw=0.5)
    ax.grid(True, lw=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def include_section(markdown: str, section: str, name: str) -> str:
    """``markdown`` with its section ``name`` (from ``<!-- name -->`` to ``<!-- /name -->``, as
    ``section`` is written) replaced by ``section``; appended if it has none."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if begin in markdown and end in markdown:
        head, rest = markdown.split(begin, 1)
        return head + section + rest.split(end, 1)[1]
    return markdown.rstrip("\n") + "\n\n" + section + "\n"


def write(run: dict, output: Path) -> list[Path]:
    """Write report.md, report.json, the plot and the seed outputs into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    if plot(run, output / PLOT_NAME):
        run["plot"] = PLOT_NAME
        written.append(output / PLOT_NAME)
    for name, texts in run.get("seed_outputs", {}).items():
        path = output / f"seed-{name}.txt"
        path.write_text("\n\n".join(texts.values()), encoding="utf-8")
        written.append(path)
    (output / "report.json").write_text(json.dumps(run, indent=1, ensure_ascii=False), encoding="utf-8")
    markdown = render_markdown(run)
    from benchmarks import detection, speed

    # the scores of python -m benchmarks.detection and benchmarks.speed, where they have run
    for name, section in (("detection", detection.section_for(output)), ("speed", speed.section_for(output))):
        if section:
            markdown = include_section(markdown, section, name)
    (output / "report.md").write_text(markdown, encoding="utf-8")
    return [output / "report.md", output / "report.json", *written]
