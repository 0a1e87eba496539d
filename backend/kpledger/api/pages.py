"""What a browser is told about the HTML pages the API serves (the viewer, the console, /docs, the printable
certificate): load only this origin's code, never inside another site's frame, no type sniffing, no referrer.

The viewer and the console load their own modules and `vendor/` files, no inline script or style; they fetch from
any http(s) origin because the viewer checks facts against a node the user names (and `?api=` may name another
backend). Every static file of `frontend-static/` gets these headers (`PageFiles`)."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

GUARDS = ("object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
               f"connect-src 'self' http: https:; form-action 'self'; {GUARDS}")


# the offline verifier (verify/) compiles its QR decoder's WebAssembly: that needs 'wasm-unsafe-eval' (not
# 'unsafe-eval': no string of code is ever evaluated), and for those pages only
VERIFY_POLICY = PAGE_POLICY.replace("script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")


def page_headers(policy: str = PAGE_POLICY) -> dict[str, str]:
    """The headers of an HTML page under `policy` (a Content-Security-Policy that ends with GUARDS)."""
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}


def inline_script_hashes(html: str) -> str:
    """CSP sources allowing exactly the inline scripts of `html` (Swagger UI's start-up script)."""
    return " ".join("'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
                    for script in re.findall(r"<script>(.*?)</script>", html, re.S))


class PageFiles(StaticFiles):
    """The viewer's static files, each with page_headers() (the verifier's, under verify/, with VERIFY_POLICY)."""

    HEADERS = page_headers()
    VERIFY_HEADERS = page_headers(VERIFY_POLICY)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        verifier = path == "verify" or path.startswith("verify/")
        response.headers.update(self.VERIFY_HEADERS if verifier else self.HEADERS)
        return response
