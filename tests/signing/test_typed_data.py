"""The relayer's direct EIP-712 digests and request ids agree with eth_account / eth_abi on random intents."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.chain import abi
from kpledger.core.actions import ACTIONS
from kpledger.relay.request import REQUEST_KEY_TYPES, WriteRequest
from kpledger.signing import typed_data
from kpledger.signing.typed_data import sign_intent
from tests.support.strategies import field_values

VERIFYING = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")  # anvil #1


intents = st.sampled_from(sorted(ACTIONS)).flatmap(lambda action: st.tuples(
    st.just(action),
    st.fixed_dictionaries({n: field_values(k) for n, k in ACTIONS[action].fields}),
    st.integers(min_value=0, max_value=2**256 - 1),
    st.integers(min_value=0, max_value=2**64),
    st.integers(min_value=1, max_value=2**64),
))


def request(action: str, message: dict[str, Any], nonce: int, deadline: int, signature: bytes) -> WriteRequest:
    body = {"message": message, "signer": Account.from_key(KEY).address, "nonce": nonce, "deadline": deadline,
            "signature": "0x" + signature.hex()}
    return WriteRequest.from_body(action, body)


@settings(max_examples=300, deadline=None)
@given(intents)
def test_digest_matches_eth_account(intent: tuple[str, dict[str, Any], int, int, int]) -> None:
    action, message, nonce, deadline, chain_id = intent
    req = request(action, message, nonce, deadline, b"\1" * 65)
    i = req.intent
    typed = typed_data.typed_data(action, i.message, i.signer, i.nonce, i.deadline, chain_id=chain_id,
                              verifying_contract=VERIFYING)
    expected = _hash_eip191_message(encode_typed_data(full_message=typed))
    assert typed_data.digest(action, i.message, i.signer, i.nonce, i.deadline, chain_id=chain_id,
                         verifying_contract=VERIFYING) == expected


@settings(max_examples=60, deadline=None)
@given(intents)
def test_recovers_the_signer(intent: tuple[str, dict[str, Any], int, int, int]) -> None:
    action, message, nonce, deadline, chain_id = intent
    converted = request(action, message, nonce, deadline, b"\1" * 65).intent.message
    signed = sign_intent(KEY, action, converted, chain_id=chain_id, verifying_contract=VERIFYING, nonce=nonce,
                         deadline=deadline)
    req = request(action, message, nonce, deadline, signed.signature)
    assert req.recovered_signer(chain_id, VERIFYING) == signed.signer
    # the same signature over another nonce recovers somebody else
    other = request(action, message, (nonce + 1) % 2**256, deadline, signed.signature)
    assert other.recovered_signer(chain_id, VERIFYING) != signed.signer


@pytest.mark.parametrize("signature", [b"", b"\0" * 65, b"\1" * 64 + b"\x1d", b"\xff" * 65, b"\1" * 66])
def test_malformed_signatures_recover_nobody(signature: bytes) -> None:
    digest = keccak(b"anything")
    assert typed_data.recover(digest, signature) is None


def test_out_of_range_values_recover_nobody() -> None:
    req = request("RegisterParcel", {"points": 2**48, "stones": 1, "hsCode": 1, "origin": "BW",
                                     "documentHash": "0x" + "00" * 32}, 0, 1, b"\1" * 65)
    assert req.recovered_signer(1, VERIFYING) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.binary(min_size=20, max_size=20), st.integers(min_value=0, max_value=2**256 - 1),
       st.binary(max_size=200))
def test_request_key_matches_eth_abi(action: str, signer: bytes, nonce: int, signature: bytes) -> None:
    address = "0x" + signer.hex()
    expected = abi_encode(["string", "address", "uint256", "bytes"], [action, address, nonce, signature])
    assert abi.encode(REQUEST_KEY_TYPES, [action, address, nonce, signature]) == expected
