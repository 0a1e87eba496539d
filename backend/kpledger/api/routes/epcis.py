"""GS1 EPCIS 2.0: a lot's provenance and a participant's events as EPCIS documents, the EPCIS event query, and the
resolver of the ledger's identifiers (`/id/lot/7`: JSON for API clients, the viewer page for browsers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kpledger.api.deps import DbDep, SettingsDep
from kpledger.api.schemas.epcis import EventsQuery, Paging, PeriodQuery
from kpledger.api.schemas.errors import errors
from kpledger.core.errors import NotFound
from kpledger.epcis.contexts import KP_CONTEXT, project_context
from kpledger.epcis.envelope import context, epcis_document, master_data, query_document
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.query import EventFilter, EventSource, decode_token, encode_token
from kpledger.epcis.resolver import describe
from kpledger.queries import participants

router = APIRouter(tags=["epcis"])
LD_JSON: dict[int | str, dict[str, Any]] = {
    200: {"description": "an EPCIS 2.0 document (JSON-LD)", "content": {"application/ld+json": {}}}}

LotId = Annotated[int, Path(ge=1, le=2**40, description="parcel or consignment id")]
Code = Annotated[str, Path(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
MEDIA_TYPE = "application/ld+json"


def get_identifiers(settings: SettingsDep) -> Identifiers:
    """The identifier base and the viewer's URL, as configured (never from the request's Host)."""
    return Identifiers(settings.id_base_url, settings.public_base_url)


IdsDep = Annotated[Identifiers, Depends(get_identifiers)]


def _document(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, media_type=MEDIA_TYPE, headers={**EPCIS_HEADERS, **(headers or {})})


def _page(request: Request, db: DbDep, ids: Identifiers, wanted: EventFilter, paging: Paging,
          envelope: str) -> JSONResponse:
    """One page of matching events as an EPCIS (query) document, with a `Link: <...>; rel="next"` to the next."""
    after = decode_token(paging.nextPageToken) if paging.nextPageToken else None
    ctx = context(ids)
    with db.session() as s:
        source = EventSource(s, ids, ctx)
        events, next_at = source.page(wanted, after, paging.perPage)
        vocabularies = master_data(ids, source.reader, events)
    body = (query_document(events, vocabularies, ctx) if envelope == "query"
            else epcis_document(ids, events, vocabularies, ctx))
    headers = {}
    if next_at is not None:
        url = request.url.remove_query_params("nextPageToken").include_query_params(
            nextPageToken=encode_token(next_at))
        headers["Link"] = f'<{ids.public}{url.path}?{url.query}>; rel="next"'
    return _document(body, headers)


@router.get("/v1/epcis/lots/{lot_id}", response_class=JSONResponse, responses={**LD_JSON, **errors(404)})
def read_lot_epcis(lot_id: LotId, db: DbDep, ids: IdsDep) -> JSONResponse:
    """A lot's provenance (back to the mines, with its consignments and certificates) as one EPCIS 2.0 document."""
    ctx = context(ids)
    with db.session() as s:
        source = EventSource(s, ids, ctx)
        events = source.lot(lot_id)
        vocabularies = master_data(ids, source.reader, events)
    return _document(epcis_document(ids, events, vocabularies, ctx))


@router.get("/v1/epcis/events", response_class=JSONResponse, responses={**LD_JSON, **errors()})
def query_epcis_events(request: Request, query: Annotated[EventsQuery, Query()], db: DbDep,
                       ids: IdsDep) -> JSONResponse:
    """EPCIS 2.0 event query (SimpleEventQuery parameters), paged in chain order: an EPCISQueryDocument."""
    wanted = EventFilter(event_types=set(query.eventType) if query.eventType else None,
                         ge_event_time=query.GE_eventTime, lt_event_time=query.LT_eventTime,
                         ge_record_time=query.GE_recordTime, lt_record_time=query.LT_recordTime,
                         matches=query.matches())
    return _page(request, db, ids, wanted, query, "query")


@router.get("/v1/epcis/participants/{code}/events", response_class=JSONResponse,
            responses={**LD_JSON, **errors(404)})
def read_participant_epcis(request: Request, code: Code, query: Annotated[PeriodQuery, Query()], db: DbDep,
                           ids: IdsDep) -> JSONResponse:
    """Every event that names the participant (as party, place or route end) in a period, as an EPCIS document."""
    with db.session() as s:
        participants.get_participant(s, code)  # 404 ParticipantNotFound
    start, end = query.bounds()
    wanted = EventFilter(ge_event_time=start, lt_event_time=end, place=ids.participant(code))
    return _page(request, db, ids, wanted, query, "document")


@router.get(f"/contexts/{KP_CONTEXT}/{{version}}.jsonld", response_class=Response,
            responses={200: {"description": "a JSON-LD context", "content": {MEDIA_TYPE: {}}}, **errors(404)})
def read_epcis_context(version: Annotated[int, Path(ge=1, le=9999, description="the context's version")]) -> Response:
    """The project's JSON-LD context of the EPCIS documents (master data keys, `kp:` terms), as the package ships it.
    A published version never changes; any origin may load it (JSON-LD processors in browsers)."""
    data = project_context(version)
    if data is None:
        raise NotFound(f"no version {version} of the {KP_CONTEXT} context", code="ContextNotFound",
                       details={"version": version})
    return Response(data, media_type=MEDIA_TYPE,
                    headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"})


# ------------------------------------------------------------ the resolver (GS1 Digital Link style)


def _wants_html(request: Request) -> bool:
    """A browser: text/html asked for before any JSON type."""
    accepted = [part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")]
    html = accepted.index("text/html") if "text/html" in accepted else None
    json_at = [i for i, t in enumerate(accepted) if t in ("application/json", "application/ld+json")]
    return html is not None and (not json_at or html < min(json_at))


@router.get("/id/{kind}/{key}", response_model=None,
            responses={303: {"description": "browsers: to the viewer"}, **errors(404)})
def resolve_identifier(kind: str, key: str, request: Request, db: DbDep, ids: IdsDep) -> Response:
    """Resolves one of the ledger's identifiers: browsers are redirected to the viewer, API clients get JSON."""
    with db.session() as s:
        found = describe(s, kind, key)
    if found is None:
        raise NotFound(f"{ids.base}/id/{kind}/{key} names nothing on this ledger", code="IdentifierNotFound",
                       details={"kind": kind[:40], "key": key[:100]})
    if kind == "operator":
        key = found["address"]
    if _wants_html(request):
        return RedirectResponse(ids.viewer_page(kind, key), status_code=303)
    links = {"viewer": ids.viewer_page(kind, key)}
    if kind == "lot":
        links["epcis"] = f"{ids.public}/v1/epcis/lots/{key}"
    elif kind == "participant":
        links["epcis"] = f"{ids.public}/v1/epcis/participants/{key}/events"
    uris: dict[str, Callable[[Any], str]] = {"lot": ids.lot, "operator": ids.operator,  # a lot's key: its id
                                             "participant": ids.participant, "certificate": ids.certificate}
    uri = uris[kind](key)
    return JSONResponse({"id": uri, "kind": kind, "links": links, "data": found},
                        headers={"Link": f'<{links["viewer"]}>; rel="alternate"; type="text/html"'})
