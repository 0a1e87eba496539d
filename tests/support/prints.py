"""Reading printed PDFs: the texts of their QR codes (PDFium renders, zxing-cpp decodes), and the signed terms a
certificate's code carries for the offline verifier."""

from __future__ import annotations

import httpx
import pytest

from kpledger.certificates import payload

pdfium = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")


def qr_texts(pdf: bytes) -> list[str]:
    """The QR codes on the PDF's first page, decoded (PDFium renders it, zxing-cpp reads it)."""
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def assert_signed_qr(base_url: str, texts: list[str], number: str) -> None:
    """One QR code, of the offline verifier's URL with the terms of certificate `number` signed by the account that
    issued it (issue 23): the signature recovers its signer under the deployment's domain."""
    prefix = f"{base_url}/verify/#"
    assert len(texts) == 1 and texts[0].startswith(prefix), texts
    signed = payload.decode(texts[0][len(prefix):])
    config = httpx.get(f"{base_url}/v1/config").json()
    assert signed.message["number"] == number
    assert signed.recovered(config["chain_id"], config["contracts"]["KPCertificates"]) == signed.signer
