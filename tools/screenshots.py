"""The README's screenshots: the chat with its sources, an enumeration, the case overview and the
matrix of cases against the study's overarching factors.

Starts the app in local mode on a free loopback port over the sample study's index (build it
first with `qa index`) and drives Debian's Chromium with Playwright:

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "Wat werkte goed bij bewonersinitiatieven?"
OUTLINE_QUESTION = "Wat zijn de overkoepelende succesfactoren?"
SCROLL_CHAT_TO_TOP = """document.querySelectorAll('#gesprek *').forEach((e) => {
  if (e.scrollHeight > e.clientHeight + 5) { e.scrollTop = 0; }
});"""


def free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return int(handle.getsockname()[1])


def shrink(path: Path) -> None:
    """A 256-colour PNG: a UI screenshot loses nothing visible and shrinks by two thirds."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--index", type=Path, default=REPO / "index")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from qa.settings import load_settings
    from qa.web.server import serve

    users_file = Path(tempfile.mkdtemp()) / "geen-gebruikers.json"  # local mode, whatever users exist
    settings = load_settings(corpus=args.corpus, index=args.index, port=free_port(), users_file=users_file)
    demo, url = serve(settings, block=False)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="nl-NL")
            page.goto(url, wait_until="load")
            box = page.get_by_placeholder("Stel een vraag")
            box.fill(QUESTION)
            box.press("Enter")
            page.locator('#bronnen .bronnen[data-turn="0"]').wait_for(timeout=120_000)
            page.locator("a.bron-marker").nth(1).click()
            time.sleep(1.5)
            page.evaluate(SCROLL_CHAT_TO_TOP)
            page.evaluate("window.scrollTo(0, 0)")
            time.sleep(0.5)
            page.screenshot(path=str(args.out / "chat.png"))
            # An enumeration: the six overarching success factors, each heading quoted and cited.
            box.fill(OUTLINE_QUESTION)
            box.press("Enter")
            page.locator('#bronnen .bronnen[data-turn="1"]').wait_for(timeout=120_000)
            time.sleep(1.5)
            page.locator('#gesprek [data-testid="bot"]').nth(1).scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            time.sleep(0.5)
            page.screenshot(path=str(args.out / "outline.png"))
            page.set_viewport_size({"width": 1280, "height": 1400})
            page.get_by_role("tab", name="Casussen").click()
            page.locator("#casus-detail section.casus").wait_for(timeout=60_000)
            time.sleep(1)
            page.screenshot(path=str(args.out / "cases.png"))
            # The cross-case view: cases against the synthesis's overarching factors, one cell opened.
            page.get_by_text("Casussen × overkoepelende factoren").click()
            matrix = page.locator('#casus-matrix table.matrix[data-intent="positive"]')
            matrix.wait_for(timeout=60_000)
            matrix.locator("summary").nth(2).click()
            matrix.locator("details[open] li").first.wait_for(timeout=30_000)
            page.locator("#casus-matrix").screenshot(path=str(args.out / "matrix.png"))
            browser.close()
    finally:
        demo.close()
    for name in ("chat.png", "outline.png", "cases.png", "matrix.png"):
        shrink(args.out / name)
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
