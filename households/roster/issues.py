"""What an import found wrong (errors) or worth saying (warnings), each a code and its parameters.

Issues are kept as codes, not sentences, so that each reader sees them in their
own language: the message is looked up when it is shown.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

ERROR = "error"
WARNING = "warning"

MESSAGES = {
    # the file
    "file_too_large": _("The file is %(size)s; the largest accepted is %(limit)s."),
    "empty_file": _("The file is empty."),
    "not_xlsx": _("This is not an Excel workbook (.xlsx): %(detail)s"),
    "too_many_entries": _("The workbook holds %(count)s parts; at most %(limit)s are accepted (it may be a zip bomb)."),
    "too_large_unpacked": _("The workbook unpacks to %(size)s; at most %(limit)s are accepted (it may be a zip bomb)."),
    "unreadable": _("The workbook cannot be read: %(detail)s"),
    "no_sheet": _("The workbook has no worksheet named “%(sheet)s”; it has: %(sheets)s."),
    "no_header": _(
        "No header row was found in the first %(rows)s rows: a header row names at least the required columns "
        "(%(columns)s)."
    ),
    "missing_columns": _("The header row lacks the required columns: %(columns)s."),
    "duplicate_column": _("The column “%(header)s” appears twice (also in column %(other)s)."),
    "unknown_column": _("The column “%(header)s” is not part of the roster format and was ignored."),
    "no_rows": _("The sheet holds no rows of people below the header row."),
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
