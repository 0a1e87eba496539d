"""Shared machinery: the embedded chain, fast raw transactions, the backend as a subprocess, results."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import rlp
from coincurve import PrivateKey
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic
from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3

from kpledger.chain.deploy import deploy_ledger
from kpledger.localnet import start_anvil, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 31337
GAS_PRICE = 10 * 10**9
ROLE = {"authority": 1, "producer": 2, "exporter": 4, "importer": 8, "trader": 16, "manufacturer": 32}
GEM, INDUSTRIAL, UNSORTED = 710231, 710221, 710210
_SEED = seed_from_mnemonic(MNEMONIC, "")


def dev_key(index: int) -> bytes:
    """Key `index` of anvil's mnemonic (0-9 are funded by anvil; 20+ are used as unfunded signers)."""
    return key_from_seed(_SEED, f"m/44'/60'/0'/0/{index}")


def address_of(key: bytes) -> str:
    pub = PrivateKey(key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(pub)[-20:])


def sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return "0x" + hashlib.sha256(data).hexdigest()


def sha_bytes(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (all its threads), in seconds; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_total_mb() -> float:
    """The machine's memory (MemTotal), in MB."""
    return next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")) / 1024


def dir_size_mb(path: Path, pattern: str = "*") -> float:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file()) / 2**20


def log(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results


@dataclass
class Result:
    """One benchmark figure next to its ceiling and goal. `passed` None: informational, no goal."""

    section: str
    name: str
    value: float
    unit: str
    ceiling: float | None = None
    ceiling_name: str = ""
    goal: str = ""
    passed: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ceiling in (None, 0):
            return None
        return self.value / self.ceiling

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "name": self.name, "value": self.value, "unit": self.unit,
                "ceiling": self.ceiling, "ceiling_name": self.ceiling_name, "ratio": self.ratio, "goal": self.goal,
                "verdict": verdict(self.passed), "details": self.details}


def verdict(passed: bool | None) -> str:
    return "-" if passed is None else "PASS" if passed else "MISS"


# ---------------------------------------------------------------- fast raw transactions


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


class Rpc:
    """Plain JSON-RPC over one keep-alive HTTP connection, with batches (a list of requests in one POST)."""

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(timeout=120)

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        answer = self.http.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                "params": params or []}).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, method: str, params_list: Sequence[list[Any]]) -> list[dict[str, Any]]:
        body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": p} for i, p in enumerate(params_list)]
        return self.http.post(self.url, json=body).json()

    def send_raw(self, txs: Sequence[RawTx], batch: int = 200) -> float:
        """Sends pre-signed transactions in JSON-RPC batches, each batch mined before the next is sent
        (anvil slows down badly, and its memory grows, with thousands of transactions waiting in its pool).
        Raises on any refusal; returns the seconds taken."""
        started = time.perf_counter()
        for i in range(0, len(txs), batch):
            chunk = txs[i:i + batch]
            answers = self.batch("eth_sendRawTransaction", [[tx.raw] for tx in chunk])
            errors = [a["error"] for a in answers if "error" in a]
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
            answers = self.batch("eth_getTransactionCount", [[a, "latest"] for a, _ in pending])
            pending = [(a, n) for (a, n), r in zip(pending, answers, strict=True) if int(r["result"], 16) < n]
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} accounts still have unmined transactions")
            if pending:
                time.sleep(0.005)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def logs(self, address: str, topic0: str, from_block: int, to_block: int | str = "latest") -> list[dict]:
        to = to_block if isinstance(to_block, str) else hex(to_block)
        return self.call("eth_getLogs", [{"address": address, "topics": [topic0], "fromBlock": hex(from_block),
                                          "toBlock": to}])

    def close(self) -> None:
        self.http.close()


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def topic_int(value: str) -> int:
    return int(value, 16)


# ---------------------------------------------------------------- the embedded chain


class LocalChain:
    """anvil in a temporary data folder with the contracts deployed (like tests/backend/conftest.py)."""

    def __init__(self, data_dir: Path, gas_limit: int | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # state dumped on exit only: a dump every second would tax a chain of 100k blocks
        self.process = start_anvil(data_dir, self.port, state_interval=86_400, gas_limit=gas_limit)
        wait_until_up(self.url, self.process)
        self.w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 120}))
        self.rpc = Rpc(self.url)
        types = json.loads(MANIFEST.read_text())["contractTypes"]
        self.abis = {name: types[name]["abi"] for name in ("KPRegistry", "KPLedger", "KPCertificates")}
        self.deployer = Signer(dev_key(0))  # also the relayer's key: no direct use once the server runs
        self.governance = Signer(dev_key(1))
        self.deployment = deploy_ledger(self.w3, dev_key(0), self.governance.address, MANIFEST,
                                        data_dir / "deployment.json")
        self.deployer.nonce = self.w3.eth.get_transaction_count(self.deployer.address)
        self.start_block = self.deployment["startBlock"]
        self.registry = self.contract("KPRegistry", self.deployment["registry"])
        self.ledger = self.contract("KPLedger", self.deployment["ledger"])
        self.certificates = self.contract("KPCertificates", self.deployment["certificates"])

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self.abis[name])

    def calldata(self, contract: Any, function: str, *args: Any) -> bytes:
        return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])

    def fund(self, addresses: Iterable[str]) -> None:
        self.rpc.batch("anvil_setBalance", [[a, hex(10**22)] for a in addresses])

    def direct(self, sends: list[tuple[Signer, Any, str, tuple[Any, ...]]], gas: int = 1_000_000) -> None:
        """Signs and sends direct contract calls in batches, waits until mined, checks the last receipts."""
        txs = [signer.sign(contract.address, self.calldata(contract, function, *args), gas=gas)
               for signer, contract, function, args in sends]
        self.rpc.send_raw(txs)
        last = {tx.sender: tx for tx in txs}
        for tx in last.values():
            receipt = self.w3.eth.get_transaction_receipt(tx.hash)
            if receipt.status != 1:
                raise RuntimeError(f"setup transaction reverted: {receipt.transactionHash.hex()}")

    def admit(self, codes: dict[str, str]) -> None:
        self.direct([(self.governance, self.registry, "admitParticipant", (code, name))
                     for code, name in codes.items()], gas=2_000_000)

    def appoint(self, authorities: dict[str, str]) -> None:
        self.direct([(self.governance, self.registry, "setAuthority", (code, addr, True))
                     for code, addr in authorities.items()])

    def license(self, authority: Signer, accounts: Iterable[str], roles: int) -> None:
        self.direct([(authority, self.registry, "licenseOperator", (a, roles)) for a in accounts])

    def head(self) -> int:
        return self.rpc.block_number()

    def state_size_mb(self) -> float:
        return dir_size_mb(self.data_dir, "anvil-state.json")

    def close(self) -> None:
        self.rpc.close()
        stop(self.process)


# ---------------------------------------------------------------- the backend


class Server:
    """`python -m kpledger.api` as a subprocess against a LocalChain, as the backend tests start it."""

    def __init__(self, chain: LocalChain, data_dir: Path | None = None, env: dict[str, str] | None = None):
        self.port = free_port()
        self.data_dir = data_dir or chain.data_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / f"server-{self.port}.log"
        full_env = {**os.environ, "KP_ENVIRONMENT": "test", "KP_RPC_URL": chain.url,
                    "KP_DATA_DIR": str(self.data_dir), "KP_PORT": str(self.port),
                    "KP_RELAYER_KEY": "0x" + dev_key(0).hex(), "KP_BUILD_MANIFEST": str(MANIFEST), **(env or {})}
        log_file = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen([sys.executable, "-m", "kpledger.api"], env=full_env, stdout=log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir)
        deadline = time.monotonic() + 60
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

    def health(self) -> dict[str, Any]:
        return httpx.get(self.url + "/healthz", timeout=10).json()

    def wait_indexed(self, block: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.health()["indexed_block"] < block:
            if time.monotonic() > deadline:
                raise TimeoutError(f"index did not reach block {block}")
            time.sleep(0.2)

    def peak_memory_mb(self) -> float | None:
        return vm_hwm_mb(self.pid)

    def close(self) -> None:
        stop(self.process)
