"""One cell to one model value, or a CellError saying why not (naming the value).

Cells arrive as openpyxl gives them: str, int, float, datetime, bool or None.
Text is NFKC-normalised first, so full-width letters, digits, spaces and
brackets count as their plain forms, and surrounding spaces never matter.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import cached_property
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from households import idnumbers


class CellError(Exception):
    """A cell that cannot be read as its column's value: an issue code and its parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Context:
    """What a cell's meaning depends on besides itself: the workbook's date system."""

    epoch: dt.datetime


SPACES = re.compile(r"\s+")
CJK = re.compile(r"[\u3400-\u9fff]")
SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+", re.IGNORECASE)  # an ID number Excel turned into a float
# Excel keeps 15 significant digits; an integer beyond this came through a float and may have lost digits.
EXACT_FLOAT_LIMIT = 10**15
CHINESE = "zh-hans"  # the language of the Chinese spellings


def text_of(value: Any) -> str:
    """A cell as plain text, stripped; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)


def formula_text(value: Any) -> str:
    """A formula cell's formula as text ("=SUM(A1:A3)"), whatever kind openpyxl gives it as."""
    if isinstance(value, ArrayFormula):
        return value.text or "="
    if isinstance(value, DataTableFormula):  # Excel shows a data table's cells as {=TABLE(r1,r2)}
        return f"=TABLE({value.r1 or ''},{value.r2 or ''})"
    return str(value)


def shown(value: Any) -> str:
    """A cell as the error message names it: what the user sees in the sheet."""
    if isinstance(value, float) and not (value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT):
        return f"{value:.14G}"
    return text_of(value)


def lookup_key(text: str) -> str:
    """The form in which headers and list values are compared: no spaces at all, case-folded."""
    return SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


class ValueList:
    """A list of accepted spellings, Chinese and English, each mapped to one model value.

    A Chinese spelling may be a choice's lazy label (columns.labelled): it is read
    in Chinese when the list is first used, since the apps (and the catalogue) are
    ready by then and not necessarily when the module is imported.
    """

    def __init__(self, entries: Iterable[tuple[Any, str, Any]], *, extra: dict[str, Any] | None = None):
        self._entries = list(entries)
        self._extra = dict(extra or {})

    @cached_property
    def entries(self) -> list[tuple[str, str, Any]]:
        """(Chinese, English, value), in the order the format lists them."""
        with translation.override(CHINESE):
            return [(str(zh), en, value) for zh, en, value in self._entries]

    @cached_property
    def by_key(self) -> dict[str, Any]:
        by_key = {}
        for zh, en, value in self.entries:
            by_key[lookup_key(zh)] = value
            by_key[lookup_key(en)] = value
        for spelling, value in self._extra.items():
            by_key[lookup_key(spelling)] = value
        return by_key

    def get(self, text: str):
        return self.by_key.get(lookup_key(text))

    def spellings(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en, _value in self.entries]

    def describe(self, lang: str) -> str:
        """The spellings of one language, de-duplicated, as the template's value sheet and the errors list them."""
        return " / ".join(dict.fromkeys(self.spellings(lang)))

    def both(self) -> str:
        return " / ".join(dict.fromkeys(f"{zh} ({en})" if zh != en else zh for zh, en, _value in self.entries))


Parser = Callable[[Any, Context], Any]


# ---------------------------------------------------------------- parsers: (cell, context) -> value


def text(max_length: int) -> Parser:
    def parse(value, context):
        result = text_of(value)
        if len(result) > max_length:
            raise CellError("too_long", value=result, limit=max_length)
        return result

    return parse


def person_name(max_length: int) -> Parser:
    """A name; spaces between Chinese characters (used to align two-character names) are dropped."""

    def parse(value, context):
        result = SPACES.sub(" ", text_of(value))
        if CJK.search(result):
            result = result.replace(" ", "")
        if len(result) > max_length:
            raise CellError("too_long", value=result, limit=max_length)
        return result

    return parse


def code_text(max_length: int) -> Parser:
    """A registry number typed as text or as a whole number; a number Excel rounded is refused."""

    def parse(value, context):
        if isinstance(value, float) and not (value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT):
            raise CellError("number_lost_digits", value=shown(value))
        result = SPACES.sub("", text_of(value))
        if re.fullmatch(r"\d+(\.\d+)?E\+\d+", result, re.IGNORECASE):
            raise CellError("number_lost_digits", value=result)
        if len(result) > max_length:
            raise CellError("too_long", value=result, limit=max_length)
        return result

    return parse


def id_number(value, context) -> str:
    """An ID number as text, or as a whole number without X; a float (scientific notation) lost digits."""
    if isinstance(value, float):
        raise CellError("id_scientific", value=shown(value))
    raw = text_of(value)
    if SCIENTIFIC.fullmatch(raw.replace(" ", "")):
        raise CellError("id_scientific", value=raw)
    number = idnumbers.normalise(raw)
    try:
        idnumbers.parse(number)
    except ValidationError as error:
        raise CellError("id_invalid", value=raw, reason=error.messages[0]) from None
    return number


def choice(values: ValueList) -> Parser:
    def parse(value, context):
        raw = text_of(value)
        result = values.get(raw)
        if result is None:
            raise CellError("not_in_list", value=raw, allowed=values.both())
        return result

    return parse


def choice_list(values: ValueList) -> Parser:
    """Several values of a list, separated by 、 , ; or spaces (full-width ones too); repeats dropped."""

    def parse(value, context):
        result = []
        for part in re.split(r"[、,;\s]+", text_of(value)):
            if not part:
                continue
            found = values.get(part)
            if found is None:
                raise CellError("not_in_list", value=part, allowed=values.both())
            if found not in result:
                result.append(found)
        return result

    return parse


def date(value, context) -> dt.date:
    """A date cell, an Excel serial, YYYYMMDD as a number, or text YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) and 10_000_000 <= value <= 99_999_999:
            return _ymd(str(value), value)
        try:
            serial = from_excel(value, context.epoch)
        except (OverflowError, ValueError):
            raise CellError("bad_date", value=shown(value)) from None
        if not isinstance(serial, dt.datetime) or not 1890 <= serial.year <= 2100:
            raise CellError("bad_date", value=shown(value))
        return serial.date()
    raw = text_of(value)
    match = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", raw)
    if match:
        return _ymd("{}{:0>2}{:0>2}".format(*match.groups()), raw)
    if re.fullmatch(r"\d{8}", raw):
        return _ymd(raw, raw)
    raise CellError("bad_date", value=raw)


def _ymd(digits: str, original) -> dt.date:
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise CellError("bad_date", value=shown(original)) from None


def whole_number(value, *, low: int, high: int) -> int:
    """A whole number typed as a number or as text (a trailing 年 allowed for years)."""
    if isinstance(value, bool):
        raise CellError("not_a_number", value=shown(value))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("not_a_number", value=shown(value))
        value = int(value)
    if isinstance(value, int):
        result = value
    else:
        raw = text_of(value).removesuffix("年").strip()
        if not re.fullmatch(r"\d+", raw):
            raise CellError("not_a_number", value=text_of(value))
        result = int(raw)
    if not low <= result <= high:
        raise CellError("out_of_range", value=result, low=low, high=high)
    return result


def number_between(low: int, high: int) -> Parser:
    def parse(value, context):
        return whole_number(value, low=low, high=high)

    return parse


GRADES = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}


def disability_grade(value, context) -> int:
    """1-4, typed as a number, as text, as 1级 or as 一级 … 四级."""
    raw = text_of(value)
    if raw in GRADES:
        return GRADES[raw]
    if re.fullmatch(r"\d级", raw):
        value = raw[0]
    try:
        return whole_number(value, low=1, high=4)
    except CellError:
        raise CellError("bad_grade", value=raw) from None


def phone(max_length: int) -> Parser:
    """Digits, spaces and dashes, typed as text or as a whole number."""

    def parse(value, context):
        if isinstance(value, float) and not (value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT):
            raise CellError("number_lost_digits", value=shown(value))
        raw = SPACES.sub(" ", text_of(value))
        if not all(char.isdigit() or char in " -" for char in raw):
            raise CellError("bad_phone", value=raw)
        if len(raw) > max_length:
            raise CellError("too_long", value=raw, limit=max_length)
        return raw

    return parse
