"""The embedded chain: an anvil node from npm whose state lives in the data folder.

`python -m kpledger.localnet` starts it (or finds it running), deploys the contracts once
(`scripts/deploy.py`, addresses recorded in data/deployment.json) and runs until Ctrl-C, when
anvil is stopped with SIGTERM so that it dumps its state for the next start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rpc(url: str, method: str, params: list | None = None, timeout: float = 2.0):
    """One JSON-RPC call with the standard library (no web3 import at start-up)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.load(resp)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer["result"]


def is_up(url: str) -> bool:
    try:
        rpc(url, "eth_chainId", timeout=0.5)
        return True
    except OSError:
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


def start_anvil(data_dir: Path, port: int, state_interval: int = 1, gas_limit: int | None = None,
                block_time: float | None = None) -> subprocess.Popen:
    """Starts anvil with its state file in `data_dir` (reloaded if present); `gas_limit` per block if given.

    `block_time` (seconds): a block every `block_time` seconds, empty or not (`--block-time`, what a Besu QBFT
    network does with its block period) instead of one block per transaction (automine, the default).

    `--prune-history 16`: anvil keeps the states of the last 16 blocks in memory (enough for the reorgs and
    snapshots of the tests) instead of every block's, later ones written to disk: on a chain that has grown to
    thousands of blocks that roughly doubled the transactions it mines per second. The number is kept small
    because kept states cost memory (anvil's memory grows with a large chain; how much of it is these states
    was not measured).
    Blocks, receipts and logs are all kept (the indexer reads logs from the deployment block on)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    state = data_dir / "anvil-state.json"
    cmd = [anvil_binary(), "--port", str(port), "--host", "127.0.0.1", "--chain-id", "31337", "--hardfork", "shanghai",
           "--state", str(state), "--state-interval", str(state_interval), "--prune-history", "16", "--silent"]
    if gas_limit is not None:
        cmd += ["--gas-limit", str(gas_limit)]
    if block_time is not None:
        cmd += ["--block-time", _seconds(block_time)]
    log = open(data_dir / "anvil.log", "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


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
    """SIGTERM (anvil dumps its state), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # started in its own session: its whole group
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the embedded chain with the ledger deployed.")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="data folder (chain state, addresses)")
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--block-time", type=float, default=None,
                        help="whole seconds between blocks (default: one block per transaction)")
    args = parser.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}"
    process = None if is_up(url) else start_anvil(args.data, args.port)
    try:
        wait_until_up(url, process)
        record = deploy(url, args.data / "deployment.json")
        if process is not None and args.block_time:
            set_block_time(url, args.block_time)
        print(f"chain     {url} (chain id {record['chainId']}, state in {args.data})")
        print(f"registry  {record['registry']}\nledger    {record['ledger']}\ncertificates {record['certificates']}")
        print("Ctrl-C stops the chain (its state is kept for the next run).", flush=True)
        if process is not None:
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if process is not None:
            stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
