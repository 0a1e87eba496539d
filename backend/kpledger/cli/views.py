"""What a person reads: the API's answers (certificates, accounts, statistics) as plain text. Companies and
authorities by name with their address beside it, countries by name with their code, weights as the exact decimal
strings the API gives (never floats), HS codes as 7102.31, times in UTC. Pure functions of the JSON, so `--json`
prints exactly what these read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kpledger.core.constants import HS_CODES, hs_label
from kpledger.core.status import STATUS, reading_status


def utc(seconds: int | None) -> str:
    """2026-11-30 13:54 UTC."""
    return "-" if seconds is None else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def party(name: str | None, address: str | None) -> str:
    """A company or authority by name, its address beside it."""
    if not address:
        return "-"
    return f"{name} ({address})" if name else f"an account without a public name ({address})"


def country(code: str | None, names: Mapping[str, str]) -> str:
    """Botswana (BW)."""
    if not code:
        return "-"
    return f"{names[code]} ({code})" if code in names else code


def certificate_status(cert: Mapping[str, Any]) -> str:
    """The status a person reads: a voided certificate that a correction replaced is "superseded"."""
    return reading_status(str(cert.get("status")), cert.get("superseded_by"))


def _lines(rows: Sequence[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"{indent}{label + ':':<{width + 1}} {value}" for label, value in rows]


def _discrepancy(cert: Mapping[str, Any]) -> str | None:
    d = cert.get("discrepancy")
    if not d:
        return None
    text = (f"{d['reason_text']} (code {d['reason']}), recorded on {utc(d['timestamp'])} by "
            f"{party(d.get('authority_name'), d.get('authority'))}")
    r = cert.get("resolution")
    return (f"{text}; resolved by the importing authority's confirmation on {utc(r['timestamp'])}" if r
            else f"{text}; not resolved")


def certificate_text(cert: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A certificate as a customs officer compares it with the paper and the container."""
    status = certificate_status(cert)
    headline, meaning = STATUS.get(status, (status, ""))
    origins = cert.get("origins") or []
    origin = ", ".join(country(c, names) for c in origins)
    parcels = cert.get("parcels") or []
    parcel_ids = ", ".join(str(p["id"]) for p in parcels)
    document = cert.get("document") or {}
    rows = [
        ("route", f"{country(cert['exporter'], names)} -> {country(cert['importer'], names)}"),
        ("exporter", party(cert.get("exporter_name"), cert.get("exporter_account"))),
        ("importer", party(cert.get("importer_name"), cert.get("importer_account"))),
        ("issuing authority", party(cert.get("issued_by_name"), cert.get("issued_by"))),
        ("carats", str(cert["carats"])),
        ("parcels", f"{cert['parcel_count']}" + (f" (parcel {parcel_ids})" if parcel_ids else "")),
        ("HS codes", ", ".join(hs_label(c) for c in cert.get("hs_codes") or [])),
        ("origin", f"mixed: {origin}" if cert.get("mixed_origin") or len(origins) > 1 else origin),
        ("issued", utc(cert.get("issued_at"))),
        ("expires", utc(cert.get("expires_at"))),
        ("consignment", str(cert.get("consignment_id"))),
        ("seal id", cert.get("seal_id") or "-"),
    ]
    if cert.get("replaces"):
        rows.append(("replaces", str(cert["replaces"])))
    if cert.get("superseded_by"):
        rows.append(("replaced by", str(cert["superseded_by"])))
    discrepancy = _discrepancy(cert)
    if discrepancy:
        rows.append(("discrepancy", discrepancy))
    rows.append(("document", ("filed; the ledger's print has SHA-256 " + document["printed_sha256"])
                 if document.get("printed_sha256") else "filed" if document.get("filed") else "not filed"))
    rows.append(("anchored", f"document SHA-256 {cert['document_hash']}, block {cert['issued_block']}, "
                             f"tx {cert['issued_tx']}"))
    head = f"KP certificate {cert['number']}: {headline}" + (f"\n  {meaning}." if meaning else "")
    return "\n".join([head, *_lines(rows)])


def account_text(account: Mapping[str, Any], names: Mapping[str, str],
                 changers: Mapping[str, str | None]) -> str:
    """Who an account is: its public name, participant, roles by name, licence, and its profile's history."""
    roles = account.get("roles") or []
    rows = [("participant", country(account.get("participant"), names)),
            ("roles", ", ".join(roles) if roles else "none (revoked)")]
    if roles != ["authority"]:
        rows += [("licence", account.get("licence_number") or "-"),
                 ("registry reference", account.get("registry_ref") or "-")]
    lines = [party(account.get("name"), account["address"]), *_lines(rows)]
    changes = account.get("profile_changes") or []
    if changes:
        lines.append("  profile history:")
    for c in changes:
        licence = f", licence {c['licence_number']}" if c.get("licence_number") else ""
        ref = f", registry reference {c['registry_ref']}" if c.get("registry_ref") else ""
        # only governance names an authority (appointAuthority), and governance is no member: it has no public name
        by = changers.get(c["changed_by"]) or ("KP governance" if roles == ["authority"] else None)
        lines.append(f"    {utc(c['timestamp'])}  {c['name']}{licence}{ref}; by {party(by, c['changed_by'])} "
                     f"(block {c['block']})")
    return "\n".join(lines)


# ---------------------------------------------------------------- statistics


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Collection[str] = ()) -> str:
    """A plain text table; the columns named in `right` (figures) right-aligned."""
    cells = [[str(v) for v in header], *[["-" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for row in cells:
        out.append("  ".join(v.rjust(w) if header[i] in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    return "\n".join(out)


def _hs(text: str) -> str:
    """7102.31 (non-industrial) from the statistics' 7102.31; ALL as is."""
    digits = text.replace(".", "")
    return hs_label(int(digits)) if digits.isdigit() and int(digits) in HS_CODES else text


def trade_text(report: Mapping[str, Any]) -> str:
    """A participant's trade report: its lines, then the totals per period and flow."""
    who = report["participant"]
    shown = report["value"]["shown"]
    period = f"Q{report['quarter']}" if report.get("quarter") else "the year"
    basis = "border crossing" if report["basis"] == "crossing" else "issue date"
    value_cols = ["value USD", "value unknown"] if shown else []
    rows = [[r["period"], r["flow"], f"{r['partner_name']} ({r['partner']})", _hs(r["hs_code"]), r["carats"],
             *([r["value_usd"], r["value_unknown"]] if shown else []), r["certificates"],
             " ".join(r["certificate_numbers"])] for r in report["rows"]]
    totals = [[t["period"], t["flow"], t["carats"], *([t["value_usd"], t["value_unknown"]] if shown else []),
               t["certificates"]] for t in report["totals"]]
    figures = ("carats", "value USD", "value unknown", "certificates")
    out = [f"KP trade statistics of {who['name']} ({who['code']}), {report['year']}, {period}, by {basis}", ""]
    out.append(table(["period", "flow", "partner", "HS code", "carats", *value_cols, "certificates", "numbers"],
                     rows, figures) if rows else "no certificates in this period")
    out += ["", "totals", table(["period", "flow", "carats", *value_cols, "certificates"], totals, figures)]
    if shown:
        out += ["", f"values: {report['value'].get('unknown', 0)} certificate(s) of unknown value"]
    else:
        out += ["", "values in USD: shown to an authority of the participant only (--value, signed)"]
    return "\n".join(out)


def production_text(report: Mapping[str, Any]) -> str:
    """A participant's production per half-year by HS code, with the parcels."""
    who = report["participant"]
    period = f"H{report['half']}" if report.get("half") else "the year"
    rows = [[r["period"], _hs(r["hs_code"]), r["carats"], r["parcels"], " ".join(map(str, r["parcel_ids"]))]
            for r in report["rows"]]
    totals = [[t["period"], t["carats"], t["parcels"]] for t in report["totals"]]
    out = [f"KP production statistics of {who['name']} ({who['code']}), {report['year']}, {period}", ""]
    out.append(table(["period", "HS code", "carats", "parcels", "parcel ids"], rows, ("carats", "parcels"))
               if rows else "no parcels registered at origin in this period")
    out += ["", "totals", table(["period", "carats", "parcels"], totals, ("carats", "parcels"))]
    return "\n".join(out)


def summary_text(report: Mapping[str, Any]) -> str:
    """Every participant's year: exports, imports (carats, certificates) and production (carats, parcels)."""
    year = str(report["year"])

    def figure(p: Mapping[str, Any], kind: str, count: str) -> list[Any]:
        f = (p.get(kind) or {}).get(year) or {}
        return [f.get("carats"), f.get(count)]

    rows = [[f"{p['name']} ({p['code']})", *figure(p, "exports", "certificates"), *figure(p, "imports", "certificates"),
             *figure(p, "production", "parcels")] for p in report["participants"]]
    world = report["world"]
    rows.append(["world", *figure(world, "exports", "certificates"), "", "", *figure(world, "production", "parcels")])
    basis = "border crossing" if report["basis"] == "crossing" else "issue date"
    header = ["participant", "exports (ct)", "certificates out", "imports (ct)", "certificates in",
              "production (ct)", "parcels"]
    return "\n".join([f"KP statistics {year}, trade by {basis}", "", table(header, rows, header[1:])])
