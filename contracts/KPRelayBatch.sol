// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKPRelayBatch} from "./interfaces/IKPRelayBatch.sol";
import {KPRegistry} from "./KPRegistry.sol";
import {KPLedger} from "./KPLedger.sol";
import {KPCertificates} from "./KPCertificates.sol";

/**
 * @title KPRelayBatch
 * @notice Several relayed intents in one transaction (see {IKPRelayBatch} for why it is safe:
 * the ledger authenticates each call by its signature, never by this contract's address).
 * Stateless and ownerless; the targets are fixed at deployment.
 */
contract KPRelayBatch is IKPRelayBatch {
    address private immutable _registry;
    address private immutable _ledger;
    address private immutable _certificates;

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
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool success, bytes memory result) = calls[i].target.call(calls[i].data);
            ok[i] = success;
            if (success) emit RelayCallDone(i);
            else emit RelayCallFailed(i, result);
        }
    }

    /// @inheritdoc IKPRelayBatch
    function simulate(Call[] calldata calls) external {
        _check(calls);
        Outcome[] memory outcomes = new Outcome[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            uint256 before = gasleft();
            (bool success, bytes memory result) = calls[i].target.call(calls[i].data);
            outcomes[i] = Outcome(success, before - gasleft(), result);
        }
        revert KPRelayBatchSimulated(outcomes);
    }

    /// @dev Every call must target a ledger contract and one of its `...BySig` functions.
    function _check(Call[] calldata calls) private view {
        if (calls.length == 0) revert KPRelayBatchEmpty();
        for (uint256 i = 0; i < calls.length; ++i) {
            address target = calls[i].target;
            bytes4 selector = bytes4(calls[i].data[:calls[i].data.length < 4 ? calls[i].data.length : 4]);
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
        return s == KPLedger.registerParcelBySig.selector || s == KPLedger.splitParcelBySig.selector
            || s == KPLedger.mergeParcelsBySig.selector || s == KPLedger.sealConsignmentBySig.selector
            || s == KPLedger.openConsignmentBySig.selector || s == KPLedger.offerBySig.selector
            || s == KPLedger.withdrawOfferBySig.selector || s == KPLedger.acceptOfferBySig.selector
            || s == KPLedger.rejectOfferBySig.selector;
    }

    function _registrySelector(bytes4 s) private pure returns (bool) {
        return s == KPRegistry.admitParticipantBySig.selector || s == KPRegistry.suspendParticipantBySig.selector
            || s == KPRegistry.reinstateParticipantBySig.selector || s == KPRegistry.setAuthorityBySig.selector
            || s == KPRegistry.licenseOperatorBySig.selector || s == KPRegistry.revokeOperatorBySig.selector;
    }

    function _certificatesSelector(bytes4 s) private pure returns (bool) {
        return s == KPCertificates.issueCertificateBySig.selector
            || s == KPCertificates.confirmImportBySig.selector || s == KPCertificates.recordDiscrepancyBySig.selector
            || s == KPCertificates.voidCertificateBySig.selector;
    }
}
