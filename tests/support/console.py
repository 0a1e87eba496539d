"""Browser support for the console and viewer tests: a test EIP-1193 wallet injected into the page, answered by
Python, and a fake ledger API such as an attacker runs.

The page sees an ordinary `window.ethereum`; its `request()` calls go to Python through a Playwright binding,
which answers `eth_requestAccounts` / `eth_accounts` / `eth_chainId`, signs `eth_signTypedData_v4` and
`personal_sign` with a test key through eth_account (real signatures over what the page built, checked by the
backend) and switches chains (`wallet_switchEthereumChain`, then the page's `chainChanged` listeners hear it). Like a
real wallet it can be on another chain (and then refuses typed data for the ledger's, in MetaMask's words), its user
can decline (EIP-1193 code 4001), and it can fail in words of its own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

from kpledger.dev.demo import CAST
from tests.support.browser import DESKTOP, PHONE, axe_violations

ROOT = Path(__file__).resolve().parents[2]

WALLET_SCRIPT = """
(() => {
  const listeners = {};
  window.ethereum = {
    isKpTestWallet: true,
    async request({ method, params }) {
      const answer = await window.__kpWallet(method, params || []);
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
    on(event, fn) { (listeners[event] ||= []).push(fn); },
    removeListener(event, fn) { listeners[event] = (listeners[event] || []).filter((f) => f !== fn); },
  };
  // what a wallet emits (a chain switched in its own window: the test calls it; after wallet_switchEthereumChain)
  window.__kpWalletEmit = (event, value) => { for (const fn of listeners[event] || []) fn(value); };
  const ask = window.ethereum.request;
  window.ethereum.request = async (args) => {
    const result = await ask(args);
    if (args.method === "wallet_switchEthereumChain") window.__kpWalletEmit("chainChanged", args.params[0].chainId);
    return result;
  };
})();
"""


@dataclass
class TestWallet:
    """The Python side of the injected wallet: one key, one chain; keeps every typed data and text it signed, and
    every signing request it was asked (signed, declined or failed)."""

    key: bytes
    chain_id: int
    signed: list[dict[str, Any]] = field(default_factory=list)  # typed data signed (eth_signTypedData_v4)
    texts: list[str] = field(default_factory=list)  # texts signed (personal_sign: signed requests of documents)
    asked: list[str] = field(default_factory=list)  # every signing request, signed or not: its method
    refuse: bool = False  # answer the next signature or switch request as a user who declines (EIP-1193 code 4001)
    fail: dict[str, Any] | None = None  # answer the next signature request with this error (the wallet's words)
    known_chains: set[int] | None = None  # chains the wallet can switch to (None: any); others answer 4902
    connected: bool = False  # like a real wallet: no account is disclosed before eth_requestAccounts

    def _declined(self) -> dict[str, Any] | None:
        if self.refuse:
            self.refuse = False
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if self.fail is not None:
            error, self.fail = self.fail, None
            return {"error": error}
        return None

    @property
    def address(self) -> str:
        return Account.from_key(self.key).address

    def answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method == "eth_requestAccounts":
            self.connected = True
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address] if self.connected else []}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if self.known_chains is not None and wanted not in self.known_chains:
                return {"error": {"code": 4902, "message": f"Unrecognized chain ID \"{params[0]['chainId']}\"."}}
            declined = self._declined()
            if declined:
                return declined
            self.chain_id = wanted
            return {"result": None}
        if method == "eth_signTypedData_v4":
            self.asked.append(method)
            address, data = params
            if address.lower() != self.address.lower():
                return {"error": {"code": 4100, "message": f"unknown account {address}"}}
            typed = json.loads(data)
            chain = typed["domain"]["chainId"]
            domain_chain = int(chain, 0) if isinstance(chain, str) else int(chain)
            if domain_chain != self.chain_id:  # MetaMask's refusal, word for word
                return {"error": {"code": -32603, "message": f'Provided chainId "{domain_chain}" must match the '
                                                            f'active chainId "{self.chain_id}"'}}
            declined = self._declined()
            if declined:
                return declined
            self.signed.append(typed)
            signature = Account.sign_message(encode_typed_data(full_message=typed), private_key=self.key).signature
            return {"result": "0x" + bytes(signature).hex()}
        if method == "personal_sign":
            self.asked.append(method)
            message, address = params
            if address.lower() != self.address.lower():
                return {"error": {"code": 4100, "message": f"unknown account {address}"}}
            declined = self._declined()
            if declined:
                return declined
            text = bytes.fromhex(message.removeprefix("0x")).decode()
            self.texts.append(text)
            signature = Account.sign_message(encode_defunct(text=text), private_key=self.key).signature
            return {"result": "0x" + bytes(signature).hex()}
        return {"error": {"code": 4200, "message": f"unsupported method {method}"}}


def open_console(browser: Any, url: str, key: bytes, chain_id: int, *, viewport: dict[str, int] = DESKTOP,
                 wallet: bool = True, query: str = "") -> tuple[Any, TestWallet]:
    """A page of the console in its own browser context (its own wallet), not connected yet."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, locale="en-GB")
    test_wallet = TestWallet(key, chain_id)
    if wallet:
        context.expose_binding("__kpWallet", lambda _source, method, params: test_wallet.answer(method, params))
        context.add_init_script(WALLET_SCRIPT)
    page = context.new_page()
    page.kp_errors = []  # uncaught script errors of the page (the tests assert there are none)
    page.on("pageerror", lambda error: page.kp_errors.append(str(error)))
    page.goto(f"{url}/console/{query}")
    page.wait_for_selector("body[data-ready='true']", timeout=20_000)
    return page, test_wallet


Answer = Callable[[Any], Any]  # the upstream's JSON answer (None without an upstream) -> the fake's JSON answer


class FakeApi:
    """A fake ledger API on loopback, as an attacker (or a compromised backend) runs one: it answers the paths of
    `answers` itself (path -> JSON, or a function of what the real API answers there) and passes every other request
    to `upstream`, a real API (404 without one); a test may change `answers` as it goes. It sends the CORS header a
    page of another origin needs, and keeps every request it was asked (`requests`: method and path)."""

    def __init__(self, upstream: str | None = None, answers: dict[str, Any | Answer] | None = None):
        self.upstream = upstream
        self.answers = dict(answers or {})
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "*")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's name
                self._send(204, b"")

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def _answer(self, method: str) -> None:
                fake.requests.append((method, self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                path = self.path.split("?", 1)[0]
                real = None
                if self.upstream_needed(path):
                    with httpx.Client(base_url=fake.upstream, timeout=60) as c:
                        real = c.request(method, self.path, content=body,
                                         headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
                if path in fake.answers:
                    answer = fake.answers[path]
                    value = answer(real.json() if real is not None else None) if callable(answer) else answer
                    self._send(200, json.dumps(value).encode())
                elif real is not None:
                    self._send(real.status_code, real.content, real.headers.get("content-type", "application/json"))
                else:
                    self._send(404, json.dumps({"code": "NotFound", "message": path, "details": {}}).encode())

            def upstream_needed(self, path: str) -> bool:
                return fake.upstream is not None and (path not in fake.answers or callable(fake.answers[path]))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def asked(self, method: str) -> list[str]:
        """The paths the fake was asked with `method`."""
        return [path for m, path in self.requests if m == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# the demo's fictitious companies and authorities (public name, licence number): what the console's screens, and
# the documentation's screenshots taken from them, show
PROFILES = {actor: CAST[cast][3:5] for actor, cast in (
    ("mine", "bw_mine"), ("bw_exporter", "bw_exporter"), ("eu_trader", "antwerp_trader"),
    ("bw_authority", "bw_authority"), ("eu_authority", "eu_authority"))}


MINE, EXPORTER, TRADER = (PROFILES[a][0] for a in ("mine", "bw_exporter", "eu_trader"))


def connect(page: Any) -> None:
    page.click("#connect")
    page.wait_for_selector("#account-section:not([hidden])", timeout=20_000)


def open_action(page: Any, action: str, **params: Any) -> None:
    query = f"?{urlencode(params)}" if params else ""
    page.evaluate("hash => { location.hash = hash; }", f"#/act/{action}{query}")
    page.wait_for_selector("#form-section:not([hidden])", timeout=10_000)


def field(page: Any, name: str, control: str = "input") -> Any:
    return page.locator(f"#form-fields [data-field='{name}'] > {control}").first


def review(page: Any) -> None:
    page.click("#review")
    page.wait_for_selector("#confirm-section:not([hidden])", timeout=10_000)


def sign(page: Any) -> dict[str, Any]:
    """Signs what the confirmation shows; returns the outcome shown ({"done": bool, "code", "text", results})."""
    page.click("#sign")
    page.wait_for_selector("#write-done, #write-refused", timeout=30_000)
    assert page.kp_errors == [], page.kp_errors
    refused = page.locator("#write-refused")
    if refused.count():
        return {"done": False, "code": refused.get_attribute("data-code"), "text": refused.inner_text()}
    results = page.eval_on_selector_all("#progress-result dd[data-result]",
                                        "els => Object.fromEntries(els.map(e => [e.dataset.result, e.textContent]))")
    return {"done": True, **results}


def no_violations(page: Any, where: str) -> None:
    assert page.kp_errors == [], page.kp_errors
    violations = axe_violations(page)
    assert violations == [], f"axe on {where}: {json.dumps(violations, indent=1)}"


# what the authority adds to the ledger's facts in a certificate's document (the demo's Botswana authority)
PARTICULARS = {"seal_label": "BW-SEAL-0001", "value_usd": "41 300 000,00",
               "authority_address": "Diamond Hub, Plot 63000, Gaborone", "exporter_address": "Plot 21, Gaborone",
               "importer_address": "Schupstraat 9, 2018 Antwerpen", "officer": "K. Mogapi", "place": "Gaborone"}


def particular(page: Any, name: str) -> Any:
    return page.locator(f"#form-fields [data-field='documentHash.{name}'] > input")


def particular_readback(page: Any, name: str) -> str:
    return page.locator(f"#form-fields [data-field='documentHash.{name}'] > .readback").inner_text()


def fill_particulars(page: Any, **changes: str) -> None:
    """Types the certificate document's particulars into the IssueCertificate form (compose mode)."""
    for name, value in {**PARTICULARS, **changes}.items():
        particular(page, name).fill(value)
