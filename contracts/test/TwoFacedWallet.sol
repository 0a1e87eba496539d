// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/**
 * @title TwoFacedWallet (TEST ONLY, never deployed in production)
 * @notice An attacker's ERC-1271 wallet that answers honestly (its owner's ECDSA signature) until its
 * owner flips {setTwoFaced} between the relayer's simulation and the execution of the batch; from then
 * on `isValidSignature` burns every unit of gas it is given.
 */
contract TwoFacedWallet is IERC1271 {
    address private immutable _owner;
    bool private _burn;

    constructor(address owner_) {
        _owner = owner_;
    }

    function setTwoFaced(bool burn) external {
        require(msg.sender == _owner);
        _burn = burn;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (_burn) {
            uint256 x;
            while (gasleft() > 0) {
                x = uint256(keccak256(abi.encode(x)));
            }
        }
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == _owner ? this.isValidSignature.selector : bytes4(0);
    }
}
