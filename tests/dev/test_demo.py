"""`make demo` on one data folder again and again: loaded once, then "already loaded"; started afresh after a run that
was stopped before it finished, on a chain mining a block every 2 seconds (`make demo BLOCK_TIME=2`); and a ledger
where the journey cannot go says why. One chain for all of it (the journey is some 40 writes)."""

from __future__ import annotations

import time

import httpx
import pytest

from kpledger.client import KPClient
from kpledger.core.devkeys import GOVERNANCE_INDEX, address_of, dev_key
from kpledger.dev.demo import CAST, demo_status, run_demo
from kpledger.dev.run import banner
from kpledger.dev.stack import ApiServer, LocalChain


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    node = LocalChain(tmp_path_factory.mktemp("demo") / "data")
    server = ApiServer(node.url, node.data_dir, env={"KP_ENVIRONMENT": "development"})
    yield node, server
    server.close()
    node.close()


def verdict(api: str, parcel: int) -> str:
    return httpx.get(f"{api}/v1/parcels/{parcel}/provenance", timeout=30).json()["verdict"]["status"]


def test_the_demo_loads_once_then_says_it_is_already_loaded(ledger):
    node, server = ledger
    data = node.data_dir
    first = run_demo(server.url, data)
    assert first["ids"]["certificates"] == ["BW0000001", "CA0000001", "EU0000001"]
    assert verdict(server.url, first["ids"]["final_parcel"]) == "ok"
    head = node.head()
    line = demo_status(server.url, data)
    assert line == (f"demo already loaded in {data}: final parcel {first['ids']['final_parcel']}  viewer "
                    f"{server.url}/#/lot/{first['ids']['final_parcel']}")
    assert node.head() == head  # nothing written the second time


def test_a_ledger_the_journey_cannot_cross_says_why_and_writes_nothing(ledger):
    node, server = ledger
    governance = KPClient(server.url, dev_key(GOVERNANCE_INDEX))
    governance.suspend_participant("IN", "test")
    (node.data_dir / "demo.json").rename(node.data_dir / "demo-first.json")  # as if it had never finished
    try:
        head = node.head()
        line = demo_status(server.url, node.data_dir)
        assert line.startswith("the demo could not be loaded (after the last step shown): error ParticipantSuspended: "
                               "participant IN is suspended on this ledger and the demo's journey goes through it: "
                               "reinstate it as governance (kp participant reinstate CODE)"), line
        assert node.head() == head
        assert not (node.data_dir / "demo.json").exists()
    finally:
        governance.reinstate_participant("IN")


def test_a_ledger_where_another_account_holds_a_cast_licence_number_says_why_and_writes_nothing(ledger):
    """A licence number names one operator of a participant: the demo cannot license its mine where another account
    holds the mine's number (as the README's first hour did before its companies became its own)."""
    node, server = ledger
    _, _, mine_roles, legal, number = CAST["bw_mine"]
    mine, stranger = address_of(dev_key(CAST["bw_mine"][0])), address_of(dev_key(17))
    bw = KPClient(server.url, dev_key(CAST["bw_authority"][0]))
    bw.revoke_operator(mine, mine_roles)  # which frees the number, so that another account can take it
    bw.license_operator(stranger, ["producer"], legal, number)
    marker = node.data_dir / "demo.json"
    if marker.exists():
        marker.rename(node.data_dir / "demo-before.json")
    try:
        head = node.head()
        line = demo_status(server.url, node.data_dir)
        assert line.startswith("the demo could not be loaded (after the last step shown): error LicenceNumberTaken: "
                               f"licence number {number} of BW is held by {legal} ({stranger}): a licence number "
                               "names one operator of a participant, and the demo's companies need theirs"), line
        assert node.head() == head
        assert not marker.exists()
    finally:
        bw.revoke_operator(stranger, ["producer"])
        bw.license_operator(mine, mine_roles, legal, number)


def test_a_stopped_demo_is_loaded_again_at_2_second_blocks(ledger):
    """The run before stopped before its record was written: the journey runs again next to what is there (the
    participants, authorities and companies kept, the next free certificate numbers), a block every 2 seconds."""
    node, server = ledger
    node.set_block_time(2)
    started = time.monotonic()
    again = run_demo(server.url, node.data_dir)
    took = time.monotonic() - started
    assert again["ids"]["certificates"] == ["BW0000002", "CA0000002", "EU0000002"]
    assert verdict(server.url, again["ids"]["final_parcel"]) == "ok"
    assert (node.data_dir / "demo.json").exists()
    print(f"the demo journey at 2 s blocks took {took:.0f} s")


def test_the_banner_says_how_to_reach_kp():
    from pathlib import Path

    text = banner(Path("/d"), "http://127.0.0.1:8545", "http://127.0.0.1:8001", 8001)
    kp_line = next(line for line in text.splitlines() if "export PATH=" in line)
    assert "/.venv/bin:$PATH\" KP_API=http://127.0.0.1:8001" in kp_line
    assert "KP_API" not in banner(Path("/d"), "http://127.0.0.1:8545", "http://127.0.0.1:8000", 8000)


def test_a_failed_deployment_shows_what_ape_said(ledger, tmp_path, capfd, monkeypatch):
    """`make run` says its deployment in one line; when it fails, everything `ape run deploy` printed is shown."""
    import os

    from kpledger.dev import chain

    node, _ = ledger
    record = tmp_path / "deployment.json"
    record.write_text("{ not JSON")  # a damaged record: the script stops before sending anything
    monkeypatch.setenv("PATH", f"{chain.ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")  # ape, as make
    sent = node.w3.eth.get_transaction_count(node.deployer.address)
    with pytest.raises(chain.DeployFailed, match=r"deploying the contracts failed \(ape run deploy exited 1; its "
                                                    r"output is above\)"):
        chain.deploy(node.url, record)
    said = capfd.readouterr()
    assert "JSONDecodeError" in said.err and "Expecting property name" in said.err, said.err
    assert node.w3.eth.get_transaction_count(node.deployer.address) == sent  # nothing deployed
