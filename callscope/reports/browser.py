"""Open report pages in a real headless Chromium (Playwright) and record what happened.

Used by the tests and benchmarks/bench_reports.py: load time, console errors, every
request a page made, how many SVG elements it drew, and an optional screenshot.
Playwright is a development dependency; Chromium is the system one (Debian: /usr/bin/chromium).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from callscope.errors import CallscopeError

VIEWPORT = {"width": 1366, "height": 900}  # a common laptop screen


def chromium() -> str | None:
    """Path of the Chromium binary ($CALLSCOPE_CHROMIUM, then chromium on PATH), or None."""
    for candidate in (os.environ.get("CALLSCOPE_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@dataclass
class PageCheck:
    """What opening one page did."""

    path: Path
    load_seconds: float
    errors: list[str] = field(default_factory=list)       # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)     # every URL requested except the page itself
    svg_count: int = 0
    text: str = ""                                        # the page's visible text
    page_globals: dict = field(default_factory=dict)
    screenshot: Path | None = None


def check_pages(paths: list[Path], screenshots: Path | None = None, full_page: bool = True,
                globals_to_read: tuple[str, ...] = ()) -> list[PageCheck]:
    """Open each page in a fresh tab; screenshots (<stem>.png) go to `screenshots` when given.

    `globals_to_read` names window properties whose values are kept in `page_globals`
    (e.g. to prove an injected script did not run).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise CallscopeError("playwright is not installed (pip install playwright)") from None
    binary = chromium()
    if binary is None:
        raise CallscopeError("chromium not found (install it, or set CALLSCOPE_CHROMIUM)")
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        try:
            for path in paths:
                url = Path(path).resolve().as_uri()
                page = browser.new_page(viewport=VIEWPORT)
                check = PageCheck(Path(path), 0.0)
                page.on("console", lambda m, c=check: c.errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e, c=check: c.errors.append(str(e)))
                page.on("request", lambda r, c=check, u=url: c.requests.append(r.url) if r.url.split("#")[0] != u else None)
                started = time.perf_counter()
                page.goto(url, wait_until="load")
                check.load_seconds = time.perf_counter() - started
                check.svg_count = page.locator("svg").count()
                check.text = page.inner_text("body")
                check.page_globals = {name: page.evaluate(f"() => window[{name!r}]") for name in globals_to_read}
                if screenshots:
                    check.screenshot = screenshots / f"{Path(path).stem}.png"
                    page.screenshot(path=str(check.screenshot), full_page=full_page)
                page.close()
                results.append(check)
        finally:
            browser.close()
    return results
