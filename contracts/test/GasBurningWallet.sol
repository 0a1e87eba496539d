// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/**
 * @title GasBurningWallet (TEST ONLY, never deployed in production)
 * @notice An attacker's ERC-1271 wallet whose `isValidSignature` burns every unit of gas it is given.
 * Anyone can deploy one and name it as the signer of a relayed request.
 */
contract GasBurningWallet is IERC1271 {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return bytes4(uint32(x));
    }
}
