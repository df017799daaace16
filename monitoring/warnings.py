"""Department warning lists (部门筛查预警): the format, reading and checking a list, and matching it to the registry.

A list is an .xlsx workbook whose first sheet has one header row (the first row that holds anything) and one
warning per row below it. Headers are accepted in Chinese or English, ignoring case and spaces; columns may be
in any order and other columns are ignored. The file is opened through the roster import's defences
(households.roster.reader: size, zip bomb, content types, rows counted before any is parsed, rows streamed one
at a time), so a list is never loaded whole.

Checking gives every error with its row (as Excel numbers it), its column (as the file spells its header) and
an issue code; the message is rendered when shown, in the reader's language. Matching looks the ID numbers up
among the members the user may see: an ID out of their scope reads exactly like one not in the registry.
"""

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from households import idnumbers
from households.models import Member
from households.roster import issues as roster_issues
from households.roster.reader import RosterFileError, open_roster
from households.roster.values import formula_text, lookup_key, shown, text_of
from monitoring.models import MAX_AMOUNT, DepartmentWarning, MonitoringCase

MAX_ROWS = 20_000  # rows of warnings below the header
FIRST_YEAR = 2014  # the registry (建档立卡) began in 2014: no department warned of it earlier
CHUNK = 1000  # ID numbers per query: SQLite allows 999 parameters in older builds, and a few are the filters'
TEMPLATE_ROWS = 1000  # rows of the template's ID column pre-formatted as text
TEXT = "@"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    max_length: int | None = None

    @property
    def both(self) -> str:
        return f"{self.zh} ({self.en})"


# The list's format; every column is required. The demo's department workbook is written from this.
COLUMNS = [
    Column("id_number", "身份证号", "ID number"),
    Column("name", "姓名", "Name", max_length=50),
    Column("kind", "预警类型", "Kind of warning", max_length=100),
    Column("amount", "金额", "Amount"),
    Column("date", "日期", "Date"),
]
BY_HEADER = {lookup_key(spelling): column for column in COLUMNS for spelling in (column.zh, column.en)}

NOTES = [
    (
        "身份证号：18位居民身份证号码，必填；末位X大小写均可。请把本列设置为“文本”格式再填写，"
        "否则Excel会把号码变成数字并丢失末几位。",
        "ID number: the 18-character resident ID number, required; the final X may be upper or lower case. "
        "Format this column as Text before typing, or Excel turns the number into a number and loses its last digits.",
    ),
    ("姓名：名单上的姓名，必填，不超过50字。", "Name: the name on the list, required, at most 50 characters."),
    (
        "预警类型：如“住院自付费用高”“新增残疾”“受灾”，必填，不超过100字。",
        "Kind of warning: e.g. high out-of-pocket hospital costs, new disability, disaster; required, "
        "at most 100 characters.",
    ),
    (
        "金额：单位元，不小于0；可以是整数或最多两位小数，系统按四舍五入保存为整元。",
        "Amount: in yuan, 0 or more; a whole number or at most two decimals, stored as whole yuan rounded half up.",
    ),
    (
        "日期：预警日期，Excel日期或文本YYYY-MM-DD、YYYY/MM/DD；不能晚于今天，不能早于2014年。",
        "Date: the date of the warning, an Excel date or text YYYY-MM-DD or YYYY/MM/DD; not in the future, "
        "not before 2014.",
    ),
    (
        "第一行为表头，列名用中文或英文均可，列的顺序不限；每行一条预警，空行跳过；最多20000行。",
        "The first row is the header, in Chinese or English, columns in any order; one warning per row, "
        "blank rows skipped; at most 20,000 rows.",
    ),
    (
        "同一身份证号、预警类型和日期在一个文件中只能出现一次。任一行有错误时整个文件都不会导入。",
        "The same ID number, kind and date may appear only once in a file. A file with any bad row imports nothing.",
    ),
]

MESSAGES = {
    "too_many_rows": _(
        "The list has %(count)s rows; at most %(limit)s rows of warnings are accepted. Split it into several files."
    ),
    "no_header": _("The first row that holds anything is not a header row: it names none of the columns %(columns)s."),
    "missing_columns": _("The header row lacks the required columns: %(columns)s."),
    "duplicate_column": _("The column “%(header)s” appears twice (also in column %(other)s)."),
    "no_rows": _("The list holds no warnings below the header row."),
    "required": _("This value is required."),
    "formula": _("The cell holds a formula (%(value)s); formulas are not evaluated: type the value itself."),
    "too_long": _("“%(value)s” is too long: at most %(limit)s characters."),
    "id_not_text": _(
        "The ID number %(value)s is stored as a number, and Excel keeps only 15 digits of a number: "
        "format the column as text and type the ID number again."
    ),
    "id_invalid": _("“%(value)s” is not a valid ID number: %(reason)s"),
    "bad_amount": _("“%(value)s” is not an amount in yuan: a number, with at most two decimals."),
    "amount_range": _("The amount %(value)s is outside 0-%(high)s yuan."),
    "bad_date": _("“%(value)s” is not a date: use a date cell, or text as YYYY-MM-DD or YYYY/MM/DD."),
    "future_date": _("The date %(value)s is in the future."),
    "early_date": _("The date %(value)s is before %(year)s."),
    "duplicate_row": _("The same ID number, kind of warning and date are already on row %(row)s."),
}


def message(code: str, params: dict[str, Any]) -> str:
    """An issue in the active language: this list's own wording, else the roster import's (for file failures)."""
    template = MESSAGES.get(code)
    if template is None:
        return roster_issues.render(code, params)
    if code == "id_invalid":
        # The reason is idnumbers' own message, found again in the reader's language rather than stored.
        params = {**params, "reason": id_problem(params.get("value", ""))}
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


@dataclass(frozen=True)
class ListError:
    """One thing wrong with a list: where (row and column as the user sees them; either may be absent) and what.

    Duck-types the roster's Issue where households.roster.workbooks marks an upload's bad cells.
    """

    code: str
    row: int | None = None
    column: int | None = None  # 1 for A
    header: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = roster_issues.ERROR

    @property
    def letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""

    @property
    def message(self) -> str:
        return message(self.code, self.params)

    def as_json(self) -> dict:
        return {"code": self.code, "row": self.row, "column": self.column, "header": self.header, "params": self.params}

    @classmethod
    def from_json(cls, data: dict) -> "ListError":
        return cls(
            code=data.get("code", ""),
            row=data.get("row"),
            column=data.get("column"),
            header=data.get("header", ""),
            params=data.get("params") or {},
        )


class ListFileError(Exception):
    """The file cannot be read as a warning list at all (too large, not a workbook, a zip bomb...)."""

    def __init__(self, error: ListError):
        super().__init__(error.code)
        self.error = error


@dataclass(frozen=True)
class WarningRow:
    row: int
    id_number: str
    name: str
    kind: str
    amount: int
    warned_on: dt.date

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.id_number, self.kind, self.warned_on)


@dataclass
class CheckedList:
    rows: list[WarningRow]
    errors: list[ListError]

    @property
    def is_valid(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- reading and checking


def check_list(file: IO[bytes]) -> CheckedList:
    """Read and check a whole list; raises ListFileError when the file itself cannot be read."""
    rows: list[WarningRow] = []
    errors: list[ListError] = []
    try:
        with open_roster(file, max_bytes=settings.WARNING_LIST_MAX_BYTES, max_rows=MAX_ROWS + 1) as sheet:
            _check_sheet(sheet, rows, errors)
    except RosterFileError as failure:
        issue = failure.issue
        params = dict(issue.params)
        if issue.code == "too_many_rows":
            params["limit"] = f"{MAX_ROWS:,}"
        raise ListFileError(ListError(issue.code, params=params)) from None
    return CheckedList(rows=rows, errors=errors)


def _check_sheet(sheet, rows: list[WarningRow], errors: list[ListError]) -> None:
    cells_by_row = _filled_rows(sheet.xml_rows())
    header = next(cells_by_row, None)
    if header is None:
        errors.append(ListError("no_rows"))
        return
    columns = _read_header(*header, errors)
    if columns is None:
        return
    id_column = next((index, spelled) for index, (c, spelled) in columns.items() if c.key == "id_number")
    seen: dict[tuple, int] = {}  # (ID number, kind, date) -> the row it was first on
    today = timezone.localdate()
    count = 0
    for number, cells in cells_by_row:
        values = {index: cell for index, cell in cells.items() if index in columns}
        if not any(_holds(cell) for cell in values.values()):
            continue  # a blank row, or one with something only in columns the list does not use
        count += 1
        if count > MAX_ROWS:
            errors.append(ListError("too_many_rows", params={"count": f"{count:,}+", "limit": f"{MAX_ROWS:,}"}))
            return
        row = _check_row(number, values, columns, today, errors)
        if row is None:
            continue
        if row.key in seen:
            index, spelled = id_column
            params = {"row": seen[row.key]}
            errors.append(ListError("duplicate_row", row=number, column=index, header=spelled, params=params))
            continue
        seen[row.key] = number
        rows.append(row)
    if count == 0:
        errors.append(ListError("no_rows"))


def _filled_rows(xml_rows: Iterable) -> Iterator[tuple[int, dict]]:
    for number, cells in xml_rows:
        if any(_holds(cell) for cell in cells.values()):
            yield number, cells


def _holds(cell) -> bool:
    value = getattr(cell, "value", None)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _read_header(number: int, cells: dict, errors: list[ListError]) -> dict[int, tuple[Column, str]] | None:
    """The columns the header row names, by index, with their header as spelled; None (with errors) if unusable."""
    columns: dict[int, tuple[Column, str]] = {}
    for index, cell in sorted(cells.items()):
        if cell.data_type == "f":
            continue
        spelled = text_of(cell.value)
        column = BY_HEADER.get(lookup_key(spelled)) if spelled else None
        if column is None:
            continue  # other columns (a serial number, a note) are the department's own
        other = next((i for i, (c, _h) in columns.items() if c.key == column.key), None)
        if other is not None:
            errors.append(
                ListError(
                    "duplicate_column",
                    row=number,
                    column=index,
                    header=spelled,
                    params={"header": spelled, "other": get_column_letter(other)},
                )
            )
            continue
        columns[index] = (column, spelled)
    if not columns:
        errors.append(ListError("no_header", row=number, params={"columns": _names(COLUMNS)}))
        return None
    present = {column.key for column, _spelled in columns.values()}
    missing = [column for column in COLUMNS if column.key not in present]
    if missing:
        errors.append(ListError("missing_columns", row=number, params={"columns": _names(missing)}))
    if missing or errors:
        return None
    return columns


def _names(columns: Iterable[Column]) -> str:
    return "、".join(column.both for column in columns)


class _CellError(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def _check_row(number, cells, columns, today, errors) -> WarningRow | None:
    values: dict[str, Any] = {}
    ok = True
    for index, (column, spelled) in columns.items():
        cell = cells.get(index)
        try:
            values[column.key] = _parse(column, cell, today)
        except _CellError as error:
            errors.append(ListError(error.code, row=number, column=index, header=spelled, params=error.params))
            ok = False
    if not ok:
        return None
    return WarningRow(
        row=number,
        id_number=values["id_number"],
        name=values["name"],
        kind=values["kind"],
        amount=values["amount"],
        warned_on=values["date"],
    )


def _parse(column: Column, cell, today: dt.date):
    if not _holds(cell):
        raise _CellError("required")
    value = cell.value
    if cell.data_type == "f":
        raise _CellError("formula", value=formula_text(value))
    if column.key == "id_number":
        return _id_number(value)
    if column.key == "amount":
        return _amount(value)
    if column.key == "date":
        return _date(value, today)
    text = text_of(value)
    if column.max_length and len(text) > column.max_length:
        raise _CellError("too_long", value=text, limit=column.max_length)
    return text


def _id_number(value) -> str:
    if not isinstance(value, str):
        raise _CellError("id_not_text", value=shown(value))
    raw = text_of(value)
    if id_problem(raw):
        raise _CellError("id_invalid", value=raw)
    return idnumbers.normalise(raw)


def id_problem(value: str) -> str:
    """What is wrong with an ID number, in the active language; "" for a valid one."""
    try:
        idnumbers.parse(idnumbers.normalise(value))
    except ValidationError as error:
        return error.messages[0]
    return ""


AMOUNT_TEXT = re.compile(r"\d+(\.\d{1,2})?")


def _amount(value) -> int:
    """Whole yuan, rounded half up, from a number or text with at most two decimals (thousands commas allowed)."""
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise _CellError("bad_amount", value=shown(value))
    if isinstance(value, int | float):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise _CellError("bad_amount", value=shown(value)) from None
        if not amount.is_finite() or amount.as_tuple().exponent < -2:
            raise _CellError("bad_amount", value=shown(value))
    else:
        raw = text_of(value).replace(",", "").replace("，", "")
        if raw.startswith("-") and AMOUNT_TEXT.fullmatch(raw[1:]):
            raise _CellError("amount_range", value=text_of(value), high=f"{MAX_AMOUNT:,}")
        if not AMOUNT_TEXT.fullmatch(raw):
            raise _CellError("bad_amount", value=text_of(value))
        amount = Decimal(raw)
    whole = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if amount < 0 or whole > MAX_AMOUNT:
        raise _CellError("amount_range", value=shown(value), high=f"{MAX_AMOUNT:,}")
    return whole


DATE_TEXT = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def _date(value, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and (match := DATE_TEXT.fullmatch(text_of(value))):
        try:
            day = dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise _CellError("bad_date", value=text_of(value)) from None
    else:
        raise _CellError("bad_date", value=shown(value))
    if day > today:
        raise _CellError("future_date", value=day.isoformat())
    if day.year < FIRST_YEAR:
        raise _CellError("early_date", value=day.isoformat(), year=FIRST_YEAR)
    return day


# ---------------------------------------------------------------- matching


class Outcome:
    RECEIVED = "received"  # already received: nothing to do
    ATTACHED = "attached"  # attached to the household's open case
    CANDIDATE = "candidate"  # the household becomes a candidate (one case for all its warnings of the list)


OUTCOMES = {
    Outcome.RECEIVED: _("Already received"),
    Outcome.ATTACHED: _("Attached to the open case"),
    Outcome.CANDIDATE: _("New candidate"),
}


@dataclass
class Match:
    row: WarningRow
    member: Member
    outcome: str
    open_case: MonitoringCase | None = None

    @property
    def household(self):
        return self.member.household

    @property
    def masked_id(self) -> str:
        return idnumbers.mask(self.row.id_number)

    @property
    def name_differs(self) -> bool:
        return lookup_key(self.member.name) != lookup_key(self.row.name)

    @property
    def outcome_label(self) -> str:
        return str(OUTCOMES[self.outcome])


@dataclass
class Unmatched:
    row: WarningRow

    @property
    def masked_id(self) -> str:
        return idnumbers.mask(self.row.id_number)


@dataclass
class Preview:
    matched: list[Match]
    unmatched: list[Unmatched]

    @property
    def counts(self) -> dict[str, int]:
        outcomes = [match.outcome for match in self.matched]
        return {
            "rows": len(self.matched) + len(self.unmatched),
            "matched": len(self.matched),
            "unmatched": len(self.unmatched),
            "received": outcomes.count(Outcome.RECEIVED),
            "candidates": len({m.household.pk for m in self.matched if m.outcome == Outcome.CANDIDATE}),
            "attached": outcomes.count(Outcome.ATTACHED),
            "name_differs": sum(1 for match in self.matched if match.name_differs),
        }

    def to_apply(self) -> list[Match]:
        return [match for match in self.matched if match.outcome != Outcome.RECEIVED]


def match_rows(rows: list[WarningRow], *, department: str, user) -> Preview:
    """Match a checked list to the members the user may see, and say what applying it would do with each row.

    Queries: one per CHUNK ID numbers for the members (their households and villages joined), one per CHUNK
    for the warnings already received, one for the open cases of the households matched.
    """
    ids = sorted({row.id_number for row in rows})
    members: dict[str, Member] = {}
    for chunk in _chunks(ids):
        for member in Member.objects.visible_to(user).filter(id_number__in=chunk).select_related("household__village"):
            members[member.id_number] = member
    received: set[tuple] = set()
    for chunk in _chunks(sorted(members)):
        received.update(
            DepartmentWarning.objects.filter(department=department, id_number__in=chunk).values_list(
                "id_number", "kind", "warned_on"
            )
        )
    household_ids = {member.household_id for member in members.values()}
    open_cases = {}
    if household_ids:
        open_cases = {
            case.household_id: case for case in MonitoringCase.objects.open().filter(household_id__in=household_ids)
        }
    matched, unmatched = [], []
    for row in rows:
        member = members.get(row.id_number)
        if member is None:
            unmatched.append(Unmatched(row))
            continue
        open_case = open_cases.get(member.household_id)
        if row.key in received:
            outcome = Outcome.RECEIVED
        elif open_case is not None:
            outcome = Outcome.ATTACHED
        else:
            outcome = Outcome.CANDIDATE
        matched.append(Match(row=row, member=member, outcome=outcome, open_case=open_case))
    return Preview(matched=matched, unmatched=unmatched)


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# ---------------------------------------------------------------- the template


HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


def template() -> bytes:
    """The empty list: Chinese headers, the ID column formatted as text, and a sheet of notes in both languages."""
    book = Workbook()
    sheet = book.active
    sheet.title = "预警名单"
    sheet.append([column.zh for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = 22 if column.key == "id_number" else 16
        if column.key == "id_number":
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = TEXT
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明 Notes")
    notes.append(["列名", "Column", "说明", "Notes"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for index, (zh, en) in enumerate(NOTES):
        column = COLUMNS[index] if index < len(COLUMNS) else None
        notes.append([column.zh if column else "", column.en if column else "", zh, en])
    for letter, width in zip("ABCD", (12, 16, 60, 80), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def describe_rows(matches: Iterable[Match], department_label: str) -> str:
    """The lines of a candidate's description: each warning with its department, kind, amount and date."""
    return "\n".join(
        str(_("%(department)s: %(kind)s, %(amount)s yuan, %(date)s"))
        % {
            "department": department_label,
            "kind": match.row.kind,
            "amount": f"{match.row.amount:,}",
            "date": match.row.warned_on.isoformat(),
        }
        for match in matches
    )
