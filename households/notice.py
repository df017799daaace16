"""The publicity notice of the exit procedure (拟退出贫困户公示): one A4 page for the village board.

It is posted in the village, so it is always in the site's language (Chinese), whatever the reader's;
it names the households by their head, group, size and proposed exit year, never by ID number or income.
Chinese goes through reportlab's built-in CID font STSong-Light, as the household cards do.
"""

import datetime as dt
import functools
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from households.models import ExitProcedure, Village

FONT = "STSong-Light"
MARGIN = 18 * mm
GRID = colors.HexColor("#6c757d")


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("notice", fontName=FONT, fontSize=12, leading=18, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=10),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=24, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=11, leading=14, alignment=TA_CENTER),
        "signature": ParagraphStyle("signature", parent=base, alignment=TA_RIGHT),
    }


def _date(day: dt.date) -> str:
    return _("%(year)d-%(month)d-%(day)d") % {"year": day.year, "month": day.month, "day": day.day}


def publicity_notice_pdf(*, village: Village, rows: list[ExitProcedure], on: dt.date) -> bytes:
    """The notice of `village` listing `rows` (exits.publicity_list), dated `on`; one page, in Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        return _build(village, rows, on)


def _build(village: Village, rows: list[ExitProcedure], on: dt.date) -> bytes:
    _register_font()
    styles = _styles()
    starts = [row.since for row in rows]
    ends = [row.since + dt.timedelta(days=row.waiting_on.publicity_days) for row in rows]
    start, end = (min(starts), max(ends)) if rows else (on, on)
    year = max((row.year for row in rows), default=on.year)
    title = _("%(village)s: households proposed to exit poverty in %(year)d") % {"village": village.name, "year": year}
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        creator="TownAid",
    )
    text = _(
        "After the democratic appraisal of the villagers, the verification by the village committees and the "
        "resident team and the acknowledgement of the households, the following households are proposed to "
        "exit poverty in %(year)d. They are made public from %(start)s to %(end)s."
    ) % {"year": year, "start": _date(start), "end": _date(end)}
    objections = _(
        "Anyone who objects may tell the village committee or the town government, in person, by letter or by "
        "telephone, before %(end)s."
    ) % {"end": _date(end)}
    header = [_("No."), _("Head of household"), _("Villager group"), _("Household size"), _("Proposed exit year")]
    table = [[Paragraph(escape(str(cell)), styles["cell"]) for cell in header]]
    for number, row in enumerate(rows, start=1):
        group = row.household.group.name if row.household.group else "—"
        cells = [number, row.head_name or "—", group, row.size or 0, row.year]
        table.append([Paragraph(escape(str(cell)), styles["cell"]) for cell in cells])
    if not rows:
        table.append([Paragraph(escape(_("No household is in publicity.")), styles["cell"]), "", "", "", ""])
    width = document.width
    grid = Table(table, colWidths=[width * share for share in (0.1, 0.3, 0.25, 0.15, 0.2)], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                *([("SPAN", (0, 1), (-1, 1))] if not rows else []),
            ]
        )
    )
    signer = _("%(village)s Village Committee") % {"village": village.name}
    story = [
        Paragraph(escape(title), styles["title"]),
        Paragraph(escape(text), styles["body"]),
        Spacer(1, 4 * mm),
        grid,
        Spacer(1, 6 * mm),
        Paragraph(escape(objections), styles["body"]),
        Spacer(1, 12 * mm),
        Paragraph(escape(signer), styles["signature"]),
        Paragraph(escape(_date(on)), styles["signature"]),
    ]
    # Shrunk to the page if a village proposes many households at once: the board takes one sheet.
    document.build([KeepInFrame(document.width, document.height, story, mode="shrink")])
    return buffer.getvalue()
