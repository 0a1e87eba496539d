"""The indexer: follows the contracts' events into the database, resumes where it stopped, survives reorgs.

Each step reads the logs of a block range with one `eth_getLogs`, stores the decoded events and
applies them to the projections in the same database transaction as the new cursor, so a crash
never leaves the index half-applied. Before each step the cursor's block hash is compared with
the chain's; on a mismatch (a reorganisation, or a development chain restarted from an older
state dump) the indexer walks back its recent block hashes to the fork point, drops the events
after it and rebuilds the projections from the remaining events.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, select

from kpledger.chain.contracts import Chain
from kpledger.chain.decoder import LogDecoder
from kpledger.core.config import Settings
from kpledger.db import models as m
from kpledger.db.session import Database
from kpledger.indexer.bulk import insert_rows, roomy_cache
from kpledger.indexer.projector import Projector, replay
from kpledger.ops import metrics

log = logging.getLogger(__name__)


class Indexer:
    def __init__(self, settings: Settings, chain: Chain, db: Database):
        self.settings = settings
        self.chain = chain
        self.db = db
        self.decoder = LogDecoder(chain.artifacts, chain.deployment)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        # async read-your-writes waiters: (block, loop, future), released together when the index reaches them
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.indexed_block = self._load_cursor()[0]
        self.reorgs = 0
        self.last_error: str | None = None
        self._failing: str | None = None  # the error code of the failure last said in the log

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def poke(self, _block_number: int | None = None) -> None:
        """Ends the current poll pause now (the relayer just saw a block mined)."""
        self._wake.set()

    def wait_for(self, block_number: int, timeout: float = 10.0) -> bool:
        """Blocks until the index has reached `block_number` (used to make reads follow writes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.indexed_block < block_number:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    async def wait_for_async(self, block_number: int, timeout: float = 10.0) -> bool:
        """`wait_for` for an event loop: awaits the index reaching `block_number` without holding a thread."""
        if self.indexed_block >= block_number:
            return True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (block_number, loop, future)
        with self._changed:
            if self.indexed_block >= block_number:
                return True
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return self.indexed_block >= block_number
        finally:
            if not future.done():
                with self._changed:
                    if entry in self._waiters:
                        self._waiters.remove(entry)

    def _release(self) -> None:
        """Wakes the async waiters the index has reached: one callback per event loop (under `_changed`)."""
        if not self._waiters:
            return
        ready: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        rest = []
        for entry in self._waiters:
            if entry[0] <= self.indexed_block:
                ready.setdefault(entry[1], []).append(entry[2])
            else:
                rest.append(entry)
        self._waiters = rest
        for loop, futures in ready.items():
            with contextlib.suppress(RuntimeError):  # RuntimeError: the loop is closed
                loop.call_soon_threadsafe(_wake_all, futures)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                advanced = self.step()
                if self.last_error is not None:
                    log.warning("indexer: the chain answers again, indexing resumes")
                self.last_error = self._failing = None
            except Exception as exc:  # chain down or restarting: keep trying, report through /healthz
                # once per kind of failure (its error code: a chain outage is one, whether the node closed the
                # connection or refused it), not five times a second
                kind = getattr(exc, "code", type(exc).__name__)
                if kind != self._failing:
                    log.warning("indexer step failed (retrying every %gs): %s", self.settings.poll_interval, exc)
                self.last_error, self._failing = str(exc), kind
                advanced = False
            if not advanced:
                self._wake.wait(self.settings.poll_interval)
                self._wake.clear()

    # ------------------------------------------------------------ one step

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return self.chain.rpc.call(method, params)

    def _load_cursor(self) -> tuple[int, str | None]:
        with self.db.session() as s:
            cursor = s.get(m.Cursor, 1)
            if cursor is None:
                return self.chain.deployment.start_block - 1, None
            return cursor.block_number, cursor.block_hash

    def step(self) -> bool:
        """Indexes the next block range; returns whether anything advanced (two JSON-RPC round trips)."""
        number, block_hash = self._load_cursor()
        calls: list[tuple[str, list[Any]]] = [("eth_blockNumber", [])]
        if block_hash is not None:
            calls.append(("eth_getBlockByNumber", [hex(number), False]))
        answers = self._batch(calls)
        if block_hash is not None and (answers[1] or {}).get("hash") != block_hash:
            self._rewind()
            return True
        head = int(answers[0], 16)
        if head <= number:
            return False
        to_block = min(head, number + self.settings.log_range)
        with _collector_paused():
            calls = [("eth_getLogs", [{"address": list(self.chain.addresses.values()),
                                       "fromBlock": hex(number + 1), "toBlock": hex(to_block)}]),
                     ("eth_getBlockByNumber", [hex(to_block), False])]
            if block_hash is not None:  # the cursor's block checked again with the logs: no reorg in between
                calls.append(("eth_getBlockByNumber", [hex(number), False]))
            answers = self._batch(calls)
            logs, to_header = answers[0], answers[1]
            if block_hash is not None and (answers[2] or {}).get("hash") != block_hash:
                self._rewind()
                return True
            if to_header is None:
                return False
            self._store(logs, to_block, to_header["hash"])
        return True

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        answers = self.chain.rpc.batch(calls)
        for (method, _params), answer in zip(calls, answers, strict=True):
            if isinstance(answer, Exception):
                raise RuntimeError(f"{method}: {answer}")
        return answers

    def _block_hash(self, number: int) -> str | None:
        if number < 0:
            return None
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        return block["hash"] if block else None

    def _timestamps(self, logs: list[dict[str, Any]]) -> dict[str, int]:
        """Block timestamps by block hash: from the logs when the node provides them (anvil, geth, Besu
        recent versions), else from the headers, read in one batch request."""
        stamps: dict[str, int] = {}
        missing: dict[str, None] = {}  # ordered set
        for raw in logs:
            if raw.get("blockTimestamp"):
                stamps[raw["blockHash"]] = int(raw["blockTimestamp"], 16)
            elif raw["blockHash"] not in stamps:
                missing[raw["blockHash"]] = None
        if missing:
            headers = self._batch([("eth_getBlockByHash", [h, False]) for h in missing])
            for block_hash, header in zip(list(missing), headers, strict=True):
                if header is None:
                    raise RuntimeError(f"block {block_hash} is no longer known (reorganised)")
                stamps[block_hash] = int(header["timestamp"], 16)
        return stamps

    def _store(self, logs: list[dict[str, Any]], to_block: int, to_hash: str) -> None:
        stamps = self._timestamps(logs)
        decode = self.decoder.decode
        batch = [decoded for raw in logs if not raw.get("removed") and (decoded := decode(raw)) is not None]
        # not fsynced: rebuilt from the chain if ever lost (see Database)
        with self.db.transaction(durable=False) as s, roomy_cache(s):
            projector = Projector(s)
            projector.prefetch(batch)
            events = []
            for decoded in batch:
                ts = stamps[decoded.block_hash]
                events.append({"block_number": decoded.block_number, "block_hash": decoded.block_hash,
                               "timestamp": ts, "tx_hash": decoded.tx_hash, "log_index": decoded.log_index,
                               "contract": decoded.contract, "name": decoded.name, "args": decoded.args})
                projector.apply(decoded, ts)
            insert_rows(s, m.Event.__table__, events)
            projector.flush()
            # the range's last block; blocks holding events keep their hash in `events`
            s.merge(m.IndexedBlock(number=to_block, hash=to_hash, timestamp=0))
            s.merge(m.Cursor(id=1, block_number=to_block, block_hash=to_hash))
            s.execute(delete(m.IndexedBlock).where(m.IndexedBlock.number < to_block - self.settings.reorg_depth))
        self._advance(to_block)

    def _advance(self, block: int) -> None:
        with self._changed:
            self.indexed_block = block
            self._changed.notify_all()
            self._release()

    def _rewind(self) -> None:
        """Finds the fork point among the recent block hashes, drops later events, rebuilds projections."""
        self.reorgs += 1
        metrics.reorg()
        with self.db.session() as s:
            known = dict(s.execute(select(m.IndexedBlock.number, m.IndexedBlock.hash)).all())
            known.update(s.execute(select(m.Event.block_number, m.Event.block_hash).distinct()).all())
        fork = self.chain.deployment.start_block - 1
        fork_hash = None
        for number in sorted(known, reverse=True):
            if self._block_hash(number) == known[number]:
                fork, fork_hash = number, known[number]
                break
        log.warning("chain reorganised: rewinding the index to block %s", fork)
        with _collector_paused(), self.db.transaction() as s, roomy_cache(s):
            s.execute(delete(m.Event).where(m.Event.block_number > fork))
            s.execute(delete(m.IndexedBlock).where(m.IndexedBlock.number > fork))
            if fork_hash is None:
                s.execute(delete(m.Cursor))
            else:
                s.merge(m.Cursor(id=1, block_number=fork, block_hash=fork_hash))
            replay(s)
        with self._changed:
            self.indexed_block = fork
            self._changed.notify_all()

    def rebuild(self) -> int:
        """Rebuilds the projections from stored events (no chain access); returns the event count."""
        with _collector_paused(), self.db.transaction() as s, roomy_cache(s):
            return replay(s)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a batch is decoded, projected and written.

    A batch allocates several containers per event (the decoded JSON answer, args, rows), all freed by
    reference counting, and that many allocations set off full collections of the whole heap (web3,
    SQLAlchemy...): one or two per 10,000 events, about 0.1 s each, finding nothing to collect. The
    collector resumes afterwards, and only if it was running (the setting is process-wide)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _wake_all(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
