// The restore page: every piece of user text goes into the DOM with textContent, never as HTML.
"use strict";

const MAX_BYTES = 1 << 20;
const $ = (id) => document.getElementById(id);
let restored = "";
let fileName = "restored";

// UTF-16 offset of each code-point offset of text (the API counts code points, as Python does).
function utf16Offsets(text) {
  const out = [0];
  let at = 0;
  for (const ch of text) { at += ch.length; out.push(at); }
  return out;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

async function post(path, text) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }),
  });
  let data;
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

function pct(x) { return `${Math.round(100 * x)}%`; }

function renderDiff(text, edits) {
  const box = $("diff"), map = utf16Offsets(text);
  box.replaceChildren();
  let pos = 0;
  for (const e of edits) {
    const a = map[e.start], z = map[e.end];
    box.append(document.createTextNode(text.slice(pos, a)));
    const wrap = el("span", undefined, { class: "edit", title: `confidence ${pct(e.confidence)} · source: ${e.source} · ${e.kind}` });
    if (e.before) wrap.append(el("del", e.before));
    if (e.after) wrap.append(el("ins", e.after));
    box.append(wrap);
    pos = z;
  }
  box.append(document.createTextNode(text.slice(pos)));
  box.dataset.edits = String(edits.length);
  $("edit-count").textContent = `(${edits.length} change${edits.length === 1 ? "" : "s"})`;
}

function renderDetection(text, d) {
  $("score").textContent = pct(d.probability);
  $("score").dataset.probability = String(d.probability);
  $("verdict").textContent = d.spun ? "likely spun" : "likely not spun";
  $("meter-bar").style.width = pct(d.probability);
  const box = $("spans"), map = utf16Offsets(text);
  box.replaceChildren();
  let pos = 0;
  for (const s of d.spans) {
    const a = map[s.start], z = map[s.end];
    box.append(document.createTextNode(text.slice(pos, a)));
    const hint = `probability ${pct(s.probability)}` + (s.suggestion ? ` · likely original: ${s.suggestion}` : "");
    box.append(el("mark", text.slice(a, z), { title: hint, class: s.probability >= 0.8 ? "strong" : "" }));
    pos = z;
  }
  box.append(document.createTextNode(text.slice(pos)));
  box.dataset.spans = String(d.spans.length);
}

function status(message, error) {
  $("status").textContent = message;
  $("status").className = error ? "error" : "";
}

async function run() {
  const text = $("input").value;
  if (!text.trim()) { status("Paste a text first.", true); return; }
  if (new Blob([text]).size > MAX_BYTES) { status("The text is over 1 MB; split it.", true); return; }
  $("run").disabled = true;
  document.body.dataset.state = "working";
  status("Restoring…");
  const started = performance.now();
  const explained = post("/api/explain", text);
  const detected = post("/api/detect", text);  // queued behind the restoring on the server
  try {
    const ex = await explained;
    restored = ex.text;
    renderDiff(text, ex.edits);
    $("result").hidden = false;
    const seconds = (performance.now() - started) / 1000;
    document.body.dataset.diffSeconds = seconds.toFixed(3);
    status(`Restored in ${seconds.toFixed(1)} s; detecting…`);
    renderDetection(text, await detected);
    status(`Restored in ${seconds.toFixed(1)} s; detection in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    document.body.dataset.state = "done";
  } catch (e) {
    status(`Error: ${e.message}`, true);
    document.body.dataset.state = "error";
  } finally {
    $("run").disabled = false;
  }
}

async function copy() {
  try {
    await navigator.clipboard.writeText(restored);
    status("Copied.");
  } catch (e) {
    const area = el("textarea");
    area.value = restored;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    status("Copied.");
  }
}

function download() {
  const url = URL.createObjectURL(new Blob([restored], { type: "text/plain;charset=utf-8" }));
  const a = el("a", undefined, { href: url, download: `${fileName}.restored.txt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function open(event) {
  const file = event.target.files[0];
  if (!file) return;
  if (file.size > MAX_BYTES) { status("The file is over 1 MB.", true); return; }
  fileName = file.name.replace(/\.[^.]*$/, "") || "restored";
  const reader = new FileReader();
  reader.onload = () => {
    $("input").value = reader.result;
    if (reader.result.includes("\uFFFD")) status("The file is not valid UTF-8; some characters were replaced.", true);
    else run();
  };
  reader.onerror = () => status("Could not read the file.", true);
  reader.readAsText(file, "utf-8");
}

document.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", run);
  $("copy").addEventListener("click", copy);
  $("download").addEventListener("click", download);
  $("file").addEventListener("change", open);
  $("input").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
});
