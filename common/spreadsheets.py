"""Excel downloads: every list's rows as a workbook, safe to open.

Column maps are django-import-export resources (each app's `resources.py`);
this module writes their datasets with openpyxl instead of tablib's writer, for
two promises tablib does not keep:
  - a text cell that starts with = + - @, a tab or a carriage return is
    neutralised with a leading apostrophe, so Excel never runs it as a formula
    (tablib only strips a leading "=", and import-export's escape turns every
    number into text);
  - numbers and dates stay numbers and dates (resources are exported with
    force_native_type).
Headers are in Chinese unless the request asks for English (`?lang=en`), since
the workbooks travel to county offices that read Chinese.
"""

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_LANGUAGES = {"zh-hans": "zh-hans", "zh": "zh-hans", "en": "en"}
DEFAULT_EXPORT_LANGUAGE = "zh-hans"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_COLUMN_WIDTH = 50
SHEET_TITLE_LENGTH = 31  # Excel's limit
# Rows read per query (and per prefetch) when a list is exported.
EXPORT_CHUNK_SIZE = 2000

audit_log = logging.getLogger("townaid.audit")

# Every download is also kept in the database, in the registry's access log. The registry
# registers its recorder here from its AppConfig.ready(), as the apps above it register panels
# of the household page (households/panels.py): this module imports no domain model, and no
# list's view can forget to record its download, since every download passes through here.
_export_recorders: list[Callable[..., object]] = []


def register_export_recorder(recorder: Callable[..., object]) -> None:
    """`recorder(user=, list_name=, rows=, query=)` is called for every download."""
    if recorder not in _export_recorders:
        _export_recorders.append(recorder)


def record_export(request, *, rows: int) -> None:
    """Note that a workbook of personal data leaves the app: who, which list, how many rows, which filters."""
    list_name, query = _list_name(request), request.GET.urlencode()
    audit_log.info("list_exported user=%s list=%s rows=%d query=%s", request.user.pk, list_name, rows, query)
    for recorder in _export_recorders:
        recorder(user=request.user, list_name=list_name, rows=rows, query=query)


def safe_value(value):
    """A cell value Excel will show as written: formula-like text neutralised, numbers and dates kept."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass
class Sheet:
    """One worksheet: a title, its column headers and its rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """Write sheets into an .xlsx file: bold frozen header row, widths fitted to the headers."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(title=_sheet_title(sheet.title))
        ws.freeze_panes = "A2"
        headers = [str(header) for header in sheet.headers]
        for index, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(index)].width = min(MAX_COLUMN_WIDTH, max(10, 2 * len(header) + 2))
        ws.append([_header_cell(ws, header) for header in headers])
        for row in sheet.rows:
            ws.append([_cell(ws, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def xlsx_response(sheets: Iterable[Sheet], filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def export_language(request) -> str:
    """Chinese headers unless the request asks for English with ?lang=en."""
    return EXPORT_LANGUAGES.get(request.GET.get("lang", ""), DEFAULT_EXPORT_LANGUAGE)


def resource_sheet(resource, queryset, title) -> Sheet:
    """A worksheet from a django-import-export resource over a queryset (headers in the active language).

    A queryset is streamed in chunks, each with its prefetches: import-export
    would page a prefetching queryset with COUNT and OFFSET instead, a query
    pair per hundred rows that slows down the deeper it pages. Anything else
    (a list of rows) is exported as it is.
    """
    if isinstance(queryset, QuerySet):
        queryset = queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    dataset = resource.export(queryset, force_native_type=True)
    return Sheet(title=str(title), headers=list(dataset.headers or []), rows=list(dataset))


def export_response(request, *, resource, queryset, title, filename: str) -> HttpResponse:
    """The download of a list: the resource's columns over the list's (scoped, filtered) queryset.

    The filename is stamped with today's date so that repeated downloads do not overwrite each other.
    Lists hold personal data, so every download is recorded (record_export): who, which list, how
    many rows, with which filters.
    """
    limit = settings.EXPORT_MAX_ROWS
    if isinstance(queryset, QuerySet):
        queryset = queryset[: limit + 1]  # one more than allowed tells that the list is too long
    with translation.override(export_language(request)):
        sheet = resource_sheet(resource, queryset, title)
    if len(sheet.rows) > limit:
        return _too_long(request, limit)
    record_export(request, rows=len(sheet.rows))
    stamped = f"{filename}-{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response([sheet], stamped)


def _too_long(request, limit: int):
    """Back to the list with a message: a county-wide list (a year of visits) is no workbook to open on a laptop."""
    messages.error(
        request,
        _("This list has more than %(limit)s rows, too many for one workbook. Narrow it with the filters.")
        % {"limit": f"{limit:,}"},
    )
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("lang", None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def field_label(model, name: str):
    """A model field's own (translated, lazy) name as a resource's column header."""
    return capfirst(model._meta.get_field(name).verbose_name)


def wants_export(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _list_name(request) -> str:
    match = request.resolver_match
    return match.view_name if match else request.path


def _sheet_title(title: str) -> str:
    cleaned = "".join(char for char in str(title) if char not in "[]:*?/\\")
    return cleaned[:SHEET_TITLE_LENGTH] or "Sheet"


def _header_cell(ws, header: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=safe_value(header))
    cell.font = Font(bold=True)
    return cell


def _cell(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=safe_value(value))
    if isinstance(cell.value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(cell.value, dt.date):
        cell.number_format = DATE_FORMAT
    return cell
