"""The API's documentation page works offline: Swagger UI's assets come from the API itself (swagger-ui-dist from npm,
copied by `make vendor`), never from a CDN; checked in Chromium with every other host blocked."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("playwright.sync_api")


def test_the_docs_page_names_only_local_assets(server):
    with httpx.Client(base_url=server.url) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        assert "cdn." not in page.text and "https://" not in page.text, page.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            assert f"/vendor/swagger-ui/{asset}" in page.text
            assert c.get(f"/vendor/swagger-ui/{asset}").status_code == 200, asset
        # one documentation page: ReDoc (another CDN bundle) is not served
        assert c.get("/redoc").status_code == 404


def test_the_docs_render_with_every_other_host_blocked(server, browser):
    blocked: list[str] = []
    errors: list[str] = []

    def only_the_api(route):
        if route.request.url.startswith(server.url + "/") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route("**/*", only_the_api)
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "KP Ledger" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20_000)
        paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.dataset.path)")
        assert "/v1/parcels/{parcel_id}" in paths and "/healthz" in paths, paths
        # an operation opens, with its parameters
        page.locator(".opblock-summary", has_text="/healthz").first.click()
        page.wait_for_selector(".opblock.is-open .opblock-body", timeout=10_000)
    finally:
        page.close()
    assert blocked == [] and errors == [], (blocked, errors)
