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
 *
 * Why each call has its own gas bound: a request can cost more when executed than when simulated
 * (a signer's ERC-1271 wallet may behave differently, or state changed in between). With its own
 * bound, such a call fails alone ({RelayCallFailed}, out of gas) and the batch's other calls take
 * effect; without it, one call could consume the whole transaction's gas.
 *
 * Why a call that cannot be given its bound is skipped, not the batch reverted: a call runs only when
 * the gas left covers its whole bound under the 63/64 rule plus a reserve to report the calls after it
 * and finish the batch; otherwise it is not run and reported failed with {KPRelayBatchInsufficientGas}
 * (as {simulate}'s outcome, or {RelayCallFailed}'s reason), and the batch goes on with the next call.
 * So no call, however large its bound or whatever the calls ahead of it used, can make the others fail:
 * the relayer simulates more calls than one transaction may hold and sends again, in a later batch,
 * those that were not run.
 */
interface IKPRelayBatch {
    /// @notice One call of a batch: a ledger contract, the ABI-encoded `...BySig` call, and the most
    /// gas the call may use (it runs with exactly this gas limit; past it, it fails alone).
    struct Call {
        address target;
        bytes data;
        uint256 gas;
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
    /// @notice Call `index` was not run: the gas left in its batch could not give it its gas bound (submit the
    /// same request again). A call's outcome or failure reason, never a revert of the batch.
    error KPRelayBatchInsufficientGas(uint256 index, uint256 gasLeft, uint256 needed);
    /// @notice {simulate} always reverts with this error carrying the outcomes (state is never changed).
    error KPRelayBatchSimulated(Outcome[] outcomes);

    /**
     * @notice Runs every call in order, each with its own gas bound; a failing call (including one
     * that runs out of its gas) does not revert the batch. A call that the gas left cannot give its
     * whole bound and the reserve to finish the batch is not run: {RelayCallFailed} with
     * {KPRelayBatchInsufficientGas}.
     * Emits {RelayCallDone} or {RelayCallFailed} after each call (run or not).
     * @return ok Whether each call succeeded.
     */
    function execute(Call[] calldata calls) external returns (bool[] memory ok);

    /**
     * @notice Runs the calls like {execute} (each with its gas bound: pass a generous one), then
     * reverts with {KPRelayBatchSimulated}: for `eth_call`, to learn in one round trip which calls
     * would succeed, why the others fail and how much gas each used. It never changes state. A call
     * that was not run has the outcome (false, 0, {KPRelayBatchInsufficientGas}); the calls after it
     * still run (without its effects), so give the `eth_call` as much gas as the calls should share.
     * Requirements: gas for the reserve to report every call (300,000 plus 5,000 per call) besides the
     * calls' own.
     * A call by a contract signer needs a bound of at least its gas used plus the ERC-1271
     * allowance (`ERC1271_GAS()` of the target), which must be available when its wallet is called.
     */
    function simulate(Call[] calldata calls) external;

    /// @notice The three contracts calls may target.
    function targets() external view returns (address registry, address ledger, address certificates);
}
