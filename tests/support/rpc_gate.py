"""A JSON-RPC proxy in front of the test's chain that can hold the relayer's batch simulation: the tests that need
several requests in ONE batch hold the sender thread on its first simulation, queue the rest, then let it go."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from kpledger.dev.stack import free_port
from kpledger.relay.calls import SIMULATE_SELECTOR

SIMULATE = "0x" + SIMULATE_SELECTOR.hex()


def _simulates(body: Any) -> bool:
    calls = body if isinstance(body, list) else [body]
    return any(c.get("method") == "eth_call" and str(c["params"][0].get("data", "")).startswith(SIMULATE)
               for c in calls if isinstance(c, dict))


class RpcGate:
    """Forwards every JSON-RPC request to `upstream`; while closed, a request carrying a `KPRelayBatch.simulate`
    call waits until `open()`. `url` is what the backend is given as KP_RPC_URL."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self._open = threading.Event()
        self._open.set()
        self._held = 0
        self._lock = threading.Lock()
        self.simulations = 0  # simulations forwarded so far
        gate = self
        client = httpx.Client(timeout=120)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if _simulates(json.loads(raw)):
                    with gate._lock:
                        gate._held += 1
                    gate._open.wait()
                    with gate._lock:
                        gate._held -= 1
                        gate.simulations += 1
                answer = client.post(gate.upstream, content=raw, headers={"Content-Type": "application/json"})
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    def hold(self) -> None:
        """Simulations wait from now on."""
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def wait_held(self, timeout: float = 60) -> None:
        """Returns once a simulation is waiting at the gate (the sender thread is stuck in its batch)."""
        deadline = time.monotonic() + timeout
        while self._held == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("no simulation reached the gate")
            time.sleep(0.01)


def queue_depth(http: httpx.Client, token: str) -> int:
    """The relayer's queue depth from /metrics (the server runs with KP_METRICS=on and this token)."""
    text = http.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    match = re.search(r"^kp_relayer_queue_depth (\S+)$", text, re.M)
    assert match, text[:500]
    return int(float(match.group(1)))
