// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title HS codes of rough diamonds under the Kimberley Process
/// @notice Stored as 1..3, written as the six digits of the heading.
library HsCodes {
    uint8 internal constant UNSORTED = 1; // 7102.10
    uint8 internal constant INDUSTRIAL = 2; // 7102.21
    uint8 internal constant NON_INDUSTRIAL = 3; // 7102.31

    /// @notice HS code is not 710210, 710221 or 710231.
    error HsCodesInvalid(uint32 hsCode);

    function fromCode(uint32 hsCode) internal pure returns (uint8) {
        if (hsCode == 710210) return UNSORTED;
        if (hsCode == 710221) return INDUSTRIAL;
        if (hsCode == 710231) return NON_INDUSTRIAL;
        revert HsCodesInvalid(hsCode);
    }

    function toCode(uint8 hs) internal pure returns (uint32) {
        if (hs == UNSORTED) return 710210;
        if (hs == INDUSTRIAL) return 710221;
        if (hs == NON_INDUSTRIAL) return 710231;
        return 0;
    }
}
