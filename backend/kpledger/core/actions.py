"""The ledger's write actions, each declared once: what is signed, where it is posted, what it answers.

One `Action` row per `...BySig` function of the contracts. Everything else is derived from the rows:

* the EIP-712 types a participant signs (`Action.types`; digests and signatures in `kpledger.signing.typed_data`),
* the write routes and their request schemas (`kpledger.api.routes.writes`, `kpledger.api.schemas.writes`),
* the `...BySig` call's arguments (`Action.call_args`) and the answer's `result` (`Action.result`),
* the client's paths (`kpledger.client`), the action list (`GET /v1/actions`) and the console's pinned copy of it
  (`frontend-static/console/actions.js`, written by `scripts/console_actions.py`).

`tests/core/test_actions.py` checks the rows against the contracts' ABIs and `KPRelayBatch`'s allowed
selectors, and derives a dummy action end to end. To add an action: the interface and contract function,
one row here, one projector handler for its event, and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from pydantic import Field

from kpledger.core import constants as k

Logs = Sequence[tuple[str, Mapping[str, Any]]]  # a call's events in log order: (event name, decoded args)
Message = Mapping[str, Any]

# What every intent carries after its business fields (and the contracts hash with them).
AUTH_FIELDS: Final[tuple[tuple[str, str], ...]] = (("signer", "address"), ("nonce", "uint256"), ("deadline", "uint256"))
# The `...BySig` functions' last argument: `IKPIntents.Authorization(signer, nonce, deadline, signature)`.
AUTHORIZATION_ABI: Final = "(address,uint256,uint256,bytes)"


def authorization(signer: str, nonce: int, deadline: int) -> dict[str, Any]:
    """The authorization fields an intent's signed message carries (`AUTH_FIELDS`), by name."""
    values = {"signer": signer, "nonce": nonce, "deadline": deadline}
    return {n: values[n] for n, _t in AUTH_FIELDS}


MAX_PARTS: Final = 256  # parts of a split, parcels of a merge or a consignment (KPLedger._MAX_PARTS)


# ---------------------------------------------------------------- field kinds


@dataclass(frozen=True)
class Kind:
    """A message field's type: its EIP-712 (and ABI) type, and the limits the API checks before signing is
    verified. `struct` names the struct type of a `Struct[]` field."""

    eip712: str
    schema: Any
    struct: Struct | None = None


@dataclass(frozen=True)
class Struct:
    """An EIP-712 struct referenced by an action (the `...BySig` function takes it as an ABI tuple)."""

    name: str
    fields: tuple[tuple[str, Kind], ...]


def _uint_bounds(bits: int) -> Any:
    return Field(ge=0, le=2**bits - 1)


# the schemas that other schemas name as a type (a type alias, which a type checker reads; a Kind's `schema` is a
# value, which it cannot)
Uint32 = Annotated[int, _uint_bounds(32)]
Uint256 = Annotated[int, _uint_bounds(256)]
IsoCode = Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[A-Za-z]+$", examples=["BW"])]


def _uint(bits: int) -> Kind:
    return Kind(f"uint{bits}", Annotated[int, _uint_bounds(bits)])


UINT8, UINT16, UINT48, UINT64 = (_uint(b) for b in (8, 16, 48, 64))
UINT32, UINT256 = Kind("uint32", Uint32), Kind("uint256", Uint256)
BOOL = Kind("bool", bool)
BYTES32 = Kind("bytes32", Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])])
ADDRESS = Kind("address", Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "12" * 20])])
ISO_CODE = Kind("string", IsoCode)
NAME = Kind("string", Annotated[str, Field(min_length=1, max_length=200)])
# KPRegistry's bounds on an operator's public profile (MAX_NAME_LENGTH, MAX_LICENCE_LENGTH, MAX_REGISTRY_REF_LENGTH;
# in bytes on chain: tests/core/test_solidity_constants.py checks the limits agree)
LEGAL_NAME = Kind("string", Annotated[str, Field(min_length=1, max_length=120)])
LICENCE_NUMBER = Kind("string", Annotated[str, Field(min_length=1, max_length=64)])
REGISTRY_REF = Kind("string", Annotated[str, Field(min_length=0, max_length=64)])
CERTIFICATE_NUMBER = Kind("string", Annotated[str, Field(min_length=1, max_length=32,
                                                         pattern=r"^[A-Za-z0-9\-/.]+$", examples=["BW0000001"])])
REPLACED_NUMBER = Kind("string", Annotated[str, Field(min_length=0, max_length=32, pattern=r"^[A-Za-z0-9\-/.]*$",
                                                      description='the certificate this one supersedes, or ""')])
LOT_IDS = Kind("uint256[]", Annotated[list[Uint256], Field(min_length=1, max_length=MAX_PARTS)])
HS_CODES = Kind("uint32[]", Annotated[list[Uint32], Field(min_length=1, max_length=3)])
ORIGINS = Kind("string[]", Annotated[list[IsoCode], Field(min_length=1, max_length=192)])

CHILD = Struct("Child", (("points", UINT48), ("stones", UINT32), ("hsCode", UINT32), ("documentHash", BYTES32)))
CHILDREN = Kind("Child[]", None, CHILD)  # its schema is derived from the struct (kpledger.api.schemas.writes)


# ---------------------------------------------------------------- who signs


@dataclass(frozen=True)
class Signers:
    """Who may sign an action: governance, an authority, or an operator holding one of `roles`."""

    kind: str  # governance | authority | operator
    roles: int = 0

    def describe(self) -> str:
        if self.kind == "operator":
            return "operator (" + " or ".join(k.role_names(self.roles)) + ")"
        return self.kind


GOVERNANCE = Signers("governance")
AUTHORITY = Signers("authority", k.AUTHORITY)
OPERATOR = Signers("operator", k.OPERATOR_ROLES)
PRODUCER = Signers("operator", k.PRODUCER)


# ---------------------------------------------------------------- the answer's `result`


def _first(logs: Logs, name: str) -> Mapping[str, Any] | None:
    return next((args for n, args in logs if n == name), None)


def _field_result(*names: str, **renamed: str) -> Callable[[Message, Logs], dict[str, Any]]:
    """A result echoing message fields: `names` as is (snake_case keys), `renamed` as key=field."""
    pairs = {**{_snake(n): n for n in names}, **renamed}
    return lambda message, _logs: {key: message[source] for key, source in pairs.items()}


def _event_result(event: str, **keys: str) -> Callable[[Message, Logs], dict[str, Any]]:
    """A result read from the call's first `event`: key=argument."""

    def result(_message: Message, logs: Logs) -> dict[str, Any]:
        args = _first(logs, event) or {}
        return {key: args.get(arg) for key, arg in keys.items()}

    return result


def _split_result(message: Message, logs: Logs) -> dict[str, Any]:
    return {"parcel_id": message["parcelId"], "child_ids": [a["childId"] for n, a in logs if n == "ParcelSplit"]}


def _accept_result(message: Message, logs: Logs) -> dict[str, Any]:
    """The lot, whether it moved, and the key of the certificate a crossing spent (None at home: the event's zero
    key is no certificate; the API adds the certificate's number, `certificate_number`)."""
    moved = _first(logs, "CustodyTransferred")
    mismatch = _first(logs, "CustodySealMismatch")
    key = moved["certificateKey"] if moved else None
    return {"lot_id": message["lotId"], "transferred": moved is not None and mismatch is None,
            "certificate_key": key if key and int(str(key), 16) else None}


def _certificate_result(message: Message, logs: Logs) -> dict[str, Any]:
    event = next((a for _n, a in logs if "certificateKey" in a), None)
    return {"number": message["number"], "certificate_key": event["certificateKey"] if event else None}


def _roles_result(message: Message, logs: Logs) -> dict[str, Any]:
    changed = next((a for n, a in reversed(list(logs)) if n == "MemberRolesChanged"), None)  # one per role bit
    return {"account": message["account"], "participant": changed["participant"] if changed else None,
            "roles": changed["roles"] if changed else None}


# ---------------------------------------------------------------- the action row


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Action:
    """One write of the ledger: its EIP-712 type (`name` = primary type), the contract and `...BySig` function
    that verify it, the POST path (a `{field}` placeholder is a message field), who signs it, and how the
    answer's `result` is read from the call's events."""

    name: str
    contract: str
    function: str
    path: str
    fields: tuple[tuple[str, Kind], ...]
    signers: Signers
    result: Callable[[Message, Logs], dict[str, Any]]
    summary: str
    as_struct: bool = False  # the function takes the business fields as one struct (a Solidity `...Request`)
    structs: tuple[Struct, ...] = field(init=False)

    def __post_init__(self) -> None:
        found = tuple(kind.struct for _n, kind in self.fields if kind.struct is not None)
        object.__setattr__(self, "structs", found)
        placeholders = _PLACEHOLDER.findall(self.path)
        names = {n for n, _ in self.fields}
        if len(placeholders) > 1 or not set(placeholders) <= names:
            raise ValueError(f"{self.name}: path {self.path} must name at most one message field")

    @property
    def path_param(self) -> str | None:
        """The message field the path names, if any (the API checks both agree)."""
        found = _PLACEHOLDER.findall(self.path)
        return found[0] if found else None

    @property
    def operation(self) -> str:
        """The route's name and OpenAPI operation id: offer_custody for OfferCustody."""
        return _snake(self.name)

    def types(self) -> dict[str, list[dict[str, str]]]:
        """The EIP-712 types of the intent (without EIP712Domain): the primary type, then referenced structs."""
        out = {self.name: [{"name": n, "type": kind.eip712} for n, kind in self.fields]
               + [{"name": n, "type": t} for n, t in AUTH_FIELDS]}
        for struct in self.structs:
            out[struct.name] = [{"name": n, "type": kind.eip712} for n, kind in struct.fields]
        return out

    def abi_types(self) -> list[str]:
        """The ABI types of the `...BySig` function's business arguments (before the authorization)."""
        def abi(kind: Kind) -> str:
            if kind.struct is None:
                return kind.eip712
            inner = ",".join(abi(k2) for _n, k2 in kind.struct.fields)
            return f"({inner}){kind.eip712[len(kind.struct.name):]}"

        types = [abi(kind) for _n, kind in self.fields]
        return [f"({','.join(types)})"] if self.as_struct else types

    @property
    def signature(self) -> str:
        """The `...BySig` function's canonical signature, whose hash prefix is its selector."""
        return f"{self.function}({','.join([*self.abi_types(), AUTHORIZATION_ABI])})"

    def call_args(self, message: Message) -> list[Any]:
        """The `...BySig` function's business arguments, in order, from a message of ABI values."""
        def value(kind: Kind, v: Any) -> Any:
            if kind.struct is None:
                return v
            return [tuple(item[n] for n, _k in kind.struct.fields) for item in v]

        values = [value(kind, message[n]) for n, kind in self.fields]
        return [tuple(values)] if self.as_struct else values

    def listing(self) -> dict[str, Any]:
        """The action as clients read it: `GET /v1/actions` adds the deployment's EIP-712 domain; the console pins
        exactly these rows in its own code (`frontend-static/console/actions.js`, by `scripts/console_actions.py`)."""
        return {"action": self.name, "method": "POST", "path": self.path, "path_param": self.path_param,
                "contract": self.contract, "primary_type": self.name, "types": self.types(),
                "signers": self.signers.kind,
                "signer_roles": [r for r, bit in k.ROLES.items() if self.signers.roles & bit], "summary": self.summary}

    def path_for(self, message: Message) -> str:
        """The POST path of one message (its placeholder filled, URL-quoted)."""
        from urllib.parse import quote

        param = self.path_param
        return self.path if param is None else self.path.replace(f"{{{param}}}", quote(str(message[param]), safe=""))


# ---------------------------------------------------------------- the table

ACTIONS: Final[dict[str, Action]] = {a.name: a for a in (
    # governance (the KP Chair / Secretariat)
    Action("AdmitParticipant", "KPRegistry", "admitParticipantBySig", "/v1/participants",
           (("code", ISO_CODE), ("name", NAME)), GOVERNANCE, _field_result(participant="code"),
           "Admit a KP participant by ISO code"),
    Action("SuspendParticipant", "KPRegistry", "suspendParticipantBySig", "/v1/participants/{code}/suspend",
           (("code", ISO_CODE), ("reason", BYTES32)), GOVERNANCE, _field_result(participant="code"),
           "Suspend a participant"),
    Action("ReinstateParticipant", "KPRegistry", "reinstateParticipantBySig", "/v1/participants/{code}/reinstate",
           (("code", ISO_CODE),), GOVERNANCE, _field_result(participant="code"), "Reinstate a suspended participant"),
    Action("AppointAuthority", "KPRegistry", "appointAuthorityBySig", "/v1/participants/{participant}/authorities",
           (("participant", ISO_CODE), ("account", ADDRESS), ("name", LEGAL_NAME)), GOVERNANCE,
           _field_result("participant", "account"), "Appoint an authority of a participant, by name"),
    Action("DismissAuthority", "KPRegistry", "dismissAuthorityBySig",
           "/v1/participants/{participant}/authorities/dismiss", (("participant", ISO_CODE), ("account", ADDRESS)),
           GOVERNANCE, _field_result("participant", "account"), "Dismiss an authority of a participant"),
    Action("SetMaxCertificateValidity", "KPRegistry", "setMaxCertificateValidityBySig",
           "/v1/governance/certificate-validity", (("maxValidity", UINT64),), GOVERNANCE,
           _field_result(max_validity="maxValidity"), "Set the longest validity a KP certificate may have"),
    # authorities
    Action("LicenseOperator", "KPRegistry", "licenseOperatorBySig", "/v1/operators/license",
           (("account", ADDRESS), ("roles", UINT8), ("name", LEGAL_NAME), ("licenceNumber", LICENCE_NUMBER),
            ("registryRef", REGISTRY_REF)), AUTHORITY, _roles_result,
           "License an operator under its legal name and national licence number"),
    Action("UpdateOperatorProfile", "KPRegistry", "updateOperatorProfileBySig", "/v1/operators/profile",
           (("account", ADDRESS), ("name", LEGAL_NAME), ("licenceNumber", LICENCE_NUMBER),
            ("registryRef", REGISTRY_REF)), AUTHORITY, _field_result("account"),
           "Update an operator's public name, licence number or registry reference"),
    Action("RevokeOperator", "KPRegistry", "revokeOperatorBySig", "/v1/operators/revoke",
           (("account", ADDRESS), ("roles", UINT8)), AUTHORITY, _roles_result, "Revoke an operator's roles"),
    # parcels and consignments
    Action("RegisterParcel", "KPLedger", "registerParcelBySig", "/v1/parcels",
           (("points", UINT48), ("stones", UINT32), ("hsCode", UINT32), ("origin", ISO_CODE),
            ("documentHash", BYTES32)), PRODUCER, _event_result("ParcelRegistered", parcel_id="parcelId"),
           "Register a parcel at its mine"),
    Action("SplitParcel", "KPLedger", "splitParcelBySig", "/v1/parcels/{parcelId}/split",
           (("parcelId", UINT256), ("children", CHILDREN)), OPERATOR, _split_result, "Split a parcel"),
    Action("MergeParcels", "KPLedger", "mergeParcelsBySig", "/v1/parcels/merge",
           (("parcelIds", LOT_IDS), ("documentHash", BYTES32)), OPERATOR,
           _event_result("ParcelsMerged", parcel_id="parcelId"), "Merge parcels into one"),
    Action("SealConsignment", "KPLedger", "sealConsignmentBySig", "/v1/consignments",
           (("parcelIds", LOT_IDS), ("sealId", BYTES32)), OPERATOR,
           _event_result("ConsignmentSealed", consignment_id="consignmentId"), "Seal parcels into a consignment"),
    Action("OpenConsignment", "KPLedger", "openConsignmentBySig", "/v1/consignments/{consignmentId}/open",
           (("consignmentId", UINT256),), OPERATOR, _field_result("consignmentId"), "Open a consignment"),
    # custody
    Action("OfferCustody", "KPLedger", "offerBySig", "/v1/lots/{lotId}/offer",
           (("lotId", UINT256), ("recipient", ADDRESS), ("sealId", BYTES32)), OPERATOR, _field_result("lotId"),
           "Offer a lot to a named recipient"),
    Action("WithdrawOffer", "KPLedger", "withdrawOfferBySig", "/v1/lots/{lotId}/withdraw",
           (("lotId", UINT256),), OPERATOR, _field_result("lotId"), "Withdraw one's open offer"),
    Action("AcceptCustody", "KPLedger", "acceptOfferBySig", "/v1/lots/{lotId}/accept",
           (("lotId", UINT256), ("sealId", BYTES32)), OPERATOR, _accept_result,
           "Accept an offered lot, attesting its seal"),
    Action("RejectCustody", "KPLedger", "rejectOfferBySig", "/v1/lots/{lotId}/reject",
           (("lotId", UINT256), ("reason", UINT16)), OPERATOR, _field_result("lotId"), "Reject an offered lot"),
    # certificates
    Action("IssueCertificate", "KPCertificates", "issueCertificateBySig", "/v1/certificates",
           (("number", CERTIFICATE_NUMBER), ("importer", ISO_CODE), ("importerAccount", ADDRESS),
            ("consignmentId", UINT256), ("points", UINT48), ("parcelCount", UINT32), ("hsCodes", HS_CODES),
            ("origins", ORIGINS), ("issuedAt", UINT64), ("expiresAt", UINT64), ("documentHash", BYTES32),
            ("replaces", REPLACED_NUMBER)), AUTHORITY,
           _event_result("CertificateIssued", certificate_key="certificateKey", number="number",
                         consignment_id="consignmentId"),
           "Issue a KP certificate for a sealed consignment", as_struct=True),
    Action("ConfirmImport", "KPCertificates", "confirmImportBySig", "/v1/certificates/{number}/confirm",
           (("number", CERTIFICATE_NUMBER),), AUTHORITY, _certificate_result, "Confirm an import"),
    Action("RecordDiscrepancy", "KPCertificates", "recordDiscrepancyBySig", "/v1/certificates/{number}/discrepancy",
           (("number", CERTIFICATE_NUMBER), ("reason", UINT16), ("evidenceHash", BYTES32)), AUTHORITY,
           _certificate_result, "Record a discrepancy on an import"),
    Action("VoidCertificate", "KPCertificates", "voidCertificateBySig", "/v1/certificates/{number}/void",
           (("number", CERTIFICATE_NUMBER), ("reason", UINT16)), AUTHORITY, _certificate_result,
           "Void a certificate before it is used"),
)}
