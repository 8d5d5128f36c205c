"""要情专报 as files: a Word document (python-docx) and a PDF (reportlab), same text as the page.

Both carry the title block (the city's name, the kind, the date of issue), the span the
figures cover, 数据截至, and the demo label where the data are demo data.

The PDF embeds its Chinese font (a subset: only the glyphs used), so every reader and printer
draws the same glyphs. A referenced-only font (reportlab's CID font STSong-Light) left every
digit and Latin letter blank when printed through Ghostscript without CJK resources. The font
is AR PL UMing (a Song/Ming typeface, TrueType, Debian's fonts-arphic-uming, which the README
and .ci/run install); reportlab embeds TrueType (glyf) fonts only, so the OpenType/CFF files of
fonts-noto-cjk cannot be used. Where no embeddable font is installed the PDF is still written in
STSong-Light, with a warning in the log and a note on the page. See docs/briefing.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from pathlib import Path
from xml.sax.saxutils import escape

from cockpit import clock
from cockpit.domains.briefing.sentences import KIND_NAMES, Briefing
from cockpit.formatting import as_of as as_of_text
from cockpit.formatting import date_label

log = logging.getLogger(__name__)

# Embeddable Chinese fonts, first found wins: (TrueType file or collection, index in the collection).
PDF_FONT_FILES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming: AR PL UMing CN
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei: WenQuanYi Zen Hei
)
PDF_FONT_EMBEDDED = "CockpitSong"  # the name the embedded font is registered under in reportlab
PDF_FONT_FALLBACK = "STSong-Light"  # referenced, not embedded: readers substitute their own
FONT_MISSING_NOTE = (
    "（本机未安装可嵌入的中文字体，本文件字体未嵌入，部分打印机可能无法打印数字和字母）"
)
RED = (0xC0, 0x00, 0x00)  # the red of a 红头 title block
DEMO_NOTE = "【演示数据，非真实统计】"
FOOT_NOTE = "本专报由领导驾驶舱根据各业务系统数据自动生成，数字以各主管部门正式发布为准。"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def header_lines(b: Briefing, generated: dt.datetime | None = None) -> list[str]:
    """The lines under the title: date of issue, span, 数据截至 and when it was generated."""
    generated = generated or clock.now()
    return [
        f"（{KIND_NAMES[b.kind]}）{date_label(b.day)}",
        # Separated by ideographic spaces: the fallback STSong-Light has no middle dot (·).
        f"{b.place}　数据覆盖 {b.span}　数据截至 {as_of_text(b.as_of)}　"
        f"生成于 {generated:%Y-%m-%d %H:%M}",
    ]


def section_note(as_of: dt.datetime | None, error: str) -> str:
    """The small line under a section: its 数据截至 and, if it failed, that it did."""
    note = f"（数据截至 {as_of_text(as_of)}）"
    return note + (f"（数据源异常：{error}）" if error else "")


def filename(b: Briefing, extension: str) -> str:
    """长治市要情专报_日报_全市_2026-11-20.docx."""
    return f"{b.city}要情专报_{KIND_NAMES[b.kind]}_{b.place}_{b.day:%Y-%m-%d}.{extension}"


def to_docx(b: Briefing, generated: dt.datetime | None = None) -> bytes:
    """The briefing as a Word document (.docx)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = Document()

    def run_font(run, east_asia: str, size: float, bold: bool = False, colour=None) -> None:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = east_asia
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
        if colour is not None:
            run.font.color.rgb = RGBColor(*colour)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run_font(title.add_run(b.title.split("（")[0]), "方正小标宋简体", 26, True, RED)
    for line in header_lines(b, generated):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run_font(p.add_run(line), "仿宋", 12)
    rule = doc.add_paragraph()
    run_font(rule.add_run("━" * 24), "宋体", 12, False, RED)
    rule.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if b.is_demo:
        p = doc.add_paragraph()
        run_font(p.add_run(DEMO_NOTE), "黑体", 12, True, RED)
    for s in b.sections:
        heading = doc.add_paragraph()
        run_font(heading.add_run(s.title), "黑体", 16, True)
        for line in s.lines:
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            run_font(p.add_run(line), "仿宋", 16)
        note = doc.add_paragraph()
        run_font(note.add_run(section_note(s.as_of, s.error)), "仿宋", 10)
    foot = doc.add_paragraph()
    run_font(foot.add_run(FOOT_NOTE), "仿宋", 10)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def embeddable_font_file() -> tuple[str, int] | None:
    """The first installed font of PDF_FONT_FILES, or None."""
    return next(((path, index) for path, index in PDF_FONT_FILES if Path(path).is_file()), None)


@functools.cache
def pdf_font() -> tuple[str, bool]:
    """The PDF's font, registered with reportlab once: (its name, whether it is embedded).

    reportlab embeds a TrueType font as a subset of the glyphs a document uses. Without one the
    fallback is referenced only, said once in the log (and on each PDF by FONT_MISSING_NOTE)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    found = embeddable_font_file()
    if found is not None:
        path, index = found
        try:
            pdfmetrics.registerFont(TTFont(PDF_FONT_EMBEDDED, path, subfontIndex=index))
            return PDF_FONT_EMBEDDED, True
        except Exception as exc:
            log.warning("PDF font %s unusable (%s); falling back to STSong-Light", path, exc)
    else:
        log.warning(
            "no embeddable Chinese font for the PDF briefing (install Debian's fonts-arphic-uming);"
            " writing it with STSong-Light, referenced and not embedded"
        )
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT_FALLBACK))
    return PDF_FONT_FALLBACK, False


def to_pdf(b: Briefing, generated: dt.datetime | None = None) -> bytes:
    """The briefing as a PDF (A4), Chinese set in an embedded font (see pdf_font)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

    font, embedded = pdf_font()
    red = colors.Color(*(c / 255 for c in RED))

    def style(name: str, size: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.6, wordWrap="CJK", **kw
        )

    title_style = style("title", 24, alignment=TA_CENTER, textColor=red, spaceAfter=6)
    centre = style("centre", 10.5, alignment=TA_CENTER)
    heading = style("heading", 14, spaceBefore=8, spaceAfter=2)
    body = style("body", 12, firstLineIndent=24)
    small = style("small", 9, textColor=colors.grey)
    story = [Paragraph(escape(b.title.split("（")[0]), title_style)]
    story += [Paragraph(escape(line), centre) for line in header_lines(b, generated)]
    story += [
        Spacer(1, 2 * mm),
        HRFlowable(width="100%", thickness=2, color=red),
        Spacer(1, 2 * mm),
    ]
    if b.is_demo:
        story.append(Paragraph(escape(DEMO_NOTE), style("demo", 12, textColor=red)))
    if not embedded:
        story.append(Paragraph(escape(FONT_MISSING_NOTE), style("font", 9, textColor=red)))
    for s in b.sections:
        story.append(Paragraph(escape(s.title), heading))
        story += [Paragraph(escape(line), body) for line in s.lines]
        story.append(Paragraph(escape(section_note(s.as_of, s.error)), small))
    story += [Spacer(1, 4 * mm), Paragraph(escape(FOOT_NOTE), small)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=b.title,
        author=f"{b.city}领导驾驶舱",
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        # The canvas starts in Helvetica, which reportlab would list (not embedded) on every
        # page: start it in the briefing's font, so that every font of the file is embedded.
        initialFontName=font,
    )
    doc.build(story)
    return buffer.getvalue()
