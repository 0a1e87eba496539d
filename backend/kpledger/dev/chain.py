"""The embedded chain: an anvil node from npm whose state lives in the data folder.

`python -m kpledger.dev chain` starts it (or finds it running), deploys the contracts once
(`scripts/deploy.py`, addresses recorded in data/deployment.json) and runs until Ctrl-C or SIGTERM, when
anvil is stopped with SIGTERM so that it dumps its state for the next start.

A kill -9 of anvil loses only its last blocks (`ChainState`): anvil's own dump is rewritten in place, and a
kill during the write used to leave the only copy of the chain torn, which anvil then refused to load.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kpledger.chain.jsonrpc import JsonRpc
from kpledger.core.errors import ChainUnavailable

ROOT = Path(__file__).resolve().parents[3]


def rpc(url: str, method: str, params: list | None = None, timeout: float = 2.0):
    """One JSON-RPC call through the backend's one client (`chain.jsonrpc`: no web3 import at start-up); RpcError
    when the node refuses it, ChainUnavailable when it cannot be reached."""
    return JsonRpc(url, timeout=timeout).call(method, params or [])


def is_up(url: str) -> bool:
    try:
        rpc(url, "eth_chainId", timeout=0.5)
        return True
    except ChainUnavailable:
        return False


def wait_until_up(url: str, process: subprocess.Popen | None = None, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if is_up(url):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the chain exited with code {process.returncode}")
        time.sleep(0.1)
    raise TimeoutError(f"no JSON-RPC answer at {url} after {seconds}s")


def anvil_binary() -> str:
    """The native anvil inside the npm platform package (not npm's Node wrapper, which does not
    forward signals: a SIGTERM would leave anvil running without saving its state)."""
    for native in sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        return str(native)
    found = shutil.which("anvil")
    if not found:
        raise FileNotFoundError("anvil not found: run `npm ci` (package @foundry-rs/anvil)")
    return found


BEST_BLOCK = re.compile(rb'"best_block_number":(\d+)\D')
EOA_NONCE = re.compile(rb'"nonce":(\d+),"balance":"0x[0-9a-f]*","code":"0x","')  # an account without code
# in a dump's blocks: one per transaction, one per block, one per genesis block; and where the blocks end (inside a
# block its transactions follow the header's `}`, so this is the top-level key)
BLOCK_MARKS = (b'"transaction":', b'"header":', b'"number":"0x0",')
BLOCKS_END = b'],"transactions":['


class ChainStateLost(RuntimeError):
    """The data folder holds chain state files, none of them complete: the chain cannot be restored."""


class ChainState:
    """The embedded chain's state files in a data folder, kept so that a kill -9 of anvil loses only its last blocks.

    anvil writes its dump in place (it truncates the file, then writes the JSON in 8 KB pieces) every
    `--state-interval` seconds and on a clean exit; a kill -9 during that write leaves the file torn or empty, and
    anvil refuses to start from it. So anvil dumps to `anvil-state.writing.json`, and a keeper thread in our process
    (`AnvilProcess`) moves every complete dump that holds one state (`consistent`), by renames, to
    `anvil-state.json`, the file the next start loads, so that file is always such a dump. Every `DURABLE_S` seconds
    (and after a clean stop) `anvil-state.json` is fsynced and hard-linked as `anvil-state.prev.json`: the previous
    good copy, on disk, for a machine crash (the newest one is not fsynced per dump: that would write the whole
    state, tens of MB, to disk every second).

    A dump is complete when it ends with anvil's last key (`COMPLETE_TAIL`): anvil 1.7 writes its JSON in a fixed
    order and that key once, last, so no torn prefix ends with it. The check reads 25 bytes, not the state (tens of
    MB under load). At a start (`prepare`), a complete dump not yet moved is moved, anvil's unfinished writes are
    removed, and a torn `anvil-state.json` or `anvil-state.prev.json` (a machine crash, a full disk, a folder from
    before this keeper) is set aside as `<name>.torn-<time>`, never deleted, with a message on stderr, and the other
    one loaded; when neither is complete the start is refused (`ChainStateLost`), every time."""

    COMPLETE_TAIL = b'"historical_states":null}'
    DURABLE_S = 10.0

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.current = data_dir / "anvil-state.json"  # what the next start loads: always a complete dump
        self.prev = data_dir / "anvil-state.prev.json"  # the last dump fsynced to disk (a link, or an older file)
        self.writing = data_dir / "anvil-state.writing.json"  # anvil's --dump-state: rewritten in place
        self.pending = data_dir / "anvil-state.pending.json"  # a dump on its way from `writing` to `current`
        self._durable: tuple[int, int] | None = None  # (device, inode) of the file last linked as `prev`
        # dumps moved into place, dumps of mixed states dropped, dumps made durable; seconds spent checking, syncing
        self.promoted = self.mixed = self.synced = 0
        self.check_s = self.sync_s = 0.0

    @classmethod
    def _tail(cls, path: Path) -> bytes | None:
        try:
            with path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - len(cls.COMPLETE_TAIL)))
                return f.read()
        except FileNotFoundError:
            return None

    @classmethod
    def complete(cls, path: Path) -> bool:
        """Whether `path` holds a whole dump of anvil's (False for a missing, empty or torn file)."""
        return cls._tail(path) == cls.COMPLETE_TAIL

    def dumping(self) -> bool:
        """Whether a dump of anvil's is unfinished now: being written, or cut short by a kill."""
        return any(tail is not None and tail != self.COMPLETE_TAIL
                   for tail in (self._tail(self.writing), self._tail(self.pending)))

    @staticmethod
    def block(path: Path) -> int:
        """The head block of a complete dump (its `best_block_number`, read up to that key, not parsed whole)."""
        text = b""
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                text = text[-64:] + chunk
                if found := BEST_BLOCK.search(text):
                    return int(found.group(1))
        raise ValueError(f"{path} holds no best_block_number")

    @staticmethod
    def consistent(path: Path) -> bool:
        """Whether a complete dump holds one state of the chain.

        anvil 1.7 reads a dump's parts under separate locks (head number, then blocks, then transactions, then the
        accounts), so a block mined meanwhile is in the accounts but not in the blocks, or in the blocks beyond the
        head: loaded, such a chain has a transaction's effects without its block, receipt or event (seen in about
        a dump in three under a steady write load). Such a dump is not kept. A dump is one state when the nonces of
        the accounts without code add up to the transactions in its blocks and its blocks (less the genesis blocks,
        one more at each start from a file) number its head. Read in 4 MB pieces up to its receipts (the bulk, not
        read) and counted, not parsed: each piece holds the GIL a few ms (in `make run` the API shares it)."""
        with path.open("rb") as f:
            buf = bytearray()
            while (blocks := buf.find(b',"blocks":[', max(0, len(buf) - (4 << 20) - 16))) < 0:
                if not (chunk := f.read(4 << 20)):
                    return False
                buf.extend(chunk)
            accounts = buf.find(b'"accounts":')
            best_at = buf.find(b',"best_block_number":', accounts)
            if min(accounts, best_at) < 0:
                return False
            best = int(buf[best_at + len(b',"best_block_number":'):blocks])
            nonces = sum(int(n) for n in EOA_NONCE.findall(buf, accounts, best_at))
            buf = buf[blocks:]
            counts = dict.fromkeys(BLOCK_MARKS, 0)
            while True:  # counts the marks that start before `stop`, then reads on from there
                cut = buf.find(BLOCKS_END)
                stop = cut if cut >= 0 else max(0, len(buf) - len(BLOCKS_END))
                for mark in counts:
                    counts[mark] += buf.count(mark, 0, stop if cut >= 0 else stop + len(mark) - 1)
                if cut >= 0:
                    break
                if not (chunk := f.read(4 << 20)):
                    return False
                buf = buf[stop:] + chunk
        transactions, headers, genesis = counts.values()
        return nonces == transactions and headers - genesis == best

    def promote(self) -> bool:
        """Moves a complete dump of anvil's that holds one state (`consistent`) to `anvil-state.json` (renames
        only); True when one was moved.

        `writing` is renamed to `pending` first, so that anvil's next dump starts a new file; if anvil had already
        opened it again (it truncates on open), `pending` is incomplete now and is moved once anvil has finished it."""
        try:
            if self.complete(self.writing):
                os.replace(self.writing, self.pending)
            if not self.complete(self.pending):
                return False
            started = time.perf_counter()
            one_state = self.consistent(self.pending)
            self.check_s += time.perf_counter() - started
            if not one_state:
                self.pending.unlink()
                self.mixed += 1
                return False
            os.replace(self.pending, self.current)
        except FileNotFoundError:  # moved meanwhile by another caller (a start while the last keeper finishes)
            return False
        self.promoted += 1
        return True

    def make_durable(self) -> None:
        """fsyncs `anvil-state.json` and links it as `anvil-state.prev.json`, once per dump (a link, not a copy: no
        second state on disk; the next dump moved into place is a new file, and `prev` keeps this one)."""
        try:
            fd = os.open(self.current, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            st = os.fstat(fd)
            if self._durable == (st.st_dev, st.st_ino):
                return
            started = time.perf_counter()
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp = self.prev.with_name(self.prev.name + ".tmp")
        tmp.unlink(missing_ok=True)
        os.link(self.current, tmp)  # only the keeper replaces `current` while anvil runs: the file just fsynced
        os.replace(tmp, self.prev)
        self._sync_dir()
        self._durable = (st.st_dev, st.st_ino)
        self.synced += 1
        self.sync_s += time.perf_counter() - started

    def _sync_dir(self) -> None:
        fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def prepare(self) -> Path | None:
        """Before anvil starts: the newest complete dump, in place as `anvil-state.json` (None: a new chain)."""
        self.promote()  # a complete dump the keeper had not moved yet (it stopped, or was killed, first)
        for unfinished in (self.writing, self.pending):  # anvil's write cut short by a kill: not a state
            unfinished.unlink(missing_ok=True)
        torn = [path for path in (self.current, self.prev) if path.exists() and not self.complete(path)]
        if torn and not any(self.complete(path) for path in (self.current, self.prev)):
            # nothing complete to start from: refused at every start (not set aside, which would let the next start
            # begin a new, empty chain in a folder whose index and journal belong to the lost one)
            names = " and ".join(f"{p.name} ({p.stat().st_size:,} bytes)" for p in torn)
            raise ChainStateLost(
                f"no complete chain state in {self.data_dir}: {names} "
                f"{'is' if len(torn) == 1 else 'are'} incomplete and there is no complete copy, so the ledger on this "
                "chain cannot be restored. To start a new, empty chain (and a new deployment), move this data folder "
                "away (keep it to look into) and start again.")
        aside = {path: self._set_aside(path) for path in torn}
        if not self.current.exists() and self.prev.exists():
            os.link(self.prev, self.current)
            self._warn(f"the chain state {self.current.name} is "
                       + (f"incomplete ({aside[self.current][1]:,} bytes: a crash or a full disk); set aside as "
                          f"{aside[self.current][0].name}" if self.current in aside else "missing")
                       + f". Loading the previous copy {self.prev.name} (block {self.block(self.prev)}, at most "
                       f"{self.DURABLE_S:g} s older) instead; the backend re-sends the writes it acknowledged since.")
        elif self.prev in aside:
            self._warn(f"the previous copy of the chain state {self.prev.name} is incomplete; set aside as "
                       f"{aside[self.prev][0].name}. Loading {self.current.name}.")
        return self.current if self.current.exists() else None

    def reset_to(self, dump: bytes) -> None:
        """The next start loads `dump` (an older state, as a test's stand-in for a chain that lost blocks)."""
        for path in (self.writing, self.pending, self.prev):
            path.unlink(missing_ok=True)
        tmp = self.current.with_name(self.current.name + ".tmp")
        tmp.write_bytes(dump)
        os.replace(tmp, self.current)

    def _set_aside(self, path: Path) -> tuple[Path, int]:
        size = path.stat().st_size
        aside = path.with_name(f"{path.name}.torn-{time.strftime('%Y%m%dT%H%M%S')}")
        n = 1
        while aside.exists():
            n += 1
            aside = path.with_name(f"{path.name}.torn-{time.strftime('%Y%m%dT%H%M%S')}-{n}")
        os.replace(path, aside)
        return aside, size

    @staticmethod
    def _warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)


class AnvilProcess(subprocess.Popen):
    """anvil with its state kept (`ChainState`): a keeper thread moves each complete dump into place while it runs,
    and after it exits (on a clean exit, the dump it wrote on the way out; after a kill, nothing torn)."""

    POLL_S = 0.1

    def __init__(self, cmd: list[str], state: ChainState, **kwargs: object):
        super().__init__(cmd, **kwargs)  # type: ignore[call-overload]
        self.state = state
        self.keeper = threading.Thread(target=self._keep, name=f"anvil-state-{self.pid}", daemon=True)
        self.keeper.start()

    def _keep(self) -> None:
        durable_at = time.monotonic()
        failed: set[str] = set()
        while True:
            running = self.poll() is None
            try:
                self.state.promote()
                if not running or time.monotonic() - durable_at >= self.state.DURABLE_S:
                    self.state.make_durable()
                    durable_at = time.monotonic()
            except OSError as exc:  # a full disk, a folder removed under us: said once, tried again
                if str(exc) not in failed:
                    failed.add(str(exc))
                    ChainState._warn(f"keeping the chain state in {self.state.data_dir} failed: {exc}")
            if not running:
                return
            time.sleep(self.POLL_S)


def start_anvil(data_dir: Path, port: int, state_interval: int = 1, gas_limit: int | None = None,
                block_time: float | None = None) -> AnvilProcess:
    """Starts anvil from the newest complete state in `data_dir` (`ChainState`), dumping every `state_interval`
    seconds; `gas_limit` per block if given.

    `block_time` (seconds): a block every `block_time` seconds, empty or not (`--block-time`, what a Besu QBFT
    network does with its block period) instead of one block per transaction (automine, the default).

    `--prune-history 16`: anvil keeps the states of the last 16 blocks in memory (enough for the reorgs and
    snapshots of the tests) instead of every block's, later ones written to disk: on a chain that has grown to
    thousands of blocks that roughly doubled the transactions it mines per second. The number is kept small
    because kept states cost memory (anvil's memory grows with a large chain; how much of it is these states
    was not measured).
    Blocks, receipts and logs are all kept (the indexer reads logs from the deployment block on)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    state = ChainState(data_dir)
    load = state.prepare()
    cmd = [anvil_binary(), "--port", str(port), "--host", "127.0.0.1", "--chain-id", "31337", "--hardfork", "shanghai",
           *(["--load-state", str(load)] if load else []), "--dump-state", str(state.writing),
           "--state-interval", str(state_interval), "--prune-history", "16", "--silent"]
    if gas_limit is not None:
        cmd += ["--gas-limit", str(gas_limit)]
    if block_time is not None:
        cmd += ["--block-time", _seconds(block_time)]
    log = open(data_dir / "anvil.log", "ab")  # noqa: SIM115 - lives as long as the process
    return AnvilProcess(cmd, state, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _seconds(value: float) -> str:
    if value <= 0:
        raise ValueError(f"block time must be positive, got {value}")
    return str(int(value)) if float(value).is_integer() else str(value)


HARDHAT_CONFIG = ROOT / "scripts" / "toolchain" / "hardhat.config.cjs"


def hardhat_binary() -> str:
    """`hardhat` from npm (package `hardhat`, pinned in package.json): a Node program, its EVM (EDR) in process."""
    local = ROOT / "node_modules" / "hardhat" / "internal" / "cli" / "bootstrap.js"
    if local.exists():
        return str(local)
    raise FileNotFoundError("hardhat not found: run `npm ci` (package hardhat)")


def start_hardhat(data_dir: Path, port: int, block_time: float | None = None) -> subprocess.Popen:
    """Starts a Hardhat node (a second, independent EVM implementation: Nomic Foundation's EDR) on loopback.

    Same chain id (31337), mnemonic and hardfork (shanghai) as the embedded anvil, see
    scripts/toolchain/hardhat.config.cjs. It keeps its chain in memory only: a restart starts from genesis (no
    state file), so it cannot stand in for a chain restarted from its state. `block_time` (seconds): interval
    mining instead of one block per transaction."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "KP_HARDHAT_BLOCK_TIME_MS": ""}
    if block_time is not None:
        env["KP_HARDHAT_BLOCK_TIME_MS"] = str(int(float(_seconds(block_time)) * 1000))
    cmd = ["node", hardhat_binary(), "--config", str(HARDHAT_CONFIG), "node", "--hostname", "127.0.0.1",
           "--port", str(port)]
    log = open(data_dir / "hardhat.log", "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=env)


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM (anvil dumps its state), then SIGKILL if it hangs; anvil's state is in place when this returns."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # started in its own session: its whole group
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if isinstance(process, AnvilProcess):
        process.keeper.join()


def set_block_time(url: str, seconds: float, kind: str = "anvil") -> None:
    """Switches a running node from one block per transaction to a block every `seconds` (whole seconds; anvil's
    `evm_setIntervalMining` takes seconds, Hardhat's milliseconds).

    `make run BLOCK_TIME=N` deploys first and switches after: Ape's foundry provider asks the node
    `anvil_getAutomine` and, when it is off (anvil --block-time), returns a placeholder receipt instead of
    waiting for the block, so `ape run deploy` failed with "did not create a contract"."""
    if seconds < 1 or not float(seconds).is_integer():
        raise ValueError(f"interval mining takes whole seconds, got {seconds}")
    rpc(url, "evm_setIntervalMining", [int(seconds) * (1000 if kind == "hardhat" else 1)])


class DeployFailed(RuntimeError):
    """`ape run deploy` failed; what it printed has been shown."""


def deploy(url: str, record: Path) -> dict:
    """Runs the Ape deploy script against the node at `url` (idempotent) and says what it did in one line; when it
    fails, everything it printed is shown and DeployFailed raised."""
    env = {**os.environ, "APE_FOUNDRY_HOST": url}
    done = subprocess.run(
        ["ape", "run", "deploy", "--network", "ethereum:local:foundry", "--account", "TEST::0",
         "--governance", "TEST::1", "--record", str(record)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise DeployFailed(f"deploying the contracts failed (ape run deploy exited {done.returncode}; its output is "
                           "above)")
    deployed = json.loads(record.read_text())
    said = [line for line in done.stdout.splitlines() if line.startswith(("already deployed", "relay batch"))]
    print("\n".join(said) or f"deployed the ledger on chain {deployed['chainId']}: registry {deployed['registry']}, "
          f"ledger {deployed['ledger']}, governance {deployed['governance']}", flush=True)
    return deployed


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block SIGTERM (`kill PID`, a service manager) stops the program as Ctrl-C does: a KeyboardInterrupt,
    so that the `finally` that stops anvil runs. Python's default for SIGTERM ends the process on the spot, leaving
    anvil (in its own session) running, its state unsaved."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def interrupts_ignored() -> Iterator[None]:
    """A second Ctrl-C or SIGTERM inside the block does not cut anvil's stop (and its state dump) short."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(data: Path, port: int = 8545, block_time: float | None = None) -> int:
    """`python -m kpledger.dev chain`: the embedded chain with the ledger deployed, until Ctrl-C or SIGTERM."""
    url = f"http://127.0.0.1:{port}"
    process = None
    with sigterm_as_interrupt():
        try:
            process = None if is_up(url) else start_anvil(data, port)
            wait_until_up(url, process)
            record = deploy(url, data / "deployment.json")
            if process is not None and block_time:
                set_block_time(url, block_time)
            print(f"chain     {url} (chain id {record['chainId']}, state in {data})")
            print(f"registry  {record['registry']}\nledger    {record['ledger']}\n"
                  f"certificates {record['certificates']}")
            print("Ctrl-C stops the chain (its state is kept for the next run).", flush=True)
            if process is not None:
                process.wait()
        except KeyboardInterrupt:
            pass
        except (DeployFailed, ChainStateLost) as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            if process is not None:
                with interrupts_ignored():
                    stop(process)
    return 0

