"""The API's interactive documentation (Swagger UI) with its own assets, so that `/docs` works offline: `make vendor`
copies the npm package swagger-ui-dist (pinned in package-lock.json) into `frontend-static/vendor/swagger-ui/`, which
the API serves with the viewer. Nothing is loaded from a CDN (FastAPI's default), and Swagger UI's online validator
is off."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from kpledger.api.pages import GUARDS, inline_script_hashes, page_headers

ASSETS = "/vendor/swagger-ui"  # frontend-static/vendor/swagger-ui/, filled by `make vendor`

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def read_docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    page = get_swagger_ui_html(
        openapi_url=root + request.app.openapi_url, title=f"{request.app.title}: API documentation",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png", swagger_ui_parameters={"validatorUrl": None})
    html = bytes(page.body).decode()
    # Swagger UI starts from one inline script, allowed by its hash; "Try it out" calls this API only
    policy = (f"default-src 'self'; script-src 'self' {inline_script_hashes(html)}; style-src 'self'; "
              f"img-src 'self' data:; connect-src 'self'; form-action 'self'; {GUARDS}")
    return HTMLResponse(html, headers=page_headers(policy))
