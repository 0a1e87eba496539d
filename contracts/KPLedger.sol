// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IKPLedger} from "./interfaces/IKPLedger.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {IKPCertificates} from "./interfaces/IKPCertificates.sol";
import {KPIntents} from "./utils/KPIntents.sol";
import {KPCertificates} from "./KPCertificates.sol";
import {HsCodes} from "./utils/HsCodes.sol";

/**
 * @title KPLedger
 * @notice Parcels, sealed consignments and two-phase custody hand-offs (see {IKPLedger}).
 *
 * Gas notes. A parcel's hot data (holder, weight, consignment, status) fits one slot, so a
 * hand-off rewrites one slot. A parcel inside a consignment keeps a pointer to it and its
 * holder is read through the consignment: handing off a consignment rewrites the
 * consignment's holder only, whatever the number of parcels inside, and opening it is O(1)
 * too (parcels pick up their holder lazily the next time they move). An open offer is one
 * slot: the recipient and a 96-bit tag of the seal it travels under.
 *
 * The ledger deploys its {KPCertificates} in its constructor, so the two are bound to each
 * other without any setter.
 */
contract KPLedger is IKPLedger, KPIntents {
    uint8 private constant _ROLE_PRODUCER = 1 << 1;
    uint8 private constant _ROLE_EXPORTER = 1 << 2;
    uint8 private constant _ROLE_IMPORTER = 1 << 3;
    uint8 private constant _OPERATOR_ROLES = 0x3e;
    uint256 private constant _MAX_PARTS = 256;

    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "RegisterParcel(uint48 points,uint32 stones,uint32 hsCode,string origin,bytes32 documentHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _CHILD_TYPEHASH =
        keccak256("Child(uint48 points,uint32 stones,uint32 hsCode,bytes32 documentHash)");
    bytes32 private constant _SPLIT_TYPEHASH = keccak256(
        "SplitParcel(uint256 parcelId,Child[] children,uint256 nonce,uint256 deadline)Child(uint48 points,uint32 stones,uint32 hsCode,bytes32 documentHash)"
    );
    bytes32 private constant _MERGE_TYPEHASH =
        keccak256("MergeParcels(uint256[] parcelIds,bytes32 documentHash,uint256 nonce,uint256 deadline)");
    bytes32 private constant _SEAL_TYPEHASH =
        keccak256("SealConsignment(uint256[] parcelIds,bytes32 sealId,uint256 nonce,uint256 deadline)");
    bytes32 private constant _OPEN_TYPEHASH =
        keccak256("OpenConsignment(uint256 consignmentId,uint256 nonce,uint256 deadline)");
    bytes32 private constant _OFFER_TYPEHASH =
        keccak256("OfferCustody(uint256 lotId,address recipient,bytes32 sealId,uint256 nonce,uint256 deadline)");
    bytes32 private constant _WITHDRAW_TYPEHASH =
        keccak256("WithdrawOffer(uint256 lotId,uint256 nonce,uint256 deadline)");
    bytes32 private constant _ACCEPT_TYPEHASH =
        keccak256("AcceptCustody(uint256 lotId,bytes32 sealId,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REJECT_TYPEHASH =
        keccak256("RejectCustody(uint256 lotId,uint16 reason,uint256 nonce,uint256 deadline)");

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

    function registerParcelBySig(
        uint48 points,
        uint32 stones,
        uint32 hsCode,
        string calldata origin,
        bytes32 documentHash,
        Authorization calldata auth
    ) external returns (uint256) {
        bytes32 structHash = keccak256(
            abi.encode(
                _REGISTER_TYPEHASH,
                points,
                stones,
                hsCode,
                keccak256(bytes(origin)),
                documentHash,
                auth.nonce,
                auth.deadline
            )
        );
        return _register(_authorize(structHash, auth), points, stones, hsCode, origin, documentHash);
    }

    /// @inheritdoc IKPLedger
    function splitParcel(uint256 parcelId, Child[] calldata children) external returns (uint256) {
        return _split(msg.sender, parcelId, children);
    }

    function splitParcelBySig(uint256 parcelId, Child[] calldata children, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes32[] memory childHashes = new bytes32[](children.length);
        for (uint256 i = 0; i < children.length; ++i) {
            Child calldata c = children[i];
            childHashes[i] = keccak256(abi.encode(_CHILD_TYPEHASH, c.points, c.stones, c.hsCode, c.documentHash));
        }
        bytes32 structHash = keccak256(
            abi.encode(_SPLIT_TYPEHASH, parcelId, keccak256(abi.encodePacked(childHashes)), auth.nonce, auth.deadline)
        );
        return _split(_authorize(structHash, auth), parcelId, children);
    }

    /// @inheritdoc IKPLedger
    function mergeParcels(uint256[] calldata parcelIds, bytes32 documentHash) external returns (uint256) {
        return _merge(msg.sender, parcelIds, documentHash);
    }

    function mergeParcelsBySig(uint256[] calldata parcelIds, bytes32 documentHash, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes32 structHash = keccak256(
            abi.encode(_MERGE_TYPEHASH, keccak256(abi.encodePacked(parcelIds)), documentHash, auth.nonce, auth.deadline)
        );
        return _merge(_authorize(structHash, auth), parcelIds, documentHash);
    }

    // ------------------------------------------------------------------ consignments

    /// @inheritdoc IKPLedger
    function sealConsignment(uint256[] calldata parcelIds, bytes32 sealId) external returns (uint256) {
        return _seal(msg.sender, parcelIds, sealId);
    }

    function sealConsignmentBySig(uint256[] calldata parcelIds, bytes32 sealId, Authorization calldata auth)
        external
        returns (uint256)
    {
        bytes32 structHash = keccak256(
            abi.encode(_SEAL_TYPEHASH, keccak256(abi.encodePacked(parcelIds)), sealId, auth.nonce, auth.deadline)
        );
        return _seal(_authorize(structHash, auth), parcelIds, sealId);
    }

    /// @inheritdoc IKPLedger
    function openConsignment(uint256 consignmentId) external {
        _open(msg.sender, consignmentId);
    }

    function openConsignmentBySig(uint256 consignmentId, Authorization calldata auth) external {
        bytes32 structHash = keccak256(abi.encode(_OPEN_TYPEHASH, consignmentId, auth.nonce, auth.deadline));
        _open(_authorize(structHash, auth), consignmentId);
    }

    // ------------------------------------------------------------------ custody

    /// @inheritdoc IKPLedger
    function offer(uint256 lotId, address recipient, bytes32 sealId) external {
        _offer(msg.sender, lotId, recipient, sealId);
    }

    function offerBySig(uint256 lotId, address recipient, bytes32 sealId, Authorization calldata auth) external {
        bytes32 structHash =
            keccak256(abi.encode(_OFFER_TYPEHASH, lotId, recipient, sealId, auth.nonce, auth.deadline));
        _offer(_authorize(structHash, auth), lotId, recipient, sealId);
    }

    /// @inheritdoc IKPLedger
    function withdrawOffer(uint256 lotId) external {
        _withdraw(msg.sender, lotId);
    }

    function withdrawOfferBySig(uint256 lotId, Authorization calldata auth) external {
        bytes32 structHash = keccak256(abi.encode(_WITHDRAW_TYPEHASH, lotId, auth.nonce, auth.deadline));
        _withdraw(_authorize(structHash, auth), lotId);
    }

    /// @inheritdoc IKPLedger
    function acceptOffer(uint256 lotId, bytes32 sealId) external returns (bool) {
        return _accept(msg.sender, lotId, sealId);
    }

    function acceptOfferBySig(uint256 lotId, bytes32 sealId, Authorization calldata auth) external returns (bool) {
        bytes32 structHash = keccak256(abi.encode(_ACCEPT_TYPEHASH, lotId, sealId, auth.nonce, auth.deadline));
        return _accept(_authorize(structHash, auth), lotId, sealId);
    }

    /// @inheritdoc IKPLedger
    function rejectOffer(uint256 lotId, uint16 reason) external {
        _reject(msg.sender, lotId, reason);
    }

    function rejectOfferBySig(uint256 lotId, uint16 reason, Authorization calldata auth) external {
        bytes32 structHash = keccak256(abi.encode(_REJECT_TYPEHASH, lotId, reason, auth.nonce, auth.deadline));
        _reject(_authorize(structHash, auth), lotId, reason);
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
        return address(uint160(_offers[lotId] >> 96));
    }

    /// @inheritdoc IKPLedger
    function lastLotId() external view returns (uint256) {
        return _lastId;
    }

    // ------------------------------------------------------------------ internals: actors

    /// @dev The actor's registry record; reverts unless it holds one of `roles` in an active participant.
    function _operator(address account, uint8 roles) private view returns (IKPRegistry.Member memory m) {
        m = _registry.member(account);
        if (m.roles & _OPERATOR_ROLES == 0) revert KPLedgerNotOperator(account);
        if (m.status != IKPRegistry.ParticipantStatus.Active) revert KPLedgerParticipantSuspended(m.participant);
        if (m.roles & roles == 0) revert KPLedgerMissingRole(account, roles);
    }

    function _nextId() private returns (uint40 id) {
        // ids start at 1; 2^40 lots is far beyond any horizon of the scheme
        id = ++_lastId;
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
        IKPRegistry.Member memory m = _operator(producer, _ROLE_PRODUCER);
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
        uint256 pending = _offers[parcelId];
        if (pending != 0) revert KPLedgerOfferPending(parcelId, address(uint160(pending >> 96)));
        if (cid != 0) (p.holder, p.consignmentId) = (holder, 0);
    }

    function _split(address account, uint256 parcelId, Child[] calldata children) private returns (uint256 firstId) {
        _operator(account, _OPERATOR_ROLES);
        uint256 n = children.length;
        if (n < 2 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 2, _MAX_PARTS);
        Parcel storage parent = _movableParcel(account, parcelId);
        (uint192 origins, uint8 parentHs, uint48 parentPoints) = (parent.origins, parent.hs, parent.points);
        parent.status = ParcelStatus.Closed;
        uint256 total;
        firstId = _lastId + 1;
        for (uint256 i = 0; i < n; ++i) {
            total += _createChild(account, parcelId, parentHs, origins, children[i]);
        }
        if (total != parentPoints) revert KPLedgerCaratsNotConserved(parcelId, parentPoints, total);
    }

    function _createChild(address account, uint256 parentId, uint8 parentHs, uint192 origins, Child calldata c)
        private
        returns (uint48)
    {
        if (c.points == 0) revert KPLedgerZeroWeight();
        uint8 hs = HsCodes.fromCode(c.hsCode);
        if (hs != parentHs && parentHs != HsCodes.UNSORTED) {
            revert KPLedgerHsReclassification(parentId, HsCodes.toCode(parentHs), c.hsCode);
        }
        uint40 id = _nextId();
        _parcels[id] = Parcel(account, c.points, 0, ParcelStatus.Live, origins, hs);
        emit ParcelSplit(parentId, id, account, c.points, c.stones, c.hsCode, c.documentHash);
        return c.points;
    }

    function _merge(address account, uint256[] calldata ids, bytes32 documentHash) private returns (uint256 id) {
        _operator(account, _OPERATOR_ROLES);
        uint256 n = ids.length;
        if (n < 2 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 2, _MAX_PARTS);
        uint192 origins;
        uint256 total;
        uint8 hs = _parcels[ids[0]].hs;
        for (uint256 i = 0; i < n; ++i) {
            if (i != 0 && ids[i] <= ids[i - 1]) revert KPLedgerParcelsNotAscending(ids[i - 1], ids[i]);
            Parcel storage p = _movableParcel(account, ids[i]);
            p.status = ParcelStatus.Closed;
            origins |= p.origins;
            total += p.points;
            if (p.hs != hs) hs = HsCodes.UNSORTED;
        }
        uint48 points = uint48(total); // cannot overflow in practice; checked below
        if (points != total) revert KPLedgerCaratsNotConserved(0, total, points);
        id = _nextId();
        _parcels[id] = Parcel(account, points, 0, ParcelStatus.Live, origins, hs);
        emit ParcelsMerged(id, account, ids, points, HsCodes.toCode(hs), documentHash);
    }

    // ------------------------------------------------------------------ internals: consignments

    function _seal(address account, uint256[] calldata ids, bytes32 sealId) private returns (uint256 id) {
        _operator(account, _OPERATOR_ROLES);
        if (sealId == bytes32(0)) revert KPLedgerZeroSeal();
        uint256 n = ids.length;
        if (n == 0 || n > _MAX_PARTS) revert KPLedgerBadPartCount(n, 1, _MAX_PARTS);
        uint40 cid = _nextId();
        uint192 origins;
        uint256 total;
        uint8 hsMask;
        for (uint256 i = 0; i < n; ++i) {
            if (i != 0 && ids[i] <= ids[i - 1]) revert KPLedgerParcelsNotAscending(ids[i - 1], ids[i]);
            Parcel storage p = _movableParcel(account, ids[i]);
            p.consignmentId = cid;
            origins |= p.origins;
            total += p.points;
            hsMask |= uint8(1 << p.hs);
        }
        uint48 points = uint48(total);
        if (points != total) revert KPLedgerCaratsNotConserved(0, total, points);
        // the holder field of each parcel is now stale by design: reads go through the consignment
        _consignments[cid] = Consignment(account, uint32(n), ConsignmentStatus.Sealed, hsMask, sealId, origins, points);
        emit ConsignmentSealed(cid, account, sealId, ids, points);
        return cid;
    }

    function _open(address account, uint256 consignmentId) private {
        _operator(account, _OPERATOR_ROLES);
        Consignment storage c = _heldConsignment(account, consignmentId);
        if (c.status == ConsignmentStatus.Opened) revert KPLedgerConsignmentNotSealed(consignmentId, c.status);
        uint256 pending = _offers[consignmentId];
        if (pending != 0) revert KPLedgerOfferPending(consignmentId, address(uint160(pending >> 96)));
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
        IKPRegistry.Member memory from = _operator(sender, _OPERATOR_ROLES);
        IKPRegistry.Member memory to = _operator(recipient, _OPERATOR_ROLES);
        if (sender == recipient) revert KPLedgerSelfTransfer(lotId);
        if (sealId == bytes32(0)) revert KPLedgerZeroSeal();
        bool crossing = from.participant != to.participant;
        if (_consignments[lotId].status != ConsignmentStatus.None) {
            Consignment storage c = _heldConsignment(sender, lotId);
            if (c.status != ConsignmentStatus.Sealed) revert KPLedgerConsignmentNotSealed(lotId, c.status);
            if (c.sealId != sealId) revert KPLedgerSealMismatch(lotId, c.sealId, sealId);
            uint256 pending = _offers[lotId];
            if (pending != 0) revert KPLedgerOfferPending(lotId, address(uint160(pending >> 96)));
            if (crossing) {
                if (from.roles & _ROLE_EXPORTER == 0) revert KPLedgerMissingRole(sender, _ROLE_EXPORTER);
                if (to.roles & _ROLE_IMPORTER == 0) revert KPLedgerMissingRole(recipient, _ROLE_IMPORTER);
                _certificates.checkCrossing(lotId, from.participant, to.participant);
            }
        } else {
            _movableParcel(sender, lotId);
            if (crossing) revert KPLedgerCertificateRequired(lotId, from.participant, to.participant);
        }
        _offers[lotId] = (uint256(uint160(recipient)) << 96) | uint96(bytes12(keccak256(abi.encode(sealId))));
        emit CustodyOffered(lotId, sender, recipient, sealId);
    }

    /// @dev The open offer on a lot: its recipient and seal tag.
    function _openOffer(uint256 lotId) private view returns (address recipient, uint96 tag) {
        uint256 pending = _offers[lotId];
        if (pending == 0) revert KPLedgerNoOffer(lotId);
        return (address(uint160(pending >> 96)), uint96(pending));
    }

    function _withdraw(address sender, uint256 lotId) private {
        (address recipient,) = _openOffer(lotId);
        (address holder,) = _lot(lotId);
        if (holder != sender) revert KPLedgerNotHolder(lotId, sender);
        delete _offers[lotId];
        emit CustodyOfferWithdrawn(lotId, sender, recipient);
    }

    function _reject(address account, uint256 lotId, uint16 reason) private {
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
        IKPRegistry.Member memory from = _operator(sender, _OPERATOR_ROLES);
        IKPRegistry.Member memory to = _operator(recipient, _OPERATOR_ROLES);
        delete _offers[lotId];
        if (uint96(bytes12(keccak256(abi.encode(sealId)))) != tag) {
            if (isConsignment) _consignments[lotId].status = ConsignmentStatus.Compromised;
            emit CustodySealMismatch(lotId, sender, recipient, sealId);
            return false;
        }
        bytes32 certificateKey;
        if (isConsignment) {
            if (from.participant != to.participant) {
                if (to.roles & _ROLE_IMPORTER == 0) revert KPLedgerMissingRole(recipient, _ROLE_IMPORTER);
                certificateKey = _certificates.useForCrossing(lotId, from.participant, to.participant, recipient);
            }
            _consignments[lotId].holder = recipient;
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
