"""`kp`: the KP Ledger command line for mines, exporters, importers, authorities and governance.

Every write is signed locally with the key of an encrypted keystore and submitted through the API's relayer;
nothing but the signature leaves the machine. The commands live by subject (`keys`, `registry`, `lots`,
`certificates`, `papers` (a certificate's document, print, slip and check), `documents`, `accounts`, `statistics`);
`base` holds the shared parts, including the commands derived from the action table, and `views` what a person
reads.
"""

from __future__ import annotations

from kpledger.cli import (  # noqa: F401 - they register their commands
    accounts,
    certificates,
    dev,
    documents,
    keys,
    lots,
    papers,
    registry,
    statistics,
)
from kpledger.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the `kp` console script."""
    cli(prog_name="kp")


if __name__ == "__main__":
    main()
