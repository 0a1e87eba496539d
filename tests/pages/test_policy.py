"""The pages under their Content-Security-Policy, in Chromium: the viewer, the console and /docs do everything they
do without one violation (they load only their own modules and vendor/ files), and another site cannot frame them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kpledger.dev.demo import Demo

# every violation the page reports, collected from its first script on
WATCH = """window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""

pytest.importorskip("playwright.sync_api")


def watched(browser: Any) -> tuple[Any, list[str]]:
    """A page whose CSP violations and page errors end up in the returned list."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.add_init_script(WATCH)
    page.on("pageerror", lambda exc: problems.append(f"pageerror {exc}"))
    page.on("console", lambda m: problems.append(f"console {m.text}")
            if "Content Security Policy" in m.text else None)
    return page, problems


def violations(page: Any, problems: list[str]) -> list[str]:
    return problems + page.evaluate("window.__violations")


def test_the_viewer_console_and_docs_work_under_their_policy(server, node, browser):
    ids = Demo(server.url, node.data_dir / "demo-documents").run()["ids"]
    page, problems = watched(browser)
    # a lot: timeline, lineage and route drawings, QR codes; then the check against the chain (another origin)
    page.goto(f"{server.url}/#/lot/{ids['final_parcel']}")
    page.wait_for_selector("#verdict[data-status='ok']", timeout=30_000)
    page.wait_for_selector("#lineage-svg a[data-parcel]", timeout=10_000)
    assert page.locator("svg.qr").count() >= 1
    page.fill("#rpc-url", node.url)
    page.click("#chain-check")
    page.wait_for_selector("#chain-summary[data-result='match']", timeout=30_000)
    # a certificate's verification page, and the statistics with their charts
    page.goto(f"{server.url}/#/certificate/EU0000001")
    page.wait_for_selector("#cert-body:not([hidden])", timeout=20_000)
    page.goto(f"{server.url}/#/statistics/EU/{datetime.now(UTC).year}")
    page.wait_for_selector("#stats-trade-chart[data-rendered]", timeout=20_000)
    assert violations(page, problems) == []

    console, problems = watched(browser)
    console.goto(f"{server.url}/console/")
    console.wait_for_selector("#connect", state="visible", timeout=20_000)
    console.wait_for_function("() => document.querySelector('#connect').textContent.trim().length > 0")
    assert violations(console, problems) == []

    docs, problems = watched(browser)
    docs.goto(f"{server.url}/docs")
    docs.wait_for_selector(".opblock", timeout=20_000)
    docs.locator(".opblock-summary", has_text="/healthz").first.click()
    docs.locator(".try-out__btn").first.click()
    docs.locator(".execute").first.click()
    docs.wait_for_selector(".live-responses-table tbody .response-col_status", timeout=20_000)
    assert docs.inner_text(".live-responses-table tbody .response-col_status").strip() == "200"
    assert violations(docs, problems) == []


def framed(browser: Any, url: str) -> str:
    """The URL a page of another origin ends up showing in an iframe of `url`."""
    page = browser.new_page()
    page.set_content(f'<iframe src="{url}" width="800" height="600"></iframe>')
    page.wait_for_timeout(2_000)
    return page.frames[1].url


@pytest.mark.parametrize("path", ["/", "/console/", "/docs"])
def test_another_site_cannot_frame_the_pages(server, browser, path):
    """A page of another origin frames the viewer (clickjacking): Chromium shows its error page instead. (A JSON
    answer, which carries no such header, does load in the frame: the check can tell.)"""
    assert framed(browser, f"{server.url}{path}") == "chrome-error://chromewebdata/"
    assert framed(browser, f"{server.url}/healthz") == f"{server.url}/healthz"
