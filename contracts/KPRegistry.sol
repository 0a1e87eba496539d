// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IKPRegistry} from "./interfaces/IKPRegistry.sol";
import {KPIntents} from "./utils/KPIntents.sol";
import {KPRoles} from "./utils/KPRoles.sol";

/**
 * @title KPRegistry
 * @notice Participants, authorities and licensed operators of the Kimberley Process ledger.
 *
 * Permissions are OpenZeppelin AccessControl roles, one set per participant:
 * `authorityRole(p)` is administered by governance (`DEFAULT_ADMIN_ROLE`, handed over in two
 * steps with a delay by {AccessControlDefaultAdminRules}); each `operatorRole(p, r)` is
 * administered by `authorityRole(p)`. These per-participant ("scoped") roles change only through
 * this contract's functions (which also keep the members' records and profiles), never through
 * the generic `grantRole` / `revokeRole` / `renounceRole`, which serve governance's own role only
 * (a participant's roles are scoped when it is admitted: no role can be granted ahead of that). An
 * account belongs to one participant for good (from its first role on), and holds either the
 * authority role or operator roles, never both at once.
 *
 * Alongside the roles the registry keeps a packed {Member} record per account (participant
 * and role bits) so that the ledger learns everything about an actor in one call; both are
 * written only in {_grant} / {_revoke}, so they cannot drift apart.
 *
 * The direct functions read the caller with `_msgSender()`, like the AccessControl they build on
 * (no ERC-2771 forwarder is trusted, so it is `msg.sender`); relayed twins use the intent's signer.
 */
contract KPRegistry is IKPRegistry, AccessControlDefaultAdminRules, KPIntents {
    uint8 public constant ROLE_AUTHORITY = KPRoles.AUTHORITY;
    uint8 public constant ROLE_PRODUCER = KPRoles.PRODUCER;
    uint8 public constant ROLE_EXPORTER = KPRoles.EXPORTER;
    uint8 public constant ROLE_IMPORTER = KPRoles.IMPORTER;
    uint8 public constant ROLE_TRADER = KPRoles.TRADER;
    uint8 public constant ROLE_MANUFACTURER = KPRoles.MANUFACTURER;

    /// @notice Participants fit an origin bitmask of this many bits (the KP has about 60).
    uint8 public constant MAX_PARTICIPANTS = 192;

    /// @notice Bounds of {setMaxCertificateValidity}, and its value at deployment.
    uint64 public constant MIN_CERTIFICATE_VALIDITY = 1 days;
    uint64 public constant MAX_CERTIFICATE_VALIDITY = 365 days;
    uint64 public constant DEFAULT_CERTIFICATE_VALIDITY = 180 days;

    /// @notice Lengths in bytes of a {Profile}'s fields.
    uint256 public constant MAX_NAME_LENGTH = 120;
    uint256 public constant MAX_LICENCE_LENGTH = 64;
    uint256 public constant MAX_REGISTRY_REF_LENGTH = 64;

    bytes32 private constant _ADMIT_TYPEHASH =
        keccak256("AdmitParticipant(string code,string name,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _SUSPEND_TYPEHASH =
        keccak256("SuspendParticipant(string code,bytes32 reason,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REINSTATE_TYPEHASH =
        keccak256("ReinstateParticipant(string code,address signer,uint256 nonce,uint256 deadline)");
    bytes32 private constant _APPOINT_TYPEHASH = keccak256(
        "AppointAuthority(string participant,address account,string name,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _DISMISS_TYPEHASH = keccak256(
        "DismissAuthority(string participant,address account,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _MAX_VALIDITY_TYPEHASH = keccak256(
        "SetMaxCertificateValidity(uint64 maxValidity,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _LICENSE_TYPEHASH = keccak256(
        "LicenseOperator(address account,uint8 roles,string name,string licenceNumber,string registryRef,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _UPDATE_PROFILE_TYPEHASH = keccak256(
        "UpdateOperatorProfile(address account,string name,string licenceNumber,string registryRef,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _REVOKE_TYPEHASH =
        keccak256("RevokeOperator(address account,uint8 roles,address signer,uint256 nonce,uint256 deadline)");

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
    mapping(address account => Profile) private _profiles;
    mapping(bytes32 role => RoleScope) private _roleScopes;
    /// @dev keccak256(abi.encodePacked(participant, licenceNumber)) => the operator holding it: set when an account
    /// with operator roles takes the number, cleared when it takes another or loses its last operator role.
    mapping(bytes32 licenceKey => address account) private _licenceHolders;
    uint8 private _participantCount;
    uint64 private _maxCertificateValidity;

    /**
     * @param governance The KP Chair / Secretariat account or multisig (not the deployer).
     * @param governanceDelay Seconds a governance hand-over must wait before it can be accepted.
     */
    constructor(address governance, uint48 governanceDelay)
        AccessControlDefaultAdminRules(governanceDelay, governance)
        EIP712("KPRegistry", "1")
    {
        _maxCertificateValidity = DEFAULT_CERTIFICATE_VALIDITY;
        emit MaxCertificateValiditySet(DEFAULT_CERTIFICATE_VALIDITY, msg.sender);
    }

    // ---------------------------------------------------------------- role ids

    /// @notice The role of `code`'s authorities.
    function authorityRole(bytes2 code) public pure returns (bytes32) {
        return _role(code, KPRoles.AUTHORITY);
    }

    /// @notice The role of `code`'s operators of one kind (`roleBit`, e.g. {ROLE_EXPORTER}).
    function operatorRole(bytes2 code, uint8 roleBit) public pure returns (bytes32) {
        return _role(code, roleBit);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IKPRegistry
    function admitParticipant(string calldata code, string calldata name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _admit(code, name);
    }

    /// @inheritdoc IKPRegistry
    function admitParticipantBySig(string calldata code, string calldata name, Authorization calldata auth)
        external
    {
        address signer =
            _authorize(abi.encode(_ADMIT_TYPEHASH, keccak256(bytes(code)), keccak256(bytes(name))), auth);
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _admit(code, name);
    }

    /// @inheritdoc IKPRegistry
    function suspendParticipant(string calldata code, bytes32 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _suspend(code, reason);
    }

    /// @inheritdoc IKPRegistry
    function suspendParticipantBySig(string calldata code, bytes32 reason, Authorization calldata auth) external {
        address signer = _authorize(abi.encode(_SUSPEND_TYPEHASH, keccak256(bytes(code)), reason), auth);
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _suspend(code, reason);
    }

    /// @inheritdoc IKPRegistry
    function reinstateParticipant(string calldata code) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _reinstate(code);
    }

    /// @inheritdoc IKPRegistry
    function reinstateParticipantBySig(string calldata code, Authorization calldata auth) external {
        address signer = _authorize(abi.encode(_REINSTATE_TYPEHASH, keccak256(bytes(code))), auth);
        _checkRole(DEFAULT_ADMIN_ROLE, signer);
        _reinstate(code);
    }

    /// @inheritdoc IKPRegistry
    function appointAuthority(string calldata code, address account, string calldata name) external {
        _appoint(_msgSender(), code, account, name);
    }

    /// @inheritdoc IKPRegistry
    function appointAuthorityBySig(
        string calldata code,
        address account,
        string calldata name,
        Authorization calldata auth
    ) external {
        address signer = _authorize(
            abi.encode(_APPOINT_TYPEHASH, keccak256(bytes(code)), account, keccak256(bytes(name))), auth
        );
        _appoint(signer, code, account, name);
    }

    /// @inheritdoc IKPRegistry
    function dismissAuthority(string calldata code, address account) external {
        _dismiss(_msgSender(), code, account);
    }

    /// @inheritdoc IKPRegistry
    function dismissAuthorityBySig(string calldata code, address account, Authorization calldata auth) external {
        address signer = _authorize(abi.encode(_DISMISS_TYPEHASH, keccak256(bytes(code)), account), auth);
        _dismiss(signer, code, account);
    }

    /// @inheritdoc IKPRegistry
    function setMaxCertificateValidity(uint64 maxValidity) external {
        _setMaxValidity(_msgSender(), maxValidity);
    }

    /// @inheritdoc IKPRegistry
    function setMaxCertificateValidityBySig(uint64 maxValidity, Authorization calldata auth) external {
        _setMaxValidity(_authorize(abi.encode(_MAX_VALIDITY_TYPEHASH, maxValidity), auth), maxValidity);
    }

    // ---------------------------------------------------------------- authorities

    /// @inheritdoc IKPRegistry
    function licenseOperator(
        address account,
        uint8 roles,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) external {
        _license(_msgSender(), account, roles, name, licenceNumber, registryRef);
    }

    /// @inheritdoc IKPRegistry
    function licenseOperatorBySig(
        address account,
        uint8 roles,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef,
        Authorization calldata auth
    ) external {
        bytes memory fields = abi.encode(
            _LICENSE_TYPEHASH,
            account,
            roles,
            keccak256(bytes(name)),
            keccak256(bytes(licenceNumber)),
            keccak256(bytes(registryRef))
        );
        _license(_authorize(fields, auth), account, roles, name, licenceNumber, registryRef);
    }

    /// @inheritdoc IKPRegistry
    function updateOperatorProfile(
        address account,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) external {
        _updateProfile(_msgSender(), account, name, licenceNumber, registryRef);
    }

    /// @inheritdoc IKPRegistry
    function updateOperatorProfileBySig(
        address account,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef,
        Authorization calldata auth
    ) external {
        bytes memory fields = abi.encode(
            _UPDATE_PROFILE_TYPEHASH,
            account,
            keccak256(bytes(name)),
            keccak256(bytes(licenceNumber)),
            keccak256(bytes(registryRef))
        );
        _updateProfile(_authorize(fields, auth), account, name, licenceNumber, registryRef);
    }

    /// @inheritdoc IKPRegistry
    function revokeOperator(address account, uint8 roles) external {
        _revokeOperator(_msgSender(), account, roles);
    }

    /// @inheritdoc IKPRegistry
    function revokeOperatorBySig(address account, uint8 roles, Authorization calldata auth) external {
        _revokeOperator(_authorize(abi.encode(_REVOKE_TYPEHASH, account, roles), auth), account, roles);
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
    function profile(address account) external view returns (Profile memory) {
        return _profiles[account];
    }

    /// @inheritdoc IKPRegistry
    function licenceHolder(bytes2 code, string calldata licenceNumber) external view returns (address) {
        return _licenceHolders[_licenceKey(code, licenceNumber)];
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

    /// @inheritdoc IKPRegistry
    function maxCertificateValidity() external view returns (uint64) {
        return _maxCertificateValidity;
    }

    // ---------------------------------------------------------------- generic AccessControl entry points

    /// @dev Every role but governance's is refused here (see {KPRegistryScopedRole}), also the roles of a participant
    /// not admitted yet: granted ahead, such a role would be held in AccessControl but not in the {Member} record,
    /// which no licence could then change or revoke. {_grant} and {_revoke} call the parent's function directly.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role != DEFAULT_ADMIN_ROLE) revert KPRegistryScopedRole(role);
        return super._grantRole(role, account);
    }

    /// @dev Every role but governance's is refused here (see {_grantRole}).
    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        if (role != DEFAULT_ADMIN_ROLE) revert KPRegistryScopedRole(role);
        return super._revokeRole(role, account);
    }

    // ---------------------------------------------------------------- internals

    function _role(bytes2 code, uint8 roleBit) private pure returns (bytes32) {
        return keccak256(abi.encode("KP.ROLE", code, roleBit));
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
        bytes32 authority = _role(c, KPRoles.AUTHORITY);
        _roleScopes[authority] = RoleScope(c, KPRoles.AUTHORITY);
        for (uint8 i = 1; i < KPRoles.KINDS; ++i) {
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

    function _appoint(address caller, string calldata code, address account, string calldata name) private {
        _checkRole(DEFAULT_ADMIN_ROLE, caller);
        (bytes2 c,) = _existing(code);
        _checkLength("name", bytes(name).length, 1, MAX_NAME_LENGTH);
        if (account == address(0)) revert KPRegistryZeroAccount();
        _grant(_role(c, KPRoles.AUTHORITY), account, caller);
        // an authority's profile is its public name only (a former operator's licence number is not its own any more)
        _setProfile(account, c, name, "", "", caller);
    }

    function _dismiss(address caller, string calldata code, address account) private {
        _checkRole(DEFAULT_ADMIN_ROLE, caller);
        (bytes2 c,) = _existing(code);
        if (account == address(0)) revert KPRegistryZeroAccount();
        if (!_revoke(_role(c, KPRoles.AUTHORITY), account, caller)) {
            revert KPRegistryRoleNotHeld(account, KPRoles.AUTHORITY);
        }
    }

    function _setMaxValidity(address caller, uint64 maxValidity) private {
        _checkRole(DEFAULT_ADMIN_ROLE, caller);
        if (maxValidity < MIN_CERTIFICATE_VALIDITY || maxValidity > MAX_CERTIFICATE_VALIDITY) {
            revert KPRegistryInvalidValidity(maxValidity, MIN_CERTIFICATE_VALIDITY, MAX_CERTIFICATE_VALIDITY);
        }
        if (maxValidity == _maxCertificateValidity) return;
        _maxCertificateValidity = maxValidity;
        emit MaxCertificateValiditySet(maxValidity, caller);
    }

    /// @dev The caller's participant, if the caller is one of its authorities (whatever its status).
    function _authorityOf(address caller) private view returns (bytes2) {
        Member memory m = _members[caller];
        if (m.roles & KPRoles.AUTHORITY == 0) revert KPRegistryNotAuthority(caller);
        return m.participant;
    }

    function _checkOperatorRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~KPRoles.OPERATORS != 0) revert KPRegistryInvalidRoles(roles);
    }

    function _license(
        address caller,
        address account,
        uint8 roles,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) private {
        _checkOperatorRoles(roles);
        bytes2 c = _authorityOf(caller);
        _checkProfile(name, licenceNumber, registryRef);
        if (account == address(0)) revert KPRegistryZeroAccount();
        for (uint8 i = 1; i < KPRoles.KINDS; ++i) {
            uint8 bit = uint8(1 << i);
            if (roles & bit != 0) _grant(_role(c, bit), account, caller);
        }
        _claimLicenceNumber(account, c, licenceNumber);
        _setProfile(account, c, name, licenceNumber, registryRef, caller);
    }

    function _updateProfile(
        address caller,
        address account,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) private {
        bytes2 c = _authorityOf(caller);
        if (_participants[c].status != ParticipantStatus.Active) revert KPRegistryParticipantSuspended(c);
        _checkProfile(name, licenceNumber, registryRef);
        Member memory m = _members[account];
        if (m.participant != c) {
            if (m.participant == bytes2(0)) revert KPRegistryNotOperator(account);
            revert KPRegistryAccountOfOtherParticipant(account, m.participant);
        }
        if (m.roles & KPRoles.OPERATORS == 0) revert KPRegistryNotOperator(account);
        _claimLicenceNumber(account, c, licenceNumber);
        _setProfile(account, c, name, licenceNumber, registryRef, caller);
    }

    function _revokeOperator(address caller, address account, uint8 roles) private {
        _checkOperatorRoles(roles);
        bytes2 c = _authorityOf(caller);
        if (account == address(0)) revert KPRegistryZeroAccount();
        Member memory m = _members[account];
        if (m.participant != c && m.participant != bytes2(0)) {
            revert KPRegistryAccountOfOtherParticipant(account, m.participant);
        }
        uint8 missing = roles & ~m.roles;
        if (m.participant == bytes2(0)) missing = roles;
        if (missing != 0) revert KPRegistryRoleNotHeld(account, missing);
        for (uint8 i = 1; i < KPRoles.KINDS; ++i) {
            uint8 bit = uint8(1 << i);
            if (roles & bit != 0) _revoke(_role(c, bit), account, caller);
        }
        // no licence left: the number is free for another account (the licensee's new key, say)
        if (_members[account].roles & KPRoles.OPERATORS == 0) _releaseLicenceNumber(account, c);
    }

    function _licenceKey(bytes2 c, string memory licenceNumber) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(c, licenceNumber));
    }

    /// @dev Makes `account` (holding an operator role of `c`) the holder of `licenceNumber`, freeing its previous
    /// number; refused when another operator of `c` holds it.
    function _claimLicenceNumber(address account, bytes2 c, string calldata licenceNumber) private {
        bytes32 key = _licenceKey(c, licenceNumber);
        address holder = _licenceHolders[key];
        if (holder == account) return;
        if (holder != address(0)) revert KPRegistryLicenceNumberTaken(c, licenceNumber, holder);
        _releaseLicenceNumber(account, c);
        _licenceHolders[key] = account;
    }

    /// @dev Frees the number in `account`'s profile if `account` holds it.
    function _releaseLicenceNumber(address account, bytes2 c) private {
        string memory previous = _profiles[account].licenceNumber;
        if (bytes(previous).length == 0) return;
        bytes32 key = _licenceKey(c, previous);
        if (_licenceHolders[key] == account) delete _licenceHolders[key];
    }

    function _checkProfile(string calldata name, string calldata licenceNumber, string calldata registryRef)
        private
        pure
    {
        _checkLength("name", bytes(name).length, 1, MAX_NAME_LENGTH);
        _checkLength("licenceNumber", bytes(licenceNumber).length, 1, MAX_LICENCE_LENGTH);
        _checkLength("registryRef", bytes(registryRef).length, 0, MAX_REGISTRY_REF_LENGTH);
    }

    function _checkLength(string memory field, uint256 length, uint256 min, uint256 max) private pure {
        if (length < min || length > max) revert KPRegistryInvalidProfileField(field, length, min, max);
    }

    /// @dev Writes the profile and emits {MemberProfileChanged}, unless it is unchanged.
    function _setProfile(
        address account,
        bytes2 c,
        string memory name,
        string memory licenceNumber,
        string memory registryRef,
        address by
    ) private {
        Profile storage p = _profiles[account];
        if (
            keccak256(bytes(p.name)) == keccak256(bytes(name))
                && keccak256(bytes(p.licenceNumber)) == keccak256(bytes(licenceNumber))
                && keccak256(bytes(p.registryRef)) == keccak256(bytes(registryRef))
        ) return;
        (p.name, p.licenceNumber, p.registryRef) = (name, licenceNumber, registryRef);
        emit MemberProfileChanged(account, c, name, licenceNumber, registryRef, by);
    }

    /// @dev Keeps the packed {Member} record in step with AccessControl, enforces that an
    /// account serves one participant, is an authority or an operator but not both, and that a
    /// suspended participant licenses no one, and emits {MemberRolesChanged} naming `by` (the
    /// signer when relayed).
    function _grant(bytes32 role, address account, address by) private returns (bool granted) {
        RoleScope memory scope = _roleScopes[role];
        if (_participants[scope.participant].status == ParticipantStatus.Suspended) {
            revert KPRegistryParticipantSuspended(scope.participant);
        }
        Member storage m = _members[account];
        uint8 held = m.roles;
        if (scope.bit == KPRoles.AUTHORITY) {
            if (held & KPRoles.OPERATORS != 0) {
                revert KPRegistryAccountIsOperator(account, m.participant, held & KPRoles.OPERATORS);
            }
        } else if (held & KPRoles.AUTHORITY != 0) {
            revert KPRegistryAccountIsAuthority(account, m.participant);
        }
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

    /// @dev Revokes a scoped role; returns false (and emits nothing) when the account does not hold it.
    function _revoke(bytes32 role, address account, address by) private returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked) {
            RoleScope memory scope = _roleScopes[role];
            Member storage m = _members[account];
            uint8 roles = m.roles & ~scope.bit;
            // The account stays bound to its participant even with no role left: were it
            // freed, lots it still holds would change country without a certificate.
            m.roles = roles;
            emit MemberRolesChanged(account, scope.participant, roles, by);
        }
    }
}
