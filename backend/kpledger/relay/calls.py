"""The calls the relayer makes: a `...BySig` call's ABI encoding, and `KPRelayBatch`'s execute / simulate."""

from __future__ import annotations

from functools import cache

from eth_utils import function_signature_to_4byte_selector, keccak

from kpledger.chain import abi
from kpledger.core.actions import ACTIONS, AUTHORIZATION_ABI
from kpledger.relay.request import WriteRequest

CALL_ABI = "(address,bytes,uint256)[]"  # IKPRelayBatch.Call[]: (target, data, gas bound)
SIMULATED_SELECTOR = keccak(text="KPRelayBatchSimulated((bool,uint256,bytes)[])")[:4]
EXECUTE_SELECTOR = function_signature_to_4byte_selector(f"execute({CALL_ABI})")
SIMULATE_SELECTOR = function_signature_to_4byte_selector(f"simulate({CALL_ABI})")
DONE_TOPIC = "0x" + keccak(text="RelayCallDone(uint256)").hex()
FAILED_TOPIC = "0x" + keccak(text="RelayCallFailed(uint256,bytes)").hex()
OUTCOMES_ABI = "(bool,uint256,bytes)[]"  # KPRelayBatchSimulated's payload: (ok, gas used, return or revert data)

# a batch's size is its ABI-encoded `execute` calldata (the simulation request and the signed transaction each carry
# it once, hex-encoded: twice as many characters)
BATCH_HEAD_BYTES = 4 + 32 + 32  # selector, offset of the array, its length
BATCH_CALL_BYTES = 32 + 4 * 32  # per call: its offset, then (address, offset of data, gas bound, data length)


@cache
def _encoding(action: str) -> tuple[bytes, list[str]]:
    spec = ACTIONS[action]
    return function_signature_to_4byte_selector(spec.signature), [*spec.abi_types(), AUTHORIZATION_ABI]


def calldata(req: WriteRequest) -> str:
    """The `...BySig` call of a request, 0x-hex (selector and types derived once from the action table)."""
    selector, types = _encoding(req.action)
    return "0x" + (selector + abi.encode(types, [*req.intent.args, req.intent.authorization])).hex()


def batch_calldata(selector: bytes, calls: list[tuple[str, bytes, int]]) -> str:
    """KPRelayBatch.execute / simulate calldata for (target, call data, gas bound) triples."""
    return "0x" + (selector + abi.encode([CALL_ABI], [calls])).hex()


def encoded_call_bytes(data: str) -> int:
    """What one call (0x-hex call data) adds to the ABI-encoded batch: 160 bytes plus its data padded to 32."""
    size = (len(data) - 2) // 2
    return BATCH_CALL_BYTES + -(-size // 32) * 32


# ---------------------------------------------------------------- gas bounds (KPRelayBatch gives each call its own)

ERC1271_GAS = 100_000  # KPIntents.ERC1271_GAS: the gas a contract signer's isValidSignature is given
CALL_OVERHEAD = 1_000  # KPRelayBatch._CALL_OVERHEAD: gas spent around each call
# the bound a call gets in the simulation: enough for its largest legitimate cost (a base, the ERC-1271 allowance,
# and a share per part of a split, merge, seal or certificate list), never a share of the whole batch
SIMULATION_BASE, SIMULATION_PER_PART = 400_000, 60_000
BOUND_FACTOR, BOUND_MARGIN = 1.2, 20_000  # the bound a call gets in `execute`: its simulated gas with a margin


def parts(req: WriteRequest) -> int:
    """How many parts (children, parcels, HS codes and origins) a request's call handles."""
    return sum(len(v) for v in req.intent.message.values() if isinstance(v, list))


def simulation_bound(req: WriteRequest, ceiling: int) -> int:
    """The call's gas bound in `simulate`: generous for what the action can legitimately cost, at most `ceiling`."""
    return min(ceiling, SIMULATION_BASE + SIMULATION_PER_PART * parts(req))


def execution_bound(simulated: int, contract_signer: bool) -> int:
    """The call's gas bound in `execute`: its simulated gas with a margin, plus, for a contract signer, what
    `KPIntents` must be able to give its isValidSignature (a wallet that used little in the simulation may use up to
    that much for real; it cannot take more, and a call that needs more than its bound fails alone)."""
    bound = int(simulated * BOUND_FACTOR) + BOUND_MARGIN
    return bound + (ERC1271_GAS + ERC1271_GAS // 63 + CALL_OVERHEAD if contract_signer else 0)


def gas_for(bound: int) -> int:
    """What the batch transaction must hold for one call with `bound` (the EVM forwards at most 63/64)."""
    return bound + bound // 63 + CALL_OVERHEAD
