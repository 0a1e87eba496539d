// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {KPIntents} from "./utils/KPIntents.sol";

/**
 * @title KPRegistry
 * @notice Participants, authorities and licensed operators of the Kimberley Process ledger.
 *
 * Permissions are OpenZeppelin AccessControl roles, one set per participant:
 * `authorityRole(p)` is administered by governance (`DEFAULT_ADMIN_ROLE`, handed over in two
 * steps with a delay by {AccessControlDefaultAdminRules}); each `operatorRole(p, r)` is
 * administered by `authorityRole(p)`, so an authority can grant and revoke its own operators
 * and no one else's. An account belongs to one participant for good (from its first role on).
 *
 * Alongside the roles the registry keeps a packed {Member} record per account (participant
 * and role bits) so that the ledger learns everything about an actor in one call; both are
 * written only in {_grantRole} / {_revokeRole}, so they cannot drift apart.
 */
contract KPRegistry is IKPRegistry, AccessControlDefaultAdminRules, KPIntents {
    uint8 public constant ROLE_AUTHORITY = 1 << 0;
    uint8 public constant ROLE_PRODUCER = 1 << 1;
    uint8 public constant ROLE_EXPORTER = 1 << 2;
    uint8 public constant ROLE_IMPORTER = 1 << 3;
    uint8 public constant ROLE_TRADER = 1 << 4;
    uint8 public constant ROLE_MANUFACTURER = 1 << 5;
    uint8 private constant _OPERATOR_ROLES = 0x3e;
    uint8 private constant _ROLE_KINDS = 6;

    /// @notice Participants fit an origin bitmask of this many bits (the KP has about 60).
    uint8 public constant MAX_PARTICIPANTS = 192;

    bytes32 private constant _ADMIT_TYPEHASH =
        keccak256("AdmitParticipant(string code,string name,uint256 nonce,uint256 deadline)");
    bytes32 private constant _SUSPEND_TYPEHASH =
        keccak256("SuspendParticipant(string code,bytes32 reason,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REINSTATE_TYPEHASH =
        keccak256("ReinstateParticipant(string code,uint256 nonce,uint256 deadline)");
    bytes32 private constant _SET_AUTHORITY_TYPEHASH =
        keccak256("SetAuthority(string participant,address account,bool appoint,uint256 nonce,uint256 deadline)");
    bytes32 private constant _LICENSE_TYPEHASH =
        keccak256("LicenseOperator(address account,uint8 roles,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REVOKE_TYPEHASH =
        keccak256("RevokeOperator(address account,uint8 roles,uint256 nonce,uint256 deadline)");

    struct ParticipantRecord {
        ParticipantStatus status;
        uint8 index;
    }

    struct RoleScope {
        bytes2 participant;
        uint8 bit;
    }

    mapping(bytes2 code => ParticipantRecord) private _participants;
    mapping(uint8 index => bytes2 code) private _participantAt;
    mapping(address account => Member) private _members;
    mapping(bytes32 role => RoleScope) private _roleScopes;
    uint8 private _participantCount;

    /**
     * @param governance The KP Chair / Secretariat account or multisig (not the deployer).
     * @param governanceDelay Seconds a governance hand-over must wait before it can be accepted.
     */
    constructor(address governance, uint48 governanceDelay)
        AccessControlDefaultAdminRules(governanceDelay, governance)
        EIP712("KPRegistry", "1")
    {}

    // ---------------------------------------------------------------- role ids

    /// @notice The role of `participant`'s authorities.
    function authorityRole(bytes2 participant_) public pure returns (bytes32) {
        return _role(participant_, ROLE_AUTHORITY);
    }

    /// @notice The role of `participant`'s operators of one kind (`roleBit`, e.g. {ROLE_EXPORTER}).
    function operatorRole(bytes2 participant_, uint8 roleBit) public pure returns (bytes32) {
        return _role(participant_, roleBit);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IKPRegistry
    function admitParticipant(string calldata code, string calldata name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _admit(code, name);
    }

    function admitParticipantBySig(string calldata code, string calldata name, Authorization calldata auth)
        external
    {
        address signer = _authorize(
            keccak256(
                abi.encode(
                    _ADMIT_TYPEHASH, keccak256(bytes(code)), keccak256(bytes(name)), auth.nonce, auth.deadline
                )
            ),
            auth
        );
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _admit(code, name);
    }

    /// @inheritdoc IKPRegistry
    function suspendParticipant(string calldata code, bytes32 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _suspend(code, reason);
    }

    function suspendParticipantBySig(string calldata code, bytes32 reason, Authorization calldata auth) external {
        address signer = _authorize(
            keccak256(abi.encode(_SUSPEND_TYPEHASH, keccak256(bytes(code)), reason, auth.nonce, auth.deadline)),
            auth
        );
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _suspend(code, reason);
    }

    /// @inheritdoc IKPRegistry
    function reinstateParticipant(string calldata code) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _reinstate(code);
    }

    function reinstateParticipantBySig(string calldata code, Authorization calldata auth) external {
        address signer = _authorize(
            keccak256(abi.encode(_REINSTATE_TYPEHASH, keccak256(bytes(code)), auth.nonce, auth.deadline)), auth
        );
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _reinstate(code);
    }

    /// @inheritdoc IKPRegistry
    function setAuthority(string calldata code, address account, bool appoint) external {
        _setAuthority(_msgSender(), code, account, appoint);
    }

    function setAuthorityBySig(string calldata code, address account, bool appoint, Authorization calldata auth)
        external
    {
        address signer = _authorize(
            keccak256(
                abi.encode(
                    _SET_AUTHORITY_TYPEHASH, keccak256(bytes(code)), account, appoint, auth.nonce, auth.deadline
                )
            ),
            auth
        );
        _setAuthority(signer, code, account, appoint);
    }

    // ---------------------------------------------------------------- authorities

    /// @inheritdoc IKPRegistry
    function licenseOperator(address account, uint8 roles) external {
        _setOperatorRoles(_msgSender(), account, roles, true);
    }

    function licenseOperatorBySig(address account, uint8 roles, Authorization calldata auth) external {
        address signer =
            _authorize(keccak256(abi.encode(_LICENSE_TYPEHASH, account, roles, auth.nonce, auth.deadline)), auth);
        _setOperatorRoles(signer, account, roles, true);
    }

    /// @inheritdoc IKPRegistry
    function revokeOperator(address account, uint8 roles) external {
        _setOperatorRoles(_msgSender(), account, roles, false);
    }

    function revokeOperatorBySig(address account, uint8 roles, Authorization calldata auth) external {
        address signer =
            _authorize(keccak256(abi.encode(_REVOKE_TYPEHASH, account, roles, auth.nonce, auth.deadline)), auth);
        _setOperatorRoles(signer, account, roles, false);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IKPRegistry
    function member(address account) external view returns (Member memory m) {
        m = _members[account];
        if (m.participant != bytes2(0)) {
            ParticipantRecord memory p = _participants[m.participant];
            (m.index, m.status) = (p.index, p.status);
        }
    }

    /// @inheritdoc IKPRegistry
    function participant(bytes2 code) external view returns (ParticipantStatus status, uint8 index) {
        ParticipantRecord memory p = _participants[code];
        return (p.status, p.index);
    }

    /// @inheritdoc IKPRegistry
    function participantAt(uint8 index) external view returns (bytes2) {
        return _participantAt[index];
    }

    /// @notice Number of participants ever admitted.
    function participantCount() external view returns (uint8) {
        return _participantCount;
    }

    // ---------------------------------------------------------------- internals

    function _role(bytes2 participant_, uint8 roleBit) private pure returns (bytes32) {
        return keccak256(abi.encode("KP.ROLE", participant_, roleBit));
    }

    function _code(string calldata code) private pure returns (bytes2 c) {
        bytes calldata b = bytes(code);
        if (b.length != 2 || b[0] < "A" || b[0] > "Z" || b[1] < "A" || b[1] > "Z") revert KPRegistryInvalidCode(code);
        c = bytes2(b);
    }

    function _existing(string calldata code) private view returns (bytes2 c, ParticipantRecord storage p) {
        c = _code(code);
        p = _participants[c];
        if (p.status == ParticipantStatus.None) revert KPRegistryUnknownParticipant(c);
    }

    function _admit(string calldata code, string calldata name) private {
        bytes2 c = _code(code);
        if (_participants[c].status != ParticipantStatus.None) revert KPRegistryParticipantExists(c);
        uint8 index = _participantCount + 1;
        if (index > MAX_PARTICIPANTS) revert KPRegistryTooManyParticipants(MAX_PARTICIPANTS);
        _participantCount = index;
        _participants[c] = ParticipantRecord(ParticipantStatus.Active, index);
        _participantAt[index] = c;
        bytes32 authority = _role(c, ROLE_AUTHORITY);
        _roleScopes[authority] = RoleScope(c, ROLE_AUTHORITY);
        for (uint8 i = 1; i < _ROLE_KINDS; ++i) {
            uint8 bit = uint8(1 << i);
            bytes32 role = _role(c, bit);
            _roleScopes[role] = RoleScope(c, bit);
            _setRoleAdmin(role, authority);
        }
        emit ParticipantAdmitted(c, index, name);
    }

    function _suspend(string calldata code, bytes32 reason) private {
        (bytes2 c, ParticipantRecord storage p) = _existing(code);
        if (p.status == ParticipantStatus.Suspended) revert KPRegistryParticipantSuspended(c);
        p.status = ParticipantStatus.Suspended;
        emit ParticipantSuspended(c, reason);
    }

    function _reinstate(string calldata code) private {
        (bytes2 c, ParticipantRecord storage p) = _existing(code);
        if (p.status != ParticipantStatus.Suspended) revert KPRegistryParticipantNotSuspended(c);
        p.status = ParticipantStatus.Active;
        emit ParticipantReinstated(c);
    }

    function _setAuthority(address caller, string calldata code, address account, bool appoint) private {
        _checkRole(DEFAULT_ADMIN_ROLE, caller);
        (bytes2 c,) = _existing(code);
        _applyRoles(caller, c, account, ROLE_AUTHORITY, appoint);
    }

    function _setOperatorRoles(address caller, address account, uint8 roles, bool grant) private {
        if (roles == 0 || roles & ~_OPERATOR_ROLES != 0) revert KPRegistryInvalidRoles(roles);
        Member memory authority = _members[caller];
        if (authority.roles & ROLE_AUTHORITY == 0) revert KPRegistryNotAuthority(caller);
        _applyRoles(caller, authority.participant, account, roles, grant);
    }

    /// @dev Grants or revokes each role bit through AccessControl, checking the caller is its admin.
    function _applyRoles(address caller, bytes2 c, address account, uint8 roles, bool grant) private {
        if (account == address(0)) revert KPRegistryZeroAccount();
        for (uint8 i = 0; i < _ROLE_KINDS; ++i) {
            uint8 bit = uint8(1 << i);
            if (roles & bit == 0) continue;
            bytes32 role = _role(c, bit);
            _checkRole(getRoleAdmin(role), caller);
            if (grant) _grant(role, account, caller);
            else _revoke(role, account, caller);
        }
    }

    /// @dev Role changes through the inherited `grantRole` / `revokeRole` / `renounceRole`.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        return _grant(role, account, _msgSender());
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        return _revoke(role, account, _msgSender());
    }

    /// @dev Keeps the packed {Member} record in step with AccessControl, enforces that an
    /// account serves one participant and that a suspended participant licenses no one, and
    /// emits {MemberRolesChanged} naming `by` (the signer when relayed).
    function _grant(bytes32 role, address account, address by) private returns (bool granted) {
        RoleScope memory scope = _roleScopes[role];
        if (scope.participant == bytes2(0)) return super._grantRole(role, account);
        if (_participants[scope.participant].status == ParticipantStatus.Suspended) {
            revert KPRegistryParticipantSuspended(scope.participant);
        }
        Member storage m = _members[account];
        if (m.participant != bytes2(0) && m.participant != scope.participant) {
            revert KPRegistryAccountOfOtherParticipant(account, m.participant);
        }
        granted = super._grantRole(role, account);
        if (granted) {
            uint8 roles = m.roles | scope.bit;
            (m.participant, m.roles) = (scope.participant, roles);
            emit MemberRolesChanged(account, scope.participant, roles, by);
        }
    }

    function _revoke(bytes32 role, address account, address by) private returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        RoleScope memory scope = _roleScopes[role];
        if (revoked && scope.participant != bytes2(0)) {
            Member storage m = _members[account];
            uint8 roles = m.roles & ~scope.bit;
            // The account stays bound to its participant even with no role left: were it
            // freed, lots it still holds would change country without a certificate.
            m.roles = roles;
            emit MemberRolesChanged(account, scope.participant, roles, by);
        }
    }
}
