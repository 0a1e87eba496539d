// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {IKPIntents} from "../interfaces/IKPIntents.sol";

/**
 * @title Typed intents verified in the contract (see {IKPIntents})
 * @notice Why typed intents verified in the contract, not an ERC-2771 forwarder: a forwarder signs
 * generic calldata (wallets show bytes), ERC-2771 combined with Multicall allows sender spoofing unless
 * every contract gets it right, and it cost more here. Measured by this project's gas report
 * * (`make gas`, README "Gas"): the relayed twin of a write costs about 17k gas more than the direct call
 * (3k of it ecrecover, the rest hashing, the signature's calldata and the nonce update), against about
 * 22k more through OpenZeppelin's `ERC2771Forwarder.execute`. With typed intents the signer is an
 * explicit, signed argument, and the relayer can never act in its own name through this path.
 *
 * Nonces are keyed (OpenZeppelin {NoncesKeyed}): `nonce = key << 64 | sequence`.
 *
 * Contract signers (a multisig governance or authority) are accepted through ERC-1271, with a fixed
 * gas allowance ({ERC1271_GAS}): a wallet cannot burn more than that, and a call that cannot give it
 * that much reverts with {KPIntentInsufficientGas} instead of letting the 63/64 rule starve the wallet
 * into a false "invalid signature". (OpenZeppelin 5.4's `SignatureChecker` imports `Bytes`, which uses
 * the Cancun-only MCOPY opcode, so the check is written out in {_isValidSignature} for Shanghai.)
 */
abstract contract KPIntents is IKPIntents, EIP712, NoncesKeyed {
    /**
     * @notice Gas given to a contract signer's `isValidSignature`: 100,000. A Safe-style k-of-n check
     * costs about 6.5k gas per signature, measured here with `MultisigWallet` (a test model of Safe's
     * `checkSignatures`: the wallet's own hash of the digest, then per signature an ecrecover and a
     * cold owner lookup): about 20k for 3 signatures and 66k for 10, so a multisig of up to ten
     * signers fits with a third to spare for a Safe's fallback-handler indirection. An attacker's
     * wallet (anyone may name a contract as signer, and the signature is checked before any role)
     * can burn no more than this per request.
     */
    uint256 public constant ERC1271_GAS = 100_000;

    /// @dev Gas spent between the check of `gasleft()` and the STATICCALL opcode itself (warm address).
    uint256 private constant _CALL_OVERHEAD = 1_000;

    /**
     * @dev Checks deadline, nonce and signature of an intent, consumes the nonce and returns the signer.
     * `fields` is `abi.encode(TYPEHASH, <the business fields, EIP-712 encoded>)`; the authorization's
     * signer, nonce and deadline are appended here, so every intent's struct ends with them.
     */
    function _authorize(bytes memory fields, Authorization calldata auth) internal returns (address) {
        bytes32 structHash = keccak256(bytes.concat(fields, abi.encode(auth.signer, auth.nonce, auth.deadline)));
        // a deadline is a time: seconds of drift by a block producer do not matter for it
        // slither-disable-next-line timestamp
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

    /// @dev ECDSA for accounts with no code, ERC-1271 with {ERC1271_GAS} for contracts.
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool valid)
    {
        if (signer.code.length == 0) {
            // the third value only details a RecoverError, which already means "not valid"
            // slither-disable-next-line unused-return
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
            return err == ECDSA.RecoverError.NoError && recovered == signer;
        }
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        // The wallet must get its whole allowance: the EVM passes at most 63/64 of what is left.
        uint256 needed = ERC1271_GAS + ERC1271_GAS / 63 + _CALL_OVERHEAD;
        if (gasleft() < needed) revert KPIntentInsufficientGas(signer, gasleft(), needed);
        bytes4 magic = IERC1271.isValidSignature.selector;
        // Only the first 32 bytes of the answer are copied: a wallet cannot make us pay for a huge
        // return (a "return bomb"), and a short or failed answer is simply not valid.
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            mstore(0x00, 0)
            let ok := staticcall(ERC1271_GAS, signer, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), magic)))
        }
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
