"""`python -m kpledger.dev run|chain|demo`: the ledger on one machine (`make run`, `make demo`), the embedded chain
alone, or the demo journey loaded through a running API."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpledger.dev import chain
from kpledger.dev.run import DEFAULT_PORT

DATA = click.option("--data", type=click.Path(path_type=Path), default=chain.ROOT / "data", show_default=True,
                    help="data folder (chain state, addresses, index)")
BLOCK_TIME = click.option("--block-time", type=float, default=None,
                          help="whole seconds between blocks of the embedded chain, as on a QBFT network (default: "
                               "one block per transaction); ignored when a chain already listens on the port")


@click.group()
def main() -> None:
    """Development commands of the KP Ledger (never a production deployment)."""


@main.command("run")
@DATA
@click.option("--chain-port", type=int, default=8545, show_default=True)
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="API and viewer port")
@click.option("--demo", is_flag=True, help="load the demo journey (once per data folder)")
@BLOCK_TIME
def run_command(data: Path, chain_port: int, port: int, demo: bool, block_time: float | None) -> None:
    """The whole ledger: embedded chain, contracts, backend with indexer, viewer and console (`make run`)."""
    from kpledger.dev.run import run

    sys.exit(run(data, chain_port=chain_port, port=port, demo=demo, block_time=block_time))


@main.command("chain")
@DATA
@click.option("--port", type=int, default=8545, show_default=True)
@BLOCK_TIME
def chain_command(data: Path, port: int, block_time: float | None) -> None:
    """The embedded chain alone, with the ledger's contracts deployed."""
    sys.exit(chain.serve(data, port=port, block_time=block_time))


@main.command("demo")
@click.option("--api", default=f"http://127.0.0.1:{DEFAULT_PORT}", show_default=True)
@click.option("--data", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
              help="data folder (where the demo's documents and marker are kept)")
def demo_command(api: str, data: Path) -> None:
    """Loads the demo journey through a running API (once per data folder)."""
    from kpledger.dev.demo import demo_status

    click.echo(demo_status(api, data))


if __name__ == "__main__":
    main()
