// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Role bits of the registry's members, shared by every ledger contract
/// @notice A member's roles are a bitmask of these bits ({IKPRegistry-Member}).
library KPRoles {
    uint8 internal constant AUTHORITY = 1 << 0;
    uint8 internal constant PRODUCER = 1 << 1;
    uint8 internal constant EXPORTER = 1 << 2;
    uint8 internal constant IMPORTER = 1 << 3;
    uint8 internal constant TRADER = 1 << 4;
    uint8 internal constant MANUFACTURER = 1 << 5;
    /// @notice Every operator role (all but {AUTHORITY}): producer, exporter, importer, trader, manufacturer.
    uint8 internal constant OPERATORS = PRODUCER | EXPORTER | IMPORTER | TRADER | MANUFACTURER;
    /// @notice Number of role bits (bits 0..KINDS-1).
    uint8 internal constant KINDS = 6;
}
