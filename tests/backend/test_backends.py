"""Several backends on one chain (as on a Besu network serving many participants): each with its own relayer key
and database, writing at once; both indexes end up showing the same ledger, and a signed request sent to both
runs once."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
from eth_account import Account

from kpledger.localnet import stop

from conftest import KEYS, MANIFEST, start_server
from writes_support import UNSORTED, Api, b32, registered, setup_world


def wait_indexed(url: str, block: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(url + "/healthz", timeout=5).json()["indexed_block"] < block:
        assert time.monotonic() < deadline, f"{url} did not index block {block}"
        time.sleep(0.1)


def test_two_backends_with_their_own_relayers_share_one_ledger(node, actors, tmp_path):
    first = start_server(node)
    other_dir = tmp_path / "second"
    other_dir.mkdir()
    shutil.copy(node.data_dir / "deployment.json", other_dir / "deployment.json")
    # the second participant's backend: its own relayer key (funded by the node) and its own database
    second = start_server(replace(node, data_dir=other_dir), extra_env={"KP_RELAYER_KEY": "0x" + KEYS[9].hex()})
    try:
        a, b = Api(first.url), Api(second.url)
        setup_world(a, actors)
        mine, exporter = actors["mine"], actors["bw_exporter"]
        a.do(actors["bw_authority"], "LicenseOperator", {"account": exporter.address, "roles": 2 | 4 | 16})

        def stream(api: Api, actor, tag: str) -> list[int]:
            ids = []
            for i in range(6):
                out = api.do(actor, "RegisterParcel", {"points": 10 + i, "stones": 1, "hsCode": UNSORTED,
                                                       "origin": "BW", "documentHash": b32(f"{tag}{i}")})
                ids.append(out["result"]["parcel_id"])
            return ids

        with ThreadPoolExecutor(2) as pool:
            via_a, via_b = pool.map(lambda job: stream(*job), [(a, mine, "a"), (b, exporter, "b")])
        assert sorted(via_a + via_b) == list(range(1, 13))
        # each backend relayed its own writes with its own key
        assert node.w3.eth.get_transaction_count(Account.from_key(KEYS[9]).address) >= 6
        head = node.w3.eth.block_number
        for url in (first.url, second.url):
            wait_indexed(url, head)
            holders = [httpx.get(f"{url}/v1/parcels/{i}", timeout=5).json()["holder"] for i in range(1, 13)]
            assert sorted(set(holders)) == sorted({mine.address, exporter.address})

        # the same signed request to both backends: it runs once on chain; the backend that did not run it
        # answers the contract's refusal (its journal does not know the request), not a duplicate
        body = a.body(mine, "RegisterParcel", {"points": 5, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                               "documentHash": b32("twice")})
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda api: api.post("RegisterParcel", body), [a, b]))
        codes = sorted(r.status_code for r in answers)
        assert codes == [200, 401], [r.text for r in answers]
        refused = next(r for r in answers if r.status_code == 401).json()
        assert refused["code"] == "KPIntentBadNonce", refused
        assert registered(node, MANIFEST)[b32("twice")] == 1
    finally:
        stop(first.process)
        stop(second.process)
