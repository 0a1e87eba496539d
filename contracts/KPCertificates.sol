// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IKPCertificates} from "./interfaces/IKPCertificates.sol";
import {IKPLedger} from "./interfaces/IKPLedger.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {KPIntents} from "./utils/KPIntents.sol";
import {HsCodes} from "./utils/HsCodes.sol";
import {KPRoles} from "./utils/KPRoles.sol";

/**
 * @title KPCertificates
 * @notice Kimberley Process certificates bound to sealed consignments (see {IKPCertificates}).
 * Deployed by its {KPLedger}, the only account that may spend a certificate on a crossing.
 * A certificate is keyed by `keccak256(bytes(number))`. Direct functions read the caller as
 * `msg.sender` (no forwarder is trusted; `useForCrossing` must see the ledger itself).
 */
contract KPCertificates is IKPCertificates, KPIntents {
    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "IssueCertificate(string number,string importer,address importerAccount,uint256 consignmentId,uint48 points,uint32 parcelCount,uint32[] hsCodes,string[] origins,uint64 issuedAt,uint64 expiresAt,bytes32 documentHash,string replaces,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _CONFIRM_TYPEHASH =
        keccak256("ConfirmImport(string number,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _DISCREPANCY_TYPEHASH = keccak256(
        "RecordDiscrepancy(string number,uint16 reason,bytes32 evidenceHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _VOID_TYPEHASH =
        keccak256("VoidCertificate(string number,uint16 reason,address signer,uint256 nonce,uint256 deadline)");

    /**
     * @dev Storage of a certificate, packed around the crossing. Slot 0 holds all a crossing
     * checks and the status it writes (exporter account, status, expiry, route); slot 1 what it
     * also reads (importer account) with the rest of the fixed record; slot 2 the document hash;
     * slot 3 is written only by a certificate that supersedes another. Times are uint40 seconds
     * (good until the year 36812), converted with SafeCast from the request's uint64.
     */
    struct Record {
        // slot 0
        address exporterAccount;
        CertificateStatus status;
        uint40 expiresAt;
        bytes2 exporter;
        bytes2 importer;
        // slot 1
        address importerAccount;
        uint40 consignmentId;
        uint40 issuedAt;
        bool superseded;
        // slot 2
        bytes32 documentHash;
        // slot 3
        bytes32 replaces;
    }

    IKPRegistry private immutable _registry;
    IKPLedger private immutable _ledger;

    mapping(bytes32 key => Record) private _records;
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

    /// @inheritdoc IKPCertificates
    function issueCertificateBySig(CertificateRequest calldata r, Authorization calldata auth)
        external
        returns (bytes32)
    {
        return _issue(_authorize(_issueFields(r), auth), r);
    }

    /// @inheritdoc IKPCertificates
    function confirmImport(string calldata number) external {
        _confirm(msg.sender, number);
    }

    /// @inheritdoc IKPCertificates
    function confirmImportBySig(string calldata number, Authorization calldata auth) external {
        _confirm(_authorize(abi.encode(_CONFIRM_TYPEHASH, keccak256(bytes(number))), auth), number);
    }

    /// @inheritdoc IKPCertificates
    function recordDiscrepancy(string calldata number, uint16 reason, bytes32 evidenceHash) external {
        _discrepancy(msg.sender, number, reason, evidenceHash);
    }

    /// @inheritdoc IKPCertificates
    function recordDiscrepancyBySig(
        string calldata number,
        uint16 reason,
        bytes32 evidenceHash,
        Authorization calldata auth
    ) external {
        bytes memory fields = abi.encode(_DISCREPANCY_TYPEHASH, keccak256(bytes(number)), reason, evidenceHash);
        _discrepancy(_authorize(fields, auth), number, reason, evidenceHash);
    }

    /// @inheritdoc IKPCertificates
    function voidCertificate(string calldata number, uint16 reason) external {
        _void(msg.sender, number, reason);
    }

    /// @inheritdoc IKPCertificates
    function voidCertificateBySig(string calldata number, uint16 reason, Authorization calldata auth) external {
        _void(_authorize(abi.encode(_VOID_TYPEHASH, keccak256(bytes(number)), reason), auth), number, reason);
    }

    /// @inheritdoc IKPCertificates
    function useForCrossing(uint256 consignmentId, address from, address to) external returns (bytes32 key) {
        if (msg.sender != address(_ledger)) revert KPCertificatesOnlyLedger(msg.sender);
        key = _checkCrossing(consignmentId, from, to);
        _records[key].status = CertificateStatus.Delivered;
        emit CertificateUsed(key, consignmentId, to);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IKPCertificates
    function checkCrossing(uint256 consignmentId, address from, address to) external view returns (bytes32) {
        return _checkCrossing(consignmentId, from, to);
    }

    /// @inheritdoc IKPCertificates
    function isCovered(uint256 consignmentId) external view returns (bool) {
        Record storage c = _records[_current[consignmentId]];
        // validity is counted in days: seconds of drift by a block producer do not matter
        // slither-disable-next-line timestamp
        return c.status == CertificateStatus.Issued && block.timestamp <= c.expiresAt;
    }

    /// @inheritdoc IKPCertificates
    function certificate(string calldata number) external view returns (Certificate memory) {
        return _view(keccak256(bytes(number)));
    }

    /// @inheritdoc IKPCertificates
    function certificateByKey(bytes32 key) external view returns (Certificate memory) {
        return _view(key);
    }

    /// @inheritdoc IKPCertificates
    function certificateOf(uint256 consignmentId) external view returns (bytes32) {
        return _current[consignmentId];
    }

    // ------------------------------------------------------------------ internals: issue

    /// @dev `abi.encode` of the IssueCertificate typehash and fields (EIP-712), for {_authorize}.
    function _issueFields(CertificateRequest calldata r) private pure returns (bytes memory) {
        return abi.encode(
            _ISSUE_TYPEHASH,
            keccak256(bytes(r.number)),
            keccak256(bytes(r.importer)),
            r.importerAccount,
            r.consignmentId,
            r.points,
            r.parcelCount,
            keccak256(abi.encodePacked(r.hsCodes)),
            _hashStrings(r.origins),
            r.issuedAt,
            r.expiresAt,
            r.documentHash,
            keccak256(bytes(r.replaces))
        );
    }

    function _issue(address authority, CertificateRequest calldata r) private returns (bytes32 key) {
        bytes2 exporter = _authority(authority);
        _checkNumber(r.number, exporter);
        key = keccak256(bytes(r.number));
        if (_records[key].status != CertificateStatus.None) revert KPCertificatesNumberTaken(r.number);
        bytes2 importer = _importer(r.importer, exporter, r.importerAccount);
        _checkValidity(r.issuedAt, r.expiresAt);
        (address exporterAccount, bytes2[] memory origins) = _checkContents(r, exporter);
        bytes32 replaced = _checkReplaces(r.replaces, r.consignmentId, exporter, authority);
        _store(key, r, exporterAccount, exporter, importer);
        _current[r.consignmentId] = key;
        if (replaced != bytes32(0)) {
            _records[key].replaces = replaced;
            _records[replaced].superseded = true;
        }
        _emitIssued(key, authority, r, origins);
        if (replaced != bytes32(0)) emit CertificateSuperseded(replaced, key);
    }

    function _store(
        bytes32 key,
        CertificateRequest calldata r,
        address exporterAccount,
        bytes2 exporter,
        bytes2 importer
    ) private {
        Record storage c = _records[key];
        (c.exporterAccount, c.status, c.expiresAt, c.exporter, c.importer) =
            (exporterAccount, CertificateStatus.Issued, SafeCast.toUint40(r.expiresAt), exporter, importer);
        (c.importerAccount, c.consignmentId, c.issuedAt) =
            (r.importerAccount, SafeCast.toUint40(r.consignmentId), SafeCast.toUint40(r.issuedAt));
        c.documentHash = r.documentHash;
    }

    /// @dev Emitted from here, with the stored record read back, to keep {_issue}'s stack shallow.
    function _emitIssued(bytes32 key, address authority, CertificateRequest calldata r, bytes2[] memory origins)
        private
    {
        emit CertificateIssued(
            key, r.consignmentId, authority, r.number, _view(key), r.points, r.parcelCount, r.hsCodes, origins
        );
    }

    /// @dev The caller's participant, if it is an authority of an active one.
    function _authority(address account) private view returns (bytes2) {
        IKPRegistry.Member memory m = _registry.member(account);
        if (m.roles & KPRoles.AUTHORITY == 0) revert KPCertificatesNotAuthority(account);
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

    /// @dev An admitted, active participant other than the exporter, and one of its licensed importers.
    function _importer(string calldata code, bytes2 exporter, address account) private view returns (bytes2 importer) {
        if (bytes(code).length != 2) revert KPCertificatesNotParticipant(code);
        importer = bytes2(bytes(code));
        // the origin-bitmask index is not needed for the importer
        // slither-disable-next-line unused-return
        (IKPRegistry.ParticipantStatus status,) = _registry.participant(importer);
        if (status == IKPRegistry.ParticipantStatus.None) revert KPCertificatesNotParticipant(code);
        if (status != IKPRegistry.ParticipantStatus.Active) revert KPCertificatesParticipantSuspended(importer);
        if (importer == exporter) revert KPCertificatesSameParticipant(importer);
        IKPRegistry.Member memory m = _registry.member(account);
        if (m.participant != importer || m.roles & KPRoles.IMPORTER == 0) {
            revert KPCertificatesNotImporter(account, importer);
        }
    }

    /// @dev issuedAt <= now < expiresAt, and no longer than the registry's maximum.
    function _checkValidity(uint64 issuedAt, uint64 expiresAt) private view {
        // validity is counted in days: seconds of drift by a block producer do not matter
        // slither-disable-next-line timestamp
        if (expiresAt <= issuedAt || expiresAt <= block.timestamp || issuedAt > block.timestamp) {
            revert KPCertificatesInvalidValidity(issuedAt, expiresAt);
        }
        uint64 max = _registry.maxCertificateValidity();
        if (expiresAt - issuedAt > max) revert KPCertificatesValidityTooLong(issuedAt, expiresAt, max);
    }

    /// @dev The declared contents must be exactly the consignment's; returns its holder and the origin codes.
    function _checkContents(CertificateRequest calldata r, bytes2 exporter)
        private
        view
        returns (address holder, bytes2[] memory origins)
    {
        IKPLedger.ConsignmentView memory c = _ledger.consignment(r.consignmentId);
        if (c.status != IKPLedger.ConsignmentStatus.Sealed) revert KPCertificatesConsignmentNotSealed(r.consignmentId);
        holder = c.holder;
        IKPRegistry.Member memory m = _registry.member(holder);
        if (m.participant != exporter || m.roles & KPRoles.EXPORTER == 0) {
            revert KPCertificatesHolderNotExporter(r.consignmentId, holder);
        }
        bytes32 previous = _current[r.consignmentId];
        Record storage prev = _records[previous];
        // validity is counted in days: seconds of drift by a block producer do not matter
        // slither-disable-next-line timestamp
        if (prev.status == CertificateStatus.Issued && block.timestamp <= prev.expiresAt) {
            revert KPCertificatesConsignmentCertified(r.consignmentId, previous);
        }
        address pending = _ledger.offerOf(r.consignmentId);
        if (pending != address(0)) revert KPCertificatesOfferPending(r.consignmentId, pending);
        if (c.points != r.points) revert KPCertificatesCaratsMismatch(c.points, r.points);
        if (c.parcelCount != r.parcelCount) revert KPCertificatesParcelCountMismatch(c.parcelCount, r.parcelCount);
        uint8 hsMask = _hsMask(r.hsCodes);
        if (hsMask != c.hsMask) revert KPCertificatesHsCodesMismatch(c.hsMask, hsMask);
        uint192 originMask;
        (originMask, origins) = _originMask(r.origins);
        if (originMask != c.origins) revert KPCertificatesOriginMismatch(c.origins, originMask);
    }

    /// @dev Bitmask (bit 1 << hs) of a strictly ascending list of six-digit HS codes (so at most three).
    function _hsMask(uint32[] calldata hsCodes) private pure returns (uint8 mask) {
        for (uint256 i = 0; i < hsCodes.length; ++i) {
            if (i != 0 && hsCodes[i] <= hsCodes[i - 1]) revert KPCertificatesHsCodesNotAscending(hsCodes[i - 1], hsCodes[i]);
            mask |= uint8(1 << HsCodes.fromCode(hsCodes[i]));
        }
    }

    /// @dev Participant bitmask and codes of a strictly ascending list of admitted participants'
    /// ISO codes (so at most one entry per participant).
    function _originMask(string[] calldata origins) private view returns (uint192 mask, bytes2[] memory codes) {
        codes = new bytes2[](origins.length);
        for (uint256 i = 0; i < origins.length; ++i) {
            if (bytes(origins[i]).length != 2) revert KPCertificatesNotParticipant(origins[i]);
            bytes2 code = bytes2(bytes(origins[i]));
            if (i != 0 && code <= codes[i - 1]) revert KPCertificatesOriginsNotAscending(codes[i - 1], code);
            // bounded: strictly ascending codes of admitted participants, at most 192 of them
            // slither-disable-next-line calls-loop
            (IKPRegistry.ParticipantStatus status, uint8 index) = _registry.participant(code);
            if (status == IKPRegistry.ParticipantStatus.None) revert KPCertificatesNotParticipant(origins[i]);
            codes[i] = code;
            mask |= uint192(1) << (index - 1);
        }
    }

    /// @dev The key of the certificate `number` supersedes (0 for ""): an existing, voided certificate
    /// of the same issuing participant and the same consignment (a correction is for the same goods:
    /// naming another consignment's certificate would rewrite that one's record), not superseded yet.
    function _checkReplaces(string calldata number, uint256 consignmentId, bytes2 exporter, address authority)
        private
        view
        returns (bytes32 key)
    {
        if (bytes(number).length == 0) return bytes32(0);
        Record storage old;
        (key, old) = _known(number);
        if (old.exporter != exporter) revert KPCertificatesForeignAuthority(authority, old.exporter);
        if (old.status != CertificateStatus.Voided) revert KPCertificatesWrongStatus(key, old.status);
        if (old.consignmentId != consignmentId) {
            revert KPCertificatesReplacesOtherConsignment(key, old.consignmentId, consignmentId);
        }
        if (old.superseded) revert KPCertificatesAlreadySuperseded(key);
    }

    // ------------------------------------------------------------------ internals: after issue

    function _known(string calldata number) private view returns (bytes32 key, Record storage c) {
        key = keccak256(bytes(number));
        c = _records[key];
        if (c.status == CertificateStatus.None) revert KPCertificatesUnknown(key);
    }

    /// @dev The certificate, if `authority` is an authority of its importer (or exporter) and its
    /// status is one of `allowed` (a bitmask of 1 << status).
    function _forAuthority(address authority, string calldata number, bool importing, uint256 allowed)
        private
        view
        returns (bytes32 key, Record storage c)
    {
        bytes2 p = _authority(authority);
        (key, c) = _known(number);
        bytes2 owner = importing ? c.importer : c.exporter;
        if (p != owner) revert KPCertificatesForeignAuthority(authority, owner);
        if ((allowed >> uint8(c.status)) & 1 == 0) revert KPCertificatesWrongStatus(key, c.status);
    }

    function _confirm(address authority, string calldata number) private {
        uint256 allowed = (1 << uint8(CertificateStatus.Delivered)) | (1 << uint8(CertificateStatus.Disputed));
        (bytes32 key, Record storage c) = _forAuthority(authority, number, true, allowed);
        c.status = CertificateStatus.Confirmed;
        emit ImportConfirmed(key, authority);
    }

    function _discrepancy(address authority, string calldata number, uint16 reason, bytes32 evidenceHash) private {
        uint256 allowed = 1 << uint8(CertificateStatus.Delivered);
        (bytes32 key, Record storage c) = _forAuthority(authority, number, true, allowed);
        c.status = CertificateStatus.Disputed;
        emit ImportDiscrepancy(key, authority, reason, evidenceHash);
    }

    function _void(address authority, string calldata number, uint16 reason) private {
        bytes2 p = _authority(authority);
        (bytes32 key, Record storage c) = _known(number);
        if (p != c.exporter) revert KPCertificatesForeignAuthority(authority, c.exporter);
        if (c.status == CertificateStatus.Voided) revert KPCertificatesVoided(key);
        if (c.status != CertificateStatus.Issued) revert KPCertificatesAlreadyUsed(key);
        c.status = CertificateStatus.Voided;
        emit CertificateVoided(key, authority, reason);
    }

    function _checkCrossing(uint256 consignmentId, address from, address to) private view returns (bytes32 key) {
        key = _current[consignmentId];
        if (key == bytes32(0)) revert KPCertificatesNoCertificate(consignmentId);
        Record storage c = _records[key];
        CertificateStatus status = c.status;
        if (status == CertificateStatus.Voided) revert KPCertificatesVoided(key);
        if (status != CertificateStatus.Issued) revert KPCertificatesAlreadyUsed(key);
        // validity is counted in days: seconds of drift by a block producer do not matter
        // slither-disable-next-line timestamp
        if (block.timestamp > c.expiresAt) revert KPCertificatesExpired(key, c.expiresAt);
        if (c.exporterAccount != from || c.importerAccount != to) {
            revert KPCertificatesPartiesMismatch(key, c.exporterAccount, c.importerAccount);
        }
    }

    function _view(bytes32 key) private view returns (Certificate memory v) {
        Record storage c = _records[key];
        v.consignmentId = c.consignmentId;
        v.exporter = c.exporter;
        v.importer = c.importer;
        v.issuedAt = c.issuedAt;
        v.expiresAt = c.expiresAt;
        v.status = c.status;
        v.documentHash = c.documentHash;
        v.exporterAccount = c.exporterAccount;
        v.importerAccount = c.importerAccount;
        v.replaces = c.replaces;
        v.superseded = c.superseded;
    }
}
