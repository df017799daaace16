"""Opening an uploaded roster safely, finding its header row, and streaming its rows.

Before openpyxl sees a byte: the size is within ROSTER_MAX_BYTES, the file is a
zip archive whose entry count and declared unpacked size are bounded (zipfile
never inflates an entry past its declared size, so the declaration is a real
bound), and its content types say it is an .xlsx workbook (not .xlsm, .docx or a
renamed anything). openpyxl then reads it read-only, through defusedxml, with
formulas kept as text (never evaluated; validation reports them). Reading stops
after a run of blank rows, so a sheet that declares a million rows costs nothing.

Merged cells: read-only openpyxl does not see them, so their ranges are found by
scanning the sheet's XML text (a tag cannot appear in cell text, where < is
escaped), and every cell of a range below the header takes its top-left value.
"""

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import openpyxl
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from openpyxl.utils.cell import range_boundaries

from households.roster import columns as roster_columns
from households.roster.issues import ERROR, WARNING, Issue, megabytes
from households.roster.values import text_of

MAX_ENTRIES = 1000  # a workbook of a few sheets has a few dozen parts
UNPACKED_FACTOR = 10  # unpacked, a workbook may be at most this many times the upload limit
BLANK_ROWS_STOP = 200
HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 100  # cells further right are never read
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
SCAN_CHUNK = 1 << 20


class RosterFileError(Exception):
    """The file cannot be read as a roster at all: one issue says why."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.issue = Issue(code, params=params)


@dataclass
class Header:
    row: int
    columns: dict[int, roster_columns.Column]  # 1-based column index -> the column it names
    spelled: dict[int, str]  # the header as the file spells it
    issues: list[Issue] = field(default_factory=list)

    def present(self) -> set[str]:
        return {column.key for column in self.columns.values()}


@dataclass
class SheetRow:
    number: int
    cells: dict[int, Any]  # column index -> raw value, for the columns the header names
    formulas: set[int] = field(default_factory=set)


def check_archive(file: IO[bytes], *, max_bytes: int | None = None) -> None:
    """Refuse, before any parsing, what is too big, not a zip, a zip bomb, or not an .xlsx workbook."""
    max_bytes = settings.ROSTER_MAX_BYTES if max_bytes is None else max_bytes
    size = file.seek(0, 2)
    file.seek(0)
    if size == 0:
        raise RosterFileError("empty_file")
    if size > max_bytes:
        raise RosterFileError("file_too_large", size=megabytes(size), limit=megabytes(max_bytes))
    if file.read(4) != b"PK\x03\x04":
        raise RosterFileError("not_xlsx", detail="not a zip archive")
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise RosterFileError("too_many_entries", count=len(entries), limit=MAX_ENTRIES)
            unpacked, limit = sum(entry.file_size for entry in entries), max_bytes * UNPACKED_FACTOR
            if unpacked > limit:
                raise RosterFileError("too_large_unpacked", size=megabytes(unpacked), limit=megabytes(limit))
            _check_content_types(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise RosterFileError("not_xlsx", detail=str(error)) from None
    finally:
        file.seek(0)


def _check_content_types(archive: zipfile.ZipFile) -> None:
    try:
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    except KeyError:
        raise RosterFileError("not_xlsx", detail="no [Content_Types].xml") from None
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise RosterFileError("not_xlsx", detail=f"[Content_Types].xml: {error}") from None
    mains = {
        element.get("ContentType", "")
        for element in types
        if element.tag.endswith("Override") and element.get("ContentType", "").endswith(".main+xml")
    }
    if XLSX_MAIN not in mains:
        found = ", ".join(sorted(mains)) or "no workbook part"
        raise RosterFileError("not_xlsx", detail=found)


class RosterSheet:
    """One worksheet of a checked workbook: its header and its rows, streamed."""

    def __init__(self, workbook, worksheet):
        self.workbook = workbook
        self.worksheet = worksheet
        self.title = worksheet.title
        self.declared_rows = worksheet.max_row  # from the sheet's <dimension>; None when it has none
        self.epoch = workbook.epoch
        self.header: Header | None = None
        self.issues: list[Issue] = []
        self.last_row = 0
        self._rows = None
        self._merged: dict[tuple[int, int], tuple[int, int]] | None = None

    def read_header(self) -> Header | None:
        """Find the header row among the first rows; None (with an issue) when there is none fit to read by."""
        self._rows = self._numbered_rows()
        best: tuple[int, int, tuple] | None = None
        for number, cells in self._rows:
            if number > HEADER_SEARCH_ROWS:
                break
            matched = sum(1 for cell in cells if roster_columns.match_header(cell.value))
            if matched and (best is None or matched > best[1]):
                best = (number, matched, cells)
            if self._has_required(cells):
                self.header = self._header(number, cells)
                return self.header
        if best is None or best[1] < 2:
            names = ", ".join(column.both for column in roster_columns.REQUIRED)
            self.issues.append(Issue("no_header", params={"rows": HEADER_SEARCH_ROWS, "columns": names}))
        else:
            header = self._header(best[0], best[2])
            missing = [c.both for c in roster_columns.REQUIRED if c.key not in header.present()]
            self.issues.append(Issue("missing_columns", row=best[0], params={"columns": ", ".join(missing)}))
        return None

    @staticmethod
    def _has_required(cells) -> bool:
        found = {column.key for cell in cells if (column := roster_columns.match_header(cell.value))}
        return all(column.key in found for column in roster_columns.REQUIRED)

    def _header(self, number: int, cells) -> Header:
        header = Header(row=number, columns={}, spelled={})
        for index, cell in enumerate(cells, start=1):
            if not text_of(cell.value):
                continue
            spelled = str(cell.value).strip()  # as the file spells it, for the messages
            column = roster_columns.match_header(cell.value)
            if column is None:
                header.issues.append(
                    Issue("unknown_column", row=number, column=index, header=spelled, severity=WARNING)
                )
                continue
            other = next((i for i, c in header.columns.items() if c.key == column.key), None)
            if other is not None:
                params = {"header": spelled, "other": openpyxl.utils.get_column_letter(other)}
                header.issues.append(Issue("duplicate_column", row=number, column=index, header=spelled, params=params))
                continue
            header.columns[index] = column
            header.spelled[index] = spelled
        return header

    def rows(self) -> Iterator[SheetRow]:
        """The rows below the header that hold anything in its columns, merged cells filled in."""
        assert self.header is not None, "read_header first"
        indexes = sorted(self.header.columns)
        merged, top_lefts = self._merged_sources(set(indexes))
        top_values: dict[tuple[int, int], Any] = {}
        blank_run = 0
        for number, cells in self._rows:
            self.last_row = number
            for column in top_lefts.get(number, ()):
                if column <= len(cells):
                    top_values[(number, column)] = cells[column - 1].value
            row = SheetRow(number, {})
            for index in indexes:
                cell = cells[index - 1] if index <= len(cells) else None
                value = getattr(cell, "value", None)
                source = merged.get((number, index))
                if source is not None:
                    value = top_values.get(source)
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                row.cells[index] = value
                if source is None and getattr(cell, "data_type", None) == "f":
                    row.formulas.add(index)
            if not row.cells:
                blank_run += 1
                if blank_run >= BLANK_ROWS_STOP:
                    if self.declared_rows and self.declared_rows > number:
                        params = {"row": number, "count": BLANK_ROWS_STOP}
                        self.issues.append(
                            Issue("stopped_after_blank_rows", row=number, params=params, severity=WARNING)
                        )
                    return
                continue
            blank_run = 0
            yield row

    def _numbered_rows(self) -> Iterator[tuple[int, tuple]]:
        return enumerate(self.worksheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1)

    def _merged_sources(self, indexes: set[int]):
        """For merged ranges below the header: (row, column) -> the top-left cell whose value it shows,
        and the top-left cells to remember, by row."""
        sources: dict[tuple[int, int], tuple[int, int]] = {}
        top_lefts: dict[int, list[int]] = {}
        for ref in self._merge_refs():
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if min_row <= self.header.row:
                continue
            covered = indexes & set(range(min_col, max_col + 1))
            if not covered:
                continue
            top_lefts.setdefault(min_row, []).append(min_col)
            for column in covered:
                for row in range(min_row, max_row + 1):
                    if (row, column) != (min_row, min_col):
                        sources[(row, column)] = (min_row, min_col)
        return sources, top_lefts

    def _merge_refs(self) -> set[str]:
        refs, tail = set(), b""
        with self.worksheet._get_source() as source:  # the sheet's XML as stored (openpyxl has no public way)
            while chunk := source.read(SCAN_CHUNK):
                data = tail + chunk
                refs.update(match.decode() for match in MERGE.findall(data))
                tail = data[-256:]  # a tag cut in two by the chunk boundary is found whole next time
        return refs


@contextmanager
def open_roster(file: IO[bytes], *, sheet_name: str = "", max_bytes: int | None = None) -> Iterator[RosterSheet]:
    """A checked workbook's sheet (the first unless named), closed afterwards; raises RosterFileError."""
    if not openpyxl.DEFUSEDXML:
        raise ImproperlyConfigured("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not False) to read rosters")
    check_archive(file, max_bytes=max_bytes)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError("unreadable", detail=f"{type(error).__name__}: {error}") from None
    try:
        if sheet_name:
            if sheet_name not in workbook.sheetnames:
                raise RosterFileError("no_sheet", sheet=sheet_name, sheets="、".join(workbook.sheetnames))
            worksheet = workbook[sheet_name]
        else:
            worksheet = workbook.worksheets[0]
        yield RosterSheet(workbook, worksheet)
    finally:
        workbook.close()


def read_error(error: Exception) -> Issue:
    """An error met while streaming rows (a damaged part, a CRC mismatch), as an issue."""
    return Issue("unreadable", params={"detail": f"{type(error).__name__}: {error}"}, severity=ERROR)
