"""What an import found wrong (errors) or worth saying (warnings), each a code and its parameters.

Issues are kept as codes, not sentences, so that each reader sees them in their
own language: the message is looked up when it is shown.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

ERROR = "error"
WARNING = "warning"

MESSAGES = {
    # the file
    "file_too_large": _("The file is %(size)s; the largest accepted is %(limit)s."),
    "empty_file": _("The file is empty."),
    "not_xlsx": _(
        "This is not an Excel workbook (.xlsx). In Excel, save it with “Save as” > “Excel Workbook (*.xlsx)” "
        "and upload that file."
    ),
    "too_many_entries": _("The workbook holds %(count)s parts; at most %(limit)s are accepted (it may be a zip bomb)."),
    "too_large_unpacked": _("The workbook unpacks to %(size)s; at most %(limit)s are accepted (it may be a zip bomb)."),
    "damaged_archive": _(
        "The workbook is damaged: the file is cut short or its compressed parts are broken. "
        "Open it in Excel, save it again and upload it again."
    ),
    "damaged_xml": _(
        "The workbook is damaged: one of its parts is not well-formed. "
        "Open it in Excel, save it again and upload it again."
    ),
    "unsafe_xml": _(
        "The workbook was refused: it contains XML declarations (a DTD or entities) that Excel never writes "
        "and that are used to attack servers."
    ),
    "unreadable": _(
        "The workbook cannot be read: it is damaged or was written by a program in a way Excel does not use. "
        "Open it in Excel, save it again and upload it again."
    ),
    "no_worksheets": _("The workbook has no worksheet."),
    "no_sheet": _("The workbook has no worksheet named “%(sheet)s”; it has: %(sheets)s."),
    "too_many_rows": _(
        "The worksheet has %(count)s rows; at most %(limit)s are accepted. Split the roster into several files."
    ),
    "row_too_wide": _("A row of the worksheet holds more than %(limit)s cells, more than Excel allows."),
    "too_many_merged_ranges": _(
        "The worksheet has more than %(limit)s merged ranges. Unmerge the cells, fill in their values and upload "
        "the file again."
    ),
    "rows_out_of_order": _(
        "The worksheet is damaged: near row %(row)s its rows are out of order or numbered twice. "
        "Open it in Excel, save it again and upload it again."
    ),
    "rows_not_counted": _(
        "The worksheet could not be read whole (it seems to hold %(count)s rows, but not all of them could be "
        "read), so none of it is used. Open it in Excel, save it again and upload it again."
    ),
    "no_header": _(
        "No header row was found in the first %(rows)s rows: a header row names at least the required columns "
        "(%(columns)s)."
    ),
    "missing_columns": _("The header row lacks the required columns: %(columns)s."),
    "duplicate_column": _("The column “%(header)s” appears twice (also in column %(other)s)."),
    "unknown_column": _("The column “%(header)s” is not part of the roster format and was ignored."),
    "no_rows": _("The sheet holds no rows of people below the header row."),
    # no longer raised (every row is read now); kept so that imports checked before still show it
    "stopped_after_blank_rows": _(
        "Reading stopped at row %(row)s after %(count)s blank rows in a row; anything further down was ignored."
    ),
    # a cell
    "formula": _("The cell holds a formula (%(value)s); formulas are not evaluated: type the value itself."),
    "required": _("This value is required."),
    "too_long": _("“%(value)s” is too long: at most %(limit)s characters."),
    "not_in_list": _("“%(value)s” is not one of the accepted values: %(allowed)s."),
    "number_lost_digits": _(
        "“%(value)s” was stored as a number and Excel has rounded it; format the column as text and type it again."
    ),
    "id_scientific": _(
        "The ID number “%(value)s” was stored as a number in scientific notation and lost its last digits; "
        "format the column as text and type it again."
    ),
    "id_invalid": _("“%(value)s” is not a valid ID number: %(reason)s"),
    "sex_mismatch": _("The sex “%(value)s” does not agree with the ID number, which says %(expected)s."),
    "birth_mismatch": _("The birth date %(value)s does not agree with the ID number, which says %(expected)s."),
    "bad_date": _("“%(value)s” is not a date: type a date, or text as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD."),
    "not_a_number": _("“%(value)s” is not a whole number."),
    "out_of_range": _("%(value)s is outside %(low)s-%(high)s."),
    "bad_grade": _("“%(value)s” is not a disability grade: 1-4 or 一级 … 四级."),
    "bad_phone": _("“%(value)s” is not a phone number: only digits, spaces and dashes."),
    "grade_without_disability": _("A disability grade is only recorded for a member whose health is 残疾 (disabled)."),
    # a household or a member
    "household_conflict": _("“%(value)s” differs from “%(other)s” on row %(row)s of the same household %(number)s."),
    "no_household_number": _("The household number is blank and no row above gives one."),
    "heads": _("Household %(number)s has %(count)s heads in this file (rows %(rows)s); it must have exactly one."),
    "duplicate_id": _("The ID number %(value)s appears again: it is already on row %(row)s."),
    "id_in_other_household": _(
        "The ID number %(value)s belongs to %(name)s of household %(number)s in the registry; "
        "move the member by hand first."
    ),
    "unknown_village": _("There is no village named “%(value)s” in %(town)s."),
    "ambiguous_village": _("Several towns have a village named “%(value)s” (%(towns)s)."),
    "exit_before_identified": _("The exit year %(exit)s is before the identified year %(identified)s."),
    "head_not_in_file": _(
        "In the registry the head of household %(number)s is %(name)s (%(id)s), who is not in this file; "
        "this file names another head. Change the registry's head by hand first."
    ),
    "member_missing": _(
        "%(name)s (%(id)s) of household %(number)s is in the registry but not in this file; kept unchanged."
    ),
}


@dataclass(frozen=True)
class Issue:
    code: str
    row: int | None = None  # the worksheet row, as Excel numbers it
    column: int | None = None  # 1 for A
    header: str = ""  # the column's header as the file spells it
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    @property
    def sort_key(self) -> tuple:
        return (self.severity != ERROR, self.row or 0, self.column or 0)

    def location(self) -> str:
        """`row N, column C` as the command prints it (either part left out when the issue has none)."""
        return location(self.row, self.column, self.header)


class IssueLog:
    """Every issue of an import counted, and the first ROSTER_MAX_ISSUES of them (as sort_key orders them) kept.

    A file whose every row is wrong would otherwise fill memory and the batch's
    table with millions of issues that nobody reads past the first screens; the
    counts still say how many there are. At most twice the limit is held at any
    time: past that the issues held are sorted and the tail dropped. An issue
    dropped then can never be among the first again, since what is kept only
    gets earlier.
    """

    def __init__(self, issues: Iterable[Issue] = (), *, limit: int | None = None):
        self.limit = max(1, settings.ROSTER_MAX_ISSUES if limit is None else limit)
        self.errors = 0
        self.warnings = 0
        self.codes: Counter[str] = Counter()
        self._held: list[Issue] = []
        self.extend(issues)

    def append(self, issue: Issue) -> None:
        if issue.is_error:
            self.errors += 1
        else:
            self.warnings += 1
        self.codes[issue.code] += 1
        self._held.append(issue)
        if len(self._held) >= 2 * self.limit:
            self._trim()

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def copy(self) -> "IssueLog":
        copied = IssueLog(limit=self.limit)
        copied.errors, copied.warnings, copied.codes = self.errors, self.warnings, Counter(self.codes)
        copied._held = list(self._held)
        return copied

    @property
    def held(self) -> int:
        """How many issues are in memory (at most twice the limit)."""
        return len(self._held)

    def listed(self) -> list[Issue]:
        """The first issues by sort_key (errors first, then by row and column), at most the limit."""
        self._trim()
        return list(self._held)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.listed())

    def unlisted(self) -> dict[str, int]:
        """How many errors and warnings were counted but not kept."""
        listed = self.listed()
        errors = sum(1 for issue in listed if issue.is_error)
        return {"errors": self.errors - errors, "warnings": self.warnings - (len(listed) - errors)}

    def _trim(self) -> None:
        self._held.sort(key=lambda issue: issue.sort_key)  # stable: among equals, the first found stay first
        del self._held[self.limit :]


UNLISTED = {
    "errors": _("…and %(count)s more errors not listed."),
    "warnings": _("…and %(count)s more warnings not listed."),
}


def unlisted_lines(unlisted: dict[str, int] | None) -> list[str]:
    """ "…and N more errors not listed.", and the same for warnings, for the issues counted but not kept."""
    unlisted = unlisted or {}
    return [str(message) % {"count": unlisted[kind]} for kind, message in UNLISTED.items() if unlisted.get(kind)]


def render(code: str, params: dict[str, Any]) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def location(row: int | None, column: int | None, header: str) -> str:
    parts = []
    if row:
        parts.append(str(_("row %(row)s")) % {"row": row})
    if column:
        letter = get_column_letter(column)
        name = f"{letter} ({header})" if header else letter
        parts.append(str(_("column %(column)s")) % {"column": name})
    return ", ".join(parts)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
