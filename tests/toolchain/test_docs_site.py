"""The documentation site (docs/mkdocs.yml, Material for MkDocs) builds with --strict and works from the file system
with the network off: no asset from another host, and the search finds pages (its web worker runs through the
iframe-worker shim from node_modules, since Chromium refuses a worker to a file:// page)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browser import chromium

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "docs" / "mkdocs.yml"),
                           "-d", str(out)], capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1",
                           "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


def test_every_page_names_only_its_own_files(site):
    pages = sorted(site.glob("*.html"))
    names = {p.name for p in pages}
    # the README is the home page; SECURITY.md and bench/HISTORY.md are pages too
    assert {"index.html", "model.html", "writes.html", "security-policy.html", "benchmark-history.html"} <= names
    for page in pages:
        text = page.read_text()
        outside = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", text)
        assert outside == [], (page.name, outside)
    # the iframe-worker shim is the one from node_modules, not unpkg's
    assert (site / "assets/javascripts/iframe-worker/shim.js").read_bytes() == \
        (ROOT / "node_modules/iframe-worker/shim/index.js").read_bytes()
    assert "unpkg.com" not in (site / "index.html").read_text()


def test_the_search_finds_pages_from_the_file_system_with_the_network_off(site):
    requested: list[str] = []
    errors: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    with chromium() as browser:
        context = browser.new_context(offline=True)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        context.route("**/*", only_files)
        page.goto((site / "index.html").as_uri())
        assert "KP Ledger" in page.title()
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.keyboard.type("relayer key rotation", delay=20)  # typed: Material searches on key events
        page.wait_for_selector(".md-search-result__item", timeout=20_000)
        hits = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
        assert any("operating.html" in h for h in hits), hits
        page.fill("input.md-search__input", "")
        page.keyboard.type("genesis", delay=20)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.md-search-result__item a')].some(a => a.href.includes('besu'))",
            timeout=20_000)
        # a result opens its page from the file system
        page.locator(".md-search-result__item a", has_text="genesis").first.click()
        page.wait_for_load_state()
        assert page.url.startswith("file://") and "besu.html" in page.url, page.url
    assert requested == [] and errors == [], (requested, errors)
