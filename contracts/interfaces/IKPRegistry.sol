// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKPIntents} from "./IKPIntents.sol";

/**
 * @title Kimberley Process participant registry
 * @notice Who may act on the ledger: KP participants (by ISO 3166-1 alpha-2 code), their
 * authorities, and the operators those authorities license, each with a public name.
 *
 * Governance (the KP Chair / Secretariat, an account or a multisig) admits, suspends and
 * reinstates participants, appoints and dismisses their authorities, and sets the longest
 * validity of a KP certificate. Each participant's authorities license and revoke that
 * participant's own operators, and nobody else's. No account is an authority and an operator at
 * once (separation of duties), and a licence number names one operator of a participant. While a
 * participant is suspended its authorities and operators can do nothing, except revoking licences.
 */
interface IKPRegistry is IKPIntents {
    /// @notice Lifecycle of a participant.
    enum ParticipantStatus {
        None,
        Active,
        Suspended
    }

    /// @notice What the ledger needs to know about an account, in one read.
    /// @param participant ISO code of the participant the account belongs to (0 if none).
    /// @param roles Bitmask of {KPRoles} bits (authority, producer, exporter, ...) held by the account.
    /// @param index The participant's index (1..192) used in origin bitmasks.
    /// @param status The participant's current status.
    struct Member {
        bytes2 participant;
        uint8 roles;
        uint8 index;
        ParticipantStatus status;
    }

    /// @notice A member's public identity: KP authorities publish their licensed operators.
    /// @param name Legal name (1..120 bytes).
    /// @param licenceNumber National licence number (1..64 bytes; empty for an authority).
    /// @param registryRef Optional country-specific registry reference (0..64 bytes).
    struct Profile {
        string name;
        string licenceNumber;
        string registryRef;
    }

    /// @notice An ISO code is not two upper-case ASCII letters.
    error KPRegistryInvalidCode(string code);
    /// @notice The participant was already admitted.
    error KPRegistryParticipantExists(bytes2 participant);
    /// @notice The participant is not admitted.
    error KPRegistryUnknownParticipant(bytes2 participant);
    /// @notice The participant is suspended; it can do nothing until reinstated.
    error KPRegistryParticipantSuspended(bytes2 participant);
    /// @notice The participant is not suspended, so it cannot be reinstated.
    error KPRegistryParticipantNotSuspended(bytes2 participant);
    /// @notice All participant slots (origin bitmask bits) are used.
    error KPRegistryTooManyParticipants(uint256 max);
    /// @notice The account belongs to another participant (for good: accounts never change country).
    error KPRegistryAccountOfOtherParticipant(address account, bytes2 participant);
    /// @notice The caller is not an authority of any participant.
    error KPRegistryNotAuthority(address account);
    /// @notice The account holds no operator role (a profile belongs to a licensed operator).
    error KPRegistryNotOperator(address account);
    /// @notice The role bitmask is empty or names roles that do not exist for operators.
    error KPRegistryInvalidRoles(uint8 roles);
    /// @notice The account does not hold `roles`, the requested role bits it lacks: nothing to revoke.
    error KPRegistryRoleNotHeld(address account, uint8 roles);
    /// @notice The account is the zero address.
    error KPRegistryZeroAccount();
    /// @notice A profile field (`name`, `licenceNumber` or `registryRef`) is shorter or longer than allowed.
    error KPRegistryInvalidProfileField(string field, uint256 length, uint256 min, uint256 max);
    /// @notice A maximum certificate validity outside the allowed range (seconds).
    error KPRegistryInvalidValidity(uint64 maxValidity, uint64 min, uint64 max);
    /// @notice Only governance's own role goes through `grantRole` / `revokeRole`: participants' roles (of an admitted
    /// participant or not) change only through licenseOperator, revokeOperator, appointAuthority and dismissAuthority.
    error KPRegistryScopedRole(bytes32 role);
    /// @notice The account is an authority, which is never licensed as an operator (separation of duties: an authority
    /// certifying its own exports defeats the KP).
    error KPRegistryAccountIsAuthority(address account, bytes2 participant);
    /// @notice The account holds operator licences (`roles`): an operator is never appointed authority (separation of
    /// duties); its authority revokes them first.
    error KPRegistryAccountIsOperator(address account, bytes2 participant, uint8 roles);
    /// @notice The participant's licence number is held by another of its operators (`holder`): a licence number names
    /// one operator.
    error KPRegistryLicenceNumberTaken(bytes2 participant, string licenceNumber, address holder);

    /// @notice A participant was admitted to the scheme.
    event ParticipantAdmitted(bytes2 indexed participant, uint8 index, string name);
    /// @notice A participant was suspended; `reason` commits to the decision document.
    event ParticipantSuspended(bytes2 indexed participant, bytes32 reason);
    /// @notice A suspended participant was reinstated.
    event ParticipantReinstated(bytes2 indexed participant);
    /// @notice The set of roles an account holds for a participant changed; `roles` is the new set.
    event MemberRolesChanged(address indexed account, bytes2 indexed participant, uint8 roles, address indexed by);
    /// @notice A member's public profile was set or changed; the fields are the new profile.
    event MemberProfileChanged(
        address indexed account,
        bytes2 indexed participant,
        string name,
        string licenceNumber,
        string registryRef,
        address indexed by
    );
    /// @notice Governance set the longest validity of a KP certificate (seconds from issue to expiry).
    event MaxCertificateValiditySet(uint64 maxValidity, address indexed by);

    /**
     * @notice Admits a participant by its ISO 3166-1 alpha-2 code (the EU is one participant).
     * Requirements: caller is governance; the code is new and well-formed.
     * Emits a {ParticipantAdmitted} event.
     */
    function admitParticipant(string calldata code, string calldata name) external;

    /// @notice {admitParticipant} signed by governance and relayed. EIP-712:
    /// `AdmitParticipant(string code,string name,address signer,uint256 nonce,uint256 deadline)`.
    function admitParticipantBySig(string calldata code, string calldata name, Authorization calldata auth) external;

    /**
     * @notice Suspends an active participant: its authorities and operators can do nothing
     * (revoking licences excepted) until reinstated.
     * Requirements: caller is governance; the participant is active.
     * Emits a {ParticipantSuspended} event.
     */
    function suspendParticipant(string calldata code, bytes32 reason) external;

    /// @notice {suspendParticipant} signed by governance and relayed. EIP-712:
    /// `SuspendParticipant(string code,bytes32 reason,address signer,uint256 nonce,uint256 deadline)`.
    function suspendParticipantBySig(string calldata code, bytes32 reason, Authorization calldata auth) external;

    /**
     * @notice Restores a suspended participant's rights.
     * Requirements: caller is governance; the participant is suspended.
     * Emits a {ParticipantReinstated} event.
     */
    function reinstateParticipant(string calldata code) external;

    /// @notice {reinstateParticipant} signed by governance and relayed. EIP-712:
    /// `ReinstateParticipant(string code,address signer,uint256 nonce,uint256 deadline)`.
    function reinstateParticipantBySig(string calldata code, Authorization calldata auth) external;

    /**
     * @notice Appoints `account` an authority of `participant` under its public `name`, or renames
     * an authority (only governance names an authority; its profile carries no licence number).
     * Requirements: caller is governance; the participant is admitted and active; the account
     * belongs to no other participant and holds no operator role; the name is 1..120 bytes.
     * Emits a {MemberRolesChanged} event when the account was not yet an authority and a
     * {MemberProfileChanged} event when its profile changes; nothing when both are unchanged.
     */
    // the parameter is the ISO code, named like the EIP-712 field; it hides the view participant() only here
    // slither-disable-next-line shadowing-local
    function appointAuthority(string calldata participant, address account, string calldata name) external;

    /// @notice {appointAuthority} signed by governance and relayed. EIP-712:
    /// `AppointAuthority(string participant,address account,string name,address signer,uint256 nonce,uint256 deadline)`.
    function appointAuthorityBySig(
        // the ISO code, named like the EIP-712 field; it hides the view participant() only here
        // slither-disable-next-line shadowing-local
        string calldata participant,
        address account,
        string calldata name,
        Authorization calldata auth
    ) external;

    /**
     * @notice Dismisses an authority of `participant` (allowed while it is suspended).
     * Requirements: caller is governance; the participant is admitted; the account is its authority.
     * Emits a {MemberRolesChanged} event.
     */
    // the parameter is the ISO code, named like the EIP-712 field; it hides the view participant() only here
    // slither-disable-next-line shadowing-local
    function dismissAuthority(string calldata participant, address account) external;

    /// @notice {dismissAuthority} signed by governance and relayed. EIP-712:
    /// `DismissAuthority(string participant,address account,address signer,uint256 nonce,uint256 deadline)`.
    // the parameter is the ISO code, named like the EIP-712 field; it hides the view participant() only here
    // slither-disable-next-line shadowing-local
    function dismissAuthorityBySig(string calldata participant, address account, Authorization calldata auth)
        external;

    /**
     * @notice Sets the longest validity (seconds from issue to expiry) of a KP certificate.
     * Requirements: caller is governance; 1 day <= `maxValidity` <= 365 days.
     * Emits a {MaxCertificateValiditySet} event when the value changes (nothing when it is the same).
     */
    function setMaxCertificateValidity(uint64 maxValidity) external;

    /// @notice {setMaxCertificateValidity} signed by governance and relayed. EIP-712:
    /// `SetMaxCertificateValidity(uint64 maxValidity,address signer,uint256 nonce,uint256 deadline)`.
    function setMaxCertificateValidityBySig(uint64 maxValidity, Authorization calldata auth) external;

    /**
     * @notice Licenses `account` as an operator of the caller's own participant with operator roles
     * `roles` (bitmask of producer, exporter, importer, trader, manufacturer), under its legal name,
     * national licence number and an optional registry reference.
     * Requirements: caller is an authority of an active participant; the account belongs to no
     * other participant and is no authority; name 1..120 bytes, licence number 1..64, registry
     * reference 0..64; no other operator of the participant holds the licence number (the account's
     * previous number, if another, is freed).
     * Emits a {MemberRolesChanged} event per role newly granted and a {MemberProfileChanged} event
     * when the profile changes; nothing when both are unchanged.
     */
    function licenseOperator(
        address account,
        uint8 roles,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) external;

    /// @notice {licenseOperator} signed by an authority and relayed. EIP-712:
    /// `LicenseOperator(address account,uint8 roles,string name,string licenceNumber,string registryRef,address signer,uint256 nonce,uint256 deadline)`.
    function licenseOperatorBySig(
        address account,
        uint8 roles,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef,
        Authorization calldata auth
    ) external;

    /**
     * @notice Changes the public profile of one of the caller's own participant's operators.
     * Requirements: caller is an authority of the account's (active) participant; the account
     * holds an operator role; field lengths and licence number as in {licenseOperator}.
     * Emits a {MemberProfileChanged} event when the profile changes (nothing when it is the same).
     */
    function updateOperatorProfile(
        address account,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef
    ) external;

    /// @notice {updateOperatorProfile} signed by an authority and relayed. EIP-712:
    /// `UpdateOperatorProfile(address account,string name,string licenceNumber,string registryRef,address signer,uint256 nonce,uint256 deadline)`.
    function updateOperatorProfileBySig(
        address account,
        string calldata name,
        string calldata licenceNumber,
        string calldata registryRef,
        Authorization calldata auth
    ) external;

    /**
     * @notice Revokes operator roles of one of the caller's own participant's operators.
     * Allowed while the participant is suspended (withdrawing licences is always possible).
     * Requirements: caller is an authority of the account's participant; the account holds every
     * role in `roles`. Its licence number is freed when it holds no operator role left (its profile
     * stays as it was).
     * Emits a {MemberRolesChanged} event per role revoked.
     */
    function revokeOperator(address account, uint8 roles) external;

    /// @notice {revokeOperator} signed by an authority and relayed. EIP-712:
    /// `RevokeOperator(address account,uint8 roles,address signer,uint256 nonce,uint256 deadline)`.
    function revokeOperatorBySig(address account, uint8 roles, Authorization calldata auth) external;

    /// @notice The account's participant, roles and that participant's index and status.
    function member(address account) external view returns (Member memory);

    /// @notice The account's public profile (empty strings if none).
    function profile(address account) external view returns (Profile memory);

    /// @notice The operator of participant `code` that holds `licenceNumber` (the zero address if none): an account
    /// holding an operator role of that participant, whose profile carries the number.
    function licenceHolder(bytes2 code, string calldata licenceNumber) external view returns (address);

    /// @notice Status and origin-bitmask index of a participant.
    function participant(bytes2 code) external view returns (ParticipantStatus status, uint8 index);

    /// @notice ISO code of the participant with origin-bitmask index `index`.
    function participantAt(uint8 index) external view returns (bytes2);

    /// @notice The longest validity of a KP certificate, in seconds from issue to expiry.
    function maxCertificateValidity() external view returns (uint64);
}
