"""A whole ledger on one machine for tests, benchmarks and scripts: anvil with the contracts deployed, the API
as a process, development keys and fast raw transactions.

One harness for `tests/`, `bench/` and `scripts/` (the tests wrap it in fixtures). Keys come from anvil's public
test mnemonic: development chains only.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import rlp
from coincurve import PrivateKey
from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3

from kpledger.chain.contracts import CONTRACTS, RECORD_KEYS
from kpledger.chain.deploy import deploy_ledger
from kpledger.chain.jsonrpc import JsonRpc
from kpledger.core.devkeys import GOVERNANCE_INDEX, MNEMONIC, address_of, dev_key
from kpledger.dev.chain import (
    ROOT,
    AnvilProcess,
    ChainState,
    set_block_time,
    start_anvil,
    start_hardhat,
    stop,
    wait_until_up,
)

MANIFEST = ROOT / ".build" / "__local__.json"
FRONTEND = ROOT / "frontend-static"
CHAIN_ID = 31337
GAS_PRICE = 10 * 10**9
__all__ = ["MNEMONIC", "address_of", "dev_key"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- raw transactions


class RawTx(NamedTuple):
    sender: str
    nonce: int
    raw: str

    @property
    def hash(self) -> str:
        return "0x" + keccak(bytes.fromhex(self.raw[2:])).hex()


class Signer:
    """Signs legacy EIP-155 transactions with coincurve directly (about 10x eth-account's rate)."""

    def __init__(self, key: bytes, nonce: int = 0):
        self.key = PrivateKey(key)
        self.address = address_of(key)
        self.nonce = nonce

    def sign(self, to: str, data: bytes = b"", gas: int = 500_000, value: int = 0) -> RawTx:
        fields = [self.nonce, GAS_PRICE, gas, bytes.fromhex(to[2:]), value, data]
        digest = keccak(rlp.encode([*fields, CHAIN_ID, 0, 0]))
        sig = self.key.sign_recoverable(digest, hasher=None)
        v = sig[64] + 35 + 2 * CHAIN_ID
        self.nonce += 1
        raw = rlp.encode([*fields, v, int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")])
        return RawTx(self.address, self.nonce - 1, "0x" + raw.hex())


# ---------------------------------------------------------------- the chain


NODE_KINDS = ("anvil", "hardhat")


class Crash(NamedTuple):
    """What a kill -9 and restart of the chain (`LocalChain.crash`) did.

    `head`: the head read just before the kill (blocks mined in the milliseconds after are not in it); `saved`: the
    head of the complete state on disk a moment before (at least); `restored`: the head of the state the restart
    loaded; `torn`: the kill cut a state dump short; `lost_s`: seconds of history the restarted chain lacks, the
    kill's time less the first lost block's timestamp (whole seconds: up to 1 s more than the truth; 0 when no block
    was lost); `age_s`: how long before the kill anvil had finished writing the state on disk; `changed`: sampled
    blocks at or below `restored` whose hash is not what it was."""

    head: int
    saved: int
    restored: int
    torn: bool
    lost_s: float
    age_s: float
    changed: list[int]

    @property
    def lost_blocks(self) -> int:
        return max(0, self.head - self.restored)


class LocalChain:
    """A local EVM node in a data folder with the contracts deployed by `deployer` (dev key 0) for `governance`
    (dev key 1): anvil (the embedded chain) or a Hardhat node (a second, independent EVM implementation).

    `block_time`: after the deployment, a block every so many whole seconds (as a QBFT network's block period)
    instead of one per transaction. `restart()` starts it again on the same port and folder (a crashed chain coming
    back; anvil reloads its state file, a Hardhat node starts from genesis)."""

    def __init__(self, data_dir: Path, *, kind: str = "anvil", port: int | None = None, gas_limit: int | None = None,
                 state_interval: int = 1, block_time: float | None = None, manifest: Path = MANIFEST):
        if kind not in NODE_KINDS:
            raise ValueError(f"node kind must be one of {NODE_KINDS}, not {kind!r}")
        self.data_dir = data_dir
        self.kind = kind
        self.block_time = block_time
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._state_interval, self._gas_limit = state_interval, gas_limit
        self.process = self._start(block_time=None)  # deployed in automine (one block per transaction), faster
        self.w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 120}))
        self.rpc = JsonRpc(self.url, timeout=120)
        self.manifest = manifest
        self.deployer = Signer(dev_key(0))
        self.governance = Signer(dev_key(GOVERNANCE_INDEX))
        self.deployment = deploy_ledger(self.w3, dev_key(0), self.governance.address, manifest,
                                        data_dir / "deployment.json")
        self.deployer.nonce = self.w3.eth.get_transaction_count(self.deployer.address)
        self.governance.nonce = self.w3.eth.get_transaction_count(self.governance.address)
        self.start_block = self.deployment["startBlock"]
        types = json.loads(manifest.read_text())["contractTypes"]
        self.abis = {name: types[name]["abi"] for name in CONTRACTS}
        self.contracts = {name: self.w3.eth.contract(address=to_checksum_address(self.deployment[RECORD_KEYS[name]]),
                                                     abi=self.abis[name]) for name in CONTRACTS}
        self.registry, self.ledger, self.certificates = (self.contracts[n] for n in CONTRACTS)
        if block_time is not None:
            self.set_block_time(block_time)

    def _start(self, block_time: float | None) -> subprocess.Popen:
        if self.kind == "hardhat":
            process = start_hardhat(self.data_dir, self.port, block_time=block_time)
        else:
            process = start_anvil(self.data_dir, self.port, block_time=block_time,
                                  state_interval=self._state_interval, gas_limit=self._gas_limit)
        wait_until_up(self.url, process, seconds=60)
        return process

    def set_block_time(self, seconds: float) -> None:
        """From now on a block every `seconds` (whole seconds), empty or not, instead of one per transaction."""
        set_block_time(self.url, seconds, self.kind)

    @property
    def state(self) -> ChainState:
        """anvil's state files in the data folder."""
        return ChainState(self.data_dir)

    def kill(self) -> bool:
        """kill -9 the node (its whole process group), as a crash does; says whether the kill cut a state dump
        short (anvil's file left torn)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if isinstance(self.process, AnvilProcess):
            self.process.keeper.join()
        return self.state.dumping()

    def crash(self, during_dump: bool = False, samples: int = 64, recent: int = 32) -> Crash:
        """kill -9 the chain (anvil) and start it again, as a crash and a restart, and says what it lost (see
        `Crash`): the hashes of `samples` blocks across its history, read before the kill, are compared after, and
        the times of the last `recent` blocks date the first one lost."""
        first = self.head()
        # from block 1: anvil makes a new genesis block at a start from a state file, with the time of that start
        heights = sorted({first, max(1, self.start_block), *random.sample(range(1, first + 1), min(samples, first))})
        hashes = {n: b["hash"] for n, b in zip(heights, self._blocks(heights), strict=True)}
        saved = ChainState.block(self.state.current) if self.state.current.exists() else 0
        for _attempt in range(10):  # when aimed, until the dump is still being written after these reads
            if during_dump:
                self.wait_for_dump()
            head = self.head()  # as late as can be: blocks mined in the milliseconds before the kill are not in it
            times = {int(b["number"], 16): int(b["timestamp"], 16)
                     for b in self._blocks(range(max(1, head - recent + 1), head + 1))}
            if not during_dump or self.state.dumping():
                break
        saved_at = self.state.current.stat().st_mtime if self.state.current.exists() else 0.0
        torn = self.kill()
        killed_at = time.time()
        loaded = self.state.prepare()  # what the restart loads (the head after it may hold new blocks already)
        restored = ChainState.block(loaded) if loaded else 0
        self.restart()
        kept = [n for n in heights if n <= restored]
        changed = [n for n, b in zip(kept, self._blocks(kept), strict=True) if b["hash"] != hashes[n]]
        if restored >= head:
            lost_s = 0.0
        elif restored + 1 in times:
            lost_s = killed_at - times[restored + 1]
        else:  # more blocks lost than were dated: bounded by the restored head's time
            lost_s = killed_at - int(self._blocks([restored])[0]["timestamp"], 16)
        return Crash(head, saved, restored, torn, lost_s, killed_at - saved_at, changed)

    def _blocks(self, numbers: Iterable[int]) -> list[dict[str, Any]]:
        return self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])

    def wait_for_dump(self, timeout: float = 60) -> None:
        """Returns while anvil is writing its state dump (the moment a kill -9 once erased the chain)."""
        state, deadline = self.state, time.monotonic() + timeout
        while not state.dumping():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no state dump seen in progress in {timeout} s")
            time.sleep(0.0005)

    def restart(self, stale_state: bytes | None = None) -> None:
        """Starts the node again on the same port and folder (after a kill), optionally from an older state dump."""
        if isinstance(self.process, AnvilProcess) and self.process.poll() is not None:
            self.process.keeper.join()  # its last pass done: what it kept is in place before the start looks
        if stale_state is not None:
            self.state.reset_to(stale_state)
        self.process = self._start(block_time=self.block_time)

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        return self.rpc.call(method, params or [])

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def fund(self, addresses: Iterable[str], wei: int = 10**22) -> None:
        """Gives accounts gas money (hardhat_setBalance: anvil answers it too)."""
        self.rpc.batch([("hardhat_setBalance", [a, hex(wei)]) for a in addresses])

    def calldata(self, contract: Any, function: str, *args: Any) -> bytes:
        return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])

    def send_raw(self, txs: Sequence[RawTx], batch: int = 200) -> float:
        """Sends pre-signed transactions in JSON-RPC batches, each batch mined before the next is sent
        (anvil slows down badly, and its memory grows, with thousands of transactions waiting in its pool).
        Raises on any refusal; returns the seconds taken."""
        started = time.perf_counter()
        for i in range(0, len(txs), batch):
            chunk = txs[i:i + batch]
            answers = self.rpc.batch([("eth_sendRawTransaction", [tx.raw]) for tx in chunk])
            errors = [a for a in answers if isinstance(a, Exception)]
            if errors:
                raise RuntimeError(f"{len(errors)} raw transactions refused, first: {errors[0]}")
            targets: dict[str, int] = {}
            for tx in chunk:
                targets[tx.sender] = max(targets.get(tx.sender, 0), tx.nonce + 1)
            self.wait_nonces(targets)
        return time.perf_counter() - started

    def wait_nonces(self, targets: dict[str, int], timeout: float = 300) -> None:
        """Waits until each account's mined transaction count reaches its target."""
        pending = list(targets.items())
        deadline = time.monotonic() + timeout
        while pending:
            answers = self.rpc.batch([("eth_getTransactionCount", [a, "latest"]) for a, _ in pending])
            pending = [(a, n) for (a, n), r in zip(pending, answers, strict=True) if int(r, 16) < n]
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} accounts still have unmined transactions")
            if pending:
                time.sleep(0.005)

    def send_packed(self, txs: Sequence[RawTx], per_block: int) -> None:
        """Sends pre-signed transactions `per_block` to a block, mining each block with evm_mine (automine off:
        the caller's), and checks every receipt."""
        for i in range(0, len(txs), per_block):
            chunk = txs[i:i + per_block]
            errors = [a for a in self.rpc.batch([("eth_sendRawTransaction", [t.raw]) for t in chunk])
                      if isinstance(a, Exception)]
            if errors:
                raise RuntimeError(f"{len(errors)} transactions refused, first: {errors[0]}")
            self.call("evm_mine")
            receipts = self.rpc.batch([("eth_getTransactionReceipt", [t.hash]) for t in chunk])
            bad = [r for r in receipts if isinstance(r, Exception) or not r or r["status"] != "0x1"]
            if bad:
                raise RuntimeError(f"{len(bad)} transactions not mined or reverted, first: {bad[0]}")

    def logs(self, address: str, topic0: str, from_block: int, to_block: int | str = "latest") -> list[dict]:
        to = to_block if isinstance(to_block, str) else hex(to_block)
        return self.call("eth_getLogs", [{"address": address, "topics": [topic0], "fromBlock": hex(from_block),
                                          "toBlock": to}])

    # ------------------------------------------------------------ setting a world up with direct calls

    def admit(self, codes: dict[str, str]) -> None:
        """Governance admits participants (ISO code -> name)."""
        self.direct([(self.governance, self.registry, "admitParticipant", (code, name))
                     for code, name in codes.items()], gas=2_000_000)

    def appoint(self, authorities: dict[str, str]) -> None:
        """Governance appoints one authority account per participant (ISO code -> address), named after it."""
        self.direct([(self.governance, self.registry, "appointAuthority", (code, addr, f"{code} KP authority"))
                     for code, addr in authorities.items()])

    def license(self, authority: Signer, accounts: Iterable[str], roles: int) -> None:
        """An authority licenses operators of its participant for `roles` (a bitmask), each under a generated
        name and licence number."""
        self.direct([(authority, self.registry, "licenseOperator",
                      (a, roles, f"Operator {a[2:10]}", f"L-{a[2:10]}", "")) for a in accounts])

    def direct(self, sends: list[tuple[Signer, Any, str, tuple[Any, ...]]], gas: int = 1_000_000) -> None:
        """Signs and sends direct contract calls in batches, waits until mined, checks every receipt."""
        txs = [signer.sign(contract.address, self.calldata(contract, function, *args), gas=gas)
               for signer, contract, function, args in sends]
        self.send_raw(txs)
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [tx.hash]) for tx in txs])
        for tx, receipt in zip(txs, receipts, strict=True):
            if isinstance(receipt, Exception) or receipt is None or int(receipt["status"], 16) != 1:
                raise RuntimeError(f"setup transaction {tx.hash} failed: {receipt}")

    def close(self) -> None:
        self.rpc.close()
        stop(self.process)


# ---------------------------------------------------------------- the backend


class ApiServer:
    """`python -m kpledger.api` as a process against a chain (its relayer is dev key 0), answering /healthz."""

    def __init__(self, chain_url: str, data_dir: Path, *, env: dict[str, str] | None = None, port: int | None = None,
                 manifest: Path = MANIFEST, timeout: float = 60):
        self.port = port or free_port()
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        self.env = {**os.environ, "KP_ENVIRONMENT": "test", "KP_RPC_URL": chain_url, "KP_DATA_DIR": str(data_dir),
                    "KP_PORT": str(self.port), "KP_RELAYER_KEY": "0x" + dev_key(0).hex(),
                    "KP_BUILD_MANIFEST": str(manifest),
                    "KP_FRONTEND_DIR": str(FRONTEND), **(env or {})}
        data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen([sys.executable, "-m", "kpledger.api"], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True, cwd=data_dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("server did not answer /healthz")

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def health(self) -> dict[str, Any]:
        return httpx.get(self.url + "/healthz", timeout=10).json()

    def wait_indexed(self, block: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.health()["indexed_block"] < block:
            if time.monotonic() > deadline:
                raise TimeoutError(f"index did not reach block {block}")
            time.sleep(0.2)

    def close(self) -> None:
        stop(self.process)
