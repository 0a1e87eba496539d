// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKPIntents} from "./IKPIntents.sol";

/**
 * @title Kimberley Process parcel and custody ledger
 * @notice Rough-diamond parcels from the mine onwards, sealed consignments, and two-phase
 * custody hand-offs. Parcels and consignments share one id space ("lots"), so a hand-off names
 * a lot whatever it is. Weights are in points (hundredths of a carat). HS codes are written as
 * the six digits of the heading: 710210 (unsorted), 710221 (industrial), 710231 (non-industrial).
 *
 * Every actor must be a licensed operator of an active participant (checked on every write, on
 * both sides of a hand-off, at the offer and again at the acceptance).
 */
interface IKPLedger is IKPIntents {
    enum ParcelStatus {
        None,
        Live,
        Closed // split or merged into other parcels: never moves again
    }

    enum ConsignmentStatus {
        None,
        Sealed,
        Opened, // the holder broke the seal; its parcels move on their own
        Compromised // a recipient attested a different seal: it may only be opened
    }

    /// @notice One child of a split.
    struct Child {
        uint48 points;
        uint32 stones;
        uint32 hsCode;
        bytes32 documentHash;
    }

    /// @notice A parcel as stored (holder resolved through its consignment when inside one).
    struct ParcelView {
        address holder;
        uint48 points;
        uint40 consignmentId;
        ParcelStatus status;
        uint32 hsCode;
        uint192 origins; // bitmask of registry participant indexes (more than one bit: mixed origin)
        bool sealed_; // inside a consignment that is not opened
    }

    /// @notice A consignment as stored.
    struct ConsignmentView {
        address holder;
        uint32 parcelCount;
        ConsignmentStatus status;
        uint8 hsMask; // bit (1 << i) for HS code i: 1 unsorted, 2 industrial, 3 non-industrial
        bytes32 sealId;
        uint192 origins;
        uint48 points;
    }

    /// @notice The account is not a licensed operator of any participant.
    error KPLedgerNotOperator(address account);
    /// @notice The account lacks a role this action needs (registry role bit).
    error KPLedgerMissingRole(address account, uint8 role);
    /// @notice The account's participant is suspended.
    error KPLedgerParticipantSuspended(bytes2 participant);
    /// @notice A producer registers only parcels mined in its own participant.
    error KPLedgerOriginNotProducerCountry(string origin, bytes2 producerParticipant);
    /// @notice A parcel must weigh something.
    error KPLedgerZeroWeight();
    /// @notice No parcel or consignment has this id.
    error KPLedgerUnknownLot(uint256 lotId);
    /// @notice The account does not hold the lot.
    error KPLedgerNotHolder(uint256 lotId, address account);
    /// @notice The parcel was split or merged and never moves again.
    error KPLedgerParcelClosed(uint256 parcelId);
    /// @notice The parcel is inside a sealed consignment and moves only with it.
    error KPLedgerParcelSealed(uint256 parcelId, uint256 consignmentId);
    /// @notice The lot is offered to someone; withdraw the offer first.
    error KPLedgerOfferPending(uint256 lotId, address recipient);
    /// @notice The lot has no open offer.
    error KPLedgerNoOffer(uint256 lotId);
    /// @notice Only the named recipient may answer the offer.
    error KPLedgerNotRecipient(uint256 lotId, address account);
    /// @notice A hand-off to oneself.
    error KPLedgerSelfTransfer(uint256 lotId);
    /// @notice Split children do not add up to the parent's weight.
    error KPLedgerCaratsNotConserved(uint256 parcelId, uint256 expectedPoints, uint256 actualPoints);
    /// @notice Too few or too many parts in a split, merge or consignment.
    error KPLedgerBadPartCount(uint256 count, uint256 min, uint256 max);
    /// @notice Parcel lists must be strictly ascending (which also rules out naming one twice).
    error KPLedgerParcelsNotAscending(uint256 previousId, uint256 id);
    /// @notice A sorted parcel cannot be split into another HS code.
    error KPLedgerHsReclassification(uint256 parcelId, uint32 fromHsCode, uint32 toHsCode);
    /// @notice Merged parcels must all have the same HS code (`expected`, the first parcel's).
    error KPLedgerHsCodesDiffer(uint256 parcelId, uint32 hsCode, uint32 expected);
    /// @notice The consignment is not sealed (opened or compromised).
    error KPLedgerConsignmentNotSealed(uint256 consignmentId, ConsignmentStatus status);
    /// @notice The consignment is covered by a live certificate: it may only cross to the certificate's
    /// importer; the issuing authority voids the certificate before it is opened or handed on at home.
    error KPLedgerConsignmentCertified(uint256 consignmentId);
    /// @notice The seal named by the sender is not the consignment's seal.
    error KPLedgerSealMismatch(uint256 lotId, bytes32 expected, bytes32 given);
    /// @notice A seal id must not be zero.
    error KPLedgerZeroSeal();
    /// @notice Crossing a border requires a sealed consignment covered by a KP certificate.
    error KPLedgerCertificateRequired(uint256 lotId, bytes2 fromParticipant, bytes2 toParticipant);

    /// @notice A producer registered a parcel at its origin.
    event ParcelRegistered(
        uint256 indexed parcelId,
        address indexed producer,
        bytes2 indexed origin,
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        bytes32 documentHash
    );
    /// @notice Part of a split: `childId` was cut from `parentId` (which is closed); origins are inherited.
    event ParcelSplit(
        uint256 indexed parentId,
        uint256 indexed childId,
        address indexed holder,
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        bytes32 documentHash
    );
    /// @notice `parcelId` was formed from `sourceIds` (all closed); origins are the union of theirs.
    event ParcelsMerged(
        uint256 indexed parcelId,
        address indexed holder,
        uint256[] sourceIds,
        uint48 points,
        uint32 hsCode,
        bytes32 documentHash
    );
    /// @notice Parcels were sealed into a tamper-resistant container.
    event ConsignmentSealed(
        uint256 indexed consignmentId, address indexed holder, bytes32 indexed sealId, uint256[] parcelIds, uint48 points
    );
    /// @notice The holder broke the consignment's seal; its parcels now move on their own.
    event ConsignmentOpened(uint256 indexed consignmentId, address indexed holder);
    /// @notice The holder offered a lot to `to`; `sealId` is the seal it travels under.
    event CustodyOffered(uint256 indexed lotId, address indexed from, address indexed to, bytes32 sealId);
    /// @notice The sender withdrew its offer.
    event CustodyOfferWithdrawn(uint256 indexed lotId, address indexed from, address indexed to);
    /// @notice The recipient refused the lot (`reason` is a code from the README's table).
    event CustodyRejected(uint256 indexed lotId, address indexed from, address indexed to, uint16 reason);
    /// @notice The recipient attested a different seal: custody did not change, the offer is
    /// closed, and a consignment is marked compromised.
    event CustodySealMismatch(uint256 indexed lotId, address indexed from, address indexed to, bytes32 attestedSealId);
    /// @notice Custody changed; `certificateKey` is the KP certificate used across a border, or 0.
    event CustodyTransferred(
        uint256 indexed lotId, address indexed from, address indexed to, bytes32 sealId, bytes32 certificateKey
    );

    /**
     * @notice Registers a parcel at origin, held by the producer (the caller).
     * Requirements: caller is a producer of an active participant whose code is `origin`;
     * `points` > 0; a valid HS code.
     * Emits a {ParcelRegistered} event.
     */
    function registerParcel(uint48 points, uint32 stones, uint32 hsCode, string calldata origin, bytes32 documentHash)
        external
        returns (uint256 parcelId);

    /// @notice {registerParcel} signed by the producer and relayed. EIP-712:
    /// `RegisterParcel(uint48 points,uint32 stones,uint32 hsCode,string origin,bytes32 documentHash,address signer,uint256 nonce,uint256 deadline)`.
    function registerParcelBySig(
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        string calldata origin,
        bytes32 documentHash,
        Authorization calldata auth
    ) external returns (uint256 parcelId);

    /**
     * @notice Splits a held parcel into children whose weights add up exactly; the parent closes.
     * Requirements: caller holds the live, unsealed, unoffered parcel; 2..256 children; a
     * sorted parcel's children keep its HS code (an unsorted one may be sorted into any).
     * Emits a {ParcelSplit} event per child.
     */
    function splitParcel(uint256 parcelId, Child[] calldata children) external returns (uint256 firstChildId);

    /// @notice {splitParcel} signed by the holder and relayed. EIP-712:
    /// `SplitParcel(uint256 parcelId,Child[] children,address signer,uint256 nonce,uint256 deadline)Child(uint48 points,uint32 stones,uint32 hsCode,bytes32 documentHash)`.
    function splitParcelBySig(uint256 parcelId, Child[] calldata children, Authorization calldata auth)
        external
        returns (uint256 firstChildId);

    /**
     * @notice Merges held parcels into one; weights add up and origins are united (mixed origin
     * when they differ). Requirements: 2..256 parcels in ascending id order, all live, unsealed,
     * unoffered, held by the caller and of the same HS code, which the merged parcel keeps.
     * Emits a {ParcelsMerged} event.
     */
    function mergeParcels(uint256[] calldata parcelIds, bytes32 documentHash) external returns (uint256 parcelId);

    /// @notice {mergeParcels} signed by the holder and relayed. EIP-712:
    /// `MergeParcels(uint256[] parcelIds,bytes32 documentHash,address signer,uint256 nonce,uint256 deadline)`.
    function mergeParcelsBySig(uint256[] calldata parcelIds, bytes32 documentHash, Authorization calldata auth)
        external
        returns (uint256 parcelId);

    /**
     * @notice Seals held parcels into a consignment under a seal id; they then move only with it.
     * Emits a {ConsignmentSealed} event.
     */
    function sealConsignment(uint256[] calldata parcelIds, bytes32 sealId) external returns (uint256 consignmentId);

    /// @notice {sealConsignment} signed by the holder and relayed. EIP-712:
    /// `SealConsignment(uint256[] parcelIds,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)`.
    function sealConsignmentBySig(uint256[] calldata parcelIds, bytes32 sealId, Authorization calldata auth)
        external
        returns (uint256 consignmentId);

    /**
     * @notice Breaks a held consignment's seal so its parcels move on their own.
     * Requirements: no open offer; not covered by a live certificate.
     * Emits a {ConsignmentOpened} event.
     */
    function openConsignment(uint256 consignmentId) external;

    /// @notice {openConsignment} signed by the holder and relayed. EIP-712:
    /// `OpenConsignment(uint256 consignmentId,address signer,uint256 nonce,uint256 deadline)`.
    function openConsignmentBySig(uint256 consignmentId, Authorization calldata auth) external;

    /**
     * @notice Offers a held lot to `recipient` under `sealId` (a consignment's must be its seal).
     * Across a border: a consignment only, sender an exporter, recipient an importer, under a live
     * certificate whose exporter account is the sender and importer account the recipient. At home:
     * a consignment covered by a live certificate is refused ({KPLedgerConsignmentCertified}).
     * Emits a {CustodyOffered} event.
     */
    function offer(uint256 lotId, address recipient, bytes32 sealId) external;

    /// @notice {offer} signed by the holder and relayed. EIP-712:
    /// `OfferCustody(uint256 lotId,address recipient,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)`.
    function offerBySig(uint256 lotId, address recipient, bytes32 sealId, Authorization calldata auth) external;

    /**
     * @notice The sender withdraws its open offer.
     * Requirements: caller is an operator of an active participant and holds the lot.
     * Emits a {CustodyOfferWithdrawn} event.
     */
    function withdrawOffer(uint256 lotId) external;

    /// @notice {withdrawOffer} signed by the holder and relayed. EIP-712:
    /// `WithdrawOffer(uint256 lotId,address signer,uint256 nonce,uint256 deadline)`.
    function withdrawOfferBySig(uint256 lotId, Authorization calldata auth) external;

    /**
     * @notice The recipient accepts, attesting the seal id it received. A different seal is
     * recorded ({CustodySealMismatch}) and blocks the transfer; otherwise custody moves
     * ({CustodyTransferred}) and a certificate used across a border is spent.
     * Requirements, checked again now: both sides are operators of active participants; across a
     * border the sender is still an exporter, the recipient an importer, and the certificate live
     * and naming them.
     * @return transferred Whether custody changed.
     */
    function acceptOffer(uint256 lotId, bytes32 sealId) external returns (bool transferred);

    /// @notice {acceptOffer} signed by the recipient and relayed. EIP-712:
    /// `AcceptCustody(uint256 lotId,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)`.
    function acceptOfferBySig(uint256 lotId, bytes32 sealId, Authorization calldata auth)
        external
        returns (bool transferred);

    /**
     * @notice The recipient refuses the lot with a reason code.
     * Requirements: caller is an operator of an active participant and the offer's recipient.
     * Emits a {CustodyRejected} event.
     */
    function rejectOffer(uint256 lotId, uint16 reason) external;

    /// @notice {rejectOffer} signed by the recipient and relayed. EIP-712:
    /// `RejectCustody(uint256 lotId,uint16 reason,address signer,uint256 nonce,uint256 deadline)`.
    function rejectOfferBySig(uint256 lotId, uint16 reason, Authorization calldata auth) external;

    /// @notice A parcel's state.
    function parcel(uint256 parcelId) external view returns (ParcelView memory);

    /// @notice A consignment's state.
    function consignment(uint256 consignmentId) external view returns (ConsignmentView memory);

    /// @notice The open offer on a lot: recipient (0 if none).
    function offerOf(uint256 lotId) external view returns (address recipient);

    /// @notice The last id given to a parcel or consignment.
    function lastLotId() external view returns (uint256);
}
