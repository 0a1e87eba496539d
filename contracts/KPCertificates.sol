// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IKPCertificates} from "./interfaces/IKPCertificates.sol";
import {IKPLedger} from "./interfaces/IKPLedger.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {KPIntents} from "./utils/KPIntents.sol";
import {HsCodes} from "./utils/HsCodes.sol";

/**
 * @title KPCertificates
 * @notice Kimberley Process certificates bound to sealed consignments (see {IKPCertificates}).
 * Deployed by its {KPLedger}, the only account that may spend a certificate on a crossing.
 * A certificate is keyed by `keccak256(bytes(number))`.
 */
contract KPCertificates is IKPCertificates, KPIntents {
    uint8 private constant _ROLE_AUTHORITY = 1 << 0;
    uint8 private constant _ROLE_EXPORTER = 1 << 2;

    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "IssueCertificate(string number,string importer,uint256 consignmentId,uint48 points,uint32 parcelCount,uint32[] hsCodes,string[] origins,uint64 issuedAt,uint64 expiresAt,bytes32 documentHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _CONFIRM_TYPEHASH =
        keccak256("ConfirmImport(string number,uint256 nonce,uint256 deadline)");
    bytes32 private constant _DISCREPANCY_TYPEHASH = keccak256(
        "RecordDiscrepancy(string number,uint16 reason,bytes32 evidenceHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _VOID_TYPEHASH =
        keccak256("VoidCertificate(string number,uint16 reason,uint256 nonce,uint256 deadline)");

    IKPRegistry private immutable _registry;
    IKPLedger private immutable _ledger;

    mapping(bytes32 key => Certificate) private _certificates;
    mapping(uint256 consignmentId => bytes32 key) private _current;

    constructor(IKPRegistry registry_, IKPLedger ledger_) EIP712("KPCertificates", "1") {
        _registry = registry_;
        _ledger = ledger_;
    }

    /// @notice The ledger this book belongs to.
    function ledger() external view returns (IKPLedger) {
        return _ledger;
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc IKPCertificates
    function issueCertificate(CertificateRequest calldata request) external returns (bytes32) {
        return _issue(msg.sender, request);
    }

    function issueCertificateBySig(CertificateRequest calldata r, Authorization calldata auth)
        external
        returns (bytes32)
    {
        return _issue(_authorize(_issueStructHash(r, auth), auth), r);
    }

    /// @inheritdoc IKPCertificates
    function confirmImport(string calldata number) external {
        _confirm(msg.sender, number);
    }

    function confirmImportBySig(string calldata number, Authorization calldata auth) external {
        bytes32 structHash =
            keccak256(abi.encode(_CONFIRM_TYPEHASH, keccak256(bytes(number)), auth.nonce, auth.deadline));
        _confirm(_authorize(structHash, auth), number);
    }

    /// @inheritdoc IKPCertificates
    function recordDiscrepancy(string calldata number, uint16 reason, bytes32 evidenceHash) external {
        _discrepancy(msg.sender, number, reason, evidenceHash);
    }

    function recordDiscrepancyBySig(
        string calldata number,
        uint16 reason,
        bytes32 evidenceHash,
        Authorization calldata auth
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(
                _DISCREPANCY_TYPEHASH, keccak256(bytes(number)), reason, evidenceHash, auth.nonce, auth.deadline
            )
        );
        _discrepancy(_authorize(structHash, auth), number, reason, evidenceHash);
    }

    /// @inheritdoc IKPCertificates
    function voidCertificate(string calldata number, uint16 reason) external {
        _void(msg.sender, number, reason);
    }

    function voidCertificateBySig(string calldata number, uint16 reason, Authorization calldata auth) external {
        bytes32 structHash =
            keccak256(abi.encode(_VOID_TYPEHASH, keccak256(bytes(number)), reason, auth.nonce, auth.deadline));
        _void(_authorize(structHash, auth), number, reason);
    }

    /// @inheritdoc IKPCertificates
    function useForCrossing(uint256 consignmentId, bytes2 from, bytes2 to, address importer)
        external
        returns (bytes32 key)
    {
        if (msg.sender != address(_ledger)) revert KPCertificatesOnlyLedger(msg.sender);
        key = _checkCrossing(consignmentId, from, to);
        _certificates[key].status = CertificateStatus.Delivered;
        emit CertificateUsed(key, consignmentId, importer);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IKPCertificates
    function checkCrossing(uint256 consignmentId, bytes2 from, bytes2 to) external view returns (bytes32) {
        return _checkCrossing(consignmentId, from, to);
    }

    /// @inheritdoc IKPCertificates
    function isCovered(uint256 consignmentId) external view returns (bool) {
        Certificate storage c = _certificates[_current[consignmentId]];
        return c.status == CertificateStatus.Issued && block.timestamp <= c.expiresAt;
    }

    /// @inheritdoc IKPCertificates
    function certificate(string calldata number) external view returns (Certificate memory) {
        return _certificates[keccak256(bytes(number))];
    }

    /// @inheritdoc IKPCertificates
    function certificateByKey(bytes32 key) external view returns (Certificate memory) {
        return _certificates[key];
    }

    /// @inheritdoc IKPCertificates
    function certificateOf(uint256 consignmentId) external view returns (bytes32) {
        return _current[consignmentId];
    }

    // ------------------------------------------------------------------ internals

    function _issueStructHash(CertificateRequest calldata r, Authorization calldata auth)
        private
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                _ISSUE_TYPEHASH,
                keccak256(bytes(r.number)),
                keccak256(bytes(r.importer)),
                r.consignmentId,
                r.points,
                r.parcelCount,
                keccak256(abi.encodePacked(r.hsCodes)),
                _hashStrings(r.origins),
                r.issuedAt,
                r.expiresAt,
                r.documentHash,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev The caller's participant, if it is an authority of an active one.
    function _authority(address account) private view returns (bytes2) {
        IKPRegistry.Member memory m = _registry.member(account);
        if (m.roles & _ROLE_AUTHORITY == 0) revert KPCertificatesNotAuthority(account);
        if (m.status != IKPRegistry.ParticipantStatus.Active) revert KPCertificatesParticipantSuspended(m.participant);
        return m.participant;
    }

    /// @dev Upper-case letters, digits and '-', 3..32 characters, starting with `exporter`.
    function _checkNumber(string calldata number, bytes2 exporter) private pure {
        bytes calldata b = bytes(number);
        if (b.length < 3 || b.length > 32 || bytes2(b[:2]) != exporter) revert KPCertificatesInvalidNumber(number);
        for (uint256 i = 2; i < b.length; ++i) {
            bytes1 ch = b[i];
            if (!((ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || ch == "-")) {
                revert KPCertificatesInvalidNumber(number);
            }
        }
    }

    /// @dev An admitted, active participant other than the exporter.
    function _importer(string calldata code, bytes2 exporter) private view returns (bytes2 importer) {
        if (bytes(code).length != 2) revert KPCertificatesNotParticipant(code);
        importer = bytes2(bytes(code));
        (IKPRegistry.ParticipantStatus status,) = _registry.participant(importer);
        if (status == IKPRegistry.ParticipantStatus.None) revert KPCertificatesNotParticipant(code);
        if (status != IKPRegistry.ParticipantStatus.Active) revert KPCertificatesParticipantSuspended(importer);
        if (importer == exporter) revert KPCertificatesSameParticipant(importer);
    }

    function _originMask(string[] calldata origins) private view returns (uint192 mask, bytes2[] memory codes) {
        codes = new bytes2[](origins.length);
        for (uint256 i = 0; i < origins.length; ++i) {
            if (bytes(origins[i]).length != 2) revert KPCertificatesNotParticipant(origins[i]);
            bytes2 code = bytes2(bytes(origins[i]));
            (IKPRegistry.ParticipantStatus status, uint8 index) = _registry.participant(code);
            if (status == IKPRegistry.ParticipantStatus.None) revert KPCertificatesNotParticipant(origins[i]);
            codes[i] = code;
            mask |= uint192(1) << (index - 1);
        }
    }

    function _issue(address authority, CertificateRequest calldata r) private returns (bytes32 key) {
        bytes2 exporter = _authority(authority);
        _checkNumber(r.number, exporter);
        key = keccak256(bytes(r.number));
        if (_certificates[key].status != CertificateStatus.None) revert KPCertificatesNumberTaken(r.number);
        bytes2 importer = _importer(r.importer, exporter);
        if (r.expiresAt <= r.issuedAt || r.expiresAt <= block.timestamp || r.issuedAt > block.timestamp) {
            revert KPCertificatesInvalidValidity(r.issuedAt, r.expiresAt);
        }
        _checkContents(r, exporter);
        Certificate memory cert = Certificate(
            uint40(r.consignmentId), exporter, importer, r.issuedAt, r.expiresAt, CertificateStatus.Issued, r.documentHash
        );
        _certificates[key] = cert;
        _current[r.consignmentId] = key;
        _emitIssued(key, authority, cert, r);
    }

    function _emitIssued(bytes32 key, address authority, Certificate memory cert, CertificateRequest calldata r)
        private
    {
        (, bytes2[] memory origins) = _originMask(r.origins);
        emit CertificateIssued(key, r.consignmentId, authority, r.number, cert, r.points, r.parcelCount, r.hsCodes, origins);
    }

    /// @dev The declared contents must be exactly the consignment's.
    function _checkContents(CertificateRequest calldata r, bytes2 exporter) private view {
        IKPLedger.ConsignmentView memory c = _ledger.consignment(r.consignmentId);
        if (c.status != IKPLedger.ConsignmentStatus.Sealed) revert KPCertificatesConsignmentNotSealed(r.consignmentId);
        IKPRegistry.Member memory holder = _registry.member(c.holder);
        if (holder.participant != exporter || holder.roles & _ROLE_EXPORTER == 0) {
            revert KPCertificatesHolderNotExporter(r.consignmentId, c.holder);
        }
        bytes32 previous = _current[r.consignmentId];
        Certificate storage prev = _certificates[previous];
        if (prev.status == CertificateStatus.Issued && block.timestamp <= prev.expiresAt) {
            revert KPCertificatesConsignmentCertified(r.consignmentId, previous);
        }
        if (c.points != r.points) revert KPCertificatesCaratsMismatch(c.points, r.points);
        if (c.parcelCount != r.parcelCount) revert KPCertificatesParcelCountMismatch(c.parcelCount, r.parcelCount);
        uint8 hsMask = HsCodes.maskOf(r.hsCodes);
        if (hsMask != c.hsMask) revert KPCertificatesHsCodesMismatch(c.hsMask, hsMask);
        (uint192 originMask,) = _originMask(r.origins);
        if (originMask != c.origins) revert KPCertificatesOriginMismatch(c.origins, originMask);
    }

    function _known(string calldata number) private view returns (bytes32 key, Certificate storage c) {
        key = keccak256(bytes(number));
        c = _certificates[key];
        if (c.status == CertificateStatus.None) revert KPCertificatesUnknown(key);
    }

    /// @dev The certificate, if `authority` is an authority of `participant_` and the status is one of `allowed`.
    function _forAuthority(address authority, string calldata number, bool importing, uint256 allowed)
        private
        view
        returns (bytes32 key, Certificate storage c)
    {
        bytes2 p = _authority(authority);
        (key, c) = _known(number);
        bytes2 owner = importing ? c.importer : c.exporter;
        if (p != owner) revert KPCertificatesForeignAuthority(authority, owner);
        if ((allowed >> uint8(c.status)) & 1 == 0) revert KPCertificatesWrongStatus(key, c.status);
    }

    function _confirm(address authority, string calldata number) private {
        uint256 allowed = (1 << uint8(CertificateStatus.Delivered)) | (1 << uint8(CertificateStatus.Disputed));
        (bytes32 key, Certificate storage c) = _forAuthority(authority, number, true, allowed);
        c.status = CertificateStatus.Confirmed;
        emit ImportConfirmed(key, authority);
    }

    function _discrepancy(address authority, string calldata number, uint16 reason, bytes32 evidenceHash) private {
        uint256 allowed = 1 << uint8(CertificateStatus.Delivered);
        (bytes32 key, Certificate storage c) = _forAuthority(authority, number, true, allowed);
        c.status = CertificateStatus.Disputed;
        emit ImportDiscrepancy(key, authority, reason, evidenceHash);
    }

    function _void(address authority, string calldata number, uint16 reason) private {
        bytes2 p = _authority(authority);
        (bytes32 key, Certificate storage c) = _known(number);
        if (p != c.exporter) revert KPCertificatesForeignAuthority(authority, c.exporter);
        if (c.status == CertificateStatus.Voided) revert KPCertificatesVoided(key);
        if (c.status != CertificateStatus.Issued) revert KPCertificatesAlreadyUsed(key);
        c.status = CertificateStatus.Voided;
        emit CertificateVoided(key, authority, reason);
    }

    function _checkCrossing(uint256 consignmentId, bytes2 from, bytes2 to) private view returns (bytes32 key) {
        key = _current[consignmentId];
        if (key == bytes32(0)) revert KPCertificatesNoCertificate(consignmentId);
        Certificate storage c = _certificates[key];
        CertificateStatus status = c.status;
        if (status == CertificateStatus.Voided) revert KPCertificatesVoided(key);
        if (status != CertificateStatus.Issued) revert KPCertificatesAlreadyUsed(key);
        if (block.timestamp > c.expiresAt) revert KPCertificatesExpired(key, c.expiresAt);
        if (c.exporter != from || c.importer != to) revert KPCertificatesRouteMismatch(key, c.exporter, c.importer);
    }
}
