// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKPRelayBatch} from "./interfaces/IKPRelayBatch.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {IKPLedger} from "./interfaces/IKPLedger.sol";
import {IKPCertificates} from "./interfaces/IKPCertificates.sol";

/**
 * @title KPRelayBatch
 * @notice Several relayed intents in one transaction (see {IKPRelayBatch} for why it is safe:
 * the ledger authenticates each call by its signature, never by this contract's address).
 * Stateless and ownerless; the targets are fixed at deployment.
 */
contract KPRelayBatch is IKPRelayBatch {
    /// @dev Gas spent between the `gasleft()` check and the CALL opcode (warm target, memory already paid).
    uint256 private constant _CALL_OVERHEAD = 1_000;
    /// @dev Gas kept, beyond a call's bound, to finish the batch after it: a base (the final encoding of the
    /// outcomes or of `ok`, in memory that grows with the batch's call data), and per later call the report of
    /// a call not run (its error encoded, its outcome or event). Covered by the relayer's gas overheads.
    uint256 private constant _FINISH_GAS = 300_000;
    uint256 private constant _REPORT_GAS = 5_000;

    address private immutable _registry;
    address private immutable _ledger;
    address private immutable _certificates;

    /// @dev Deployed by scripts/deploy.py and kpledger.chain.deploy with the addresses they just deployed.
    // slither-disable-next-line missing-zero-check
    constructor(address registry_, address ledger_, address certificates_) {
        (_registry, _ledger, _certificates) = (registry_, ledger_, certificates_);
    }

    /// @inheritdoc IKPRelayBatch
    function targets() external view returns (address, address, address) {
        return (_registry, _ledger, _certificates);
    }

    /// @inheritdoc IKPRelayBatch
    function execute(Call[] calldata calls) external returns (bool[] memory ok) {
        _check(calls);
        ok = new bool[](calls.length);
        uint256 reserve = _reserve(calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            // unchecked: one _REPORT_GAS per call was counted in `reserve`
            unchecked {
                reserve -= _REPORT_GAS;
            }
            // the marker event follows the call by design: it closes the call's own logs
            // slither-disable-next-line reentrancy-events
            (bool success, bytes memory result,) = _run(i, reserve, calls[i]);
            ok[i] = success;
            if (success) emit RelayCallDone(i);
            else emit RelayCallFailed(i, result);
        }
    }

    /// @inheritdoc IKPRelayBatch
    function simulate(Call[] calldata calls) external {
        _check(calls);
        Outcome[] memory outcomes = new Outcome[](calls.length);
        uint256 reserve = _reserve(calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            // unchecked: one _REPORT_GAS per call was counted in `reserve`
            unchecked {
                reserve -= _REPORT_GAS;
            }
            (bool success, bytes memory result, uint256 used) = _run(i, reserve, calls[i]);
            outcomes[i] = Outcome(success, used, result);
        }
        revert KPRelayBatchSimulated(outcomes);
    }

    /// @dev The gas kept to finish a batch of `count` calls, plus one report per call (see _FINISH_GAS).
    function _reserve(uint256 count) private pure returns (uint256) {
        return _FINISH_GAS + count * _REPORT_GAS;
    }

    /// @dev Runs call `index` with exactly its gas bound, or, when the gas left cannot give it that and keep
    /// `reserve` to finish the batch, does not run it: (false, KPRelayBatchInsufficientGas, 0).
    function _run(uint256 index, uint256 reserve, Call calldata c)
        private
        returns (bool success, bytes memory result, uint256 used)
    {
        uint256 bound = c.gas;
        // the EVM forwards at most 63/64 of the gas left: the bound must fit in that; then the reserve
        uint256 needed = bound + bound / 63 + _CALL_OVERHEAD + reserve;
        uint256 before = gasleft();
        if (before < needed) {
            return (false, abi.encodeWithSelector(KPRelayBatchInsufficientGas.selector, index, before, needed), 0);
        }
        // Targets are the three ledger contracts and selectors their ...BySig functions (see _check):
        // calling them in a loop is the point of this contract, a failure is reported, not ignored, and
        // their revert data is bounded by their own code (no return bomb from a ledger contract).
        // slither-disable-next-line low-level-calls,calls-loop,return-bomb
        (success, result) = c.target.call{gas: bound}(c.data);
        used = before - gasleft();
    }

    /// @dev Every call must target a ledger contract and one of its `...BySig` functions.
    function _check(Call[] calldata calls) private view {
        if (calls.length == 0) revert KPRelayBatchEmpty();
        for (uint256 i = 0; i < calls.length; ++i) {
            address target = calls[i].target;
            bytes calldata data = calls[i].data;
            bytes4 selector = bytes4(data[:data.length < 4 ? data.length : 4]);
            if (target == _ledger) {
                if (!_ledgerSelector(selector)) revert KPRelayBatchUnknownSelector(target, selector);
            } else if (target == _registry) {
                if (!_registrySelector(selector)) revert KPRelayBatchUnknownSelector(target, selector);
            } else if (target == _certificates) {
                if (!_certificatesSelector(selector)) revert KPRelayBatchUnknownSelector(target, selector);
            } else {
                revert KPRelayBatchUnknownTarget(target);
            }
        }
    }

    function _ledgerSelector(bytes4 s) private pure returns (bool) {
        return s == IKPLedger.registerParcelBySig.selector || s == IKPLedger.splitParcelBySig.selector
            || s == IKPLedger.mergeParcelsBySig.selector || s == IKPLedger.sealConsignmentBySig.selector
            || s == IKPLedger.openConsignmentBySig.selector || s == IKPLedger.offerBySig.selector
            || s == IKPLedger.withdrawOfferBySig.selector || s == IKPLedger.acceptOfferBySig.selector
            || s == IKPLedger.rejectOfferBySig.selector;
    }

    function _registrySelector(bytes4 s) private pure returns (bool) {
        return s == IKPRegistry.admitParticipantBySig.selector || s == IKPRegistry.suspendParticipantBySig.selector
            || s == IKPRegistry.reinstateParticipantBySig.selector || s == IKPRegistry.appointAuthorityBySig.selector
            || s == IKPRegistry.dismissAuthorityBySig.selector
            || s == IKPRegistry.setMaxCertificateValidityBySig.selector
            || s == IKPRegistry.licenseOperatorBySig.selector || s == IKPRegistry.updateOperatorProfileBySig.selector
            || s == IKPRegistry.revokeOperatorBySig.selector;
    }

    function _certificatesSelector(bytes4 s) private pure returns (bool) {
        return s == IKPCertificates.issueCertificateBySig.selector
            || s == IKPCertificates.confirmImportBySig.selector
            || s == IKPCertificates.recordDiscrepancyBySig.selector
            || s == IKPCertificates.voidCertificateBySig.selector;
    }
}
