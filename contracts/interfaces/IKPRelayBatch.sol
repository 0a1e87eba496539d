// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Batches of relayed intents in one transaction
 * @notice The relayer packs several participants' signed `...BySig` calls into one transaction.
 * Each call runs on its own: a call that reverts is reported ({RelayCallFailed}, with the
 * contract's revert data) and the others still take effect. After every call exactly one
 * marker event is emitted ({RelayCallDone} or {RelayCallFailed}), so the logs of call `i` are
 * those between marker `i - 1` and marker `i`.
 *
 * Why forwarding through this contract grants nothing: every `...BySig` function authenticates
 * its signer by the EIP-712 signature, nonce and deadline of the intent and never by
 * `msg.sender`; no ledger contract trusts this contract (no ERC-2771 trusted forwarder, no
 * role, no allow-list), and the only `msg.sender`-based check in the ledger (`useForCrossing`,
 * ledger only) refuses it like any other caller. A batch can therefore do nothing its callers
 * could not do by sending the same calls themselves, and anyone may call {execute}. Targets are
 * restricted to the three ledger contracts and selectors to their `...BySig` functions, so the
 * contract is not a general-purpose proxy (it holds no funds and no roles).
 */
interface IKPRelayBatch {
    /// @notice One call of a batch: a ledger contract and the ABI-encoded `...BySig` call.
    struct Call {
        address target;
        bytes data;
    }

    /// @notice What {simulate} reports per call: success, gas used by the call, return or revert data.
    struct Outcome {
        bool ok;
        uint256 gasUsed;
        bytes returnData;
    }

    /// @notice Call `index` of the batch succeeded (its own events precede this one).
    event RelayCallDone(uint256 indexed index);
    /// @notice Call `index` of the batch reverted with `reason` (the target's revert data); its effects were undone.
    event RelayCallFailed(uint256 indexed index, bytes reason);

    /// @notice The target is not one of the ledger's contracts.
    error KPRelayBatchUnknownTarget(address target);
    /// @notice The selector is not one of the relayable `...BySig` functions.
    error KPRelayBatchUnknownSelector(address target, bytes4 selector);
    /// @notice The batch is empty.
    error KPRelayBatchEmpty();
    /// @notice {simulate} always reverts with this error carrying the outcomes (state is never changed).
    error KPRelayBatchSimulated(Outcome[] outcomes);

    /**
     * @notice Runs every call in order; a failing call does not revert the batch.
     * @return ok Whether each call succeeded.
     */
    function execute(Call[] calldata calls) external returns (bool[] memory ok);

    /**
     * @notice Runs the calls like {execute}, then reverts with {KPRelayBatchSimulated}: for
     * `eth_call`, to learn in one round trip which calls would succeed, why the others fail and
     * how much gas each needs. It never changes state.
     */
    function simulate(Call[] calldata calls) external;

    /// @notice The three contracts calls may target.
    function targets() external view returns (address registry, address ledger, address certificates);
}
