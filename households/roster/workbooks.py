"""Workbooks the import hands out: the empty template, and an upload's copy with its bad cells marked."""

import datetime as dt
import io
import random
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.spreadsheets import safe_value
from households import idnumbers
from households.roster import columns as roster_columns
from households.roster.issues import unlisted_lines
from households.roster.reader import open_roster
from households.roster.values import formula_text

RED = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
TEXT = "@"  # Excel's text number format: IDs typed into it stay text
TEMPLATE_ROWS = 1000  # rows of the ID and household-number columns pre-formatted as text

WORDS = {
    "zh": {
        "sheet": "花名册",
        "values_sheet": "取值说明",
        "title": "建档立卡贫困人口花名册",
        "columns": ["列名", "英文列名", "层级", "必填", "取值"],
        "household": "户",
        "person": "人",
        "yes": "是",
        "no": "否",
        "names": ["王建国", "李秀英", "王小明"],
        "group": "第一组",
        "notes": [
            "每人一行；户级列在同一户的各行重复填写，或只填在户主那一行。",
            "标题行可以保留在表头之上；列的顺序不限，中文或英文列名均可。",
            "任一行有错误时整个文件都不会导入。",
        ],
    },
    "en": {
        "sheet": "Roster",
        "values_sheet": "Values",
        "title": "Registered poor household roster",
        "columns": ["column", "Chinese header", "level", "required", "values"],
        "household": "household",
        "person": "person",
        "yes": "yes",
        "no": "no",
        "names": ["Wang Jianguo", "Li Xiuying", "Wang Xiaoming"],
        "group": "Group 1",
        "notes": [
            "One row per person; household columns repeated on every row of the household, or on the head's row only.",
            "Title rows may stay above the header row; columns in any order, headers in Chinese or English.",
            "A file with any bad row imports nothing.",
        ],
    },
}


def example_household(lang: str) -> list[dict]:
    """Three people with valid ID numbers (always the same ones), in the language's spellings."""
    rng = random.Random(2020)
    words = WORDS[lang]
    people = [
        (dt.date(1968, 3, 12), idnumbers.MALE, "head", "junior", "", "healthy", "normal", "out_of_province", 10),
        (dt.date(1970, 7, 5), idnumbers.FEMALE, "spouse", "primary", "", "chronic", "weak", "", None),
        (dt.date(2006, 9, 1), idnumbers.MALE, "son", "junior", "junior", "healthy", "none", "", None),
    ]
    rows = []
    for name, (birth, sex, relation, education, student, health, ability, work, months) in zip(
        words["names"], people, strict=True
    ):
        id_number = idnumbers.make("340321", birth, sex, rng)
        rows.append(
            {
                "village": "东风村",
                "group": words["group"],
                "number": "340321001001",
                "name": name,
                "id_number": id_number,
                "relation": _spell(roster_columns.RELATIONS, relation, lang),
                "sex": _spell(roster_columns.SEXES, sex, lang),
                "birth_date": birth.isoformat(),
                "ethnicity": "汉族",
                "education": _spell(roster_columns.EDUCATIONS, education, lang),
                "student_status": _spell(roster_columns.STUDENT_STATUSES, student, lang) if student else "",
                "health": _spell(roster_columns.HEALTH, health, lang),
                "disability_grade": None,
                "work_ability": _spell(roster_columns.WORK_ABILITIES, ability, lang),
                "migrant_work": _spell(roster_columns.MIGRANT_WORK, work, lang) if work else "",
                "work_months": months,
                "medical_insurance": _spell(roster_columns.YES_NO, True, lang),
                "attribute": _spell(roster_columns.ATTRIBUTES, "ordinary", lang),
                "main_cause": _spell(roster_columns.CAUSES, "illness", lang),
                "other_causes": _spell(roster_columns.CAUSES, "funds", lang),
                "exit_year": None,
                "identified_year": 2016,
                "phone": "0552-6012345",
                "housing_grade": "B",
            }
        )
    return rows


def _spell(values, value, lang: str) -> str:
    return next((zh if lang == "zh" else en) for zh, en, v in values.entries if v == value)


def template(lang: str) -> bytes:
    """The empty roster: a title row, the headers in one language, an example household, and a sheet of values."""
    lang = lang if lang in WORDS else "zh"
    words = WORDS[lang]
    book = Workbook()
    sheet = book.active
    sheet.title = words["sheet"]
    columns = roster_columns.COLUMNS
    sheet.append([words["title"]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([column.header(lang) for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(column.header(lang)) * 2.2)
    for row in example_household(lang):
        sheet.append([row[column.key] for column in columns])
    for index, column in enumerate(columns, start=1):
        if column.key in ("id_number", "number", "phone"):
            for row in range(3, TEMPLATE_ROWS + 3):
                sheet.cell(row=row, column=index).number_format = TEXT
    sheet.freeze_panes = "A3"

    values = book.create_sheet(words["values_sheet"])
    values.append(words["columns"])
    for cell in values[1]:
        cell.font = Font(bold=True)
    other = "en" if lang == "zh" else "zh"
    for column in columns:
        accepted = column.value_list.describe(lang) if column.value_list else ""
        note = column.note_zh if lang == "zh" else column.note_en
        values.append(
            [
                column.header(lang),
                column.header(other),
                words["household"] if column.level == roster_columns.HOUSEHOLD else words["person"],
                words["yes"] if column.required else words["no"],
                "; ".join(part for part in (accepted, note) if part),
            ]
        )
    values.append([])
    for note in words["notes"]:
        values.append([note])
    for letter, width in zip("ABCDE", (30, 30, 10, 8, 90), strict=True):
        values.column_dimensions[letter].width = width
    return _save(book)


def marked_copy(
    file, *, sheet_name: str, issues: Iterable, errors_title: str, errors_columns: list[str], unlisted=None
) -> bytes:
    """The uploaded sheet's values, every bad cell filled red with the reasons as a comment, plus a sheet of issues.

    The copy is streamed (read-only in, write-only out), so even the largest
    upload never sits in memory whole; it keeps values and number formats, not
    the rest of the formatting. Every value goes through safe_value, as in every
    other download: a formula in the upload comes back as inert text (Excel would
    run it), and so does text that Excel would take for one.
    """
    issues = list(issues)
    by_cell: dict[tuple[int, int], list[str]] = {}
    widest: dict[int, int] = {}  # row -> its rightmost marked column
    for issue in issues:
        if issue.row and issue.column and issue.severity == "error":
            by_cell.setdefault((issue.row, issue.column), []).append(issue.message)
            widest[issue.row] = max(widest.get(issue.row, 0), issue.column)
    book = Workbook(write_only=True)
    with open_roster(file, sheet_name=sheet_name) as roster:
        out = book.create_sheet(roster.title)
        written = 0
        for number, cells in roster.xml_rows():
            while written < number - 1:  # the rows the file leaves out, so that every row keeps its number
                out.append([])
                written += 1
            filled = [column for column, cell in cells.items() if cell.value is not None]
            width = max(max(filled, default=0), widest.get(number, 0))
            row = []
            for index in range(1, width + 1):
                source = cells.get(index)
                cell = WriteOnlyCell(out, value=_value_of(source))
                number_format = getattr(source, "number_format", None)
                if number_format and number_format != "General":
                    cell.number_format = number_format
                reasons = by_cell.get((number, index))
                if reasons:
                    cell.fill = RED
                    cell.comment = Comment("\n".join(reasons), "TownAid", width=300, height=120)
                row.append(cell)
            out.append(row)
            written += 1
    listing = book.create_sheet(errors_title)
    listing.append([safe_value(column) for column in errors_columns])
    for issue in issues:
        listing.append([issue.row, issue.letter, safe_value(issue.header), safe_value(issue.message)])
    for line in unlisted_lines(unlisted):
        listing.append([None, None, None, line])
    return _save(book)


def _value_of(cell):
    """The cell's value as the copy writes it: a formula as inert text, anything else through safe_value."""
    if cell is None:
        return None
    if cell.data_type == "f":
        return safe_value(formula_text(cell.value))
    if isinstance(cell.value, dt.time | dt.timedelta):  # a time or a duration is no formula; keep it one
        return cell.value
    return safe_value(cell.value)


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
