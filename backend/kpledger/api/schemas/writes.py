"""Request and response models of the write endpoints, derived from the action table (one message model per
action, with the limits its field kinds declare)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from kpledger.core.actions import ACTIONS, MAX_PARTS, UINT256, Action, Kind, Struct
from kpledger.core.seals import SEAL_FIELD, SEAL_LABEL_MAX_LENGTH, SEAL_LABEL_PATTERN


class Strict(BaseModel):
    """Unknown fields are refused; JSON types are not coerced ("5" is not 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


_STRUCT_MODELS: dict[str, type[Strict]] = {}


def _struct_model(struct: Struct) -> type[Strict]:
    if struct.name not in _STRUCT_MODELS:
        fields: dict[str, Any] = {n: (kind.schema, ...) for n, kind in struct.fields}
        _STRUCT_MODELS[struct.name] = create_model(struct.name, __base__=Strict, **fields)
    return _STRUCT_MODELS[struct.name]


def field_schema(kind: Kind) -> Any:
    """The Pydantic annotation of a message field (a struct array becomes a list of the struct's model)."""
    if kind.struct is None:
        return kind.schema
    return Annotated[list[_struct_model(kind.struct)], Field(min_length=1, max_length=MAX_PARTS)]


def message_model(action: Action) -> type[Strict]:
    """The message model of one action."""
    fields: dict[str, Any] = {n: (field_schema(kind), ...) for n, kind in action.fields}
    return create_model(action.name, __base__=Strict, __doc__=f"The business fields of a {action.name} intent.",
                        **fields)


class Envelope(Strict):
    """The participant's authorization around an action's message (see docs/pages/writes.md)."""

    signer: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "12" * 20])]
    nonce: UINT256.schema
    deadline: UINT256.schema
    signature: Annotated[str, Field(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$", description="65-byte ECDSA or ERC-1271")]


SealLabel = Annotated[str, Field(min_length=1, max_length=SEAL_LABEL_MAX_LENGTH, pattern=SEAL_LABEL_PATTERN,
                                 examples=["BAG-0901"],
                                 description=f"the label printed on the seal, whose keccak-256 (of its UTF-8 bytes) "
                                             f"is the signed `{SEAL_FIELD}`: not signed, checked against it "
                                             "(SealLabelMismatch) and kept so that reads show it beside the id")]


def request_model(action: Action) -> type[Envelope]:
    """The request body model of one action: the envelope around its message (and, for an action that sets or
    attests a seal, the seal's optional label beside it)."""
    extra: dict[str, Any] = {}
    if SEAL_FIELD in dict(action.fields):
        extra["seal_label"] = (SealLabel | None, None)
    return create_model(f"{action.name}Request", __base__=Envelope, __doc__=f"A signed {action.name} intent.",
                        message=(message_model(action), ...), **extra)


REQUESTS: dict[str, type[Envelope]] = {name: request_model(action) for name, action in ACTIONS.items()}


class WriteResult(BaseModel):
    """The answer to an accepted write: mined, with the ids its events carry."""

    request_id: str
    action: str
    status: str
    tx_hash: str | None
    block_number: int | None
    duplicate: bool
    result: dict[str, Any]
    indexed: bool | None = Field(None, description="whether reads already show this write")


class Nonces(BaseModel):
    """Next key-0 intent nonce of an account in each contract."""

    KPRegistry: int
    KPLedger: int
    KPCertificates: int
