// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IKPLedger} from "./interfaces/IKPLedger.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {IKPCertificates} from "./interfaces/IKPCertificates.sol";
import {KPIntents} from "./utils/KPIntents.sol";
import {KPCertificates} from "./KPCertificates.sol";
import {HsCodes} from "./utils/HsCodes.sol";
import {KPRoles} from "./utils/KPRoles.sol";

/**
 * @title KPLedger
 * @notice Parcels, sealed consignments and two-phase custody hand-offs (see {IKPLedger}).
 *
 * Gas notes. A parcel's hot data (holder, weight, consignment, status) fits one slot, so a
 * hand-off rewrites one slot. A parcel inside a consignment keeps a pointer to it and its
 * holder is read through the consignment: handing off a consignment rewrites the
 * consignment's holder only, whatever the number of parcels inside, and opening it is O(1)
 * too (parcels pick up their holder lazily the next time they move). An open offer is one
 * slot: the recipient and a 96-bit tag of the seal it travels under ({_packOffer}).
 *
 * The ledger deploys its {KPCertificates} in its constructor, so the two are bound to each
 * other without any setter. Direct functions read the caller as `msg.sender`: the ledger trusts
 * no forwarder (no ERC-2771, no `Context`), so there is nothing for `_msgSender()` to add.
 */
contract KPLedger is IKPLedger, KPIntents {
    uint256 private constant _MAX_PARTS = 256;

    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "RegisterParcel(uint48 points,uint32 stones,uint32 hsCode,string origin,bytes32 documentHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _CHILD_TYPEHASH =
        keccak256("Child(uint48 points,uint32 stones,uint32 hsCode,bytes32 documentHash)");
    bytes32 private constant _SPLIT_TYPEHASH = keccak256(
        "SplitParcel(uint256 parcelId,Child[] children,address signer,uint256 nonce,uint256 deadline)Child(uint48 points,uint32 stones,uint32 hsCode,bytes32 documentHash)"
    );
    bytes32 private constant _MERGE_TYPEHASH = keccak256(
        "MergeParcels(uint256[] parcelIds,bytes32 documentHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _SEAL_TYPEHASH =
        keccak256("SealConsignment(uint256[] parcelIds,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _OPEN_TYPEHASH =
        keccak256("OpenConsignment(uint256 consignmentId,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _OFFER_TYPEHASH = keccak256(
        "OfferCustody(uint256 lotId,address recipient,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _WITHDRAW_TYPEHASH =
        keccak256("WithdrawOffer(uint256 lotId,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _ACCEPT_TYPEHASH =
        keccak256("AcceptCustody(uint256 lotId,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REJECT_TYPEHASH =
        keccak256("RejectCustody(uint256 lotId,uint16 reason,address signer,uint256 nonce,uint256 deadline)");

    struct Parcel {
        // slot 0: what every hand-off reads and writes
        address holder; // stale while consignmentId != 0: read the consignment's holder
        uint48 points;
        uint40 consignmentId;
        ParcelStatus status;
        // slot 1: what split, merge and sealing read
        uint192 origins;
        uint8 hs;
    }

    struct Consignment {
        address holder;
        uint32 parcelCount;
        ConsignmentStatus status;
        uint8 hsMask;
        bytes32 sealId;
        uint192 origins;
        uint48 points;
    }

    IKPRegistry private immutable _registry;
    IKPCertificates private immutable _certificates;

    mapping(uint256 id => Parcel) private _parcels;
    mapping(uint256 id => Consignment) private _consignments;
    /// @dev recipient (160 bits) << 96 | first 96 bits of keccak256(sealId)
    mapping(uint256 lotId => uint256) private _offers;
    uint40 private _lastId;

    constructor(IKPRegistry registry_) EIP712("KPLedger", "1") {
        _registry = registry_;
        _certificates = new KPCertificates(registry_, this);
    }

    /// @notice The participant registry this ledger trusts.
    function registry() external view returns (IKPRegistry) {
        return _registry;
    }

    /// @notice The certificate book bound to this ledger.
    function certificates() external view returns (IKPCertificates) {
        return _certificates;
    }

    // ------------------------------------------------------------------ parcels

    /// @inheritdoc IKPLedger
    function registerParcel(uint48 points, uint32 stones, uint32 hsCode, string calldata origin, bytes32 documentHash)
        external
        returns (uint256)
    {
        return _register(msg.sender, points, stones, hsCode, origin, documentHash);
    }

    /// @inheritdoc IKPLedger
    function registerParcelBySig(
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        string calldata origin,
        bytes32 documentHash,
        Authorization calldata auth
    ) external returns (uint256) {
        bytes memory fields =
            abi.encode(_REGISTER_TYPEHASH, points, stones, hsCode, keccak256(bytes(origin)), documentHash);
        return _register(_authorize(fields, auth), points, stones, hsCode, origin, documentHash);
    }

    /// @inheritdoc IKPLedger
    function splitParcel(uint256 parcelId, Child[] calldata children) external returns (uint256) {
        return _split(msg.sender, parcelId, children);
    }

    /// @inheritdoc IKPLedger
    function splitParcelBySig(uint256 parcelId, Child[] calldata children, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes32[] memory childHashes = new bytes32[](children.length);
        for (uint256 i = 0; i < children.length; ++i) {
            Child calldata c = children[i];
            childHashes[i] = keccak256(abi.encode(_CHILD_TYPEHASH, c.points, c.stones, c.hsCode, c.documentHash));
        }
        bytes memory fields = abi.encode(_SPLIT_TYPEHASH, parcelId, keccak256(abi.encodePacked(childHashes)));
        return _split(_authorize(fields, auth), parcelId, children);
    }

    /// @inheritdoc IKPLedger
    function mergeParcels(uint256[] calldata parcelIds, bytes32 documentHash) external returns (uint256) {
        return _merge(msg.sender, parcelIds, documentHash);
    }

    /// @inheritdoc IKPLedger
    function mergeParcelsBySig(uint256[] calldata parcelIds, bytes32 documentHash, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes memory fields = abi.encode(_MERGE_TYPEHASH, keccak256(abi.encodePacked(parcelIds)), documentHash);
        return _merge(_authorize(fields, auth), parcelIds, documentHash);
    }

    // ------------------------------------------------------------------ consignments

    /// @inheritdoc IKPLedger
    function sealConsignment(uint256[] calldata parcelIds, bytes32 sealId) external returns (uint256) {
        return _seal(msg.sender, parcelIds, sealId);
    }

    /// @inheritdoc IKPLedger
    function sealConsignmentBySig(uint256[] calldata parcelIds, bytes32 sealId, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes memory fields = abi.encode(_SEAL_TYPEHASH, keccak256(abi.encodePacked(parcelIds)), sealId);
        return _seal(_authorize(fields, auth), parcelIds, sealId);
    }

    /// @inheritdoc IKPLedger
    function openConsignment(uint256 consignmentId) external {
        _open(msg.sender, consignmentId);
    }

    /// @inheritdoc IKPLedger
    function openConsignmentBySig(uint256 consignmentId, Authorization calldata auth) external {
        _open(_authorize(abi.encode(_OPEN_TYPEHASH, consignmentId), auth), consignmentId);
    }

    // ------------------------------------------------------------------ custody

    /// @inheritdoc IKPLedger
    function offer(uint256 lotId, address recipient, bytes32 sealId) external {
        _offer(msg.sender, lotId, recipient, sealId);
    }

    /// @inheritdoc IKPLedger
    function offerBySig(uint256 lotId, address recipient, bytes32 sealId, Authorization calldata auth) external {
        _offer(_authorize(abi.encode(_OFFER_TYPEHASH, lotId, recipient, sealId), auth), lotId, recipient, sealId);
    }

    /// @inheritdoc IKPLedger
    function withdrawOffer(uint256 lotId) external {
        _withdraw(msg.sender, lotId);
    }

    /// @inheritdoc IKPLedger
    function withdrawOfferBySig(uint256 lotId, Authorization calldata auth) external {
        _withdraw(_authorize(abi.encode(_WITHDRAW_TYPEHASH, lotId), auth), lotId);
    }

    /// @inheritdoc IKPLedger
    function acceptOffer(uint256 lotId, bytes32 sealId) external returns (bool) {
        return _accept(msg.sender, lotId, sealId);
    }

    /// @inheritdoc IKPLedger
    function acceptOfferBySig(uint256 lotId, bytes32 sealId, Authorization calldata auth) external returns (bool) {
        return _accept(_authorize(abi.encode(_ACCEPT_TYPEHASH, lotId, sealId), auth), lotId, sealId);
    }

    /// @inheritdoc IKPLedger
    function rejectOffer(uint256 lotId, uint16 reason) external {
        _reject(msg.sender, lotId, reason);
    }

    /// @inheritdoc IKPLedger
    function rejectOfferBySig(uint256 lotId, uint16 reason, Authorization calldata auth) external {
        _reject(_authorize(abi.encode(_REJECT_TYPEHASH, lotId, reason), auth), lotId, reason);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IKPLedger
    function parcel(uint256 parcelId) external view returns (ParcelView memory v) {
        Parcel storage p = _parcels[parcelId];
        v.holder = p.holder;
        v.points = p.points;
        v.consignmentId = p.consignmentId;
        v.status = p.status;
        v.hsCode = HsCodes.toCode(p.hs);
        v.origins = p.origins;
        if (p.consignmentId != 0) {
            Consignment storage c = _consignments[p.consignmentId];
            v.holder = c.holder;
            v.sealed_ = c.status != ConsignmentStatus.Opened;
        }
    }

    /// @inheritdoc IKPLedger
    function consignment(uint256 consignmentId) external view returns (ConsignmentView memory) {
        Consignment storage c = _consignments[consignmentId];
        return ConsignmentView(c.holder, c.parcelCount, c.status, c.hsMask, c.sealId, c.origins, c.points);
    }

    /// @inheritdoc IKPLedger
    function offerOf(uint256 lotId) external view returns (address) {
        (address recipient,) = _unpackOffer(_offers[lotId]);
        return recipient;
    }

    /// @inheritdoc IKPLedger
    function lastLotId() external view returns (uint256) {
        return _lastId;
    }

    // ------------------------------------------------------------------ internals: actors

    /// @dev The actor's registry record; reverts unless it holds one of `roles` in an active participant.
    function _operator(address account, uint8 roles) private view returns (IKPRegistry.Member memory m) {
        m = _registry.member(account);
        if (m.roles & KPRoles.OPERATORS == 0) revert KPLedgerNotOperator(account);
        if (m.status != IKPRegistry.ParticipantStatus.Active) revert KPLedgerParticipantSuspended(m.participant);
        if (m.roles & roles == 0) revert KPLedgerMissingRole(account, roles);
    }

    /// @dev Across a border the sender must be an exporter and the recipient an importer.
    function _checkCrossingRoles(
        address sender,
        IKPRegistry.Member memory from,
        address recipient,
        IKPRegistry.Member memory to
    ) private pure {
        if (from.roles & KPRoles.EXPORTER == 0) revert KPLedgerMissingRole(sender, KPRoles.EXPORTER);
        if (to.roles & KPRoles.IMPORTER == 0) revert KPLedgerMissingRole(recipient, KPRoles.IMPORTER);
    }

    function _nextId() private returns (uint40 id) {
        // ids start at 1; 2^40 lots is far beyond any horizon of the scheme
        id = ++_lastId;
    }

    // ------------------------------------------------------------------ internals: offers

    /// @dev The packed offer word: recipient (160 bits) << 96 | the first 96 bits of keccak256(sealId).
    function _packOffer(address recipient, bytes32 sealId) private pure returns (uint256) {
        return (uint256(uint160(recipient)) << 96) | _sealTag(sealId);
    }

    /// @dev The recipient and seal tag of a packed offer word (zero address when there is no offer).
    function _unpackOffer(uint256 word) private pure returns (address recipient, uint96 tag) {
        return (address(uint160(word >> 96)), uint96(word));
    }

    function _sealTag(bytes32 sealId) private pure returns (uint96) {
        return uint96(bytes12(keccak256(abi.encode(sealId))));
    }

    /// @dev Reverts when the lot has an open offer.
    function _checkNoOffer(uint256 lotId) private view {
        (address pending,) = _unpackOffer(_offers[lotId]);
        if (pending != address(0)) revert KPLedgerOfferPending(lotId, pending);
    }

    /// @dev The open offer on a lot: its recipient and seal tag.
    function _openOffer(uint256 lotId) private view returns (address recipient, uint96 tag) {
        (recipient, tag) = _unpackOffer(_offers[lotId]);
        if (recipient == address(0)) revert KPLedgerNoOffer(lotId);
    }

    // ------------------------------------------------------------------ internals: parcels

    function _register(
        address producer,
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        string calldata origin,
        bytes32 documentHash
    ) private returns (uint256 id) {
        IKPRegistry.Member memory m = _operator(producer, KPRoles.PRODUCER);
        if (bytes(origin).length != 2 || bytes2(bytes(origin)) != m.participant) {
            revert KPLedgerOriginNotProducerCountry(origin, m.participant);
        }
        if (points == 0) revert KPLedgerZeroWeight();
        uint8 hs = HsCodes.fromCode(hsCode);
        id = _nextId();
        _parcels[id] = Parcel(producer, points, 0, ParcelStatus.Live, uint192(1) << (m.index - 1), hs);
        emit ParcelRegistered(id, producer, m.participant, points, stones, hsCode, documentHash);
    }

    /// @dev A live, unsealed, unoffered parcel held by `account`; brings its holder up to date.
    function _movableParcel(address account, uint256 parcelId) private returns (Parcel storage p) {
        p = _parcels[parcelId];
        if (p.status != ParcelStatus.Live) {
            if (p.status == ParcelStatus.None) revert KPLedgerUnknownLot(parcelId);
            revert KPLedgerParcelClosed(parcelId);
        }
        address holder = p.holder;
        uint40 cid = p.consignmentId;
        if (cid != 0) {
            Consignment storage c = _consignments[cid];
            if (c.status != ConsignmentStatus.Opened) revert KPLedgerParcelSealed(parcelId, cid);
            holder = c.holder;
        }
        if (holder != account) revert KPLedgerNotHolder(parcelId, account);
        _checkNoOffer(parcelId);
        if (cid != 0) (p.holder, p.consignmentId) = (holder, 0);
    }

    function _split(address account, uint256 parcelId, Child[] calldata children) private returns (uint256 firstId) {
        _operator(account, KPRoles.OPERATORS);
        uint256 n = children.length;
        if (n < 2 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 2, _MAX_PARTS);
        Parcel storage parent = _movableParcel(account, parcelId);
        (uint192 origins, uint8 parentHs, uint48 parentPoints) = (parent.origins, parent.hs, parent.points);
        // every child is checked, and the weights added up, before the first child is stored: a split that is
        // refused costs a read of its call data, not ~50k gas per child written and then undone
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            total += _checkChild(parcelId, parentHs, children[i]);
        }
        if (total != parentPoints) revert KPLedgerCaratsNotConserved(parcelId, parentPoints, total);
        parent.status = ParcelStatus.Closed;
        firstId = _lastId + 1;
        for (uint256 i = 0; i < n; ++i) {
            _createChild(account, parcelId, origins, children[i]);
        }
    }

    /// @dev A child's weight, once its weight and HS code are allowed for a split of `parentId`.
    function _checkChild(uint256 parentId, uint8 parentHs, Child calldata c) private pure returns (uint48) {
        if (c.points == 0) revert KPLedgerZeroWeight();
        uint8 hs = HsCodes.fromCode(c.hsCode);
        if (hs != parentHs && parentHs != HsCodes.UNSORTED) {
            revert KPLedgerHsReclassification(parentId, HsCodes.toCode(parentHs), c.hsCode);
        }
        return c.points;
    }

    function _createChild(address account, uint256 parentId, uint192 origins, Child calldata c) private {
        uint40 id = _nextId();
        _parcels[id] = Parcel(account, c.points, 0, ParcelStatus.Live, origins, HsCodes.fromCode(c.hsCode));
        emit ParcelSplit(parentId, id, account, c.points, c.stones, c.hsCode, c.documentHash);
    }

    function _merge(address account, uint256[] calldata ids, bytes32 documentHash) private returns (uint256 id) {
        _operator(account, KPRoles.OPERATORS);
        uint256 n = ids.length;
        if (n < 2 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 2, _MAX_PARTS);
        uint192 origins = 0;
        uint256 total = 0;
        uint8 hs = _parcels[ids[0]].hs; // checked below like every other input
        for (uint256 i = 0; i < n; ++i) {
            if (i != 0 && ids[i] <= ids[i - 1]) revert KPLedgerParcelsNotAscending(ids[i - 1], ids[i]);
            Parcel storage p = _movableParcel(account, ids[i]);
            // a merge never changes an HS code: merging two sorted grades into "unsorted" would let
            // the result be split into any grade (a sorted parcel keeps its HS code)
            if (p.hs != hs) revert KPLedgerHsCodesDiffer(ids[i], HsCodes.toCode(p.hs), HsCodes.toCode(hs));
            p.status = ParcelStatus.Closed;
            origins |= p.origins;
            total += p.points;
        }
        uint48 points = SafeCast.toUint48(total);
        id = _nextId();
        _parcels[id] = Parcel(account, points, 0, ParcelStatus.Live, origins, hs);
        emit ParcelsMerged(id, account, ids, points, HsCodes.toCode(hs), documentHash);
    }

    // ------------------------------------------------------------------ internals: consignments

    function _seal(address account, uint256[] calldata ids, bytes32 sealId) private returns (uint256 id) {
        _operator(account, KPRoles.OPERATORS);
        if (sealId == bytes32(0)) revert KPLedgerZeroSeal();
        uint256 n = ids.length;
        if (n == 0 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 1, _MAX_PARTS);
        uint40 cid = _nextId();
        uint192 origins = 0;
        uint256 total = 0;
        uint8 hsMask = 0;
        for (uint256 i = 0; i < n; ++i) {
            if (i != 0 && ids[i] <= ids[i - 1]) revert KPLedgerParcelsNotAscending(ids[i - 1], ids[i]);
            Parcel storage p = _movableParcel(account, ids[i]);
            p.consignmentId = cid;
            origins |= p.origins;
            total += p.points;
            hsMask |= uint8(1 << p.hs);
        }
        uint48 points = SafeCast.toUint48(total);
        // the holder field of each parcel is now stale by design: reads go through the consignment
        _consignments[cid] =
            Consignment(account, SafeCast.toUint32(n), ConsignmentStatus.Sealed, hsMask, sealId, origins, points);
        emit ConsignmentSealed(cid, account, sealId, ids, points);
        return cid;
    }

    function _open(address account, uint256 consignmentId) private {
        _operator(account, KPRoles.OPERATORS);
        Consignment storage c = _heldConsignment(account, consignmentId);
        if (c.status == ConsignmentStatus.Opened) revert KPLedgerConsignmentNotSealed(consignmentId, c.status);
        _checkNoOffer(consignmentId);
        if (_certificates.isCovered(consignmentId)) revert KPLedgerConsignmentCertified(consignmentId);
        c.status = ConsignmentStatus.Opened;
        emit ConsignmentOpened(consignmentId, account);
    }

    function _heldConsignment(address account, uint256 consignmentId) private view returns (Consignment storage c) {
        c = _consignments[consignmentId];
        if (c.status == ConsignmentStatus.None) revert KPLedgerUnknownLot(consignmentId);
        if (c.holder != account) revert KPLedgerNotHolder(consignmentId, account);
    }

    // ------------------------------------------------------------------ internals: custody

    /// @dev Current holder of a lot and whether it is a consignment; reverts for unknown lots.
    function _lot(uint256 lotId) private view returns (address holder, bool isConsignment) {
        Consignment storage c = _consignments[lotId];
        if (c.status != ConsignmentStatus.None) return (c.holder, true);
        Parcel storage p = _parcels[lotId];
        if (p.status == ParcelStatus.None) revert KPLedgerUnknownLot(lotId);
        holder = p.consignmentId == 0 ? p.holder : _consignments[p.consignmentId].holder;
    }

    function _offer(address sender, uint256 lotId, address recipient, bytes32 sealId) private {
        IKPRegistry.Member memory from = _operator(sender, KPRoles.OPERATORS);
        IKPRegistry.Member memory to = _operator(recipient, KPRoles.OPERATORS);
        if (sender == recipient) revert KPLedgerSelfTransfer(lotId);
        if (sealId == bytes32(0)) revert KPLedgerZeroSeal();
        bool crossing = from.participant != to.participant;
        if (_consignments[lotId].status != ConsignmentStatus.None) {
            Consignment storage c = _heldConsignment(sender, lotId);
            if (c.status != ConsignmentStatus.Sealed) revert KPLedgerConsignmentNotSealed(lotId, c.status);
            if (c.sealId != sealId) revert KPLedgerSealMismatch(lotId, c.sealId, sealId);
            _checkNoOffer(lotId);
            if (crossing) {
                _checkCrossingRoles(sender, from, recipient, to);
                // only its reverts matter here: the key is taken again, and spent, at acceptance
                // slither-disable-next-line unused-return
                _certificates.checkCrossing(lotId, sender, recipient);
            } else if (_certificates.isCovered(lotId)) {
                // certified for export by this holder: handing it on at home would let another
                // exporter ship it under the first one's certificate
                revert KPLedgerConsignmentCertified(lotId);
            }
        } else {
            _movableParcel(sender, lotId);
            if (crossing) revert KPLedgerCertificateRequired(lotId, from.participant, to.participant);
        }
        _offers[lotId] = _packOffer(recipient, sealId);
        emit CustodyOffered(lotId, sender, recipient, sealId);
    }

    function _withdraw(address sender, uint256 lotId) private {
        _operator(sender, KPRoles.OPERATORS);
        (address recipient,) = _openOffer(lotId);
        (address holder,) = _lot(lotId);
        if (holder != sender) revert KPLedgerNotHolder(lotId, sender);
        delete _offers[lotId];
        emit CustodyOfferWithdrawn(lotId, sender, recipient);
    }

    function _reject(address account, uint256 lotId, uint16 reason) private {
        _operator(account, KPRoles.OPERATORS);
        (address recipient,) = _openOffer(lotId);
        if (recipient != account) revert KPLedgerNotRecipient(lotId, account);
        (address holder,) = _lot(lotId);
        delete _offers[lotId];
        emit CustodyRejected(lotId, holder, recipient, reason);
    }

    function _accept(address account, uint256 lotId, bytes32 sealId) private returns (bool) {
        (address recipient, uint96 tag) = _openOffer(lotId);
        if (recipient != account) revert KPLedgerNotRecipient(lotId, account);
        (address sender, bool isConsignment) = _lot(lotId);
        // both sides are checked again: a licence may have been revoked, or a participant
        // suspended, since the offer
        IKPRegistry.Member memory from = _operator(sender, KPRoles.OPERATORS);
        IKPRegistry.Member memory to = _operator(recipient, KPRoles.OPERATORS);
        delete _offers[lotId];
        if (_sealTag(sealId) != tag) {
            if (isConsignment) _consignments[lotId].status = ConsignmentStatus.Compromised;
            emit CustodySealMismatch(lotId, sender, recipient, sealId);
            return false;
        }
        bytes32 certificateKey = bytes32(0);
        if (isConsignment) {
            _consignments[lotId].holder = recipient;
            if (from.participant != to.participant) {
                _checkCrossingRoles(sender, from, recipient, to);
                // our own KPCertificates (deployed by this contract): it calls nothing back
                // slither-disable-next-line reentrancy-events
                certificateKey = _certificates.useForCrossing(lotId, sender, recipient);
            }
        } else {
            // a lone parcel never crosses a border: _offer refused that, and accounts never
            // change participant (see KPRegistry._revoke)
            Parcel storage p = _parcels[lotId];
            (p.holder, p.consignmentId) = (recipient, 0);
        }
        emit CustodyTransferred(lotId, sender, recipient, sealId, certificateKey);
        return true;
    }
}
