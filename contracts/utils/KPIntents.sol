// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";

/**
 * @title Typed intents: writes signed by a participant and submitted by a relayer
 * @notice Every write of the ledger has a `...BySig` twin that takes the business fields plus
 * an {Authorization}. The signer signs an EIP-712 message whose fields are the business
 * fields ("offer consignment 7 to 0xabc under seal S"), so a wallet shows what is being
 * approved, not opaque calldata.
 *
 * Why typed intents verified in the contract, not an ERC-2771 forwarder: measured here, the
 * in-contract check costs about 12k gas over a direct call against about 22k for
 * `ERC2771Forwarder.execute`; a forwarder signs generic calldata (wallets show bytes); and
 * ERC-2771 combined with Multicall allows sender spoofing unless every contract gets it
 * right. With typed intents the signer is an explicit argument, checked here, and the
 * relayer can never act in its own name through this path. (Measured in this project's gas
 * report: the relayed twin of a write costs about 16k gas more than the direct call, of which
 * 3k is ecrecover and the rest hashing, calldata of the signature and the nonce update.)
 *
 * Nonces are keyed (OpenZeppelin {NoncesKeyed}): `nonce = key << 64 | sequence`. Key 0 is a
 * plain sequence; a client that signs several intents to run in any order uses one key each.
 * Signatures from contracts (a multisig governance) are accepted through ERC-1271. (OpenZeppelin
 * 5.4's `SignatureChecker` imports `Bytes`, which uses the Cancun-only MCOPY opcode, so the two
 * checks it would do are written out in {_isValidSignature} to keep the Shanghai target.)
 */
abstract contract KPIntents is EIP712, NoncesKeyed {
    /// @notice Who signed, which nonce, until when, and the signature (65 bytes, or ERC-1271).
    struct Authorization {
        address signer;
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    /// @notice The intent's deadline has passed.
    error KPIntentExpired(address signer, uint256 deadline);
    /// @notice The nonce was already used or is out of sequence (a replay).
    error KPIntentBadNonce(address signer, uint256 nonce, uint256 expected);
    /// @notice The signature is not the signer's over this intent.
    error KPIntentInvalidSignature(address signer);

    /**
     * @dev Checks deadline, nonce and signature of an intent whose EIP-712 struct hash (which
     * includes `nonce` and `deadline`) is `structHash`, consumes the nonce and returns the signer.
     */
    function _authorize(bytes32 structHash, Authorization calldata auth) internal returns (address) {
        if (block.timestamp > auth.deadline) revert KPIntentExpired(auth.signer, auth.deadline);
        uint192 key = uint192(auth.nonce >> 64);
        uint256 expected = nonces(auth.signer, key);
        if (auth.nonce != expected) revert KPIntentBadNonce(auth.signer, auth.nonce, expected);
        if (!_isValidSignature(auth.signer, _hashTypedDataV4(structHash), auth.signature)) {
            revert KPIntentInvalidSignature(auth.signer);
        }
        _useNonce(auth.signer, key);
        return auth.signer;
    }

    /// @dev ECDSA for accounts with no code, ERC-1271 for contracts (a multisig).
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (signer.code.length == 0) {
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
            return err == ECDSA.RecoverError.NoError && recovered == signer;
        }
        (bool ok, bytes memory result) =
            signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
        return ok && result.length >= 32 && abi.decode(result, (bytes32)) == bytes32(IERC1271.isValidSignature.selector);
    }

    /// @dev EIP-712 encoding of a `string[]` member.
    function _hashStrings(string[] calldata values) internal pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](values.length);
        for (uint256 i = 0; i < values.length; ++i) {
            hashes[i] = keccak256(bytes(values[i]));
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
