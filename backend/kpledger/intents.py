"""EIP-712 typed intents: what a participant signs so that a relayer can submit its write.

One definition per ledger action, mirroring the `*_TYPEHASH` constants of the contracts, so
that tests, scripts, the CLI and the backend sign exactly what the contracts verify. Every primary
type ends with the authorization's fields `address signer,uint256 nonce,uint256 deadline`: the
signer is signed too, so a signature made for one ERC-1271 wallet is not valid for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

AUTHORIZATION_FIELDS = (("signer", "address"), ("nonce", "uint256"), ("deadline", "uint256"))


@dataclass(frozen=True)
class IntentType:
    """An action's EIP-712 primary type, its fields, the contract verifying it and its `...BySig` function."""

    primary_type: str
    fields: tuple[tuple[str, str], ...]
    contract: str
    function: str
    extra_types: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def types(self) -> dict[str, list[dict[str, str]]]:
        out = {self.primary_type: [{"name": n, "type": t} for n, t in (*self.fields, *AUTHORIZATION_FIELDS)]}
        for name, fields in self.extra_types:
            out[name] = [{"name": n, "type": t} for n, t in fields]
        return out


CHILD = ("Child", (("points", "uint48"), ("stones", "uint32"), ("hsCode", "uint32"), ("documentHash", "bytes32")))

INTENTS: dict[str, IntentType] = {
    t.primary_type: t
    for t in (
        IntentType("AdmitParticipant", (("code", "string"), ("name", "string")), "KPRegistry",
                   "admitParticipantBySig"),
        IntentType("SuspendParticipant", (("code", "string"), ("reason", "bytes32")), "KPRegistry",
                   "suspendParticipantBySig"),
        IntentType("ReinstateParticipant", (("code", "string"),), "KPRegistry", "reinstateParticipantBySig"),
        IntentType("AppointAuthority", (("participant", "string"), ("account", "address"), ("name", "string")),
                   "KPRegistry", "appointAuthorityBySig"),
        IntentType("DismissAuthority", (("participant", "string"), ("account", "address")), "KPRegistry",
                   "dismissAuthorityBySig"),
        IntentType("SetMaxCertificateValidity", (("maxValidity", "uint64"),), "KPRegistry",
                   "setMaxCertificateValidityBySig"),
        IntentType("LicenseOperator", (("account", "address"), ("roles", "uint8"), ("name", "string"),
                                       ("licenceNumber", "string"), ("registryRef", "string")), "KPRegistry",
                   "licenseOperatorBySig"),
        IntentType("UpdateOperatorProfile", (("account", "address"), ("name", "string"),
                                             ("licenceNumber", "string"), ("registryRef", "string")), "KPRegistry",
                   "updateOperatorProfileBySig"),
        IntentType("RevokeOperator", (("account", "address"), ("roles", "uint8")), "KPRegistry",
                   "revokeOperatorBySig"),
        IntentType("RegisterParcel", (("points", "uint48"), ("stones", "uint32"), ("hsCode", "uint32"),
                                      ("origin", "string"), ("documentHash", "bytes32")), "KPLedger",
                   "registerParcelBySig"),
        IntentType("SplitParcel", (("parcelId", "uint256"), ("children", "Child[]")), "KPLedger",
                   "splitParcelBySig", (CHILD,)),
        IntentType("MergeParcels", (("parcelIds", "uint256[]"), ("documentHash", "bytes32")), "KPLedger",
                   "mergeParcelsBySig"),
        IntentType("SealConsignment", (("parcelIds", "uint256[]"), ("sealId", "bytes32")), "KPLedger",
                   "sealConsignmentBySig"),
        IntentType("OpenConsignment", (("consignmentId", "uint256"),), "KPLedger", "openConsignmentBySig"),
        IntentType("OfferCustody", (("lotId", "uint256"), ("recipient", "address"), ("sealId", "bytes32")),
                   "KPLedger", "offerBySig"),
        IntentType("WithdrawOffer", (("lotId", "uint256"),), "KPLedger", "withdrawOfferBySig"),
        IntentType("AcceptCustody", (("lotId", "uint256"), ("sealId", "bytes32")), "KPLedger",
                   "acceptOfferBySig"),
        IntentType("RejectCustody", (("lotId", "uint256"), ("reason", "uint16")), "KPLedger",
                   "rejectOfferBySig"),
        IntentType("IssueCertificate", (("number", "string"), ("importer", "string"),
                                        ("importerAccount", "address"), ("consignmentId", "uint256"),
                                        ("points", "uint48"), ("parcelCount", "uint32"), ("hsCodes", "uint32[]"),
                                        ("origins", "string[]"), ("issuedAt", "uint64"),
                                        ("expiresAt", "uint64"), ("documentHash", "bytes32"),
                                        ("replaces", "string")),
                   "KPCertificates", "issueCertificateBySig"),
        IntentType("ConfirmImport", (("number", "string"),), "KPCertificates", "confirmImportBySig"),
        IntentType("RecordDiscrepancy", (("number", "string"), ("reason", "uint16"), ("evidenceHash", "bytes32")),
                   "KPCertificates", "recordDiscrepancyBySig"),
        IntentType("VoidCertificate", (("number", "string"), ("reason", "uint16")), "KPCertificates",
                   "voidCertificateBySig"),
    )
}


def domain(contract: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The EIP-712 domain of one of the ledger's contracts (name = contract name, version 1)."""
    return {"name": contract, "version": "1", "chainId": chain_id, "verifyingContract": verifying_contract}


@dataclass(frozen=True)
class SignedIntent:
    """A signed action, ready for its `...BySig` function: `args` then `authorization`."""

    action: str
    message: dict[str, Any]
    signer: str
    nonce: int
    deadline: int
    signature: bytes

    @property
    def authorization(self) -> tuple[str, int, int, bytes]:
        return (self.signer, self.nonce, self.deadline, self.signature)

    @property
    def args(self) -> list[Any]:
        """Positional arguments of the `...BySig` function, before the authorization."""
        kind = INTENTS[self.action]
        values = [self.message[name] for name, _ in kind.fields]
        if self.action == "SplitParcel":
            values[1] = [tuple(c[n] for n, _ in CHILD[1]) for c in values[1]]
        if self.action == "IssueCertificate":
            return [tuple(values)]
        return values


def _typed_data(action: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str, signer: str,
                nonce: int, deadline: int) -> dict[str, Any]:
    kind = INTENTS[action]
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **kind.types(),
        },
        "primaryType": kind.primary_type,
        "domain": domain(kind.contract, chain_id, verifying_contract),
        "message": {**message, "signer": signer, "nonce": nonce, "deadline": deadline},
    }


def intent_digest(action: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str, signer: str,
                  nonce: int, deadline: int) -> bytes:
    """The EIP-712 digest of an intent: what an ERC-1271 wallet's `isValidSignature` is asked about."""
    signable = encode_typed_data(full_message=_typed_data(
        action, message, chain_id=chain_id, verifying_contract=verifying_contract, signer=signer, nonce=nonce,
        deadline=deadline))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_intent(
    private_key: bytes | str,
    action: str,
    message: dict[str, Any],
    *,
    chain_id: int,
    verifying_contract: str,
    nonce: int,
    deadline: int,
    signer: str | None = None,
) -> SignedIntent:
    """Signs `message` (the action's business fields) as the EIP-712 intent `action`.

    `signer` is the account the intent acts for: by default the key's own address; a contract
    wallet's address (ERC-1271) when the key is one its `isValidSignature` accepts as is.
    """
    signer = signer or Account.from_key(private_key).address
    typed = _typed_data(action, message, chain_id=chain_id, verifying_contract=verifying_contract, signer=signer,
                        nonce=nonce, deadline=deadline)
    signed = Account.sign_message(encode_typed_data(full_message=typed), private_key=private_key)
    return SignedIntent(action, message, signer, nonce, deadline, bytes(signed.signature))
