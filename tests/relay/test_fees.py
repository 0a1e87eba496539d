"""Fee bumping (kpledger.relay.fees): the replacement rule against every pool's documented rule, and against the
real pools of the test node (anvil or Hardhat, KP_TEST_NODE)."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.relay.fees import (
    Fees,
    accepted_as_replacement,
    bumped,
    initial_fees,
    is_stuck,
    replacement_fees,
)
from tests.support.stack import BLOCK_TIME, KEYS

GWEI = 10**9
wei = st.integers(min_value=0, max_value=10**6 * GWEI)


@st.composite
def fees(draw) -> Fees:
    tip = draw(wei)
    return Fees(max_fee=tip + draw(wei), tip=tip)


@settings(max_examples=500, deadline=None)
@given(old=fees(), base=wei, suggested=wei, bump=st.integers(0, 100))
def test_a_replacement_satisfies_geth_and_besu_and_is_includable(old, base, suggested, bump):
    new = replacement_fees(old, base, suggested, bump=bump)
    if base == 0 and old.max_fee == 0:
        assert new is None  # free gas: nothing to bump, Besu refuses a zero-price replacement
        return
    assert new is not None
    assert accepted_as_replacement(old, new, base, bump) == {"geth": True, "besu": True}
    assert new.includable(base) and new.max_fee >= 2 * base + new.tip and new.tip >= suggested


def test_a_tip_bump_alone_does_not_satisfy_besu_when_the_base_fee_dominates():
    old = initial_fees(base_fee=100 * GWEI, suggested_tip=GWEI)  # effective price 101 gwei
    naive = Fees(max_fee=bumped(old.max_fee), tip=bumped(old.tip))  # +10 % on both: effective 101.1 gwei
    assert accepted_as_replacement(old, naive, 100 * GWEI) == {"geth": True, "besu": False}
    new = replacement_fees(old, 100 * GWEI, GWEI)
    assert new is not None and new.tip > 11 * GWEI  # effective price must exceed 111.1 gwei
    assert accepted_as_replacement(old, new, 100 * GWEI) == {"geth": True, "besu": True}


def test_the_cap_and_free_gas_stop_a_replacement():
    old = Fees(max_fee=50 * GWEI, tip=GWEI)
    assert replacement_fees(old, 40 * GWEI, GWEI, max_fee_cap=60 * GWEI) is None
    assert replacement_fees(Fees(0, 0), 0, 0) is None
    assert replacement_fees(Fees(0, 0), 7, 0) is not None  # a priced network after all: bump


def test_first_fees_without_a_suggested_tip_follow_the_gas_price_not_a_fixed_gwei():
    assert initial_fees(7 * GWEI, 2 * GWEI) == Fees(16 * GWEI, 2 * GWEI)  # the node's suggestion
    assert initial_fees(0, None, gas_price=0) == Fees(0, 0)  # Besu free gas without eth_maxPriorityFeePerGas
    assert initial_fees(5 * GWEI, None, gas_price=6 * GWEI) == Fees(11 * GWEI, GWEI)
    assert initial_fees(5 * GWEI, None, gas_price=4 * GWEI) == Fees(10 * GWEI, 0)  # a stale price: no tip
    assert initial_fees(0, None) == Fees(0, 0) and initial_fees(3, None) == Fees(6 + GWEI, GWEI)


def test_when_a_transaction_counts_as_stuck():
    low = Fees(max_fee=10 * GWEI, tip=GWEI)
    args = dict(sent_age=60.0, stuck_after=30.0, nonce=4, chain_nonce=4, has_receipt=False, known_to_node=True,
                fees=low, next_base_fee=20 * GWEI, suggested_tip=GWEI)
    assert is_stuck(**args)
    assert not is_stuck(**{**args, "sent_age": 10.0})  # not long enough
    assert not is_stuck(**{**args, "chain_nonce": 3})  # an earlier nonce is unmined: that one first
    assert not is_stuck(**{**args, "has_receipt": True})
    assert not is_stuck(**{**args, "known_to_node": False})  # lost, not underpriced: re-send unchanged
    assert not is_stuck(**{**args, "next_base_fee": 5 * GWEI})  # the price is fine: just a slow chain
    assert is_stuck(**{**args, "next_base_fee": 5 * GWEI, "suggested_tip": 2 * GWEI})  # outbid
    assert not is_stuck(**{**args, "fees": Fees(0, 0), "next_base_fee": 0})  # free gas


# ---------------------------------------------------------------- against the node's own transaction pool

def _send(node, key: bytes, nonce: int, f: Fees, data: str = "0x") -> dict:
    acct = Account.from_key(key)
    tx = {"chainId": node.w3.eth.chain_id, "nonce": nonce, "to": acct.address, "value": 0, "data": data,
          "gas": 30_000, "type": 2, "maxFeePerGas": f.max_fee, "maxPriorityFeePerGas": f.tip}
    raw = "0x" + acct.sign_transaction(tx).raw_transaction.hex()
    return node.w3.provider.make_request("eth_sendRawTransaction", [raw])


@pytest.mark.skipif(BLOCK_TIME is not None, reason="drives mining itself (evm_setAutomine, evm_mine)")
def test_the_pool_takes_the_replacement_and_mines_exactly_one_version(node):
    w3, key = node.w3, KEYS[5]
    me = Account.from_key(key).address
    nonce = w3.eth.get_transaction_count(me)
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    old = initial_fees(base, GWEI)
    assert w3.provider.make_request("evm_setAutomine", [False]).get("error") is None
    try:
        first = _send(node, key, nonce, old)
        assert "result" in first, first
        # the base fee rises above the old max fee (as under sustained load): the old version cannot be mined
        high = 3 * old.max_fee
        assert "error" not in w3.provider.make_request("hardhat_setNextBlockBaseFeePerGas", [hex(high)])
        w3.provider.make_request("evm_mine", [])
        assert w3.eth.get_transaction_count(me) == nonce  # stuck below the base fee
        next_base = w3.eth.get_block("latest")["baseFeePerGas"]  # what the next block starts from
        assert not old.includable(next_base * 7 // 8)  # still out of reach after an empty block
        new = replacement_fees(old, next_base, GWEI)
        assert new is not None
        second = _send(node, key, nonce, new, data="0x01")
        assert "result" in second, second
        w3.provider.make_request("evm_mine", [])
        assert w3.eth.get_transaction_count(me) == nonce + 1
        mined = [h for h in (first["result"], second["result"])
                 if w3.provider.make_request("eth_getTransactionReceipt", [h]).get("result")]
        assert mined == [second["result"]]  # same nonce: one version only
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
