"""`make run`: the whole tracker on one machine: embedded chain, contracts, backend with indexer, viewer.

Starts anvil with its state in the data folder (or uses one already listening), deploys the
contracts once (addresses in data/deployment.json), serves the API and the viewer, and prints
the URLs. With --demo it loads the demo journey once. Ctrl-C or SIGTERM (`kill PID`, a service manager) stops
everything; anvil is stopped with SIGTERM so that it saves its state, and the next run finds the same data.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import httpx

from kpledger import localnet
from kpledger.api.main import create_app
from kpledger.api.server import server
from kpledger.core.config import Settings
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=localnet.ROOT / "data", help="data folder")
    parser.add_argument("--chain-port", type=int, default=8545)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="API and viewer port")
    parser.add_argument("--demo", action="store_true", help="load the demo journey (once per data folder)")
    parser.add_argument("--block-time", type=float, default=None,
                        help="whole seconds between blocks of the embedded chain, as on a QBFT network (default: one "
                             "block per transaction); ignored when a chain already listens on --chain-port")
    args = parser.parse_args(argv)
    data = args.data.resolve()
    chain_url = f"http://127.0.0.1:{args.chain_port}"
    anvil = None
    with localnet.sigterm_as_interrupt():
        try:
            if not localnet.is_up(chain_url):
                anvil = localnet.start_anvil(data, args.chain_port)
            localnet.wait_until_up(chain_url, anvil)
            localnet.deploy(chain_url, data / "deployment.json")
            if anvil is not None and args.block_time:
                localnet.set_block_time(chain_url, args.block_time)  # after the deploy (see set_block_time)
            os.environ.update({"KP_RPC_URL": chain_url, "KP_DATA_DIR": str(data), "KP_PORT": str(args.port)})
            settings = Settings(rpc_url=chain_url, data_dir=data, port=args.port)
            if settings.malloc_arena_max:
                memory.limit_arenas(settings.malloc_arena_max)
            logs.configure(settings.log_level, settings.log_format, access=False)
            api = settings.listen_url
            api_server = server(create_app(settings), settings)

            def announce() -> None:
                wait_healthy(api)
                if args.demo:
                    from kpledger.demo import demo_status

                    print("\n" + demo_status(api, data), flush=True)
                print(banner(data, chain_url, api, args.port), flush=True)

            threading.Thread(target=announce, daemon=True).start()
            # uvicorn shuts down gracefully on Ctrl-C / SIGTERM, then raises the signal again: a KeyboardInterrupt
            # for both here (before, that SIGTERM ended the process on the spot and left anvil running, unsaved)
            api_server.run()
        except KeyboardInterrupt:
            pass
        except (localnet.DeployFailed, localnet.ChainStateLost) as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            if anvil is not None:
                with localnet.interrupts_ignored():
                    localnet.stop(anvil)
    print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
