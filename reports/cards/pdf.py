"""Household cards as PDF: one A4 page per household, built with reportlab platypus.

Each card is wrapped in a KeepInFrame that shrinks it to the page, so a card
never spills onto a second page; the selectors already cut long lists (members,
measures, visits) and the text here is cut to a few lines, so the shrinking
stays slight. Chinese goes through reportlab's built-in CID font STSong-Light,
which needs no font file; its Latin glyphs serve the English interface too.
Labels are in the active language (the request's), so build inside the request.
"""

import functools
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepInFrame, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from households.classification import yuan
from reports.cards.selectors import HouseholdCard

FONT = "STSong-Light"
MARGIN = 12 * mm
# SimpleDocTemplate's frame keeps 6 points of padding on every side.
FRAME_PADDING = 6
NONE = "—"
GRID = colors.HexColor("#adb5bd")
HEADER_BACKGROUND = colors.HexColor("#e9ecef")
FAIL = colors.HexColor("#b02a37")
FAIL_BACKGROUND = colors.HexColor("#f8d7da")
CELL_SIZE, CELL_LEADING = 7, 8.4
HEADER_SIZE, HEADER_LEADING = 6.5, 7.8
CELL_PADDING = 2


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    # wordWrap="CJK" breaks Chinese anywhere and English at spaces, so no cell overflows.
    base = ParagraphStyle("card", fontName=FONT, fontSize=7.5, leading=9, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=14, leading=17),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=8.5, leading=11, textColor=colors.dimgrey),
        "heading": ParagraphStyle("heading", parent=base, fontSize=9.5, leading=12, spaceBefore=5, spaceAfter=2),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING),
        "number": ParagraphStyle("number", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING, alignment=TA_RIGHT),
        "header": ParagraphStyle("header", parent=base, fontSize=HEADER_SIZE, leading=HEADER_LEADING),
        "fail": ParagraphStyle("fail", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING, textColor=FAIL),
        "small": ParagraphStyle("small", parent=base, fontSize=6.5, leading=8, textColor=colors.dimgrey),
    }


def cards_pdf(cards: list[HouseholdCard], *, title: str) -> bytes:
    """One page per card, in the order given; a single page saying so when there is no card."""
    _register_font()
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
    width = document.width - 2 * FRAME_PADDING
    height = document.height - 2 * FRAME_PADDING
    story = []
    for index, card in enumerate(cards):
        if index:
            story.append(PageBreak())
        story.append(KeepInFrame(width, height, _card(card, width), mode="shrink"))
    if not cards:
        story.append(Paragraph(escape(_("No household to print.")), _styles()["body"]))
    document.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------- one card


def _card(card: HouseholdCard, width: float) -> list:
    styles = _styles()
    household = card.household
    place = " · ".join(str(part) for part in (household.village.town, household.village, household.group) if part)
    printed = _("Printed on %(date)s") % {"date": card.printed_on.isoformat()}
    return [
        _paragraph(_("Household card %(number)s") % {"number": household.number}, "title"),
        _paragraph(f"{place} · {printed}", "subtitle"),
        Spacer(1, 3),
        *_facts(card, width),
        *_members(card, width),
        *_assessment(card, width),
        *_income(card, width),
        *_plan(card, width),
        *_guarantee(card, width),
        *_visits(card, width),
        Spacer(1, 4),
        Paragraph(escape(_("ID numbers are shown masked.")), styles["small"]),
    ]


def _facts(card: HouseholdCard, width: float) -> list:
    household = card.household
    head = card.head
    status = household.get_status_display()
    if household.monitor_kind:
        status = f"{status} ({household.get_monitor_kind_display()})"
    pairs = [
        (_("Head of household"), head.name if head else NONE),
        (_("Household number"), household.number),
        (_("Status"), status),
        (_("Address"), household.address or NONE),
        (_("Phone"), household.phone or NONE),
        (_("People"), card.size),
        (_("Household attribute"), household.get_attribute_display()),
        (_("Year identified as poor"), household.identified_year or NONE),
        (_("Year out of poverty"), household.exit_year or NONE),
        (_("Main poverty cause"), household.get_main_cause_display()),
        (_("Other poverty causes"), "、".join(str(label) for label in household.other_cause_labels()) or NONE),
        (_("Housing safety grade"), household.get_housing_grade_display() or NONE),
    ]
    rows = [[text for pair in pairs[start : start + 3] for text in pair] for start in range(0, len(pairs), 3)]
    table = _table(rows, [0.13, 0.2033] * 3, width, header=False, labels=(0, 2, 4))
    return [table]


def _members(card: HouseholdCard, width: float) -> list:
    header = [
        _("Name"),
        _("Relation to head"),
        _("ID number"),
        _("Sex"),
        _("Age"),
        _("Health"),
        _("Education"),
        _("Work ability"),
        _("Migrant work"),
        _("Insurance and allowance"),
    ]
    rows = [header]
    for entry in card.members_shown:
        member = entry.member
        health = member.get_health_display()
        if member.disability_grade:
            health = f"{health} ({_('grade %(grade)s') % {'grade': member.disability_grade}})"
        migrant = member.get_migrant_work_display() or NONE
        if member.migrant_work and member.work_months:
            months = ngettext("%(count)s month", "%(count)s months", member.work_months) % {"count": member.work_months}
            migrant = f"{migrant} ({months})"
        rows.append(
            [
                member.name,
                member.get_relation_display(),
                member.masked_id_number,
                member.get_sex_display(),
                entry.age,
                health,
                member.get_student_status_display() or member.get_education_display() or NONE,
                member.get_work_ability_display() or NONE,
                migrant,
                " · ".join(str(label) for label in entry.cover) or NONE,
            ]
        )
    shares = [0.075, 0.08, 0.135, 0.05, 0.035, 0.1, 0.1, 0.1, 0.105, 0.22]
    flowables = [_paragraph(f"{_('Members')} ({card.size})", "heading"), _table(rows, shares, width, numbers=(4,))]
    if card.members_more:
        flowables.append(_more(card.members_more))
    return flowables


def _assessment(card: HouseholdCard, width: float) -> list:
    heading = _paragraph(_("Two no-worries, three guarantees and safe water"), "heading")
    assessment = card.assessment
    if assessment is None:
        return [heading, _paragraph(_("No 2W3G assessment has been recorded."), "body")]
    by = str(assessment.assessed_by) if assessment.assessed_by else NONE
    caption = _("Latest assessment on %(date)s by %(by)s") % {"date": assessment.assessed_on.isoformat(), "by": by}
    verdicts = assessment.verdicts()
    cells, fails = [], []
    for column, (_item, ok, note) in enumerate(verdicts):
        verdict = _("Met") if ok else _("Not met")
        cells.append(f"{verdict}: {_truncate(note, 40)}" if note else verdict)
        if not ok:
            fails.append((column, 1))
    labels = [item.label for item, _ok, _note in verdicts]
    table = _table([labels, cells], [1 / len(verdicts)] * len(verdicts), width, fails=fails)
    return [heading, _paragraph(caption, "small"), table]


def _income(card: HouseholdCard, width: float) -> list:
    heading = _paragraph(_("Income"), "heading")
    if not card.income_years:
        return [heading, _paragraph(_("No income has been recorded."), "body")]
    header = [
        _("Year"),
        _("People"),
        _("Wages"),
        _("Production"),
        _("Property"),
        _("Transfers"),
        _("Costs"),
        _("Net income"),
        _("Per-capita net income"),
        _("Line"),
    ]
    rows, fails = [header], []
    for row_number, income in enumerate(card.income_years, start=1):
        record = income.record
        if income.line is None:
            line = _("No line configured for %(year)s") % {"year": record.year}
        else:
            line = f"{yuan(income.line.line)} {_('Above') if income.above else _('Not above')}"
            if not income.above:
                fails.append((9, row_number))
        amounts = (
            record.wage_income,
            record.production_income,
            record.property_income,
            record.transfer_income,
            record.production_costs,
            record.net_income,
            record.per_capita,
        )
        rows.append([record.year, record.household_size, *(yuan(amount) for amount in amounts), line])
    shares = [0.06, 0.06, 0.1, 0.1, 0.09, 0.1, 0.09, 0.11, 0.13, 0.16]
    table = _table(rows, shares, width, numbers=range(1, 9), fails=fails)
    return [heading, table, _paragraph(_("Amounts in yuan."), "small")]


def _plan(card: HouseholdCard, width: float) -> list:
    plan = card.plan
    if plan is None:
        return [_paragraph(_("Assistance plan"), "heading"), _paragraph(_("No plan has been written."), "body")]
    flowables = [
        _paragraph(_("Assistance plan %(year)s") % {"year": plan.year}, "heading"),
        _paragraph(f"{_('Analysis of the causes of poverty')}: {_truncate(plan.cause_analysis, 220)}", "body"),
    ]
    if plan.goal:
        flowables.append(_paragraph(f"{_('Goal for the year')}: {_truncate(plan.goal, 120)}", "body"))
    if not card.measures:
        flowables.append(_paragraph(_("No measures yet."), "body"))
        return flowables
    rows = [[_("Measure"), _("Responsible person"), _("Planned"), _("Done on"), _("Amount (yuan)"), _("Status")]]
    for measure in card.measures_shown:
        text = f"{measure.get_category_display()}: {_truncate(measure.description, 70)}"
        if measure.beneficiary:
            text = f"{text} ({measure.beneficiary})"
        rows.append(
            [
                text,
                measure.responsible or NONE,
                measure.planned_date.isoformat(),
                measure.actual_date.isoformat() if measure.actual_date else NONE,
                yuan(measure.amount),
                measure.get_status_display(),
            ]
        )
    flowables.append(_table(rows, [0.5, 0.12, 0.09, 0.09, 0.1, 0.1], width, numbers=(4,)))
    if card.measures_more:
        flowables.append(_more(card.measures_more))
    return flowables


def _guarantee(card: HouseholdCard, width: float) -> list:
    heading = _paragraph(_("Two-person guarantee"), "heading")
    if not card.assignments:
        return [heading, _paragraph(_("No one is assigned to this household."), "body")]
    rows = [[_("Role"), _("Person"), _("Phone"), _("Support unit"), _("Since")]]
    for assignment in card.assignments:
        rows.append(
            [
                assignment.get_role_display(),
                assignment.person,
                assignment.person.phone or NONE,
                assignment.support_unit or NONE,
                assignment.start_date.isoformat(),
            ]
        )
    return [heading, _table(rows, [0.16, 0.18, 0.18, 0.34, 0.14], width)]


def _visits(card: HouseholdCard, width: float) -> list:
    heading = _paragraph(_("Latest visits"), "heading")
    if not card.visits:
        return [heading, _paragraph(_("No visit has been logged."), "body")]
    rows = [[_("Date"), _("Visitor"), _("Visited as"), _("Method"), _("Findings")]]
    for visit in card.visits:
        rows.append(
            [
                visit.visited_on.isoformat(),
                visit.visitor,
                visit.get_role_display(),
                visit.get_method_display(),
                _truncate(visit.findings, 90) or NONE,
            ]
        )
    return [heading, _table(rows, [0.1, 0.12, 0.12, 0.1, 0.56], width)]


# ---------------------------------------------------------------- pieces


def _table(rows, shares, width: float, *, header=True, labels=(), numbers=(), fails=()) -> Table:
    """A compact grid; the first row (or the `labels` columns) shaded, `numbers` columns right-aligned.

    A cell whose text fits on one line stays a plain string, which reportlab draws
    without parsing or wrapping: a tenth of a paragraph's cost, and a village's
    batch holds tens of thousands of cells. Longer text becomes a wrapping paragraph.
    """
    widths = [width * share for share in shares]
    fails = set(fails)
    numbers = set(numbers)
    cells = []
    for row_number, row in enumerate(rows):
        is_header = header and row_number == 0
        cells.append(
            [
                _cell(
                    value,
                    widths[column],
                    "header"
                    if is_header or column in labels
                    else "fail"
                    if (column, row_number) in fails
                    else "number"
                    if column in numbers
                    else "cell",
                )
                for column, value in enumerate(row)
            ]
        )
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE, CELL_LEADING),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
            ("FONT", (0, 0), (-1, 0), FONT, HEADER_SIZE, HEADER_LEADING),
        ]
    for column in labels:
        commands += [
            ("BACKGROUND", (column, 0), (column, -1), HEADER_BACKGROUND),
            ("FONT", (column, 0), (column, -1), FONT, HEADER_SIZE, HEADER_LEADING),
        ]
    for column in numbers:
        commands.append(("ALIGN", (column, 1 if header else 0), (column, -1), "RIGHT"))
    for column, row_number in fails:
        commands += [
            ("BACKGROUND", (column, row_number), (column, row_number), FAIL_BACKGROUND),
            ("TEXTCOLOR", (column, row_number), (column, row_number), FAIL),
        ]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TableStyle(commands))
    return table


def _cell(value, width: float, style: str):
    text = str(value)
    size = _styles()[style].fontSize
    if pdfmetrics.stringWidth(text, FONT, size) <= width - 2 * CELL_PADDING:
        return text
    return Paragraph(escape(text), _styles()[style])


def _paragraph(value, style: str) -> Paragraph:
    """A paragraph of plain text: escaped, so that "<" or "&" in a note cannot break the page."""
    return Paragraph(escape(str(value)), _styles()[style])


def _truncate(text: str, length: int) -> str:
    return Truncator(" ".join(text.split())).chars(length)


def _more(count: int) -> Paragraph:
    return _paragraph(ngettext("and %(count)s more", "and %(count)s more", count) % {"count": count}, "small")
