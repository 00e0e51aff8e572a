"""Take the README's screenshot of the live page: the expanded neuron, in the middle of the backward pass.

    .venv/bin/python scripts/live_screenshot.py [docs/images/live-page.png]

Needs what the browser tests need (scripts/setup.sh --test): Graphviz, Debian's chromium and
chromium-driver, and Selenium. It opens the page that ``gradcalc render ... -o graph.html`` writes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from gradcalc.files import read_text
from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.html_page import render_html

ROOT = Path(__file__).resolve().parents[1]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,640",
    "--force-device-scale-factor=1",
)
BACKWARD_STEPS = 6  # ∂f/∂f, then the gradients of v, u, t, s and r: the middle of the backward pass
INSPECT = "g10"  # the exp gate: its local partial is its own output


def main(target: Path) -> None:
    path = ROOT / "examples" / "neuron.gc"
    result = run_source(Source(read_text(path), str(path)), {}, expanded=True)
    with tempfile.TemporaryDirectory(prefix="gradcalc-shot-") as folder:
        page = Path(folder) / "graph.html"
        page.write_text(render_html(result), encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in (*FLAGS, f"--user-data-dir={folder}/profile"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
        try:
            driver.get(page.as_uri())
            driver.find_element("id", "gc-reset").click()
            forward = driver.execute_script(
                "return JSON.parse(document.getElementById('gc-state').textContent)"
                ".data.steps.filter(s => s.phase !== 'backward' && s.phase !== 'done').length"
            )
            for _ in range(forward - 1 + BACKWARD_STEPS):
                driver.find_element("id", "gc-step").click()
            driver.execute_script(
                "[...document.querySelectorAll('#gc-picture g.node')]"
                ".find(g => g.querySelector('title').textContent === arguments[0]).dispatchEvent("
                "new MouseEvent('click', {bubbles: true}))",
                INSPECT,
            )
            for _ in range(3):  # grow the window until the whole page is in view
                inner, full = driver.execute_script(
                    "return [window.innerHeight, document.documentElement.scrollHeight]"
                )
                if inner >= full:
                    break
                size = driver.get_window_size()
                driver.set_window_size(size["width"], size["height"] + full - inner)
            time.sleep(0.5)  # let the fades finish
            target.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(target))
        finally:
            driver.quit()
    print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "live-page.png")
