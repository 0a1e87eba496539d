"""Write endpoints: one POST per ledger action, derived from the action table, each relaying a signed intent."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import anyio.to_thread
from eth_utils import to_checksum_address
from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from kpledger.api.deps import ServicesDep, services_of
from kpledger.api.schemas.errors import BODY, errors
from kpledger.api.schemas.writes import Nonces, WriteResult, field_schema, request_model
from kpledger.core.actions import ACTIONS, Action
from kpledger.core.errors import ChainUnavailable, KPError, PathMismatch, SealLabelMismatch
from kpledger.core.seals import SEAL_FIELD, label_matches, seal_id_of
from kpledger.db.session import Database
from kpledger.ops import logs, metrics
from kpledger.queries import certificates, seals
from kpledger.relay.trace import WriteTrace

REFUSALS = errors(*BODY, 401, 403, 409, 429, 502, 503)


def _endpoint(action: Action) -> Callable[..., Awaitable[JSONResponse]]:
    """A handler with its own body schema (and path parameter) for `action`."""
    param = action.path_param

    async def handler(request: Request, body: Any, **path: Any) -> JSONResponse:
        # async: a request waiting for its batch's receipt holds no thread (the relayer wakes the event loop)
        if param is not None and getattr(body.message, param) != path[param]:
            raise PathMismatch(f"path parameter {param} differs from the message's",
                               details={"path": path[param], "message": getattr(body.message, param)})
        # the services straight from the app: a FastAPI dependency costs every write its dependency solving
        services = services_of(request)
        if services.relayer is None:
            raise ChainUnavailable("the relayer is not running")
        label = getattr(body, "seal_label", None)
        if label is not None:
            _check_label(label, getattr(body.message, SEAL_FIELD))
        trace = WriteTrace()
        try:
            answer = await services.relayer.submit_async(action.name, body.model_dump(exclude={"seal_label"}), trace)
        except KPError as exc:
            _logged(action.name, trace, exc.code, None)
            raise
        if label is not None:  # the write is on chain: its seal reads with its label from now on
            await anyio.to_thread.run_sync(_remember_label, services.db, getattr(body.message, SEAL_FIELD), label,
                                           action.name)
        # read-your-writes: answer once the index shows the write (bounded; the write is on chain anyway)
        if services.indexer is not None and answer.get("block_number") is not None:
            answer["indexed"] = await services.indexer.wait_for_async(answer["block_number"], timeout=5.0)
        result = answer.get("result") or {}
        if "certificate_key" in result and "number" not in result:  # a hand-off: which certificate it crossed under
            answer["result"] = await anyio.to_thread.run_sync(_with_certificate_number, services.db, result)
        _logged(action.name, trace, answer["status"], answer, indexed=answer.get("indexed"))
        # the answer is built by the relayer in WriteResult's shape: sent as it is (FastAPI would validate and
        # re-serialise it through the model, a measurable share of a relayed write's CPU time)
        return JSONResponse({**answer, "indexed": answer.get("indexed")})

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("body", kw, annotation=Annotated[request_model(action), Body()]),
              inspect.Parameter("request", kw, annotation=Request)]
    if param is not None:
        kind = dict(action.fields)[param]
        params.insert(0, inspect.Parameter(param, kw, annotation=Annotated[field_schema(kind), Path()]))
    handler.__signature__ = inspect.Signature(params, return_annotation=WriteResult)  # type: ignore[attr-defined]
    handler.__name__ = handler.__qualname__ = action.operation
    handler.__doc__ = f"{action.summary}: relays a signed {action.name} intent, signed by {action.signers.describe()}."
    return handler


def _check_label(label: str, seal_id: str) -> None:
    """SealLabelMismatch unless the label hashes to the signed seal id (checked before anything is relayed)."""
    if not label_matches(label, seal_id):
        raise SealLabelMismatch("the seal label does not hash to the signed seal id (keccak-256 of the label's UTF-8 "
                                "bytes): the label or the seal id is not the one on the container",
                                details={"seal_label": label, "seal_id": seal_id, "label_hashes_to": seal_id_of(label)})


def _remember_label(db: Database, seal_id: str, label: str, action: str) -> None:
    """Keeps the label (off chain, like a filed document: durable, and kept through an index rebuild)."""
    try:
        with db.transaction() as s:
            seals.remember(s, seal_id, label, action)
    except IntegrityError:  # a concurrent write kept the same label (a hash has one preimage) first
        pass


def _with_certificate_number(db: Database, result: dict[str, Any]) -> dict[str, Any]:
    """A hand-off's result with the number of the certificate its crossing spent (`certificate_number`), and no key
    at all for a domestic one (a journal row written before the result said None still holds the zero key)."""
    key = result.get("certificate_key")
    if not key or not int(str(key), 16):
        return {**result, "certificate_key": None, "certificate_number": None}
    with db.session() as s:
        return {**result, "certificate_number": certificates.number_of(s, key)}


def _logged(action: str, trace: WriteTrace, outcome: str, answer: dict[str, Any] | None, *,
            indexed: bool | None = None) -> None:
    """The write's one log event and its outcome counter (named fields only: never the body or its signature)."""
    metrics.write_answered(action, outcome)
    logs.log_write({"request_id": trace.request_id, "signer": trace.signer, "action": action,
                    "tx_hash": answer.get("tx_hash") if answer else None,
                    "block": answer.get("block_number") if answer else None, "outcome": outcome,
                    "duplicate": answer.get("duplicate") if answer else None,
                    **trace.fields(time.perf_counter() if indexed else None)})


def build_router(actions: Iterable[Action]) -> APIRouter:
    """The write routes of `actions` (the whole table in the app; a test derives a dummy action's)."""
    router = APIRouter(tags=["writes"])
    for action in actions:
        router.add_api_route(action.path, _endpoint(action), methods=["POST"], response_model=WriteResult,
                             name=action.operation, operation_id=action.operation, summary=action.summary,
                             responses=REFUSALS)
    return router


router = build_router(ACTIONS.values())


@router.get("/v1/accounts/{address}/nonces", response_model=Nonces, responses=errors(503))
def read_nonces(address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], services: ServicesDep) -> Nonces:
    """Next key-0 intent nonce of an account per contract, counting accepted requests not mined yet."""
    if services.relayer is None:
        raise ChainUnavailable("the relayer is not running")
    return Nonces(**services.relayer.intent_nonces(to_checksum_address(address)))
