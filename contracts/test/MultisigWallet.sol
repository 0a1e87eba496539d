// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/**
 * @title MultisigWallet (TEST ONLY, never deployed in production)
 * @notice A k-of-n ERC-1271 multisig modelled on Safe's `checkSignatures`: the digest is wrapped in the
 * wallet's own hash (bound to its address, as Safe's `getMessageHashForSafe` does), then `threshold`
 * 65-byte signatures by distinct owners in ascending address order are each recovered and looked up in
 * storage. Used to measure what a real multisig's check costs against the ERC-1271 gas cap.
 */
contract MultisigWallet is IERC1271 {
    mapping(address owner => bool) private _isOwner;
    uint256 private immutable _threshold;

    constructor(address[] memory owners, uint256 threshold) {
        for (uint256 i = 0; i < owners.length; ++i) {
            _isOwner[owners[i]] = true;
        }
        _threshold = threshold;
    }

    /// @notice The hash the owners sign for `digest` (bound to this wallet and chain).
    function walletHash(bytes32 digest) public view returns (bytes32) {
        return keccak256(abi.encode(keccak256("KPTestMultisig(bytes32 digest)"), block.chainid, address(this), digest));
    }

    function isValidSignature(bytes32 digest, bytes calldata signatures) external view returns (bytes4) {
        bytes32 hash = walletHash(digest);
        if (signatures.length != 65 * _threshold) return bytes4(0);
        address last;
        for (uint256 i = 0; i < _threshold; ++i) {
            (address owner, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signatures[65 * i:65 * (i + 1)]);
            if (err != ECDSA.RecoverError.NoError || owner <= last || !_isOwner[owner]) return bytes4(0);
            last = owner;
        }
        return this.isValidSignature.selector;
    }
}
