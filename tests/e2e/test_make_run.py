"""`make run` from a clean data folder: it comes up, serves the viewer, stops cleanly and keeps its data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from kpledger.client import KPClient
from kpledger.core.devkeys import dev_key

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, port: int, chain_port: int, log: Path) -> subprocess.Popen:
    # KP_TEST_BLOCK_TIME (the backend tests' switch): the embedded chain mines at that interval (make run BLOCK_TIME)
    block_time = os.environ.get("KP_TEST_BLOCK_TIME")
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", f"DATA={data}", f"PORT={port}", f"CHAIN_PORT={chain_port}",
         *([f"BLOCK_TIME={block_time}"] if block_time else [])],
        cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("KP_")})


def wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            answer = httpx.get(url + "/healthz", timeout=1)
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"no /healthz after {seconds}s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    return process.wait(timeout=60)


def test_make_run_starts_everything_and_keeps_its_data_across_restarts(tmp_path):
    data, log = tmp_path / "data", tmp_path / "make-run.log"
    port, chain_port = free_port(), free_port()
    api = f"http://127.0.0.1:{port}"
    first = start(data, port, chain_port, log)
    try:
        health = wait_healthy(api, first, log)
        assert health["chain_id"] == 31337
        viewer = httpx.get(api + "/", timeout=5)
        assert viewer.status_code == 200 and "<html" in viewer.text.lower()
        deployment = json.loads((data / "deployment.json").read_text())
        with KPClient(api, dev_key(1)) as governance:  # the development governance account
            governance.admit_participant("BW", "Botswana")
            deadline = time.monotonic() + 20
            while governance.get("/v1/participants")["count"] < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        code = stop(first)
    # make re-raises the interrupt it received (-SIGINT); what matters is that everything stopped cleanly
    assert code in (0, -signal.SIGINT, 130), log.read_text()[-2000:]
    assert "stopped." in log.read_text() and "Traceback" not in log.read_text()
    assert (data / "anvil-state.json").exists()
    for p in (port, chain_port):  # nothing left listening
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", p)) != 0

    second = start(data, port, chain_port, log)
    try:
        wait_healthy(api, second, log)
        assert json.loads((data / "deployment.json").read_text()) == deployment
        deadline = time.monotonic() + 30
        participants: dict = {}
        while time.monotonic() < deadline:
            participants = httpx.get(api + "/v1/participants", timeout=5).json()
            if participants.get("count"):
                break
            time.sleep(0.3)
        assert [p["code"] for p in participants["data"]] == ["BW"]
        assert "already deployed" in log.read_text()
    finally:
        stop(second)


def chain_head(chain_port: int) -> int:
    answer = httpx.post(f"http://127.0.0.1:{chain_port}", timeout=5,
                        json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []})
    return int(answer.json()["result"], 16)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def anvil_pids(chain_port: int) -> list[int]:
    """The anvil processes serving `chain_port` (what a test must clean up if `make run` left them behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"/anvil") and str(chain_port).encode() in cmd:
            found.append(int(entry.name))
    return found


def test_sigterm_to_make_run_stops_the_chain_with_its_state_saved(tmp_path):
    """Exploit (issue 20, item 9): `kill PID` of `make run` (what a service manager or a script sends) left anvil
    running in its own session, unsaved, holding the chain port."""
    data, log = tmp_path / "data", tmp_path / "make-run.log"
    port, chain_port = free_port(), free_port()
    process = start(data, port, chain_port, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        with KPClient(f"http://127.0.0.1:{port}", dev_key(1)) as governance:
            governance.admit_participant("BW", "Botswana")
        head = chain_head(chain_port)
        process.send_signal(signal.SIGTERM)  # to make alone, as `kill PID` does; make passes it on
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while listening(chain_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not listening(chain_port), "make run stopped but left the chain running"
        assert not listening(port)
        state = json.loads((data / "anvil-state.json").read_text())
        assert state["best_block_number"] == head  # saved on the way out, nothing lost
        assert "Traceback" not in log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in anvil_pids(chain_port):  # left behind by the bug: not to outlive the test
            os.kill(pid, signal.SIGKILL)
