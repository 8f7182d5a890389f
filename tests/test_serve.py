"""The JSON API of ``restore serve`` on the shipped model: answers, bad input, limits, escaping."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="restore serve needs the serve extra (pip install 'restore[serve]')")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from starlette.testclient import TestClient  # noqa: E402

from restore.restorer import DEFAULT_MODEL_DIR  # noqa: E402
from restore.serve import create_app  # noqa: E402

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "config.json").is_file(), reason="no shipped model")
SPUN = "Officials mentioned the information convention in japanese Ukraine was cancelled earlier than noon."
LIMIT = 4096


@pytest.fixture(scope="module")
def client():
    from restore import Restorer

    with TestClient(create_app(Restorer.from_pretrained(), max_bytes=LIMIT)) as c:
        yield c


def test_page_and_its_script_are_served_with_a_strict_policy(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    script = client.get("/static/app.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "textContent" in script


def test_fix_explain_detect(client) -> None:
    fixed = client.post("/api/fix", json={"text": SPUN}).json()
    assert fixed["text"].startswith("Officials said")
    explained = client.post("/api/explain", json={"text": SPUN}).json()
    assert explained["text"] == fixed["text"]
    assert {"start", "end", "before", "after", "kind", "confidence", "source"} <= set(explained["edits"][0])
    detected = client.post("/api/detect", json={"text": SPUN}).json()
    assert detected["spun"] is True and detected["spans"]
    plain = client.post("/api/fix", content=SPUN.encode(), headers={"content-type": "text/plain; charset=utf-8"})
    assert plain.json() == fixed


@pytest.mark.parametrize("body, headers, status, words", [
    (b'{"text": "x"}', {"content-type": "application/x-www-form-urlencoded"}, 415, "application/json"),
    (b'{"text": "x"}', {}, 415, "content type"),
    (b'{"text": "\xff\xfe"}', {"content-type": "application/json"}, 400, "UTF-8"),
    (b'{"text": ', {"content-type": "application/json"}, 400, "not valid JSON"),
    (b'{"words": "x"}', {"content-type": "application/json"}, 400, '"text" string'),
    (b'["x"]', {"content-type": "application/json"}, 400, '"text" string'),
    (b'{"text": 3}', {"content-type": "application/json"}, 400, '"text" string'),
    (b'{"text": "  \\n "}', {"content-type": "application/json"}, 400, "empty"),
    (b"", {"content-type": "text/plain"}, 400, "empty"),
])
def test_bad_input_gets_a_clear_json_error(client, body, headers, status, words) -> None:
    for path in ("/api/fix", "/api/explain", "/api/detect"):
        answer = client.post(path, content=body, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        assert words in answer.json()["error"] and "\n" not in answer.json()["error"]


def test_oversized_requests_are_refused_declared_or_streamed(client) -> None:
    big = json.dumps({"text": "word " * LIMIT})
    answer = client.post("/api/fix", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "limit" in answer.json()["error"]

    def chunks():  # no Content-Length: the body is cut off as it streams in
        for _ in range(LIMIT // 100 + 2):
            yield b"x" * 100

    answer = client.post("/api/fix", content=chunks(), headers={"content-type": "text/plain"})
    assert answer.status_code == 413


def test_wrong_method_and_unknown_path_answer_json(client) -> None:
    assert client.get("/api/fix").status_code == 405 and "POST" in client.get("/api/fix").json()["error"]
    assert client.get("/api/nothing").status_code == 404 and "error" in client.get("/api/nothing").json()


def test_markup_comes_back_as_data_never_as_markup(client) -> None:
    attack = 'They mentioned <script>alert("x")</script> and <img src=x onerror=alert(1)> earlier than noon.'
    explained = client.post("/api/explain", json={"text": attack})
    assert explained.headers["content-type"].startswith("application/json")
    data = explained.json()
    assert "<script>alert(\"x\")</script>" in data["text"]  # untouched, returned as a JSON string
    for e in data["edits"]:
        assert "<" not in e["after"] and attack[e["start"] : e["end"]] == e["before"]
    detected = client.post("/api/detect", json={"text": attack}).json()
    for s in detected["spans"]:
        assert attack[s["start"] : s["end"]] == s["text"]


def test_requests_from_threads_share_one_model(client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [SPUN, "They had been ready earlier than noon.", SPUN]
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda t: client.post("/api/fix", json={"text": t}).json()["text"], texts))
    assert answers[0] == answers[2] and answers[1] != answers[0]


def test_cli_serve_refuses_no_limit() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "restore", "serve", "--max-bytes", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("restore error: ") and len(out.stderr.splitlines()) == 1
