// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKPIntents} from "./IKPIntents.sol";

/**
 * @title Kimberley Process certificates anchored on chain
 * @notice The exporting authority issues a certificate for one sealed consignment to one
 * importing participant; the consignment's hand-off across that border spends it; the importing
 * authority then confirms the import (closing it) or records a discrepancy. The exporter and importer
 * accounts are bound at issue: only that exporter may send the consignment across, and only to that
 * importer. The value in USD and the parties' other particulars stay off chain, committed by
 * `documentHash`. A certificate issued in error is voided and may be superseded by a new one for
 * the same consignment that names it in `replaces`.
 */
interface IKPCertificates is IKPIntents {
    enum CertificateStatus {
        None,
        Issued, // valid until expiry for one crossing
        Delivered, // spent: the consignment crossed to the importer
        Confirmed, // the importing authority confirmed the import (closed)
        Disputed, // the importing authority recorded a discrepancy
        Voided // withdrawn by the issuing authority before import
    }

    /// @notice What the exporting authority declares; checked against the consignment.
    struct CertificateRequest {
        string number; // unique, prefixed with the exporter's ISO code, e.g. "BW0012345"
        string importer; // ISO code of the importing participant
        address importerAccount; // a licensed importer of that participant: the only possible recipient
        uint256 consignmentId;
        uint48 points; // total weight, hundredths of a carat
        uint32 parcelCount;
        uint32[] hsCodes; // strictly ascending: 710210, 710221, 710231
        string[] origins; // strictly ascending ISO codes: the mining countries (one unless mixed origin)
        uint64 issuedAt;
        uint64 expiresAt; // at most the registry's maxCertificateValidity after issuedAt
        bytes32 documentHash; // hash of the full certificate document
        string replaces; // "" or the number of the voided certificate of this consignment that this one supersedes
    }

    /// @notice A certificate as stored (see {KPCertificates} for the storage layout).
    struct Certificate {
        uint40 consignmentId;
        bytes2 exporter;
        bytes2 importer;
        uint64 issuedAt;
        uint64 expiresAt;
        CertificateStatus status;
        bytes32 documentHash;
        address exporterAccount; // the exporter holding the consignment at issue
        address importerAccount; // the importer it may be handed to across the border
        bytes32 replaces; // key of the certificate this one supersedes, or 0
        bool superseded; // a later certificate names this (voided) one in `replaces`
    }

    /// @notice The account is not an authority of an active participant.
    error KPCertificatesNotAuthority(address account);
    /// @notice The participant is suspended: the signing authority's, or the importing participant named.
    error KPCertificatesParticipantSuspended(bytes2 participant);
    /// @notice The authority is not an authority of the participant this action belongs to.
    error KPCertificatesForeignAuthority(address account, bytes2 participant);
    /// @notice The number is malformed or not prefixed with the exporter's ISO code.
    error KPCertificatesInvalidNumber(string number);
    /// @notice A certificate with this number exists already.
    error KPCertificatesNumberTaken(string number);
    /// @notice The importer is not an admitted participant (trade with non-participants is forbidden).
    error KPCertificatesNotParticipant(string code);
    /// @notice The importer is the exporter.
    error KPCertificatesSameParticipant(bytes2 participant);
    /// @notice The importer account is not a licensed importer of the importing participant.
    error KPCertificatesNotImporter(address account, bytes2 participant);
    /// @notice Issue and expiry times are inconsistent or already past.
    error KPCertificatesInvalidValidity(uint64 issuedAt, uint64 expiresAt);
    /// @notice The certificate would be valid longer than the registry's maximum (seconds).
    error KPCertificatesValidityTooLong(uint64 issuedAt, uint64 expiresAt, uint64 maxValidity);
    /// @notice HS codes must be listed in strictly ascending order (no duplicates).
    error KPCertificatesHsCodesNotAscending(uint32 previous, uint32 hsCode);
    /// @notice Origins must be listed in strictly ascending order of their ISO codes (no duplicates).
    error KPCertificatesOriginsNotAscending(bytes2 previous, bytes2 origin);
    /// @notice The consignment is offered to someone; a certificate is issued for a consignment at rest.
    error KPCertificatesOfferPending(uint256 consignmentId, address recipient);
    /// @notice The certificate named in `replaces` was already superseded by another.
    error KPCertificatesAlreadySuperseded(bytes32 certificateKey);
    /// @notice The certificate named in `replaces` covers another consignment: a correction is issued for the same goods.
    error KPCertificatesReplacesOtherConsignment(
        bytes32 certificateKey, uint256 replacedConsignmentId, uint256 consignmentId
    );
    /// @notice The consignment is not sealed.
    error KPCertificatesConsignmentNotSealed(uint256 consignmentId);
    /// @notice The consignment is not held by an exporter of the issuing participant.
    error KPCertificatesHolderNotExporter(uint256 consignmentId, address holder);
    /// @notice The consignment is already covered by a live certificate.
    error KPCertificatesConsignmentCertified(uint256 consignmentId, bytes32 certificateKey);
    /// @notice Declared total weight differs from the consignment's.
    error KPCertificatesCaratsMismatch(uint256 actualPoints, uint256 declaredPoints);
    /// @notice Declared parcel count differs from the consignment's.
    error KPCertificatesParcelCountMismatch(uint256 actual, uint256 declared);
    /// @notice Declared HS codes differ from the consignment's (bitmasks).
    error KPCertificatesHsCodesMismatch(uint8 actualMask, uint8 declaredMask);
    /// @notice Declared origins differ from the consignment's (participant bitmasks).
    error KPCertificatesOriginMismatch(uint192 actualMask, uint192 declaredMask);
    /// @notice No certificate has this number / key.
    error KPCertificatesUnknown(bytes32 certificateKey);
    /// @notice The consignment has no certificate.
    error KPCertificatesNoCertificate(uint256 consignmentId);
    /// @notice The certificate was voided.
    error KPCertificatesVoided(bytes32 certificateKey);
    /// @notice The certificate has expired.
    error KPCertificatesExpired(bytes32 certificateKey, uint64 expiresAt);
    /// @notice The certificate was already used for its one shipment.
    error KPCertificatesAlreadyUsed(bytes32 certificateKey);
    /// @notice The certificate names other parties: it may only be used from its exporter account to
    /// its importer account.
    error KPCertificatesPartiesMismatch(bytes32 certificateKey, address exporterAccount, address importerAccount);
    /// @notice The certificate is not in a status that allows this action.
    error KPCertificatesWrongStatus(bytes32 certificateKey, CertificateStatus status);
    /// @notice Only the ledger spends certificates.
    error KPCertificatesOnlyLedger(address caller);

    /// @notice A certificate was issued. Carries every field an indexer needs: `certificate` is
    /// the stored record (participants, accounts, validity, document hash, the certificate it
    /// replaces), the rest the declared contents.
    event CertificateIssued(
        bytes32 indexed certificateKey,
        uint256 indexed consignmentId,
        address indexed authority,
        string number,
        Certificate certificate,
        uint48 points,
        uint32 parcelCount,
        uint32[] hsCodes,
        bytes2[] origins
    );
    /// @notice The consignment crossed the border under this certificate.
    event CertificateUsed(bytes32 indexed certificateKey, uint256 indexed consignmentId, address indexed importer);
    /// @notice The importing authority confirmed the import; the certificate is closed.
    event ImportConfirmed(bytes32 indexed certificateKey, address indexed authority);
    /// @notice The importing authority recorded a discrepancy (reason code, evidence document hash).
    event ImportDiscrepancy(bytes32 indexed certificateKey, address indexed authority, uint16 reason, bytes32 evidenceHash);
    /// @notice The issuing authority voided the certificate.
    event CertificateVoided(bytes32 indexed certificateKey, address indexed authority, uint16 reason);
    /// @notice The voided certificate `replacedKey` is superseded by the certificate `byKey` (emitted
    /// right after the latter's {CertificateIssued}).
    event CertificateSuperseded(bytes32 indexed replacedKey, bytes32 indexed byKey);

    /**
     * @notice Issues a certificate for a sealed consignment held by one of the caller's exporters
     * (the exporter account) to `importerAccount`, a licensed importer of the importing participant.
     * Requirements: caller is an authority of an active participant (the exporter); the importer
     * is another admitted, active participant; the consignment is sealed, not offered, and has no
     * live certificate; weight, parcel count, HS codes and origins (both strictly ascending) match
     * it; issuedAt <= now < expiresAt <= issuedAt + the registry's maxCertificateValidity;
     * `replaces` is "" or names a voided certificate of the same issuing participant and the same
     * consignment, not yet superseded.
     * Emits a {CertificateIssued} event, and a {CertificateSuperseded} event when it replaces one.
     */
    function issueCertificate(CertificateRequest calldata request) external returns (bytes32 certificateKey);

    /// @notice {issueCertificate} signed by the exporting authority and relayed. EIP-712:
    /// `IssueCertificate(string number,string importer,address importerAccount,uint256 consignmentId,uint48 points,uint32 parcelCount,uint32[] hsCodes,string[] origins,uint64 issuedAt,uint64 expiresAt,bytes32 documentHash,string replaces,address signer,uint256 nonce,uint256 deadline)`.
    function issueCertificateBySig(CertificateRequest calldata request, Authorization calldata auth)
        external
        returns (bytes32 certificateKey);

    /**
     * @notice The importing authority confirms receipt, closing the certificate.
     * Requirements: the consignment was delivered under it (or a discrepancy was recorded).
     * Emits an {ImportConfirmed} event.
     */
    function confirmImport(string calldata number) external;

    /// @notice {confirmImport} signed by the importing authority and relayed. EIP-712:
    /// `ConfirmImport(string number,address signer,uint256 nonce,uint256 deadline)`.
    function confirmImportBySig(string calldata number, Authorization calldata auth) external;

    /// @notice The importing authority records a discrepancy. Emits an {ImportDiscrepancy} event.
    function recordDiscrepancy(string calldata number, uint16 reason, bytes32 evidenceHash) external;

    /// @notice {recordDiscrepancy} signed by the importing authority and relayed. EIP-712:
    /// `RecordDiscrepancy(string number,uint16 reason,bytes32 evidenceHash,address signer,uint256 nonce,uint256 deadline)`.
    function recordDiscrepancyBySig(
        string calldata number,
        uint16 reason,
        bytes32 evidenceHash,
        Authorization calldata auth
    ) external;

    /// @notice The issuing authority voids a certificate not yet used. Emits a {CertificateVoided} event.
    function voidCertificate(string calldata number, uint16 reason) external;

    /// @notice {voidCertificate} signed by the issuing authority and relayed. EIP-712:
    /// `VoidCertificate(string number,uint16 reason,address signer,uint256 nonce,uint256 deadline)`.
    function voidCertificateBySig(string calldata number, uint16 reason, Authorization calldata auth) external;

    /// @notice Reverts with the reason unless the consignment may cross now from `from` to `to`
    /// (a live certificate naming them as its exporter and importer accounts).
    function checkCrossing(uint256 consignmentId, address from, address to)
        external
        view
        returns (bytes32 certificateKey);

    /// @notice Spends the consignment's certificate for its crossing from `from` to `to` (ledger only).
    /// Emits a {CertificateUsed} event.
    function useForCrossing(uint256 consignmentId, address from, address to) external returns (bytes32 certificateKey);

    /// @notice Whether the consignment is covered by an issued, unexpired, unused certificate.
    function isCovered(uint256 consignmentId) external view returns (bool);

    /// @notice The certificate with this number (key = keccak256 of the number).
    function certificate(string calldata number) external view returns (Certificate memory);

    /// @notice The certificate with this key.
    function certificateByKey(bytes32 certificateKey) external view returns (Certificate memory);

    /// @notice The key of the last certificate issued for a consignment (0 if none).
    function certificateOf(uint256 consignmentId) external view returns (bytes32);
}
