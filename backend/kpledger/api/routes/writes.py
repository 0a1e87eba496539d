"""Write endpoints: one POST per ledger action (WRITES.md), each relaying a signed EIP-712 intent."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from eth_utils import to_checksum_address
from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse

from kpledger.api.deps import ServicesDep
from kpledger.api.schemas.writes import REQUESTS, ErrorBody, Nonces, WriteResult
from kpledger.core.errors import ChainUnavailable
from kpledger.relay.errors import PathMismatch

router = APIRouter(tags=["writes"])

UINT256_PATH = Annotated[int, Path(ge=0, le=2**256 - 1)]
PATH_TYPES: dict[str, Any] = {
    "code": Annotated[str, Path(min_length=1, max_length=8)],
    "participant": Annotated[str, Path(min_length=1, max_length=8)],
    "number": Annotated[str, Path(min_length=1, max_length=32)],
    "parcelId": UINT256_PATH,
    "consignmentId": UINT256_PATH,
    "lotId": UINT256_PATH,
}

# action, path, handler name, path parameter (equal to the message field of the same name)
ENDPOINTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("AdmitParticipant", "/v1/participants", "admit_participant", None),
    ("SuspendParticipant", "/v1/participants/{code}/suspend", "suspend_participant", "code"),
    ("ReinstateParticipant", "/v1/participants/{code}/reinstate", "reinstate_participant", "code"),
    ("SetAuthority", "/v1/participants/{participant}/authorities", "set_authority", "participant"),
    ("LicenseOperator", "/v1/operators/license", "license_operator", None),
    ("RevokeOperator", "/v1/operators/revoke", "revoke_operator", None),
    ("RegisterParcel", "/v1/parcels", "create_parcel", None),
    ("SplitParcel", "/v1/parcels/{parcelId}/split", "split_parcel", "parcelId"),
    ("MergeParcels", "/v1/parcels/merge", "merge_parcels", None),
    ("SealConsignment", "/v1/consignments", "seal_consignment", None),
    ("OpenConsignment", "/v1/consignments/{consignmentId}/open", "open_consignment", "consignmentId"),
    ("OfferCustody", "/v1/lots/{lotId}/offer", "offer_custody", "lotId"),
    ("WithdrawOffer", "/v1/lots/{lotId}/withdraw", "withdraw_offer", "lotId"),
    ("AcceptCustody", "/v1/lots/{lotId}/accept", "accept_custody", "lotId"),
    ("RejectCustody", "/v1/lots/{lotId}/reject", "reject_custody", "lotId"),
    ("IssueCertificate", "/v1/certificates", "issue_certificate", None),
    ("ConfirmImport", "/v1/certificates/{number}/confirm", "confirm_import", "number"),
    ("RecordDiscrepancy", "/v1/certificates/{number}/discrepancy", "record_discrepancy", "number"),
    ("VoidCertificate", "/v1/certificates/{number}/void", "void_certificate", "number"),
)

REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (401, "InvalidSignature, or the contracts' KPIntentBadNonce / KPIntentExpired"),
        (403, "the signer lacks the right (the contract's custom error, e.g. KPLedgerNotOperator)"),
        (409, "the contracts refused the action (custom error name as code)"),
        (413, "PayloadTooLarge"),
        (422, "InvalidRequest (schema) or PathMismatch"),
        (503, "ChainUnavailable: not acknowledged; resubmit the same signed request"))
}


def _endpoint(action: str, name: str, param: str | None) -> Callable[..., Awaitable[JSONResponse]]:
    """A handler with its own body schema (and path parameter) for `action`."""
    body_model = REQUESTS[action]

    async def handler(request: Request, body: Any, **path: Any) -> JSONResponse:
        # async: a request waiting for its batch's receipt holds no thread (the relayer wakes the event loop)
        if param is not None and getattr(body.message, param) != path[param]:
            raise PathMismatch(f"path parameter {param} differs from the message's",
                               details={"path": path[param], "message": getattr(body.message, param)})
        # the services straight from the app: a FastAPI dependency costs every write its dependency solving
        services = request.app.state.services
        if services.relayer is None:
            raise ChainUnavailable("the relayer is not running")
        answer = await services.relayer.submit_async(action, body.model_dump())
        # read-your-writes: answer once the index shows the write (bounded; the write is on chain anyway)
        if services.indexer is not None and answer.get("block_number") is not None:
            answer["indexed"] = await services.indexer.wait_for_async(answer["block_number"], timeout=5.0)
        # the answer is built by the relayer in WriteResult's shape: sent as it is (FastAPI would validate and
        # re-serialise it through the model, a measurable share of a relayed write's CPU time)
        return JSONResponse({**answer, "indexed": answer.get("indexed")})

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("body", kw, annotation=Annotated[body_model, Body()]),
              inspect.Parameter("request", kw, annotation=Request)]
    if param is not None:
        params.insert(0, inspect.Parameter(param, kw, annotation=PATH_TYPES[param]))
    handler.__signature__ = inspect.Signature(params, return_annotation=WriteResult)  # type: ignore[attr-defined]
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = f"Relays a signed {action} intent; answers once it is mined."
    return handler


for _action, _path, _name, _param in ENDPOINTS:
    router.add_api_route(_path, _endpoint(_action, _name, _param), methods=["POST"], response_model=WriteResult,
                         name=_name, operation_id=_name, summary=_action, responses=REFUSALS)


@router.get("/v1/accounts/{address}/nonces", response_model=Nonces, responses=REFUSALS)
def read_nonces(address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], services: ServicesDep) -> Nonces:
    """Next key-0 intent nonce of an account per contract, counting accepted requests not mined yet."""
    if services.relayer is None:
        raise ChainUnavailable("the relayer is not running")
    return Nonces(**services.relayer.intent_nonces(to_checksum_address(address)))
