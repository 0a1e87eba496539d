"""kp-admin against real processes: a backup taken while writing, restored on a fresh data folder after a kill -9;
the index rebuilt from the chain; the relayer key rotated under load, every write mined exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from kpledger.chain.contracts import Chain
from kpledger.cli.admin import cli
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.dev.chain import stop
from kpledger.dev.stack import ApiServer, address_of, dev_key
from kpledger.relay import Relayer, calls
from kpledger.relay.request import WriteRequest
from tests.support.crash import Stream, assert_index_matches_chain, journal, writing
from tests.support.stack import MANIFEST, signed_offline, start_server, submit
from tests.support.writes import UNSORTED, Api, b32, licence, registered, setup_world

ADMIN = "test-admin-token-0123456789"


def admin(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(mix_stderr=False).invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def test_a_backup_taken_while_writing_restores_on_a_new_machine(node, actors, tmp_path):
    with writing(node, actors, "backup") as (server, stream):
        code, out, err = admin("backup", "--data", str(node.data_dir), "--out", str(tmp_path / "backup"))
        assert code == 0, err
        manifest = json.loads(out)
        assert manifest["kind"] == "sqlite" and manifest["schema_revision"] == "0007"
        assert set(manifest["files"]) == {"kp.db", "deployment.json"}
        assert manifest["journal"].get("mined", 0) >= 10
        assert oct((tmp_path / "backup" / "kp.db").stat().st_mode & 0o777) == "0o600"
        code, _out, err = admin("backup", "--data", str(node.data_dir), "--out", str(tmp_path / "backup"))
        assert code == 1 and err.startswith("error TargetNotEmpty: ")
        stream.wait_for(len(stream.acked) + 10)  # writes acknowledged after the backup
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        stream.halt.set()
        stream.join(45)
    new = tmp_path / "new-machine"
    code, out, err = admin("restore", "--from", str(tmp_path / "backup"), "--data", str(new))
    assert code == 0, err
    code, _out, err = admin("restore", "--from", str(tmp_path / "backup"), "--data", str(new))
    assert code == 1 and err.startswith("error TargetNotEmpty: ")
    restored = ApiServer(node.url, new)
    try:
        assert_index_matches_chain(node, restored.url)  # the index went on from the backup's cursor
        counts = registered(node, MANIFEST)
        assert all(counts[d] == 1 for d in stream.acked)  # nothing acknowledged lost, nothing run twice
        # the restored journal: every row the backup held now has its outcome, reconciled with the chain
        deadline = time.monotonic() + 20
        while {s for _i, s in rows(new / "kp.db", "select id, status from relay_requests")} != {"mined"}:
            assert time.monotonic() < deadline, "the restored journal was not reconciled with the chain"
            time.sleep(0.2)
        backed_up = {i for (i,) in rows(tmp_path / "backup" / "kp.db", "select id from relay_requests")}
        assert backed_up == {i for (i,) in rows(new / "kp.db", "select id from relay_requests")}
        after = [a["request_id"] for a in stream.acked.values() if a["request_id"] not in backed_up]
        assert after, "some writes were acknowledged after the backup"
        # what the backup could not hold: the requests acknowledged after it are on chain and indexed, not journaled
        assert not set(after) & set(journal_of(new))
        api = Api(restored.url)
        answer = api.do(actors["mine"], "RegisterParcel", {"points": 7, "stones": 1, "hsCode": 710210, "origin": "BW",
                                                             "documentHash": "0x" + "77" * 32})
        assert answer["result"]["parcel_id"] == len(registered(node, MANIFEST))
    finally:
        restored.close()


def journal_of(data: Path) -> dict[str, str]:
    return dict(rows(data / "kp.db", "select id, status from relay_requests"))


def test_the_index_is_rebuilt_from_the_chain(node, actors):
    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        for i in range(5):
            api.do(actors["mine"], "RegisterParcel", {"points": 10 + i, "stones": 1, "hsCode": 710210, "origin": "BW",
                                                      "documentHash": "0x" + f"{i + 1:064x}"})
        # a seal label: off chain (the chain keeps its hash), so it must outlive a rebuild of the index
        offer = api.body(actors["mine"], "OfferCustody", {"lotId": 1, "recipient": actors["bw_exporter"].address,
                                                          "sealId": b32("BAG-0901")})
        assert api.post("OfferCustody", {**offer, "seal_label": "BAG-0901"}).status_code == 200
        assert api.http.get("/v1/parcels/1").json()["offer"]["seal_label"] == "BAG-0901"
    finally:
        stop(server.process)
    db = node.data_dir / "kp.db"
    before = rows(db, "select count(*) from events")[0][0]
    code, out, err = admin("index", "rebuild", "--data", str(node.data_dir),
                           env={"KP_RPC_URL": node.url, "KP_BUILD_MANIFEST": str(MANIFEST)})
    assert code == 0, err
    assert json.loads(out)["events"] == before > 0
    journal_rows = journal_of(node.data_dir)
    server = start_server(node)
    try:
        assert_index_matches_chain(node, server.url)
        assert journal_of(node.data_dir) == journal_rows  # the journal is kept
        offer = Api(server.url).http.get("/v1/parcels/1").json()["offer"]
        assert (offer["seal_id"], offer["seal_label"]) == (b32("BAG-0901"), "BAG-0901")  # and so are the seal labels
    finally:
        stop(server.process)
    for path in node.data_dir.glob("kp.db*"):  # the database lost entirely: the index comes back from the chain
        path.unlink()
    server = start_server(node)
    try:
        assert_index_matches_chain(node, server.url)
        assert rows(db, "select count(*) from events")[0][0] == before
        assert journal_of(node.data_dir) == {}  # what is lost with the database: the journal
        offer = Api(server.url).http.get("/v1/parcels/1").json()["offer"]  # and the labels: the id alone
        assert (offer["seal_id"], offer["seal_label"]) == (b32("BAG-0901"), None)
    finally:
        stop(server.process)


def test_rotating_the_relayer_key_under_load_loses_and_repeats_nothing(node, actors, tmp_path):
    new_key = dev_key(30)
    node.fund([address_of(new_key)], 10**21)
    server = start_server(node, extra_env={"KP_ADMIN_TOKEN": ADMIN})
    env = {"KP_API": server.url, "KP_ADMIN_TOKEN": ADMIN}
    try:
        api = Api(server.url)
        setup_world(api, actors)
        for name in ("outsider", "ca_mine"):  # two more BW producers: three signers write at once
            api.do(actors["bw_authority"], "LicenseOperator", licence(actors[name], 2))
        streams = [Stream(api, actors[name], f"rotate-{name}") for name in ("mine", "outsider", "ca_mine")]
        for stream in streams:
            stream.start()
        for stream in streams:
            stream.wait_for(5)
        old = address_of(dev_key(0))
        key_file = tmp_path / "new.key"
        key_file.write_text(new_key.hex() + "\n")
        code, _out, err = admin("relayer", "rotate", "--new-key-file", str(key_file), env={**env, "KP_ADMIN_TOKEN": ""})
        assert code == 1 and err.startswith("error TokenRequired: ")
        # blocks stop: the batches sent now wait for their receipts, and the rotation must wait for them
        node.call("evm_setAutomine", [False])
        time.sleep(0.5)
        outcome: dict[str, tuple[int, str, str]] = {}
        rotation = threading.Thread(target=lambda: outcome.setdefault("r", admin(
            "relayer", "rotate", "--new-key-file", str(key_file), env=env)))
        rotation.start()
        time.sleep(1.5)
        assert rotation.is_alive(), "the rotation did not wait for the transactions in flight"
        node.call("evm_mine")
        node.call("evm_setAutomine", [True])
        rotation.join(30)
        code, out, err = outcome["r"]
        assert code == 0, err
        rotated = json.loads(out)
        assert rotated["old"] == old and rotated["new"] == address_of(new_key)
        assert rotated["drained_s"] >= 1.0  # it waited for the block
        code, _out, err = admin("relayer", "rotate", "--new-key-file", str(key_file), env=env)
        assert code == 1 and err.startswith("error SameRelayerKey: ")
        for stream in streams:
            stream.wait_for(len(stream.acked) + 5)
        for stream in streams:
            stream.halt.set()
            stream.join(45)
        counts = registered(node, MANIFEST)
        assert max(counts.values()) == 1 and set(counts) <= {d for s in streams for d in s.sent}
        assert all(counts[d] == 1 for s in streams for d in s.acked)  # every acknowledged write on chain once
        ids = [a["result"]["parcel_id"] for s in streams for a in s.acked.values()]
        assert len(set(ids)) == len(ids)
        senders = {node.w3.eth.get_transaction(h)["from"] for (h,) in rows(
            node.data_dir / "kp.db", "select tx_hash from relay_transactions")}
        assert senders == {old, address_of(new_key)}
        by_relayer = dict(rows(node.data_dir / "kp.db", "select tx_hash, relayer from relay_transactions"))
        assert all(node.w3.eth.get_transaction(h)["from"] == a for h, a in by_relayer.items())
        last = [max(s.acked.values(), key=lambda a: a["block_number"]) for s in streams]
        assert all(node.w3.eth.get_transaction(a["tx_hash"])["from"] == address_of(new_key) for a in last)
        code, out, err = admin("relayer", "status", env=env)
        status = json.loads(out)
        assert code == 0 and status["address"] == address_of(new_key) and status["in_flight"] == 0
        assert set(status["journal"]) >= {old, address_of(new_key)}
        assert set(journal(node).values()) == {"mined"}
    finally:
        stop(server.process)


def test_rotation_refuses_a_key_whose_account_cannot_pay_and_the_old_key_keeps_relaying(node, actors, tmp_path):
    """A key whose account cannot pay for a batch (or holds less than KP_RELAYER_MIN_BALANCE_WEI) would have every
    later write refused by the node: the rotation is refused with RelayerKeyUnfunded and the old key keeps relaying.
    Before the fix the rotation to the unfunded key went through."""
    new_key = dev_key(31)  # anvil funds keys 0-9 only
    new = address_of(new_key)
    server = start_server(node, extra_env={"KP_ADMIN_TOKEN": ADMIN})
    env = {"KP_API": server.url, "KP_ADMIN_TOKEN": ADMIN}
    try:
        api = Api(server.url)
        setup_world(api, actors)
        old = address_of(dev_key(0))
        key_file = tmp_path / "new.key"
        key_file.write_text(new_key.hex() + "\n")
        for i, balance in enumerate((0, 10**16)):  # nothing; then less than the default minimum (0.1 ether)
            node.fund([new], balance)
            code, _out, err = admin("relayer", "rotate", "--new-key-file", str(key_file), env=env)
            assert code == 1 and err.startswith("error RelayerKeyUnfunded: ") and err.count("\n") == 1, err
            assert f"{new} holds {balance} wei" in err and "KP_RELAYER_MIN_BALANCE_WEI" in err, err
            assert new_key.hex() not in err
            code, out, _err = admin("relayer", "status", env=env)
            assert json.loads(out)["address"] == old
            answer = api.do(actors["mine"], "RegisterParcel", {"points": 5 + i, "stones": 1, "hsCode": UNSORTED,
                                                               "origin": "BW", "documentHash": b32(f"unfunded-{i}")})
            assert node.w3.eth.get_transaction(answer["tx_hash"])["from"] == old
        node.fund([new], 10**18)
        code, out, err = admin("relayer", "rotate", "--new-key-file", str(key_file), env=env)
        assert code == 0, err
        assert json.loads(out)["new"] == new
        answer = api.do(actors["mine"], "RegisterParcel", {"points": 9, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                           "documentHash": b32("funded")})
        assert node.w3.eth.get_transaction(answer["tx_hash"])["from"] == new
    finally:
        stop(server.process)


def test_a_transaction_journaled_under_an_earlier_key_is_sent_once_after_a_restart_with_a_new_key(node, actors):
    """The backend dies between journaling and sending, and comes back with another relayer key: the reconciler
    sends the old key's signed transaction as it was (its address and nonce), once."""
    settings, body = signed_offline(node, actors, "earlier-key", points=3)
    first = Relayer(settings, Chain(settings), Database(settings.database_url))
    req = WriteRequest.from_body("RegisterParcel", body)
    data = calls.batch_calldata(calls.EXECUTE_SELECTOR,
                                [(first.chain.deployment.ledger, calls.calldata(req), 500_000)])
    sender = first.sender
    with sender.nonces.lock:  # Sender.journal_and_send up to the crash before the send
        sender.init_nonces()
        nonce = sender.nonces.allocate()
        raw, tx_hash = sender.sign(first.chain.deployment.batch, data, 1_000_000, nonce)
        first.journal.record_batch([(req.request_id, req.action, req.intent.signer, req.body())],
                                   relayer=sender.address, relayer_nonce=nonce, raw_tx=raw, tx_hash=tx_hash)
    new_key = dev_key(30)
    node.fund([address_of(new_key)], 10**21)
    second_settings = Settings(environment="test", rpc_url=node.url, data_dir=node.data_dir, build_manifest=MANIFEST,
                               relayer_key="0x" + new_key.hex())
    second = Relayer(second_settings, Chain(second_settings), Database(second_settings.database_url))
    assert second.address == address_of(new_key) != sender.address
    second.recover()
    try:
        deadline = time.monotonic() + 10
        while journal(node)[req.request_id] != "mined":
            assert time.monotonic() < deadline, "the earlier key's transaction was not sent"
            time.sleep(0.05)
        assert node.w3.eth.get_transaction(tx_hash)["from"] == sender.address
        again = submit(second, "RegisterParcel", body)
        assert again["duplicate"] is True and again["tx_hash"] == tx_hash
        assert registered(node, MANIFEST)[b32("earlier-key")] == 1
        by_relayer = second.status()["journal"]
        assert set(by_relayer[sender.address]) == {"mined"} and second.address not in by_relayer
    finally:
        second.close()


def test_a_postgresql_database_is_backed_up_with_pg_dump_and_restored(postgres_url, tmp_path):
    from sqlalchemy import create_engine, text

    from kpledger.relay.journal import Journal

    db = Database(postgres_url)  # the schema, migrated
    Journal(db).record_batch([("0x" + "ab" * 32, "RegisterParcel", "0x" + "11" * 20, {"nonce": 1})],
                             relayer="0x" + "22" * 20, relayer_nonce=7, raw_tx="0xf86c", tx_hash="0x" + "cd" * 32)
    db.engine.dispose()
    code, out, err = admin("backup", "--out", str(tmp_path / "pg"), env={"KP_DATABASE_URL": postgres_url,
                                                                        "KP_DATA_DIR": str(tmp_path / "data")})
    assert code == 0, err
    assert json.loads(out)["kind"] == "postgresql" and (tmp_path / "pg" / "kp.pgdump").stat().st_size > 0
    with create_engine(postgres_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("CREATE DATABASE restored"))
    restored_url = postgres_url.rsplit("/", 1)[0] + "/restored"
    code, _out, err = admin("restore", "--from", str(tmp_path / "pg"), "--data", str(tmp_path / "new"),
                            "--database-url", restored_url)
    assert code == 0, err
    with create_engine(restored_url).connect() as conn:
        assert conn.execute(text("SELECT id, relayer, relayer_nonce, status FROM relay_requests")).all() == [
            ("0x" + "ab" * 32, "0x" + "22" * 20, 7, "pending")]


def test_kp_admin_failures_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.key").write_text("not a key\n")
    cases = [
        (["backup", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "b")], "NoDatabase"),
        (["restore", "--from", str(tmp_path / "empty"), "--data", str(tmp_path / "d")], "NotABackup"),
        (["relayer", "status", "--api", "http://127.0.0.1:9", "--token", ADMIN], "Unreachable"),
        (["relayer", "status", "--api", "http://127.0.0.1:9"], "TokenRequired"),
        (["relayer", "rotate", "--api", "http://127.0.0.1:9", "--token", ADMIN, "--new-key-file",
          str(tmp_path / "bad.key")], "InvalidKeyFile"),
    ]
    for args, code in cases:
        exit_code, _out, err = admin(*args, env={"KP_ADMIN_TOKEN": ""})
        assert exit_code == 1 and err.startswith(f"error {code}: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err
