"""Several backends on one chain (as on a Besu network serving many participants): each with its own relayer key
and database (one SQLite, one PostgreSQL), writing at once; every acknowledged write is on chain exactly once, both
indexes end up equal to the chain and to each other, read-your-writes holds on each, and a signed request sent to
both runs once."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from eth_account import Account

from kpledger.dev.chain import stop
from kpledger.dev.stack import ApiServer
from tests.support.stack import KEYS, MANIFEST, start_server
from tests.support.writes import UNSORTED, Api, b32, licence, registered, setup_world


def wait_indexed(url: str, block: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(url + "/healthz", timeout=5).json()["indexed_block"] < block:
        assert time.monotonic() < deadline, f"{url} did not index block {block}"
        time.sleep(0.1)


def test_two_backends_with_their_own_relayers_share_one_ledger(node, actors, tmp_path, postgres_url):
    first = start_server(node)
    other_dir = tmp_path / "second"
    other_dir.mkdir()
    shutil.copy(node.data_dir / "deployment.json", other_dir / "deployment.json")
    # the second participant's backend: its own relayer key (funded by the node) and its own PostgreSQL database
    second = ApiServer(node.url, other_dir, env={"KP_RELAYER_KEY": "0x" + KEYS[9].hex(),
                                                 "KP_DATABASE_URL": postgres_url})
    try:
        a, b = Api(first.url), Api(second.url)
        setup_world(a, actors)
        mine, exporter = actors["mine"], actors["bw_exporter"]
        a.do(actors["bw_authority"], "LicenseOperator", licence(exporter, 2 | 4 | 16))

        def stream(api: Api, actor, tag: str) -> list[int]:
            ids = []
            for i in range(6):
                out = api.do(actor, "RegisterParcel", {"points": 10 + i, "stones": 1, "hsCode": UNSORTED,
                                                       "origin": "BW", "documentHash": b32(f"{tag}{i}")})
                parcel_id = out["result"]["parcel_id"]
                # read-your-writes on the backend that relayed it
                assert out["indexed"] is True
                assert api.http.get(f"/v1/parcels/{parcel_id}").json()["holder"] == actor.address
                ids.append(parcel_id)
            return ids

        with ThreadPoolExecutor(2) as pool:
            via_a, via_b = pool.map(lambda job: stream(*job), [(a, mine, "a"), (b, exporter, "b")])
        assert sorted(via_a + via_b) == list(range(1, 13))
        # each backend relayed its own writes with its own key
        assert node.w3.eth.get_transaction_count(Account.from_key(KEYS[9]).address) >= 6
        head = node.w3.eth.block_number
        for url in (first.url, second.url):
            wait_indexed(url, head)
        # every acknowledged write once on chain, and both indexes equal to the chain and to each other
        counts = registered(node, MANIFEST)
        assert all(counts[b32(f"{tag}{i}")] == 1 for tag in "ab" for i in range(6))
        for parcel_id in range(1, 13):
            views = [httpx.get(f"{url}/v1/parcels/{parcel_id}/provenance", timeout=5).json() for url in
                     (first.url, second.url)]
            assert views[0] == views[1]
            on_chain = node.ledger.functions.parcel(parcel_id).call()
            assert (views[0]["parcel"]["holder"], views[0]["parcel"]["points"]) == (on_chain[0], on_chain[1])

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
