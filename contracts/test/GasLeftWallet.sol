// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/**
 * @title GasLeftWallet (TEST ONLY, never deployed in production)
 * @notice An attacker's ERC-1271 wallet that tells the relayer's pre-check from the ledger by the gas it is given:
 * with less than {HONEST_BELOW} left (an `eth_call` of `isValidSignature` with a 100k-gas transaction) it accepts
 * any signature; given the ledger's whole allowance it burns every unit of it. Anyone can deploy one and name it
 * as the signer of a relayed request.
 */
contract GasLeftWallet is IERC1271 {
    uint256 public constant HONEST_BELOW = 90_000;

    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        if (gasleft() < HONEST_BELOW) return this.isValidSignature.selector;
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return bytes4(uint32(x));
    }
}
