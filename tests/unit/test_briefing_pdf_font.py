"""要情专报 PDF: its fonts are embedded (a subset), so digits and Latin letters print everywhere.

A referenced-only CID font (STSong-Light) printed through Ghostscript 10 without CJK font
resources left every digit and Latin letter blank. These tests read the PDF back with pypdf
(every font resource carries its font file; the figures are there as text) and, where
Ghostscript is installed, render it and check the figures are drawn. Without an embeddable font
on the machine the PDF is still written, with a log line and a visible note.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from cockpit.domains.briefing import documents
from cockpit.domains.briefing.sentences import Briefing, Section

FIGURES = "GDP 2806.2亿元，增长5.6%；12345热线受理8562件，CPI上涨0.3%，ABCDEFG xyz 0123456789"
GENERATED = dt.datetime(2026, 11, 20, 7, 30)

needs_font = pytest.mark.skipif(
    documents.embeddable_font_file() is None,
    reason="no embeddable Chinese font installed (Debian: apt-get install fonts-arphic-uming)",
)


def _briefing(line: str) -> Briefing:
    return Briefing(
        city="长治市",
        place="全市",
        county=None,
        kind="daily",
        day=dt.date(2026, 11, 20),
        first=dt.date(2026, 11, 19),
        last=dt.date(2026, 11, 19),
        sections=[Section("economy", "一、经济运行", [line], as_of=GENERATED)],
        is_demo=True,
    )


def _fonts(pdf: PdfReader) -> list:
    """Every font resource of every page, with its descendant font for composite (Type0) fonts."""
    fonts = []
    for page in pdf.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            fonts.append(font)
    return fonts


def _is_embedded(font) -> bool:
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


@needs_font
def test_every_font_in_the_pdf_is_embedded() -> None:
    pdf = PdfReader(io.BytesIO(documents.to_pdf(_briefing(FIGURES), GENERATED)))
    fonts = _fonts(pdf)
    assert fonts
    not_embedded = [str(f.get("/BaseFont")) for f in fonts if not _is_embedded(f)]
    assert not not_embedded, f"fonts referenced but not embedded: {not_embedded}"


@needs_font
def test_digits_and_latin_letters_are_in_the_pdf_as_text() -> None:
    pdf = PdfReader(io.BytesIO(documents.to_pdf(_briefing(FIGURES), GENERATED)))
    text = "".join(page.extract_text() for page in pdf.pages)
    # Word spacing is the extractor's guess from glyph positions: compared without white space.
    assert "".join(FIGURES.split()) in "".join(text.split())
    assert "2026年11月20日" in text and "演示数据" in text
    assert documents.FONT_MISSING_NOTE not in text


def _render(pdf_bytes: bytes, tmp_path: Path, name: str) -> bytes:
    """Page 1 as raw grey pixels, rendered by Ghostscript as a print server without CJK font
    resources would: an empty cidfmap first on the search path hides the machine's mappings
    (Debian maps STSong-Light to installed fonts), so only an embedded font draws the digits."""
    source = tmp_path / f"{name}.pdf"
    target = tmp_path / f"{name}.pgm"
    no_cid_fonts = tmp_path / "gs-lib"
    no_cid_fonts.mkdir(exist_ok=True)
    (no_cid_fonts / "cidfmap").write_text("")
    source.write_bytes(pdf_bytes)
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pgmraw", "-r150"]
        + [f"-I{no_cid_fonts}", "-dFirstPage=1", "-dLastPage=1"]
        + [f"-sOutputFile={target}", str(source)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return target.read_bytes()


@needs_font
@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript (gs) not installed")
def test_ghostscript_draws_the_digits_and_latin_letters(tmp_path: Path) -> None:
    # Two briefings identical but for the digits and Latin letters of one line (both lines
    # start with the same Chinese word, so the layout is the same). Rendered, the pages must
    # differ there; with the referenced STSong-Light, Ghostscript's substitute drew none of them.
    figures = documents.to_pdf(_briefing("数字0123456789 ABCDEFG xyz"), GENERATED)
    blank = documents.to_pdf(_briefing("数字"), GENERATED)
    with_figures = _render(figures, tmp_path, "figures")
    without = _render(blank, tmp_path, "blank")
    assert len(with_figures) == len(without)
    differing = sum(1 for x, y in zip(with_figures, without, strict=True) if x != y)
    assert differing > 300, f"only {differing} pixels differ: the digits were not drawn"


def test_without_an_embeddable_font_the_pdf_is_still_written_with_a_note(
    monkeypatch, caplog
) -> None:
    monkeypatch.setattr(documents, "PDF_FONT_FILES", (("/nonexistent/font.ttc", 0),))
    documents.pdf_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=documents.__name__):
            pdf = PdfReader(io.BytesIO(documents.to_pdf(_briefing(FIGURES), GENERATED)))
        text = "".join(page.extract_text() for page in pdf.pages).replace("\n", "")
        assert documents.FONT_MISSING_NOTE in text  # visible on the page, not only in a log
        assert "长治市要情专报" in text
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "fonts-arphic-uming" in warnings[0]
    finally:
        documents.pdf_font.cache_clear()


def test_a_damaged_font_file_falls_back_too(monkeypatch, caplog, tmp_path: Path) -> None:
    damaged = tmp_path / "uming.ttc"
    damaged.write_bytes(b"not a font")
    monkeypatch.setattr(documents, "PDF_FONT_FILES", ((str(damaged), 0),))
    documents.pdf_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=documents.__name__):
            pdf = PdfReader(io.BytesIO(documents.to_pdf(_briefing(FIGURES), GENERATED)))
        text = "".join(page.extract_text() for page in pdf.pages).replace("\n", "")
        assert documents.FONT_MISSING_NOTE in text
        assert any(str(damaged) in r.getMessage() for r in caplog.records)
    finally:
        documents.pdf_font.cache_clear()
