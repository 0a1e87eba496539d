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
# the outcome (false, 0, KPRelayBatchInsufficientGas(index, gasLeft, needed)) of a call the batch did not run
NOT_RUN_SELECTOR = keccak(text="KPRelayBatchInsufficientGas(uint256,uint256,uint256)")[:4]

# a batch's size is its ABI-encoded `execute` calldata (the simulation request and the signed transaction each carry
# it once, hex-encoded: twice as many characters)
BATCH_HEAD_BYTES = 4 + 32 + 32  # selector, offset of the array, its length
BATCH_CALL_BYTES = 32 + 4 * 32  # per call: its offset, then (address, offset of data, gas bound, data length)


@cache
def _encoding(action: str) -> tuple[bytes, list[str]]:
    spec = ACTIONS[action]
    return function_signature_to_4byte_selector(spec.signature), [*spec.abi_types(), AUTHORIZATION_ABI]


def calldata(req: WriteRequest) -> bytes:
    """The `...BySig` call of a request (selector and types derived once from the action table). Calldata stays
    bytes through the relayer; it becomes 0x-hex only in a JSON-RPC request's parameters."""
    selector, types = _encoding(req.action)
    return selector + abi.encode(types, [*req.intent.args, req.intent.authorization])


def batch_calldata(selector: bytes, calls: list[tuple[str, bytes, int]]) -> bytes:
    """KPRelayBatch.execute / simulate calldata for (target, call data, gas bound) triples."""
    return selector + abi.encode([CALL_ABI], [calls])


def encoded_call_bytes(data: bytes) -> int:
    """What one call adds to the ABI-encoded batch: 160 bytes plus its data padded to 32."""
    return BATCH_CALL_BYTES + -(-len(data) // 32) * 32


# ---------------------------------------------------------------- gas bounds (KPRelayBatch gives each call its own)

ERC1271_GAS = 100_000  # KPIntents.ERC1271_GAS: the gas a contract signer's isValidSignature is given
CALL_OVERHEAD = 1_000  # KPRelayBatch._CALL_OVERHEAD: gas spent around each call
# KPRelayBatch._FINISH_GAS, _REPORT_GAS: a call runs only if the gas left also keeps this much to finish the batch,
# plus this much per later call (the report of a call not run); the batch transaction's gas includes them
FINISH_GAS, REPORT_GAS = 300_000, 5_000
# the bound a call gets in the simulation: its action's largest legitimate cost, never a share of the batch: a base
# (the signature, an ERC-1271 wallet's allowance, the longest strings) and a share per part (a split's child, a
# merge's or a seal's parcel, a certificate's HS code or origin). Measured with 256 parts by a contract signer
# (tests/relay/test_bounds.py): a split ~51.5k per child (a parcel stored, its event), a merge or a seal ~11k
# per parcel (read and updated); a certificate's origin (a registry read) costs less, not measured at 192 origins.
SIMULATION_BASE = 400_000
SIMULATION_PER_PART = {"SplitParcel": 60_000}
DEFAULT_PER_PART = 15_000
BOUND_FACTOR, BOUND_MARGIN = 1.2, 20_000  # the bound a call gets in `execute`: its simulated gas with a margin


def parts(req: WriteRequest) -> int:
    """How many parts (children, parcels, HS codes and origins) a request's call handles."""
    return sum(len(v) for v in req.intent.message.values() if isinstance(v, list))


def legitimate_bound(req: WriteRequest) -> int:
    """The most gas the request's call can legitimately cost: a base and its action's share per part."""
    return SIMULATION_BASE + SIMULATION_PER_PART.get(req.action, DEFAULT_PER_PART) * parts(req)


def simulation_bound(req: WriteRequest, ceiling: int) -> int:
    """The call's gas bound in `simulate`: what it can legitimately cost, at most `ceiling` (a batch's cap)."""
    return min(ceiling, legitimate_bound(req))


def execution_bound(simulated: int, contract_signer: bool) -> int:
    """The call's gas bound in `execute`: its simulated gas with a margin, plus, for a contract signer, what
    `KPIntents` must be able to give its isValidSignature (a wallet that used little in the simulation may use up to
    that much for real; it cannot take more, and a call that needs more than its bound fails alone)."""
    bound = int(simulated * BOUND_FACTOR) + BOUND_MARGIN
    return bound + (ERC1271_GAS + ERC1271_GAS // 63 + CALL_OVERHEAD if contract_signer else 0)


def gas_for(bound: int) -> int:
    """What the batch transaction must hold for one call with `bound` (the EVM forwards at most 63/64)."""
    return bound + bound // 63 + CALL_OVERHEAD


def not_run(data: bytes) -> bool:
    """Whether a simulated outcome's data says the batch did not run the call (the gas left could not give it its
    bound): it has no outcome yet, and goes to a later batch."""
    return data[:4] == NOT_RUN_SELECTOR
