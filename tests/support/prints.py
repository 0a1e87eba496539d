"""Reading printed PDFs: the texts of their QR codes (PDFium renders, zxing-cpp decodes)."""

from __future__ import annotations

import pytest

pdfium = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")


def qr_texts(pdf: bytes) -> list[str]:
    """The QR codes on the PDF's first page, decoded (PDFium renders it, zxing-cpp reads it)."""
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]
