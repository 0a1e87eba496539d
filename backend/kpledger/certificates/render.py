"""Printable KP certificates: the full certificate for its parties (HTML for the browser's print, and a one-page PDF)
rendered from the filed `kp-certificate/1` document, and a public verification slip (PDF) for the container's label
with the chain's facts only. Both carry a QR code of the certificate's public verification page.

Weights, HS codes and countries read as the viewer writes them (`kpledger.core.words`: "5,000.00 ct", "7102.31
non-industrial (gem)", "Botswana (BW)", with the participants' names on the ledger), and any control or
bidirectional character in a text is printed visibly escaped (it cannot reorder a line of the print).

PDFs are made with ReportLab in its invariant mode (no creation time, a fixed document id): the same document, URL
and participant names always give the same bytes, so the SHA-256 of a printed PDF identifies it (the ledger keeps
the print it made when the document was filed).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from segno.consts import MODE_MAPPING

from kpledger.certificates import verification_url
from kpledger.certificates.payload import QrContent
from kpledger.core.constants import hs_code
from kpledger.core.document_facts import CERTIFICATE_SCHEMA
from kpledger.core.seals import label_matches
from kpledger.core.words import carats, countries, country, hs_words, visible

__all__ = ["printable_html", "printable_pdf", "slip_pdf", "verification_url"]

QR_ERROR = "m"  # 15% of the code may be damaged (a label on a container gets scuffed)
QR_BORDER = 4  # the quiet zone, in modules, that scanners need
A4_QR, A6_QR = 40 * mm, 34 * mm  # printed QR sizes, quiet zone included (the module size is this / modules)
INK, MUTED, RULE = colors.HexColor("#111827"), colors.HexColor("#4b5563"), colors.HexColor("#9ca3af")


def qr_code(content: QrContent) -> segno.QRCode:
    """The QR code of a URL, or of segments (the signed URL: its payload in alphanumeric mode)."""
    if isinstance(content, str):
        return segno.make(content, error=QR_ERROR, micro=False)
    segments = [(text, MODE_MAPPING[mode]) for text, mode in content]
    # segno takes a list of (text, mode) segments (its hints name only a single value)
    return segno.make(segments, error=QR_ERROR, micro=False)  # type: ignore[arg-type]


def qr_note(content: QrContent) -> str:
    """What the QR code carries, said under it."""
    if isinstance(content, str):
        return "QR: the verification page only (no signed terms: the certificate was issued directly on the ledger)"
    return "QR: the terms signed by the issuing authority, checked offline by the KP verifier (/verify/)"


def _origin(codes: list[str], mixed: bool, names: Mapping[str, str]) -> str:
    """Botswana (BW), or "mixed origin (*): Botswana (BW), Canada (CA)" as the verification page writes it."""
    named = countries(codes, names)
    return f"mixed origin (*): {named}" if mixed else named


def _participant(p: dict[str, Any]) -> str:
    return country(p["code"], {p["code"]: p["name"]})


def certificate_fields(document: dict[str, Any], names: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """Every Annex I field of a certificate document as (label, lines), in the order the certificate prints them;
    `names`: the participants' names on the ledger by ISO code (for the countries of origin)."""
    v = document["validation"]
    names = {**names, **{p["code"]: p["name"] for p in (document["exporting_participant"],
                                                         document["importing_participant"])}}
    rows = [
        ("Certificate number", [document["number"]]),
        ("Exporting participant", [_participant(document["exporting_participant"])]),
        ("Importing participant", [_participant(document["importing_participant"])]),
        ("Country of origin", [_origin(document["origin"]["countries"], document["origin"]["mixed"], names)]),
        ("Date of issue", [document["issue_date"]]),
        ("Date of expiry", [document["expiry_date"]]),
        ("Issuing authority", [document["issuing_authority"]["name"], document["issuing_authority"]["address"]]),
        ("Exporter", [document["exporter"]["name"], document["exporter"]["address"],
                      f"ledger account {document['exporter']['account']}"]),
        ("Importer", [document["importer"]["name"], document["importer"]["address"],
                      f"ledger account {document['importer']['account']}"]),
        ("Carat weight", [carats(document["carats"])]),
        ("Value (US dollars)", [f"USD {_grouped(document['value_usd'])}"]),
        ("Number of parcels", [str(document["number_of_parcels"])]),
        ("HS code(s)", [", ".join(hs_words(hs_code(c)) for c in document["hs_codes"])]),
        ("Tamper-resistant container", seal_lines(document["seal"]["label"], document["seal"]["id"])),
    ]
    if document.get("replaces"):
        rows.append(("Replaces", [f"certificate {document['replaces']} (voided, superseded by this one)"]))
    rows.append(("Validated by the exporting authority", [f"{v['officer']}, {v['place']}, {v['date']}"]))
    return rows


def seal_lines(label: str | None, seal_id: str | None) -> list[str]:
    """A seal as the officer compares it with the container: its label, its id on the ledger, and whether the label
    was checked against that id (keccak-256; the id itself is the one anchored: the filed document's is checked
    against the chain, the slip's is the chain's)."""
    if not seal_id:
        return ["—"]
    if label is None:
        return [f"seal id {seal_id}", "label unknown to the ledger (compare the id)"]
    checked = "label matches the anchored seal" if label_matches(label, seal_id) else \
        "LABEL DOES NOT MATCH the anchored seal"
    return [f"seal {label}", f"seal id {seal_id}", checked]


def _grouped(amount: str) -> str:
    whole, _, cents = amount.partition(".")
    return f"{int(whole):,}.{(cents + '00')[:2]}"


# ---------------------------------------------------------------- HTML (print from the browser)


def printable_html(document: dict[str, Any], url: str, sha256: str, names: Mapping[str, str],
                   qr: QrContent | None = None) -> str:
    """The certificate as one self-contained HTML page laid out for A4 printing (no script, no external file); `qr`:
    what its QR code encodes (by default `url`)."""
    rows = "\n".join(
        f"<tr><th scope=\"row\">{escape(label)}</th><td>{'<br>'.join(_text(line) for line in lines)}</td></tr>"
        for label, lines in certificate_fields(document, names))
    content = url if qr is None else qr
    svg = qr_code(content).svg_inline(scale=3, border=QR_BORDER, omitsize=False)
    number = _text(document["number"])
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kimberley Process Certificate {number}</title>
<style>
  @page {{ size: A4; margin: 14mm; }}
  body {{ font: 10.5pt/1.4 system-ui, "Segoe UI", Helvetica, Arial, sans-serif; color: #111827; margin: 0 auto;
          max-width: 182mm; padding: 8mm 4mm; }}
  header {{ display: flex; justify-content: space-between; gap: 6mm; border-bottom: 2px solid #111827; }}
  h1 {{ font-size: 18pt; margin: 0 0 2mm; }}
  .number {{ font-size: 15pt; font-weight: 700; letter-spacing: .04em; margin: 0; }}
  .statement {{ font-style: italic; margin: 2mm 0 4mm; }}
  figure {{ margin: 0; text-align: center; font-size: 7.5pt; max-width: 46mm; word-break: break-all; }}
  figure svg {{ width: 36mm; height: 36mm; }}
  table {{ width: 100%; border-collapse: collapse; margin-top: 4mm; }}
  th, td {{ text-align: left; vertical-align: top; padding: 1.6mm 2mm; border-bottom: 1px solid #9ca3af; }}
  th {{ width: 38%; font-weight: 600; }}
  .signature {{ margin-top: 12mm; display: flex; justify-content: space-between; gap: 8mm; }}
  .signature div {{ flex: 1; border-top: 1px solid #111827; padding-top: 1mm; font-size: 8.5pt; }}
  footer {{ margin-top: 6mm; font-size: 7.5pt; color: #4b5563; word-break: break-all; }}
</style>
</head>
<body>
<header>
  <div>
    <h1>Kimberley Process Certificate</h1>
    <p class="number">{number}</p>
    <p class="statement">{_text(document["statement"])}</p>
  </div>
  <figure role="img" aria-label="QR code of the public verification page of certificate {number}">
    {svg}
    <figcaption>Verify on the KP Ledger:<br>{escape(url)}<br>{escape(qr_note(content))}</figcaption>
  </figure>
</header>
<table>
<caption style="text-align:left;font-weight:600;padding-top:2mm">Particulars (KPCS Annex I)</caption>
{rows}
</table>
<div class="signature"><div>Signature and stamp of the exporting authority</div><div>Importing authority: import
confirmed on</div></div>
<footer>Document {escape(CERTIFICATE_SCHEMA)}, SHA-256 {escape(sha256)}: the hash anchored on the ledger. The value
in US dollars is confidential to the parties and their authorities.</footer>
</body>
</html>
"""


# ---------------------------------------------------------------- PDF


class _Qr(Flowable):
    """A QR code drawn module by module as vector squares (sharp at any print resolution)."""

    def __init__(self, content: QrContent, size: float):
        super().__init__()
        self.rows = [list(row) for row in qr_code(content).matrix_iter(border=QR_BORDER)]
        self.width = self.height = size

    def draw(self) -> None:
        canvas, n = self.canv, len(self.rows)
        module = self.width / n
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.width, self.height, fill=1, stroke=0)
        canvas.setFillColor(colors.black)
        for r, row in enumerate(self.rows):
            for c, dark in enumerate(row):
                if dark:
                    canvas.rect(c * module, self.height - (r + 1) * module, module, module, fill=1, stroke=0)


def _styles(base: float) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=base * 2, leading=base * 2.4,
                                textColor=INK),
        "number": ParagraphStyle("number", fontName="Helvetica-Bold", fontSize=base * 1.6, leading=base * 2,
                                 textColor=INK),
        "statement": ParagraphStyle("statement", fontName="Helvetica-Oblique", fontSize=base, leading=base * 1.3),
        "label": ParagraphStyle("label", fontName="Helvetica-Bold", fontSize=base, leading=base * 1.25),
        "value": ParagraphStyle("value", fontName="Helvetica", fontSize=base, leading=base * 1.25),
        "small": ParagraphStyle("small", fontName="Helvetica", fontSize=base * 0.75, leading=base * 0.95,
                                textColor=MUTED),
    }


def _text(text: str) -> str:
    """Text for the HTML and the PDF's paragraphs: control and bidirectional characters visible, markup escaped."""
    return escape(visible(text))


def _lines(lines: Iterable[str]) -> str:
    return "<br/>".join(_text(line) for line in lines)


def _pdf(pagesize: tuple[float, float], margin: float, story: list[Flowable], *, title: str, subject: str,
         keywords: str = "") -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title=title, author="KP Ledger", subject=subject,
                            # the stub types keywords as a list; ReportLab writes it as the PDF's Keywords string
                            keywords=keywords,  # type: ignore[arg-type]
                            creator="KP Ledger", invariant=1)
    doc.build(story)
    return out.getvalue()


def _header(styles: dict[str, ParagraphStyle], heading: str, number: str, statement: str | None, url: str,
            qr: QrContent, qr_size: float, width: float) -> Table:
    left: list[Flowable] = [Paragraph(_text(heading), styles["title"]), Paragraph(_text(number), styles["number"])]
    if statement:
        left += [Spacer(1, 2 * mm), Paragraph(_text(statement), styles["statement"])]
    right = [_Qr(qr, qr_size), Paragraph(escape(url), styles["small"]), Paragraph(escape(qr_note(qr)), styles["small"])]
    table = Table([[left, right]], colWidths=[width - qr_size - 4 * mm, qr_size + 4 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _fields(styles: dict[str, ParagraphStyle], rows: list[tuple[str, list[str]]], width: float,
            split: float = 0.36) -> Table:
    table = Table([[Paragraph(_text(label), styles["label"]), Paragraph(_lines(lines), styles["value"])]
                   for label, lines in rows], colWidths=[width * split, width * (1 - split)])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                               ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))
    return table


def printable_pdf(document: dict[str, Any], url: str, sha256: str, names: Mapping[str, str],
                  qr: QrContent | None = None) -> bytes:
    """The certificate on one A4 page: every Annex I field, the validation, the QR code (`qr`: the signed URL, or by
    default `url`, its verification page); `names`: the participants' names on the ledger by ISO code."""
    margin, styles = 14 * mm, _styles(9.5)
    width = A4[0] - 2 * margin
    signature = Table([["Signature and stamp of the exporting authority", "Importing authority: import confirmed on"]],
                      colWidths=[width / 2 - 3 * mm, width / 2 - 3 * mm], spaceBefore=14 * mm)
    signature.setStyle(TableStyle([("LINEABOVE", (0, 0), (0, 0), 0.8, INK), ("LINEABOVE", (1, 0), (1, 0), 0.8, INK),
                                   ("FONTSIZE", (0, 0), (-1, -1), 8), ("TEXTCOLOR", (0, 0), (-1, -1), MUTED)]))
    story = [
        _header(styles, "Kimberley Process Certificate", document["number"], document["statement"], url,
                url if qr is None else qr, A4_QR, width),
        Spacer(1, 4 * mm),
        _fields(styles, certificate_fields(document, names), width),
        signature,
        Spacer(1, 5 * mm),
        Paragraph(escape(f"Document {CERTIFICATE_SCHEMA}, SHA-256 {sha256}: the hash anchored on the ledger. The "
                         "value in US dollars is confidential to the parties and their authorities."),
                  styles["small"]),
    ]
    return _pdf(A4, margin, story, title=f"Kimberley Process Certificate {document['number']}",
                subject=f"KP certificate {document['number']}, document SHA-256 {sha256}",
                keywords=f"{CERTIFICATE_SCHEMA} {document['salt']}")


def slip_fields(certificate: dict[str, Any], participants: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """The public facts a verification slip shows (the chain's, with public names): never the value, the
    addresses or the validating officer."""
    def who(name: str | None, account: str | None) -> list[str]:
        return [name or "(no public name)", account or "—"]

    return [
        ("Route", [f"{country(certificate['exporter'], participants)} -> "
                   f"{country(certificate['importer'], participants)}"]),
        ("Exporter", who(certificate["exporter_name"], certificate["exporter_account"])),
        ("Importer", who(certificate["importer_name"], certificate["importer_account"])),
        ("Carats / parcels", [f"{carats(certificate['carats'])} in {certificate['parcel_count']} parcel(s)"]),
        ("HS code(s)", [", ".join(hs_words(c) for c in certificate["hs_codes"])]),
        ("Origin", [_origin(certificate["origins"], certificate["mixed_origin"], participants)]),
        ("Valid", [f"{certificate['issued_date']} to {certificate['expiry_date']} (UTC)"]),
        ("Seal", seal_lines(certificate.get("seal_label"), certificate["seal_id"])),
    ]


def slip_pdf(certificate: dict[str, Any], participants: Mapping[str, str], url: str,
             qr: QrContent | None = None) -> bytes:
    """A public A6 verification slip for the container's label: number, the chain's facts, a large QR code (`qr`:
    the signed URL, or by default `url`)."""
    margin, styles = 7 * mm, _styles(7.5)
    width = A6[0] - 2 * margin
    story = [
        _header(styles, "KP certificate", certificate["number"], None, url, url if qr is None else qr, A6_QR, width),
        Spacer(1, 2 * mm),
        _fields(styles, slip_fields(certificate, participants), width, split=0.3),
        Spacer(1, 2 * mm),
        Paragraph("Scan the code to check this certificate's status on the KP Ledger. This slip is not the "
                  "certificate: the certificate travels with the goods.", styles["small"]),
    ]
    return _pdf(A6, margin, story, title=f"KP certificate {certificate['number']}: verification slip",
                subject=f"verification slip of KP certificate {certificate['number']}")
