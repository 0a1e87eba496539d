// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Kimberley Process participant registry
 * @notice Who may act on the ledger: KP participants (by ISO 3166-1 alpha-2 code), their
 * authorities, and the operators those authorities license.
 *
 * Governance (the KP Chair / Secretariat, an account or a multisig) admits, suspends and
 * reinstates participants and appoints their authorities. Each participant's authorities
 * license and revoke that participant's own operators, and nobody else's.
 */
interface IKPRegistry {
    /// @notice Lifecycle of a participant.
    enum ParticipantStatus {
        None,
        Active,
        Suspended
    }

    /// @notice What the ledger needs to know about an account, in one read.
    /// @param participant ISO code of the participant the account belongs to (0 if none).
    /// @param roles Bitmask of {ROLE_AUTHORITY}, {ROLE_PRODUCER}, ... held by the account.
    /// @param index The participant's index (1..192) used in origin bitmasks.
    /// @param status The participant's current status.
    struct Member {
        bytes2 participant;
        uint8 roles;
        uint8 index;
        ParticipantStatus status;
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
    /// @notice The caller is not an authority of any active participant.
    error KPRegistryNotAuthority(address account);
    /// @notice The role bitmask is empty or names roles that do not exist for operators.
    error KPRegistryInvalidRoles(uint8 roles);
    /// @notice The account is the zero address.
    error KPRegistryZeroAccount();

    /// @notice A participant was admitted to the scheme.
    event ParticipantAdmitted(bytes2 indexed participant, uint8 index, string name);
    /// @notice A participant was suspended; `reason` commits to the decision document.
    event ParticipantSuspended(bytes2 indexed participant, bytes32 reason);
    /// @notice A suspended participant was reinstated.
    event ParticipantReinstated(bytes2 indexed participant);
    /// @notice The set of roles an account holds for a participant changed; `roles` is the new set.
    event MemberRolesChanged(address indexed account, bytes2 indexed participant, uint8 roles, address indexed by);

    /**
     * @notice Admits a participant by its ISO 3166-1 alpha-2 code (the EU is one participant).
     * Requirements: caller is governance; the code is new and well-formed.
     * Emits a {ParticipantAdmitted} event.
     */
    function admitParticipant(string calldata code, string calldata name) external;

    /**
     * @notice Suspends an active participant: its authorities and operators can do nothing.
     * Requirements: caller is governance; the participant is active.
     * Emits a {ParticipantSuspended} event.
     */
    function suspendParticipant(string calldata code, bytes32 reason) external;

    /**
     * @notice Restores a suspended participant's rights.
     * Requirements: caller is governance; the participant is suspended.
     * Emits a {ParticipantReinstated} event.
     */
    function reinstateParticipant(string calldata code) external;

    /**
     * @notice Appoints (`appoint` true) or dismisses an authority account of a participant.
     * Requirements: caller is governance; the participant exists; the account belongs to no
     * other participant.
     * Emits a {MemberRolesChanged} event when the account's roles change.
     */
    function setAuthority(string calldata code, address account, bool appoint) external;

    /**
     * @notice Grants operator roles (bitmask of producer, exporter, importer, trader,
     * manufacturer) to `account` for the caller's own participant.
     * Requirements: caller is an authority of an active participant; the account belongs to
     * no other participant.
     * Emits a {MemberRolesChanged} event when the account's roles change.
     */
    function licenseOperator(address account, uint8 roles) external;

    /**
     * @notice Revokes operator roles of one of the caller's own participant's operators.
     * Allowed while the participant is suspended (withdrawing licences is always possible).
     * Emits a {MemberRolesChanged} event when the account's roles change.
     */
    function revokeOperator(address account, uint8 roles) external;

    /// @notice The account's participant, roles and that participant's index and status.
    function member(address account) external view returns (Member memory);

    /// @notice Status and origin-bitmask index of a participant.
    function participant(bytes2 code) external view returns (ParticipantStatus status, uint8 index);

    /// @notice ISO code of the participant with origin-bitmask index `index`.
    function participantAt(uint8 index) external view returns (bytes2);
}
