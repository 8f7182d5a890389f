"""End to end in a real browser: ``restore serve``'s page in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by Selenium; nothing is downloaded), the server on a
free port in this process, the seed article pasted, the diff and the score checked.

Also takes the page's screenshot (to ``$RESTORE_SCREENSHOT`` when set: ``docs/serve.png``) and writes the seconds from the click to
the diff shown, for a 1,000-word article, to ``$RESTORE_BROWSER_TIMING`` when that is set (a
measurement, never an assertion)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                 if p), None)
DRIVER = shutil.which("chromedriver")
pytest.importorskip("selenium", reason="the browser test needs selenium (the test extra)")
pytest.importorskip("uvicorn", reason="restore serve needs the serve extra (pip install 'restore[serve]')")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no Chromium here: apt-get install chromium chromium-driver (CI installs them)",
)
SEED = REPO / "seeds" / "000_842d1c716ef0324a.txt"


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from restore import Restorer
    from restore.serve import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(Restorer.from_pretrained()), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    yield driver
    driver.quit()


def _paste_and_run(browser, url: str, text: str, timeout: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    box = browser.find_element(By.ID, "input")
    # as a paste: the whole text at once (send_keys would type it key by key)
    browser.execute_script("arguments[0].value = arguments[1];", box, text)
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, timeout).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("done", "error"))
    return By


def test_seed_article_restored_with_diff_and_score(server, browser, tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    By = _paste_and_run(browser, server + "/", text)
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done", \
        browser.find_element(By.ID, "status").text
    diff = browser.find_element(By.ID, "diff")
    dels, ins = diff.find_elements(By.TAG_NAME, "del"), diff.find_elements(By.TAG_NAME, "ins")
    assert int(diff.get_attribute("data-edits")) >= 20 and len(dels) >= 20 and len(ins) >= 20
    hover = diff.find_element(By.CSS_SELECTOR, "span.edit").get_attribute("title")
    assert "confidence" in hover and "source" in hover
    score = browser.find_element(By.ID, "score")
    assert float(score.get_attribute("data-probability")) > 0.9 and score.text.endswith("%")
    assert browser.find_element(By.ID, "verdict").text == "likely spun"
    marks = browser.find_elements(By.CSS_SELECTOR, "#spans mark")
    assert len(marks) >= 10 and "probability" in marks[0].get_attribute("title")
    # the page shows the input's words: the struck words and the text around them give back the input
    assert browser.find_element(By.ID, "spans").get_attribute("textContent") == text
    # the README's screenshot: RESTORE_SCREENSHOT=docs/serve.png python -m pytest tests/test_browser.py
    browser.save_screenshot(os.environ.get("RESTORE_SCREENSHOT") or str(tmp_path / "serve.png"))


def test_markup_in_the_text_stays_text(server, browser) -> None:
    attack = 'They mentioned <img src=x onerror="document.title=\'owned\'"> and <b>bold</b> earlier than noon.'
    By = _paste_and_run(browser, server + "/", attack)
    assert browser.title != "owned"
    assert not browser.find_elements(By.CSS_SELECTOR, "#diff img, #spans img, #diff b, #spans b")
    assert "<b>bold</b>" in browser.find_element(By.ID, "spans").text


def test_an_error_is_shown_not_thrown(server, browser) -> None:
    By = _paste_and_run(browser, server + "/", "x" * (1 << 20))
    assert "Error" in browser.find_element(By.ID, "status").text or "1 MB" in browser.find_element(By.ID, "status").text


def test_time_from_paste_to_diff_for_1000_words(server, browser) -> None:
    """Measures, never asserts a time: seconds from the click to the diff for ~1,000 words."""
    from selenium.webdriver.common.by import By

    words = SEED.read_text(encoding="utf-8").split(" ")
    text = " ".join((words * 2)[:1000])
    _paste_and_run(browser, server + "/", text)
    seconds = float(browser.find_element(By.TAG_NAME, "body").get_attribute("data-diff-seconds"))
    assert seconds > 0
    if os.environ.get("RESTORE_BROWSER_TIMING"):
        Path(os.environ["RESTORE_BROWSER_TIMING"]).write_text(f"{seconds:.3f}\n", encoding="utf-8")
