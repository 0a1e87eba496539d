"""The backend's Prometheus metrics, declared once: the relayer, the indexer and the API update them through the
small functions below, and `/metrics` renders them (`render`).

Everything lives in one registry of its own (not prometheus_client's global one), with the process collector
(resident memory, open descriptors, CPU). Updates on the write path are per batch, not per request, apart from the
HTTP middleware's one counter and one histogram observation per request (a lock and an add each: microseconds).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

disable_created_metrics()  # no `*_created` series beside every counter and histogram: half the text, no information
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

HTTP_REQUESTS = Counter("kp_http_requests", "HTTP requests answered, by route template, method and status",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("kp_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                         ["method", "route"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
DOCUMENT_REFUSALS = Counter("kp_document_requests_refused", "Document requests refused, by error code",
                            ["code"], registry=REGISTRY)

QUEUE_DEPTH = Gauge("kp_relayer_queue_depth", "Checked write requests waiting for the batch sender",
                    registry=REGISTRY)
BATCH_CALLS = Histogram("kp_relayer_batch_calls", "Calls per batch transaction sent", buckets=BATCH_BUCKETS,
                        registry=REGISTRY)
WRITES = Counter("kp_relayer_writes", "Write requests answered, by action and outcome (mined or the error code)",
                 ["action", "outcome"], registry=REGISTRY)
RESENDS = Counter("kp_relayer_resends", "Journaled transactions sent again (late receipt, or the reconciler)",
                  registry=REGISTRY)
PENDING_TXS = Gauge("kp_relayer_pending_transactions", "Journaled relayer transactions without an outcome yet",
                    registry=REGISTRY)
JOURNAL = Gauge("kp_relayer_journal_requests", "Journaled requests by status", ["status"], registry=REGISTRY)
BALANCE = Gauge("kp_relayer_balance_wei", "The relayer account's balance, in wei", registry=REGISTRY)
BALANCE_LOW = Gauge("kp_relayer_balance_low", "1 when the relayer's balance is under KP_RELAYER_MIN_BALANCE_WEI on a "
                    "chain that charges fees", registry=REGISTRY)
RELAYER = Gauge("kp_relayer_info", "The relayer account in use (value 1)", ["address"], registry=REGISTRY)
ROTATIONS = Counter("kp_relayer_key_rotations", "Relayer key rotations completed", registry=REGISTRY)

INDEXED_BLOCK = Gauge("kp_index_block", "Last block indexed", registry=REGISTRY)
HEAD_BLOCK = Gauge("kp_chain_head_block", "The chain's latest block, as last read", registry=REGISTRY)
LAG_BLOCKS = Gauge("kp_index_lag_blocks", "Blocks the index is behind the chain", registry=REGISTRY)
LAG_SECONDS = Gauge("kp_index_lag_seconds", "Block time between the chain's head and the last block indexed",
                    registry=REGISTRY)
REORGS = Counter("kp_index_reorgs", "Chain reorganisations the indexer rewound", registry=REGISTRY)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# ---------------------------------------------------------------- hooks (what the components call)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def document_refused(code: str) -> None:
    DOCUMENT_REFUSALS.labels(code).inc()


def batch_sent(calls: int) -> None:
    BATCH_CALLS.observe(calls)


def write_answered(action: str, outcome: str) -> None:
    WRITES.labels(action, outcome).inc()


def resent(count: int = 1) -> None:
    RESENDS.inc(count)


def reorg() -> None:
    REORGS.inc()


def queue_depth(source: Callable[[], float]) -> None:
    """The queue depth is read from the batcher when scraped."""
    QUEUE_DEPTH.set_function(source)


def relayer_address(address: str, previous: str | None = None) -> None:
    if previous is not None:
        RELAYER.remove(previous)
    RELAYER.labels(address).set(1)


def index_position(indexed: int, head: int, lag_seconds: float) -> None:
    INDEXED_BLOCK.set(indexed)
    HEAD_BLOCK.set(head)
    LAG_BLOCKS.set(max(0, head - indexed))
    LAG_SECONDS.set(max(0.0, lag_seconds))


def journal_counts(by_status: dict[str, int], pending_transactions: int) -> None:
    for status in ("pending", "sent", "mined", "failed"):
        JOURNAL.labels(status).set(by_status.get(status, 0))
    PENDING_TXS.set(pending_transactions)


def balance(wei: int, low: bool) -> None:
    BALANCE.set(wei)
    BALANCE_LOW.set(1 if low else 0)
