"""The backend tests' fixtures (their helpers are in tests/support/): a real chain with the contracts deployed, the
API served over real HTTP, direct contract calls, a throwaway PostgreSQL, and one browser per test module."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpledger.dev.chain import stop
from kpledger.dev.stack import LocalChain, free_port
from tests.support.browser import chromium
from tests.support.stack import BLOCK_TIME, KEYS, NODE_KIND, Actor, Direct, Server, pg_bin, start_server


@pytest.fixture(scope="session")
def actors() -> dict[str, Actor]:
    names = ["relayer", "governance", "bw_authority", "eu_authority", "mine", "bw_exporter", "eu_trader",
             "in_authority", "ca_mine", "ca_authority", "in_cutter", "outsider"]
    return {n: Actor(n, k) for n, k in zip(names, KEYS, strict=True)}


@pytest.fixture
def node(tmp_path: Path, actors) -> Iterator[LocalChain]:
    """A fresh chain (anvil unless KP_TEST_NODE says otherwise) with the contracts deployed; its data folder is the
    test's tmp_path."""
    chain = LocalChain(tmp_path / "data", kind=NODE_KIND, block_time=BLOCK_TIME)
    yield chain
    chain.close()  # the crash tests restart the chain: this stops the one running now


@pytest.fixture
def server(node) -> Iterator[Server]:
    srv = start_server(node)
    yield srv
    stop(srv.process)


@pytest.fixture
def direct(node, actors) -> Direct:
    return Direct(node, actors)


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (Debian's server binaries, run as the postgres user)."""
    import pwd
    import shutil as sh

    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    data = Path(f"/tmp/kp-pg-{os.getpid()}-{tmp_path.name}")
    data.mkdir(parents=True)
    user = pwd.getpwnam("postgres")
    os.chown(data, user.pw_uid, user.pw_gid)
    port = free_port()

    def as_postgres(*cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True)

    as_postgres(str(bin_dir / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "kp")
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"), "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://kp@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        sh.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, one per test module (each test opens its own pages)."""
    with chromium() as b:
        yield b
