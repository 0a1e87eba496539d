"""Operating the backend: /metrics (off by default, behind its token), structured JSON logs without secrets, and
the relayer's low-balance warning, against a real server on anvil."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from kpledger.core.config import Settings
from kpledger.core.errors import Unauthorized
from kpledger.dev.chain import stop
from kpledger.dev.stack import address_of, dev_key
from kpledger.signing.requests import ReplayGuard
from tests.support.stack import start_server
from tests.support.writes import UNSORTED, Api, b32, setup_world

TOKEN = "test-metrics-token-0123456789"
RELAYER = address_of(dev_key(0))


def scrape(server: Any, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(server.url + "/metrics", headers=headers, timeout=10)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition text by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def eventually(check: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def log_lines(server: Any) -> list[dict[str, Any]]:
    """The server's log, every line parsed as one JSON object (a line that is not one fails the test)."""
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_metrics_and_admin_api_are_off_unless_configured(node):
    server = start_server(node)
    try:
        for path in ("/metrics", "/admin/relayer"):
            response = httpx.get(server.url + path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 404 and response.json()["code"] == "NotFound", path
    finally:
        stop(server.process)
    with pytest.raises(ValidationError, match="KP_METRICS_TOKEN"):
        Settings(metrics="on")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(metrics="on", metrics_token="short")


def test_metrics_logs_and_write_events(node, actors):
    server = start_server(node, extra_env={"KP_METRICS": "on", "KP_METRICS_TOKEN": TOKEN, "KP_LOG_FORMAT": "json",
                                           "KP_MONITOR_INTERVAL": "0.3"})
    try:
        for token in (None, "wrong-token-0123456789"):
            refused = scrape(server, token)
            assert refused.status_code == 401 and refused.json()["code"] == "TokenRequired"
        api = Api(server.url)
        setup_world(api, actors)
        mine = actors["mine"]
        body = api.body(mine, "RegisterParcel", {"points": 500, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                 "documentHash": b32("metrics-1")})
        answer = api.post("RegisterParcel", body).json()
        assert answer["status"] == "mined"
        parcel = answer["result"]["parcel_id"]
        forged = api.body(actors["outsider"], "RegisterParcel", {"points": 1, "stones": 1, "hsCode": UNSORTED,
                                                                 "origin": "BW", "documentHash": b32("forged")},
                          signer=mine.address)
        refusal = api.post("RegisterParcel", forged)
        assert refusal.status_code == 401 and refusal.json()["code"] == "InvalidSignature"
        assert api.http.get(f"/v1/parcels/{parcel}").status_code == 200
        assert api.http.get(f"/v1/documents/parcels/{parcel}").json()["code"] == "AuthenticationRequired"

        def scraped() -> dict | None:
            found = samples(scrape(server).text)
            mined = value(found, "kp_relayer_journal_requests", status="mined") or 0
            return found if mined >= 8 else None  # setup_world's 7 writes and ours, read by the monitor

        found = eventually(scraped, what="the monitor's journal reading")
        response = scrape(server)
        assert response.headers["content-type"].startswith("text/plain; version=")
        assert value(found, "kp_http_requests_total", method="POST", route="/v1/parcels", status="200") >= 1
        assert value(found, "kp_http_requests_total", method="POST", route="/v1/parcels", status="401") == 1
        assert value(found, "kp_http_requests_total", method="GET", route="/v1/parcels/{parcel_id}",
                     status="200") == 1
        assert not any(f"/v1/parcels/{parcel}" in dict(labels).get("route", "") for _n, labels in found)
        assert value(found, "kp_http_request_duration_seconds_count", method="POST", route="/v1/parcels") >= 1
        assert value(found, "kp_relayer_batch_calls_count") >= 8
        assert value(found, "kp_relayer_writes_total", action="RegisterParcel", outcome="mined") == 1
        assert value(found, "kp_relayer_writes_total", action="RegisterParcel", outcome="InvalidSignature") == 1
        assert value(found, "kp_document_requests_refused_total", code="AuthenticationRequired") == 1
        assert value(found, "kp_relayer_queue_depth") == 0
        assert value(found, "kp_relayer_pending_transactions") == 0
        assert value(found, "kp_relayer_info", address=RELAYER) == 1
        assert value(found, "kp_relayer_balance_wei") > 0 and value(found, "kp_relayer_balance_low") == 0
        assert value(found, "kp_index_lag_blocks") is not None and value(found, "kp_index_lag_seconds") is not None
        assert value(found, "kp_index_reorgs_total") == 0
        assert value(found, "process_open_fds") > 0 and value(found, "process_resident_memory_bytes") > 0

        records = log_lines(server)  # every line is JSON
        writes = [r for r in records if r["logger"] == "kpledger.writes"]
        ours = next(r for r in writes if r["tx_hash"] == answer["tx_hash"] and r["action"] == "RegisterParcel")
        assert ours["request_id"] == answer["request_id"] and ours["signer"] == mine.address
        assert ours["outcome"] == "mined" and ours["level"] == "info" and ours["msg"] == "write"
        steps = [ours[k] for k in ("queued_ms", "simulated_ms", "sent_ms", "mined_ms", "indexed_ms")]
        assert None not in steps and steps == sorted(steps), steps
        forged_event = next(r for r in writes if r["outcome"] == "InvalidSignature")
        assert forged_event["signer"] == mine.address and forged_event["tx_hash"] is None
        access = [r for r in records if r["logger"] == "uvicorn.access"]
        assert any(r["path"] == "/v1/parcels" and r["method"] == "POST" and r["status"] == 200 for r in access)
        text = server.log_path.read_text().lower()
        for secret in (body["signature"][2:], forged["signature"][2:], dev_key(0).hex(), mine.key.hex(),
                       actors["outsider"].key.hex()):
            assert secret.lower() not in text
    finally:
        stop(server.process)


def test_a_low_relayer_balance_is_warned_about(node):
    server = start_server(node, extra_env={"KP_METRICS": "on", "KP_METRICS_TOKEN": TOKEN, "KP_LOG_FORMAT": "json",
                                           "KP_MONITOR_INTERVAL": "0.2",
                                           "KP_RELAYER_MIN_BALANCE_WEI": str(10**18)})
    try:
        def low() -> float | None:
            return value(samples(scrape(server).text), "kp_relayer_balance_low")

        assert eventually(lambda: low() == 0, what="a first reading")
        node.call("anvil_setBalance", [RELAYER, hex(10**17)])
        eventually(lambda: low() == 1, what="the low-balance metric")
        assert value(samples(scrape(server).text), "kp_relayer_balance_wei") == 10**17
        warning = eventually(lambda: next((r for r in log_lines(server) if r["msg"].startswith("relayer balance low")),
                                          None), what="the warning")
        assert warning["level"] == "warning" and warning["relayer"] == RELAYER
        assert warning["balance_wei"] == 10**17 and warning["threshold_wei"] == 10**18
        node.call("anvil_setBalance", [RELAYER, hex(10**20)])
        eventually(lambda: low() == 0, what="the balance back")
        assert any(r["msg"].startswith("relayer balance back above") for r in log_lines(server))
        assert sum(r["msg"].startswith("relayer balance low") for r in log_lines(server)) == 1  # not every reading
    finally:
        stop(server.process)


def test_the_replay_guard_holds_only_the_window():
    """Signed requests are remembered for the window only: the guard's memory is bounded by the traffic of one
    window (it kept every entry until 200,000 before)."""
    guard = ReplayGuard(window=300, capacity=1_000)
    for i in range(900):  # one signed request a second for 15 minutes
        assert guard.first_use(f"k{i}", now=1_000.0 + i)
    assert len(guard) == 301  # the last 5 minutes only
    assert not guard.first_use("k899", now=1_900.0)  # a replay within the window
    assert guard.first_use("k100", now=1_900.0)  # long expired: no longer remembered
    assert guard.first_use("x", now=5_000.0) and len(guard) == 1
    full = ReplayGuard(window=300, capacity=3)
    for key in ("a", "b", "c"):
        full.first_use(key, now=10.0)
    with pytest.raises(Unauthorized, match="too many signed requests") as refused:
        full.first_use("d", now=20.0)
    assert refused.value.code == "TooManySignedRequests"


def test_the_client_drops_idle_connections_before_the_server_does():
    """A request sent on a keep-alive connection the server is closing fails ("server disconnected without sending
    a response": 3 of 43,000 signed document requests in the hour-long soak, with httpx's and uvicorn's 5 s)."""
    import uvicorn

    from kpledger.client import KPClient

    client = KPClient("http://127.0.0.1:9")
    try:
        assert client.http._transport._pool._keepalive_expiry < uvicorn.Config(app=None).timeout_keep_alive
    finally:
        client.close()
