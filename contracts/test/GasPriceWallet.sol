// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/**
 * @title GasPriceWallet (TEST ONLY, never deployed in production)
 * @notice An attacker's two-faced ERC-1271 wallet that needs no transaction to change face: at gas price 0 (an
 * `eth_call`, which is how a relayer simulates) it answers honestly (its owner's ECDSA signature); in a priced
 * transaction `isValidSignature` burns every unit of gas it is given.
 */
contract GasPriceWallet is IERC1271 {
    address private immutable _owner;

    constructor(address owner_) {
        _owner = owner_;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (tx.gasprice != 0) {
            uint256 x;
            while (gasleft() > 0) {
                x = uint256(keccak256(abi.encode(x)));
            }
        }
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == _owner ? this.isValidSignature.selector : bytes4(0);
    }
}
