"""The calls the relayer makes: a `...BySig` call's ABI encoding, and `KPRelayBatch`'s execute / simulate."""

from __future__ import annotations

from functools import cache

from eth_utils import function_signature_to_4byte_selector, keccak

from kpledger.chain import abi
from kpledger.core.actions import ACTIONS, AUTHORIZATION_ABI
from kpledger.relay.request import WriteRequest

CALL_ABI = "(address,bytes)[]"  # IKPRelayBatch.Call[]: (target, data)
SIMULATED_SELECTOR = keccak(text="KPRelayBatchSimulated((bool,uint256,bytes)[])")[:4]
EXECUTE_SELECTOR = function_signature_to_4byte_selector(f"execute({CALL_ABI})")
SIMULATE_SELECTOR = function_signature_to_4byte_selector(f"simulate({CALL_ABI})")
DONE_TOPIC = "0x" + keccak(text="RelayCallDone(uint256)").hex()
FAILED_TOPIC = "0x" + keccak(text="RelayCallFailed(uint256,bytes)").hex()
OUTCOMES_ABI = "(bool,uint256,bytes)[]"  # KPRelayBatchSimulated's payload: (ok, gas used, return or revert data)

# a batch's size is its ABI-encoded `execute` calldata (the simulation request and the signed transaction each carry
# it once, hex-encoded: twice as many characters)
BATCH_HEAD_BYTES = 4 + 32 + 32  # selector, offset of the array, its length
BATCH_CALL_BYTES = 32 + 3 * 32  # per call: its offset in the array, then (address, offset of data, data length)


@cache
def _encoding(action: str) -> tuple[bytes, list[str]]:
    spec = ACTIONS[action]
    return function_signature_to_4byte_selector(spec.signature), [*spec.abi_types(), AUTHORIZATION_ABI]


def calldata(req: WriteRequest) -> str:
    """The `...BySig` call of a request, 0x-hex (selector and types derived once from the action table)."""
    selector, types = _encoding(req.action)
    return "0x" + (selector + abi.encode(types, [*req.intent.args, req.intent.authorization])).hex()


def batch_calldata(selector: bytes, calls: list[tuple[str, bytes]]) -> str:
    """KPRelayBatch.execute / simulate calldata for (target, call data) pairs."""
    return "0x" + (selector + abi.encode([CALL_ABI], [calls])).hex()


def encoded_call_bytes(data: str) -> int:
    """What one call (0x-hex call data) adds to the ABI-encoded batch: 128 bytes plus its data padded to 32."""
    size = (len(data) - 2) // 2
    return BATCH_CALL_BYTES + -(-size // 32) * 32
