// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Typed intents: writes signed by a participant and submitted by a relayer
 * @notice Every write of the ledger has a `...BySig` twin taking the business fields plus an
 * {Authorization}. The signer signs an EIP-712 message whose primary type is named after the action
 * and whose fields are the business fields followed by `address signer,uint256 nonce,uint256 deadline`
 * (e.g. `OfferCustody(uint256 lotId,address recipient,bytes32 sealId,address signer,uint256 nonce,uint256 deadline)`),
 * in the domain `{name: <contract name>, version: "1", chainId, verifyingContract}`.
 *
 * The signer is part of the signed message: a signature made for one ERC-1271 wallet is not valid
 * for another wallet that happens to accept the same owner's signatures.
 *
 * Every contract verifying intents ({KPIntents}) also has the views `nonces(address signer, uint192 key)`
 * (OpenZeppelin `NoncesKeyed`: `nonce = key << 64 | sequence`), `eip712Domain()` (ERC-5267) and
 * `ERC1271_GAS()`, the gas a contract signer's `isValidSignature` is given.
 */
interface IKPIntents {
    /// @notice Who signed, which nonce, until when, and the signature (65 bytes, or what the ERC-1271 wallet accepts).
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
    /// @notice The signature is not the signer's over this intent (or the ERC-1271 wallet refused it).
    error KPIntentInvalidSignature(address signer);
    /// @notice Too little gas is left to give the ERC-1271 wallet its full allowance (`needed`): the
    /// call was sent with too low a gas limit, not refused by the wallet.
    error KPIntentInsufficientGas(address signer, uint256 gasLeft, uint256 needed);
}
