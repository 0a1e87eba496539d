"""The action table (`kpledger.core.actions`) against the contracts, and its derivations on a dummy action."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import function_signature_to_4byte_selector
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kpledger.chain.contracts import BATCH, CONTRACTS, abi_type
from kpledger.core import constants
from kpledger.core.actions import ACTIONS, AUTHORIZATION_ABI, BYTES32, NAME, OPERATOR, UINT256, Action
from kpledger.indexer.projector import Projector
from kpledger.relay import calls
from kpledger.relay.request import WriteRequest
from kpledger.signing import typed_data
from tests.support.stack import MANIFEST

TYPES = json.loads(MANIFEST.read_text())["contractTypes"]
# events the index does not project: OpenZeppelin's own (our MemberRolesChanged carries what they say)
UNPROJECTED = {"RoleGranted", "RoleRevoked", "RoleAdminChanged", "DefaultAdminTransferScheduled",
               "DefaultAdminTransferCanceled", "DefaultAdminDelayChangeScheduled", "DefaultAdminDelayChangeCanceled",
               "EIP712DomainChanged"}


def by_sig_functions(contract: str) -> dict[str, str]:
    """name -> canonical signature of every `...BySig` function of a contract's ABI."""
    return {i["name"]: f"{i['name']}({','.join(abi_type(p) for p in i['inputs'])})"
            for i in TYPES[contract]["abi"] if i["type"] == "function" and i["name"].endswith("BySig")}


def test_every_row_matches_its_contract_function():
    for action in ACTIONS.values():
        functions = by_sig_functions(action.contract)
        assert action.function in functions, action.name
        assert functions[action.function] == action.signature, action.name


def test_every_relayed_function_of_the_contracts_has_a_row():
    rows = {(a.contract, a.function) for a in ACTIONS.values()}
    for contract in CONTRACTS:
        for name in by_sig_functions(contract):
            assert (contract, name) in rows, f"{contract}.{name} has no row in the action table"


def test_every_event_of_the_contracts_is_projected():
    handlers = {name.removeprefix("on_") for name in dir(Projector) if name.startswith("on_")}
    for contract in CONTRACTS:
        events = {i["name"] for i in TYPES[contract]["abi"] if i["type"] == "event"}
        missing = events - handlers - UNPROJECTED
        assert not missing, f"{contract} events without a projector handler: {missing}"


def test_the_batch_contract_allows_exactly_the_tables_functions(node):
    batch = node.deployment["batch"]
    addresses = {name: node.contracts[name].address for name in CONTRACTS}

    def simulate(target: str, selector: bytes) -> bytes:
        data = calls.batch_calldata(calls.SIMULATE_SELECTOR, [(target, selector + bytes(64), 2_000_000)])
        try:
            node.call("eth_call", [{"to": batch, "data": "0x" + data.hex()}, "latest"])
        except Exception as exc:  # simulate always reverts: the revert data says how
            return bytes.fromhex(exc.data[2:])  # type: ignore[attr-defined]
        raise AssertionError("simulate did not revert")

    for action in ACTIONS.values():
        revert = simulate(addresses[action.contract], function_signature_to_4byte_selector(action.signature))
        assert revert[:4] == calls.SIMULATED_SELECTOR, action.name
        (outcomes,) = abi_decode([calls.OUTCOMES_ABI], revert[4:])
        assert outcomes[0][0] is False  # run (and refused: the arguments are zeros), not turned away
    unknown = function_signature_to_4byte_selector("KPRelayBatchUnknownSelector(address,bytes4)")
    direct = ACTIONS["RegisterParcel"].signature.replace("BySig", "").replace(f",{AUTHORIZATION_ABI}", "")
    assert simulate(addresses["KPLedger"], function_signature_to_4byte_selector(direct))[:4] == unknown
    assert BATCH in TYPES


def test_python_role_bits_are_the_registrys(node):
    for name, bit in constants.ROLES.items():
        assert getattr(node.registry.functions, f"ROLE_{name.upper()}")().call() == bit


# ---------------------------------------------------------------- a dummy action, derived end to end

DUMMY = Action("NoteLot", "KPLedger", "noteLotBySig", "/v1/lots/{lotId}/note",
               (("lotId", UINT256), ("note", NAME), ("evidence", BYTES32)), OPERATOR,
               lambda message, logs: {"lot_id": message["lotId"], "events": len(logs)}, "Attach a note to a lot")
KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
VERIFYING = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture
def dummy(monkeypatch) -> Action:
    monkeypatch.setitem(ACTIONS, DUMMY.name, DUMMY)
    return DUMMY


def signed_body(message: dict[str, Any], nonce: int = 7, deadline: int = 2**40) -> dict[str, Any]:
    signed = typed_data.sign_intent(KEY, DUMMY.name, message, chain_id=31337, verifying_contract=VERIFYING, nonce=nonce,
                                deadline=deadline)
    return {"message": message, "signer": signed.signer, "nonce": nonce, "deadline": deadline,
            "signature": "0x" + signed.signature.hex()}


def test_a_new_row_gets_its_types_digest_calldata_and_path(dummy):
    message = {"lotId": 42, "note": "seal photo on file", "evidence": "0x" + "ab" * 32}
    assert dummy.types() == {"NoteLot": [{"name": "lotId", "type": "uint256"}, {"name": "note", "type": "string"},
                                         {"name": "evidence", "type": "bytes32"}, {"name": "signer", "type": "address"},
                                         {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]}
    body = signed_body(message)
    req = WriteRequest.from_body("NoteLot", body)
    typed = typed_data.typed_data("NoteLot", req.intent.message, req.intent.signer, 7, 2**40, chain_id=31337,
                              verifying_contract=VERIFYING)
    expected = _hash_eip191_message(encode_typed_data(full_message=typed))
    assert typed_data.digest("NoteLot", req.intent.message, req.intent.signer, 7, 2**40, chain_id=31337,
                         verifying_contract=VERIFYING) == expected
    assert req.recovered_signer(31337, VERIFYING) == Account.from_key(KEY).address
    data = calls.calldata(req)
    assert data[:4] == function_signature_to_4byte_selector(
        "noteLotBySig(uint256,string,bytes32,(address,uint256,uint256,bytes))")
    lot, note, evidence, auth = abi_decode(["uint256", "string", "bytes32", AUTHORIZATION_ABI], data[4:])
    assert (lot, note, evidence.hex(), auth[1]) == (42, "seal photo on file", "ab" * 32, 7)
    assert dummy.path_for(message) == "/v1/lots/42/note"
    assert dummy.result(message, [("X", {}), ("Y", {})]) == {"lot_id": 42, "events": 2}


def test_a_new_row_gets_a_validated_route(dummy):
    from kpledger.api.main import add_error_handlers
    from kpledger.api.routes.writes import build_router

    received: list[tuple[str, dict[str, Any]]] = []

    async def submit_async(action: str, body: dict[str, Any], trace: Any = None) -> dict[str, Any]:
        received.append((action, body))
        return {"request_id": "0x01", "action": action, "status": "mined", "tx_hash": "0x02", "block_number": None,
                "duplicate": False, "result": {}}

    app = FastAPI()
    app.include_router(build_router([dummy]))
    app.state.services = SimpleNamespace(relayer=SimpleNamespace(submit_async=submit_async), indexer=None)
    add_error_handlers(app)
    http = TestClient(app)
    operation = app.openapi()["paths"]["/v1/lots/{lotId}/note"]["post"]
    assert operation["operationId"] == "note_lot" and operation["summary"] == "Attach a note to a lot"

    body = signed_body({"lotId": 42, "note": "ok", "evidence": "0x" + "00" * 32})
    assert http.post("/v1/lots/42/note", json=body).status_code == 200
    assert received == [("NoteLot", body)]
    mismatch = http.post("/v1/lots/43/note", json=body)
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "PathMismatch"
    too_long = signed_body({"lotId": 42, "note": "x" * 201, "evidence": "0x" + "00" * 32})
    refused = http.post("/v1/lots/42/note", json=too_long)
    assert refused.status_code == 422 and refused.json()["code"] == "InvalidRequest"
    assert len(received) == 1
