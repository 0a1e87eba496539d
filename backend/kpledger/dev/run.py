"""`make run`: the whole tracker on one machine: embedded chain, contracts, backend with indexer, viewer.

Starts anvil with its state in the data folder (or uses one already listening), deploys the
contracts once (addresses in data/deployment.json), serves the API and the viewer, and prints
the URLs. With --demo it loads the demo journey once. Ctrl-C or SIGTERM (`kill PID`, a service manager) stops
everything; anvil is stopped with SIGTERM so that it saves its state, and the next run finds the same data.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import httpx

from kpledger.api.main import create_app
from kpledger.api.server import server
from kpledger.core.config import Settings
from kpledger.dev import chain
from kpledger.dev.stack import FRONTEND, MANIFEST
from kpledger.ops import logs, memory

DEFAULT_PORT = 8000  # the CLI's default API (kpledger.cli.base.DEFAULT_API)


def wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url}/healthz did not answer")


def banner(data: Path, chain_url: str, api: str, port: int) -> str:
    """What `make run` prints once everything answers: the URLs, and the exact line that puts `kp` on a terminal's
    PATH (the virtualenv's; nothing in the user's shell profile changes)."""
    bin_dir = Path(sys.prefix) / "bin"
    api_env = "" if port == DEFAULT_PORT else f" KP_API={api}"
    kp = (f"  kp (command line)  {bin_dir / 'kp'}: in another terminal,\n"
          f"                     export PATH=\"{bin_dir}:$PATH\"{api_env}   then: kp --help\n"
          if (bin_dir / "kp").exists() else "")
    return (f"\nKP Ledger is running (data in {data})\n"
            f"  chain (JSON-RPC)   {chain_url}\n  API                {api}  (docs {api}/docs)\n"
            f"  viewer             {api}/\n  console            {api}/console/\n{kp}"
            "  first hour         README.md, section \"First hour\"\nCtrl-C stops everything.")


def run(data: Path, chain_port: int = 8545, port: int = DEFAULT_PORT, demo: bool = False,
        block_time: float | None = None) -> int:
    """`python -m kpledger.dev run` (`make run`, `make demo`): the embedded chain, the contracts, the API and the
    pages, until Ctrl-C or SIGTERM; 1 if the chain's state is lost or the deploy fails."""
    data = data.resolve()
    chain_url = f"http://127.0.0.1:{chain_port}"
    anvil = None
    with chain.sigterm_as_interrupt():
        try:
            if not chain.is_up(chain_url):
                anvil = chain.start_anvil(data, chain_port)
            chain.wait_until_up(chain_url, anvil)
            chain.deploy(chain_url, data / "deployment.json")
            if anvil is not None and block_time:
                chain.set_block_time(chain_url, block_time)  # after the deploy (see set_block_time)
            os.environ.update({"KP_RPC_URL": chain_url, "KP_DATA_DIR": str(data), "KP_PORT": str(port)})
            settings = Settings(rpc_url=chain_url, data_dir=data, port=port, build_manifest=MANIFEST,
                                frontend_dir=FRONTEND)
            if settings.malloc_arena_max:
                memory.limit_arenas(settings.malloc_arena_max)
            logs.configure(settings.log_level, settings.log_format, access=False)
            api = settings.listen_url
            api_server = server(create_app(settings), settings)

            def announce() -> None:
                wait_healthy(api)
                if demo:
                    from kpledger.dev.demo import demo_status

                    print("\n" + demo_status(api, data), flush=True)
                print(banner(data, chain_url, api, port), flush=True)

            threading.Thread(target=announce, daemon=True).start()
            # uvicorn shuts down gracefully on Ctrl-C / SIGTERM, then raises the signal again: a KeyboardInterrupt
            # for both here (before, that SIGTERM ended the process on the spot and left anvil running, unsaved)
            api_server.run()
        except KeyboardInterrupt:
            pass
        except (chain.DeployFailed, chain.ChainStateLost) as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            if anvil is not None:
                with chain.interrupts_ignored():
                    chain.stop(anvil)
    print("stopped.", flush=True)
    return 0

