"""What a person reads: the API's answers (certificates, accounts, provenance, statistics) as plain text. Companies
and authorities by name with their address beside it, countries by name with their code, weights, HS codes and times
as `kpledger.core.words` writes them (as the viewer does: "5,000.00 ct", "7102.31 non-industrial (gem)", "Botswana
(BW)", "2026-11-30 13:54 UTC"), certificates by number (never by key), and every text from the ledger visibly
escaped (a name cannot move the cursor or reorder a line). Pure functions of the JSON, so `--json` prints exactly
what these read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kpledger.core.constants import HS_CODES, REASONS
from kpledger.core.seals import label_matches
from kpledger.core.status import STATUS, reading_status
from kpledger.core.words import carats, countries, hs_words, visible, when
from kpledger.core.words import country as country_words


def party(name: str | None, address: str | None) -> str:
    """A company or authority by name, its address beside it."""
    if not address:
        return "-"
    return f"{visible(name)} ({visible(address)})" if name else f"an account without a public name ({address})"


def country(code: str | None, names: Mapping[str, str]) -> str:
    """Botswana (BW): the participant's name on the ledger, visibly escaped."""
    return visible(country_words(code, names))


def _text(value: Any) -> str:
    """A value from the ledger on one line: "-" for none, control characters escaped."""
    return "-" if value is None or value == "" else visible(str(value))


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
    text = (f"{_text(d['reason_text'])} (code {d['reason']}), recorded on {when(d['timestamp'])} by "
            f"{party(d.get('authority_name'), d.get('authority'))}")
    r = cert.get("resolution")
    return (f"{text}; resolved by the importing authority's confirmation on {when(r['timestamp'])}" if r
            else f"{text}; not resolved")


def certificate_text(cert: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A certificate as a customs officer compares it with the paper and the container."""
    status = certificate_status(cert)
    headline, meaning = STATUS.get(status, (status, ""))
    origins = cert.get("origins") or []
    origin = countries_text(origins, names)
    parcels = cert.get("parcels") or []
    parcel_ids = ", ".join(str(p["id"]) for p in parcels)
    document = cert.get("document") or {}
    rows = [
        ("route", f"{country(cert['exporter'], names)} -> {country(cert['importer'], names)}"),
        ("exporter", party(cert.get("exporter_name"), cert.get("exporter_account"))),
        ("importer", party(cert.get("importer_name"), cert.get("importer_account"))),
        ("issuing authority", party(cert.get("issued_by_name"), cert.get("issued_by"))),
        ("carats", carats(cert["carats"])),
        ("parcels", f"{cert['parcel_count']}" + (f" (parcel {parcel_ids})" if parcel_ids else "")),
        ("HS codes", ", ".join(hs_words(c) for c in cert.get("hs_codes") or [])),
        ("origin", f"mixed: {origin}" if cert.get("mixed_origin") or len(origins) > 1 else origin),
        ("issued", when(cert.get("issued_at"))),
        ("expires", when(cert.get("expires_at"))),
        ("consignment", _text(cert.get("consignment_id"))),
        ("seal", seal_text(cert.get("seal_label"), cert.get("seal_id"), full=True)),
    ]
    if cert.get("replaces"):
        rows.append(("replaces", _text(cert["replaces"])))
    if cert.get("superseded_by"):
        rows.append(("replaced by", _text(cert["superseded_by"])))
    discrepancy = _discrepancy(cert)
    if discrepancy:
        rows.append(("discrepancy", discrepancy))
    rows.append(("document", ("filed; the ledger's print has SHA-256 " + _text(document["printed_sha256"]))
                 if document.get("printed_sha256") else "filed" if document.get("filed") else "not filed"))
    rows.append(("anchored", f"document SHA-256 {_text(cert['document_hash'])}, block {cert['issued_block']}, "
                             f"tx {_text(cert['issued_tx'])}"))
    head = f"KP certificate {_text(cert['number'])}: {_text(headline)}" + (f"\n  {meaning}." if meaning else "")
    return "\n".join([head, *_lines(rows)])


def account_text(account: Mapping[str, Any], names: Mapping[str, str],
                 changers: Mapping[str, str | None]) -> str:
    """Who an account is: its public name, participant, roles by name, licence, and its profile's history."""
    roles = account.get("roles") or []
    rows = [("participant", country(account.get("participant"), names)),
            ("roles", ", ".join(map(_text, roles)) if roles else "none (revoked)")]
    if roles != ["authority"]:
        rows += [("licence", _text(account.get("licence_number"))),
                 ("registry reference", _text(account.get("registry_ref")))]
    lines = [party(account.get("name"), account["address"]), *_lines(rows)]
    changes = account.get("profile_changes") or []
    if changes:
        lines.append("  profile history:")
    for c in changes:
        licence = f", licence {_text(c['licence_number'])}" if c.get("licence_number") else ""
        ref = f", registry reference {_text(c['registry_ref'])}" if c.get("registry_ref") else ""
        # only governance names an authority (appointAuthority), and governance is no member: it has no public name
        by = changers.get(c["changed_by"]) or ("KP governance" if roles == ["authority"] else None)
        lines.append(f"    {when(c['timestamp'])}  {_text(c['name'])}{licence}{ref}; by {party(by, c['changed_by'])} "
                     f"(block {c['block']})")
    return "\n".join(lines)


# ---------------------------------------------------------------- provenance

# a custody step in words, as the viewer's timeline says it (frontend-static/timeline.js)
STEP_WORDS: dict[str, str] = {
    "registered": "registered at the mine", "split": "split off a parent parcel",
    "merged": "merged from several parcels", "sealed": "sealed into a consignment", "opened": "consignment opened",
    "offered": "offered for hand-off", "withdrawn": "offer withdrawn", "rejected": "hand-off refused by the recipient",
    "seal_mismatch": "seal check failed at hand-off", "transferred": "handed over",
}
VERDICT = {"ok": "✓ ok", "incomplete": "✗ incomplete"}


def short_hash(value: str | None) -> str:
    """0x930cafcc…73945e: a seal id or hash to compare by eye (--json gives it whole)."""
    if not value:
        return "-"
    text = visible(value)
    return f"{text[:10]}…{text[-6:]}" if len(text) > 18 else text


def seal_text(label: str | None, seal_id: str | None, *, full: bool = False) -> str:
    """A seal as the officer compares it with the container: its label with its id beside it, and whether the label
    hashes to the id (checked here: keccak-256); the id alone, saying so, when the ledger never learnt the label."""
    if not seal_id:
        return "-"
    sid = _text(seal_id) if full else short_hash(seal_id)
    if label is None:
        return f"id {sid} (label unknown to the ledger)"
    if label_matches(label, seal_id):
        return f"{visible(label)} (id {sid}; the label matches the anchored seal)"
    return f"{visible(label)} (id {sid}; ✗ the label does NOT hash to this seal id)"


def _headline(cert: Mapping[str, Any]) -> str:
    """✓ Import confirmed: a certificate's status in words."""
    status = certificate_status(cert)
    return _text(STATUS[status][0] if status in STATUS else status)


def _parents(edges: Sequence[Mapping[str, Any]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for e in edges:
        out.setdefault(e["to"], []).append(e["from"])
    return {k: sorted(v) for k, v in out.items()}


def _step_line(step: Mapping[str, Any], parcels: Collection[int], parents: Mapping[int, list[int]],
               offered: Mapping[int, tuple[str | None, str | None]], certs: Mapping[str, Mapping[str, Any]],
               names: Mapping[str, str]) -> str:
    """One custody step on one line: when (UTC), which lot, what happened, who, the seal check, the certificate."""
    kind, lot = step["kind"], step["lot_id"]
    what = STEP_WORDS.get(kind, visible(str(kind)).replace("_", " "))
    crossing = kind == "transferred" and step.get("from_country") != step.get("to_country")
    if crossing:
        what = (f"crossed the border {country(step.get('from_country'), names)} -> "
                f"{country(step.get('to_country'), names)}")
    elif kind == "transferred":
        what = f"handed over within {country(step.get('to_country'), names)} (domestic: no KP certificate needed)"
    elif kind in ("split", "merged") and parents.get(lot):
        what = (f"split from parcel {parents[lot][0]}" if kind == "split"
                else f"merged from parcels {' + '.join(map(str, parents[lot]))}")
    elif kind == "registered":
        what = f"registered at the mine in {country(step.get('to_country'), names)}"
    elif kind in ("sealed", "opened"):
        what = kind
    if kind == "registered" or step.get("from") == step.get("to"):
        who = f"by {party(step.get('to_name'), step.get('to'))}"
    else:
        who = f"from {party(step.get('from_name'), step.get('from'))} to {party(step.get('to_name'), step.get('to'))}"
    bits = [f"{'parcel' if lot in parcels else 'consignment'} {lot} {what} {who}"]
    seal = seal_text(step.get("seal_label"), step.get("seal_id"))
    if kind == "transferred" and step.get("seal_id"):
        bits.append(f"seal {seal} ✓ verified (the seal offered is the seal received)")
    elif kind == "seal_mismatch":
        sent = offered.get(lot)
        bits.append("✗ SEAL MISMATCH, transfer refused"
                    + (f": sent under seal {seal_text(sent[1], sent[0])}" if sent and sent[0] else "")
                    + (f", recipient attested {seal}" if step.get("seal_id") else ""))
    elif step.get("seal_id"):
        bits.append(f"seal {seal}")
    if step.get("reason") is not None:
        code = step["reason"]
        bits.append(f"reason: {REASONS[code]} (code {code})" if code in REASONS else f"reason: code {_text(code)}")
    if crossing:
        cert = certs.get(step.get("certificate_key") or "")
        bits.append(f"under KP certificate {_text(cert['number'])} ({_headline(cert)})" if cert
                    else "✗ no KP certificate")
        if cert and cert.get("discrepancy"):
            bits.append(f"discrepancy at import: {_discrepancy(cert)}")
    return f"  {when(step['timestamp'])}  " + "; ".join(bits) + f" (block {step['block']})"


def provenance_text(prov: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A parcel's provenance as a buyer reads it: the parcel, the verdict, its custody as dated lines (UTC) with
    names, countries, seal checks and certificate numbers, its lineage back to the mines, and its certificates."""
    parcel = prov["parcel"]
    lineage = prov.get("lineage") or {}
    nodes = sorted(lineage.get("nodes") or [], key=lambda n: n["id"])
    parents = _parents(lineage.get("edges") or [])
    roots = set(lineage.get("roots") or [])
    certs = {c["key"]: c for c in prov.get("certificates") or []}
    origins = parcel.get("origins") or []
    origin = countries_text(origins, names)
    verdict = prov.get("verdict") or {}
    out = [f"Parcel {parcel['id']}: {carats(parcel['carats'])}, {hs_words(parcel['hs_code'])}, "
           f"{parcel.get('stones', 0)} stones, origin {'mixed: ' if len(origins) > 1 else ''}{origin}",
           f"  held by {party(parcel.get('holder_name'), parcel.get('holder'))} in "
           f"{country(parcel.get('holder_participant'), names)}; {_text(parcel.get('status'))}",
           f"verdict: {VERDICT.get(verdict.get('status') or '', _text(verdict.get('status')))}: "
           f"{_text(verdict.get('summary'))}"]
    out += [f"  problem: {_text(p)}" for p in verdict.get("problems") or []]
    out += [f"  note: {_text(n)}" for n in verdict.get("notes") or []]
    out += ["", "custody"]
    parcel_ids = {n["id"] for n in nodes} | {parcel["id"]}
    offered: dict[int, tuple[str | None, str | None]] = {}  # lot -> (seal id, label) of its latest offer
    for step in prov.get("timeline") or []:
        if step["kind"] == "offered":
            offered[step["lot_id"]] = (step.get("seal_id"), step.get("seal_label"))
        out.append(_step_line(step, parcel_ids, parents, offered, certs, names))
    out += ["", f"lineage (from the mines to parcel {parcel['id']})"]

    def made(n: Mapping[str, Any]) -> str:
        if n["id"] in roots:
            return "registered at the mine"
        ps = parents.get(n["id"]) or []
        return (f"split from {ps[0]}" if n.get("created_by") == "split" and ps
                else f"merged from {' + '.join(map(str, ps))}" if ps else _text(n.get("created_by")))

    rows = [[f"{n['id']}" + (" (this parcel)" if n["id"] == parcel["id"] else ""), carats(n["carats"]),
             hs_words(n["hs_code"]), countries_text(n.get("origins") or [], names), made(n), n.get("status"),
             party(n.get("holder_name"), n.get("holder"))] for n in nodes]
    out += ["  " + line for line in table(["parcel", "weight", "HS code", "origin", "made", "status", "holder"], rows,
                                         ("weight",)).splitlines()]
    out += ["", "certificates"]
    for c in prov.get("certificates") or []:
        out.append(f"  {_text(c['number'])}: {_headline(c)}; "
                   f"{country(c['exporter'], names)} -> {country(c['importer'], names)}; {carats(c['carats'])}; "
                   f"consignment {c['consignment_id']}; issued {when(c.get('issued_at'))} by "
                   f"{party(c.get('issued_by_name'), c.get('issued_by'))}")
    if not prov.get("certificates"):
        out.append("  none")
    else:
        out.append("  (kp certificate show NUMBER shows one in full)")
    return "\n".join(out)


def _offer(offer: Mapping[str, Any] | None) -> str:
    if not offer:
        return "none"
    return (f"pending, from {party(offer.get('from_name'), offer.get('from'))} to "
            f"{party(offer.get('to_name'), offer.get('to'))} under seal "
            f"{seal_text(offer.get('seal_label'), offer.get('seal_id'))}")


def parcel_text(parcel: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A parcel as a person reads it: weight, HS code, stones, origin, holder by name, status, when it was recorded
    (UTC), its document's hash and a pending offer (`kp parcel provenance` gives its history)."""
    origins = parcel.get("origins") or []
    origin = countries_text(origins, names)
    status = _text(parcel.get("status"))
    if parcel.get("sealed") and parcel.get("consignment_id"):
        status += f", sealed in consignment {parcel['consignment_id']}"
    rows = [
        ("holder", f"{party(parcel.get('holder_name'), parcel.get('holder'))} in "
                   f"{country(parcel.get('holder_participant'), names)}"),
        ("status", status),
        ("recorded", f"{_text(parcel.get('created_by'))} {when(parcel.get('created_at'))}, block "
                     f"{_text(parcel.get('created_block'))}, tx {_text(parcel.get('created_tx'))}"),
        ("document", f"SHA-256 {_text(parcel.get('document_hash'))}"),
        ("offer", _offer(parcel.get("offer"))),
    ]
    head = (f"Parcel {parcel['id']}: {carats(parcel['carats'])}, {hs_words(parcel['hs_code'])}, "
            f"{parcel.get('stones', 0)} stones, origin {'mixed: ' if len(origins) > 1 else ''}{origin}")
    return "\n".join([head, *_lines(rows), f"  (kp parcel provenance {parcel['id']} shows its custody and lineage)"])


def consignment_text(box: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A consignment as a customs officer reads it: weight, parcels, seal (label and id), status, holder by name,
    HS codes, origins, when it was sealed (UTC), its certificate by number and a pending offer."""
    origins = box.get("origins") or []
    parcel_ids = box.get("parcel_ids") or []
    cert = box.get("certificate")
    rows = [
        ("seal", seal_text(box.get("seal_label"), box.get("seal_id"), full=True)),
        ("status", {"compromised": "compromised (a seal mismatch was recorded)"}.get(box.get("status") or "",
                                                                                    _text(box.get("status")))),
        ("holder", f"{party(box.get('holder_name'), box.get('holder'))} in "
                   f"{country(box.get('holder_participant'), names)}"),
        ("HS codes", ", ".join(hs_words(c) for c in box.get("hs_codes") or []) or "-"),
        ("origin", f"{'mixed: ' if len(origins) > 1 else ''}{countries_text(origins, names)}"),
        ("sealed", f"{when(box.get('created_at'))}, block {_text(box.get('created_block'))}, tx "
                   f"{_text(box.get('created_tx'))}"),
        ("certificate", f"{_text(cert['number'])} ({_headline(cert)})" if cert else "none"),
        ("offer", _offer(box.get("offer"))),
    ]
    head = (f"Consignment {box['id']}: {carats(box['carats'])} in {len(parcel_ids)} parcel(s) "
            f"({', '.join(map(str, parcel_ids)) or 'none'})")
    return "\n".join([head, *_lines(rows)])


def countries_text(codes: Sequence[str], names: Mapping[str, str]) -> str:
    """Botswana (BW), Canada (CA): the participants' names on the ledger, visibly escaped."""
    return visible(countries(codes, names)) or "-"


# ---------------------------------------------------------------- statistics


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Collection[str] = ()) -> str:
    """A plain text table; the columns named in `right` (figures) right-aligned."""
    cells = [[str(v) for v in header], *[[_text(v) if v != "" else "" for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for row in cells:
        out.append("  ".join(v.rjust(w) if header[i] in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    return "\n".join(out)


def _hs(text: str) -> str:
    """7102.31 non-industrial (gem) from the statistics' 7102.31; ALL as is."""
    digits = text.replace(".", "")
    return hs_words(int(digits)) if digits.isdigit() and int(digits) in HS_CODES else text


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
    out = [f"KP trade statistics of {_text(who['name'])} ({who['code']}), {report['year']}, {period}, by {basis}", ""]
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
    out = [f"KP production statistics of {_text(who['name'])} ({who['code']}), {report['year']}, {period}", ""]
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
