"""KP statistics: a participant's trade per quarter and production per half-year (the layout participants report
to the KP Working Group on Statistics), and every participant's year; JSON, or CSV with `format=csv` or
`Accept: text/csv`. Carats and counts are public; values in USD only for the participant's authorities, who sign
the request (`kpledger.signing.requests`; the signed path includes the query string)."""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from kpledger.api.deps import DbDep, signed_caller
from kpledger.api.schemas.errors import errors
from kpledger.api.schemas.statistics import ProductionQuery, StatisticsQuery, SummaryQuery, TradeQuery
from kpledger.core.errors import Unauthorized
from kpledger.queries import statistics as q
from kpledger.signing.requests import HEADERS

CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"description": "the report; CSV with format=csv or Accept: text/csv",
          "content": {"application/json": {}, "text/csv": {}}}}
router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

Code = Annotated[str, Path(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code of the participant")]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs: text that starts like a formula gets a leading quote (OWASP's advice against
    CSV injection; a name is whatever governance or an authority wrote on chain); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def trade_csv(report: dict[str, Any]) -> str:
    """One line per period, flow, partner and HS code, then one total per period and flow (partner and HS code
    ALL); the certificates behind each line in its last column."""
    shown = report["value"]["shown"]
    header = ["period", "flow", "partner", "hs_code", "carats", *(["value_usd"] if shown else []), "certificates",
              "certificate_numbers"]
    lines = [[r["period"], r["flow"], r["partner"], r["hs_code"], r["carats"], *([r["value_usd"]] if shown else []),
              r["certificates"], " ".join(r["certificate_numbers"])] for r in report["rows"]]
    numbers: dict[tuple[str, str], list[str]] = {}
    for c in report["certificates"]:
        numbers.setdefault((c["period"], c["flow"]), []).append(c["number"])
    lines += [[t["period"], t["flow"], "ALL", "ALL", t["carats"], *([t["value_usd"]] if shown else []),
               t["certificates"], " ".join(numbers.get((t["period"], t["flow"]), []))] for t in report["totals"]]
    return _table(header, lines)


def production_csv(report: dict[str, Any]) -> str:
    lines = [[r["period"], r["hs_code"], r["carats"], r["parcels"], " ".join(map(str, r["parcel_ids"]))]
             for r in report["rows"]]
    lines += [[t["period"], "ALL", t["carats"], t["parcels"], ""] for t in report["totals"]]
    return _table(["period", "hs_code", "carats", "parcels", "parcel_ids"], lines)


def summary_csv(report: dict[str, Any]) -> str:
    lines = []
    for p in report["participants"]:
        for kind in ("exports", "imports", "production"):
            for period, figure in p[kind].items():
                count = figure.get("certificates", figure.get("parcels"))
                lines.append([p["code"], p["name"], kind, period, figure["carats"], count])
    return _table(["participant", "name", "measure", "period", "carats", "certificates_or_parcels"], lines)


def _answer(request: Request, query: StatisticsQuery, report: dict[str, Any], to_csv, name: str,
            private: bool) -> Response:
    """JSON or CSV; a download (Content-Disposition: attachment) when the format was asked for by name."""
    as_csv = query.format == "csv" or (query.format is None and "text/csv" in request.headers.get("accept", ""))
    headers = {"Cache-Control": "private, no-store" if private else "no-cache", "Vary": "Accept"}
    if query.format is not None:
        headers["Content-Disposition"] = f'attachment; filename="{name}.{query.format}"'
    if as_csv:
        return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(report, headers=headers)


def _value_reader(request: Request, code: str) -> str:
    """The account that signed the request (401 AuthenticationRequired, InvalidSignature, StaleRequest, ...)."""
    if not any(request.headers.get(h) for h in HEADERS):
        raise Unauthorized(f"the value of {code}'s trade is shown only to an authority of {code}: sign the request",
                           code="AuthenticationRequired", details={"headers": list(HEADERS)})
    return signed_caller(request, b"")


@router.get("/participants/{code}/trade", response_class=JSONResponse,
            responses={**CSV_OR_JSON, **errors(401, 403, 404)})
def read_trade(code: Code, query: Annotated[TradeQuery, Query()], request: Request, db: DbDep) -> Response:
    """A participant's imports and exports per quarter by partner and HS code, with the certificates behind every
    figure; the value in USD (value=true) for the participant's authorities only (signed request)."""
    with db.session() as s:
        if query.value:
            q.check_value_reader(s, _value_reader(request, code), code)  # 403
        report = q.trade_report(s, code, query.year, query.quarter, query.basis, query.value)
    period = f"Q{query.quarter}" if query.quarter else "year"
    return _answer(request, query, report, trade_csv, f"kp-trade-{code}-{query.year}-{period}", query.value)


@router.get("/participants/{code}/production", response_class=JSONResponse,
            responses={**CSV_OR_JSON, **errors(404)})
def read_production(code: Code, query: Annotated[ProductionQuery, Query()], request: Request,
                    db: DbDep) -> Response:
    """A participant's production per half-year by HS code (carats registered at origin), with the parcels."""
    with db.session() as s:
        report = q.production_report(s, code, query.year, query.half)
    period = f"H{query.half}" if query.half else "year"
    return _answer(request, query, report, production_csv, f"kp-production-{code}-{query.year}-{period}", False)


@router.get("/summary", response_class=JSONResponse, responses={**CSV_OR_JSON, **errors()})
def read_summary(query: Annotated[SummaryQuery, Query()], request: Request, db: DbDep) -> Response:
    """Every participant's exports, imports and production in a year (carats and counts), and the world's."""
    with db.session() as s:
        report = q.summary(s, query.year, query.basis)
    return _answer(request, query, report, summary_csv, f"kp-summary-{query.year}", False)
