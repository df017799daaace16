"""Opening an uploaded roster safely, finding its header row, and streaming every row it holds.

Before openpyxl sees a byte: the size is within ROSTER_MAX_BYTES, the file is a
zip archive whose entry count and declared unpacked size are bounded (zipfile
never inflates an entry past its declared size, so the declaration is a real
bound), and its content types say it is an .xlsx workbook (not .xlsm, .docx or a
renamed anything). openpyxl then opens it read-only, through defusedxml.

Before a row is parsed, the sheet's XML is scanned once as bytes: its <row>
elements are counted (a sheet of more than ROSTER_MAX_ROWS is refused there) and
its merged ranges are found (read-only openpyxl does not see them; a tag cannot
appear in cell text, where < is escaped). The sheet's <dimension> is never
trusted: it is only what the writer claimed, and openpyxl's read-only iter_rows
would stop at it and silently drop the rows below. Instead the XML is parsed here,
with DTDs and entities refused, and openpyxl's WorkSheetParser turns each <row>
element into cells (shared strings, dates, formulas kept as text, never
evaluated). Only rows present in the XML are visited, with their own numbers: a
lone cell on row 1,048,575 costs one row, not a million empty ones. Blank rows
are skipped, never a reason to stop. When the parser has seen a different number
of rows from the scan, the file is refused: every row of an accepted file is read.

What goes wrong with a file is told to the user as an issue code (in their
language, never an exception's text or a path); the technical detail is logged.
"""

import datetime as dt
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import ParseError, TreeBuilder

import openpyxl
import python_calamine
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser

from households.roster import columns as roster_columns
from households.roster.issues import WARNING, Issue, megabytes
from households.roster.values import EXACT_FLOAT_LIMIT, text_of

logger = logging.getLogger(__name__)

MAX_ENTRIES = 1000  # a workbook of a few sheets has a few dozen parts
UNPACKED_FACTOR = 10  # unpacked, a workbook may be at most this many times the upload limit
HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 100  # cells further right are never read
MAX_CELLS_PER_ROW = 16384  # Excel's last column is XFD; a row holding more cells is no Excel sheet
MAX_MERGED_RANGES = 1_000_000  # a roster merging every household's cells has far fewer
LAST_ROW = 1_048_576  # Excel's last row
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
# What the fast reader (python-calamine) is trusted with: a sheet whose XML holds only numbered rows of cells
# with their references, no formula (<f>), no markup beyond tags and text (no DTD, comment or CDATA), no error cell and
# no ISO-dated cell; anything else is read by openpyxl's parser below, as before.
NUMBERED_ROW = re.compile(rb'<row r="([0-9]+)"')
TWO_LETTER_COLUMN = re.compile(rb'<c r="[A-Z]{2}[0-9]')
WIDE_COLUMN = re.compile(rb'<c r="(?:[A-Z]{3}|C[W-Z]|[D-Z][A-Z])[0-9]')  # right of MAX_COLUMNS (CV)
# Anything but plain: a tag under a namespace prefix (a row, a cell, a formula), a formula, a DTD, comment or CDATA,
# a whole number of 16 digits or more (calamine reads every number as a float: an ID typed as a number loses digits).
NOT_PLAIN = re.compile(rb"<(?:[^\s>/!?:]+:(?:row|c|f)[\s/>]|f[\s/>]|!|v>-?[0-9]{16})")
ERROR_OR_ISO_DATE = re.compile(rb't="[ed]"')
PLAIN_ROW = re.compile(rb"<row[\s/>]")
# calamine holds the sheet as a dense rectangle of cells (about 32 bytes each, plus the text) while it is read:
# beyond this many, or with rows far sparser than the rows counted, openpyxl streams it instead.
FAST_MAX_CELLS = 4_000_000
SCAN_CHUNK = 1 << 20
TAG_TAIL = 1024  # a tag starting this close to the end of a chunk is looked at again with the next chunk
PARSE_CHUNK = 1 << 16
# A broken zip, a broken deflate stream, a part cut short, a compression zipfile lacks; KeyError is zipfile's
# answer for a part the workbook names and the archive lacks.
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, KeyError)


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
    number: int  # as Excel numbers it
    cells: dict[int, Any]  # column index -> raw value, for the columns the header names
    formulas: set[int] = field(default_factory=set)
    position: int = 0  # among the sheet's rows: how far the reading has come (the progress bar)


@dataclass
class SheetScan:
    rows: int  # <row> elements in the sheet's XML
    merged: set[str]  # merged ranges, as "A1:B2"
    plain: bool = False  # nothing in the XML the fast reader is not trusted with (see FAST_MAX_CELLS)
    last_row: int = 0  # the highest row number
    widest: int = MAX_COLUMNS  # columns the fast reader may have to hold per row: 26 or MAX_COLUMNS

    @property
    def fast_cells(self) -> int:
        """The cells calamine's dense rectangle may hold for this sheet."""
        return self.last_row * self.widest

    @property
    def fast(self) -> bool:
        """True when python-calamine may read the sheet: plain, and its rectangle within FAST_MAX_CELLS."""
        return self.plain and self.last_row <= 2 * self.rows + HEADER_SEARCH_ROWS and self.fast_cells <= FAST_MAX_CELLS


class _Plainness:
    """What the byte scan learns, chunk by chunk, about whether the fast reader may read the sheet."""

    def __init__(self):
        self.plain = True
        self.numbered = 0
        self.last_row = 0
        self.cells = 0
        self.referenced = 0
        self.two_letters = False

    def look(self, scanned: bytes) -> int:
        """Look at a stretch of the sheet; its <row> elements counted as ROW_START counts them."""
        if NOT_PLAIN.search(scanned) or ERROR_OR_ISO_DATE.search(scanned):
            self.plain = False
        if not self.plain:
            return len(ROW_START.findall(scanned))
        for number in NUMBERED_ROW.findall(scanned):
            number = int(number)
            if not self.last_row < number <= LAST_ROW:  # out of order: openpyxl's reading says so
                self.plain = False
                break
            self.last_row = number
            self.numbered += 1
        self.cells += sum(scanned.count(b"<c" + after) for after in (b" ", b">", b"/"))
        self.referenced += scanned.count(b'<c r="')
        if TWO_LETTER_COLUMN.search(scanned):
            self.two_letters = True
            if WIDE_COLUMN.search(scanned):
                self.plain = False
        return len(PLAIN_ROW.findall(scanned))  # no row under a prefix here: ROW_START's count

    def result(self, rows: int) -> dict:
        plain = self.plain and 0 < self.numbered == rows and self.cells == self.referenced
        return {"plain": plain, "last_row": self.last_row, "widest": MAX_COLUMNS if self.two_letters else 26}


# ---------------------------------------------------------------- the failures, for the user and for the log


def file_error(error: Exception, *, doing: str) -> RosterFileError:
    """What went wrong with a file, as the issue the user sees; the exception itself goes to the log only.

    openpyxl wraps some errors in a ValueError of its own, so the whole chain of causes is looked at.
    """
    if isinstance(error, RosterFileError):
        return error
    chain = list(_causes(error))
    if any(isinstance(cause, DefusedXmlException) for cause in chain):
        code = "unsafe_xml"
    elif any(isinstance(cause, ARCHIVE_ERRORS) for cause in chain):
        code = "damaged_archive"
    elif any(isinstance(cause, ParseError) for cause in chain):
        code = "damaged_xml"
    else:
        code = "unreadable"
    detail = " <- ".join(f"{type(cause).__name__}: {cause}" for cause in chain)
    logger.warning("roster file refused (%s) while %s: %s", code, doing, detail)
    return RosterFileError(code)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


# ---------------------------------------------------------------- before openpyxl


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
        logger.warning("roster file refused (not_xlsx): not a zip archive")
        raise RosterFileError("not_xlsx")
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
    except ARCHIVE_ERRORS as error:
        raise file_error(error, doing="opening the archive") from None
    finally:
        file.seek(0)


def _check_content_types(archive: zipfile.ZipFile) -> None:
    try:
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    except KeyError:
        logger.warning("roster file refused (not_xlsx): no [Content_Types].xml")
        raise RosterFileError("not_xlsx") from None
    except (ParseError, DefusedXmlException) as error:
        raise file_error(error, doing="reading [Content_Types].xml") from None
    mains = {
        element.get("ContentType", "")
        for element in types
        if element.tag.endswith("Override") and element.get("ContentType", "").endswith(".main+xml")
    }
    if XLSX_MAIN not in mains:
        logger.warning("roster file refused (not_xlsx): main parts %s", sorted(mains))
        raise RosterFileError("not_xlsx")


def scan_sheet(source: IO[bytes]) -> SheetScan:
    """Count the sheet's <row> elements and find its merged ranges, from the XML as bytes, before any parsing.

    A tag is looked at once: a chunk is scanned up to its last "<" when that is
    near its end, and the rest is carried over to the next chunk.
    """
    rows, merged, carry = 0, set(), b""
    plainness = _Plainness()
    while chunk := source.read(SCAN_CHUNK):
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut == -1 or len(data) - cut > TAG_TAIL:
            cut = len(data)
        scanned, carry = data[:cut], data[cut:]
        rows += plainness.look(scanned)
        if b"mergeCell" in scanned:
            merged.update(match.decode() for match in MERGE.findall(scanned))
        if len(merged) > MAX_MERGED_RANGES:
            raise RosterFileError("too_many_merged_ranges", limit=f"{MAX_MERGED_RANGES:,}")
    rows += plainness.look(carry)  # the last tag, whose end is the end of the sheet
    merged.update(match.decode() for match in MERGE.findall(carry))
    return SheetScan(rows=rows, merged=merged, **plainness.result(rows))


class _RowTrees:
    """The XML parser's target: each <row> element built whole and handed over as it ends; nothing else kept.

    openpyxl's own reading (iterparse) keeps every finished row attached to the
    sheet; here a row is dropped once it is read, so memory holds one row at a time.
    """

    def __init__(self):
        self.finished: list = []
        self._builder: TreeBuilder | None = None
        self._depth = 0
        self._cells = 0

    def start(self, tag, attrib):
        if self._builder is None:
            if tag != ROW_TAG:
                return
            self._builder, self._depth, self._cells = TreeBuilder(), 0, 0
        self._depth += 1
        if tag == CELL_TAG:
            self._cells += 1
            if self._cells > MAX_CELLS_PER_ROW:
                raise RosterFileError("row_too_wide", limit=f"{MAX_CELLS_PER_ROW:,}")
        self._builder.start(tag, attrib)

    def data(self, text):
        if self._builder is not None:
            self._builder.data(text)

    def end(self, tag):
        if self._builder is None:
            return
        self._builder.end(tag)
        self._depth -= 1
        if self._depth == 0:
            self.finished.append(self._builder.close())
            self._builder = None

    def close(self):
        return None


# ---------------------------------------------------------------- the sheet


class RosterSheet:
    """One worksheet of a checked workbook: its rows counted, its header found, its rows streamed."""

    def __init__(self, workbook, worksheet, *, max_rows: int | None = None, file: IO[bytes] | None = None):
        self.workbook = workbook
        self._file = file  # the checked upload, for the fast reader
        self.worksheet = worksheet
        self.title = worksheet.title
        self.epoch = workbook.epoch
        self.header: Header | None = None
        self.issues: list[Issue] = []
        self.rows_read = 0  # <row> elements parsed so far
        try:
            with worksheet._get_source() as source:  # the sheet's XML as stored (openpyxl has no public way)
                scan = scan_sheet(source)
        except Exception as error:
            raise file_error(error, doing="scanning the sheet") from None
        self.rows_in_file = scan.rows
        self._merged_refs = scan.merged
        self.fast = file is not None and scan.fast  # read by python-calamine (see FAST_MAX_CELLS)
        max_rows = settings.ROSTER_MAX_ROWS if max_rows is None else max_rows
        if scan.rows > max_rows:
            raise RosterFileError("too_many_rows", count=f"{scan.rows:,}", limit=f"{max_rows:,}")
        self._rows: Iterator[tuple[int, dict[int, ReadOnlyCell]]] | None = None

    def xml_rows(self) -> Iterator[tuple[int, dict[int, ReadOnlyCell]]]:
        """Every <row> of the sheet as (its number, its cells by column up to MAX_COLUMNS), in the file's order.

        Raises RosterFileError when the XML cannot be read, is unsafe, or holds
        rows out of order or other than those counted.
        """
        cells_of = WorkSheetParser(
            None,
            self.worksheet._shared_strings,
            data_only=False,
            epoch=self.workbook.epoch,
            date_formats=self.workbook._date_formats,
            timedelta_formats=self.workbook._timedelta_formats,
        )
        trees = _RowTrees()
        parser = ElementTree.XMLParser(target=trees, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        previous = 0
        try:
            with self.worksheet._get_source() as source:
                ended = False
                while not ended:
                    chunk = source.read(PARSE_CHUNK)
                    if chunk:
                        parser.feed(chunk)
                    else:
                        parser.close()
                        ended = True
                    for tree in trees.finished:
                        self.rows_read += 1
                        if self.rows_read > self.rows_in_file:
                            raise RosterFileError("rows_not_counted", count=f"{self.rows_in_file:,}")
                        number = self._row_number(tree, previous)
                        previous = cells_of.row_counter = number
                        cells_of.col_counter = 0
                        cells = {}
                        for element in tree:
                            if element.tag == CELL_TAG:
                                cell = cells_of.parse_cell(element)
                                if cell["column"] <= MAX_COLUMNS:
                                    cell["row"] = number
                                    cells[cell["column"]] = ReadOnlyCell(self.worksheet, **cell)
                        yield number, cells
                    trees.finished.clear()
        except RosterFileError:
            raise
        except Exception as error:
            raise file_error(error, doing=f"reading row {previous + 1} of the sheet") from None
        if self.rows_read != self.rows_in_file:
            logger.warning("roster sheet: %s rows counted, %s parsed", self.rows_in_file, self.rows_read)
            raise RosterFileError("rows_not_counted", count=f"{self.rows_in_file:,}")

    def fast_rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        """The rows holding anything, as (number, values by column), read by python-calamine: for a plain sheet only.

        The byte scan found nothing calamine is not trusted with (formulas, markup
        beyond tags and text, error or ISO-dated cells, cells without their
        reference, rows without their number or out of order) and bounded the
        rectangle it holds (FAST_MAX_CELLS); its values are made what openpyxl
        gives: a whole number as an int, a date as a datetime.
        """
        try:
            self._file.seek(0)
            book = python_calamine.CalamineWorkbook.from_filelike(self._file)
            try:
                sheet = book.get_sheet_by_name(self.title)
                end = sheet.end
                if end is None:  # nothing in any cell
                    self.rows_read = self.rows_in_file
                    return
                start_column = sheet.start[1] + 1
                last = max(0, MAX_COLUMNS - start_column + 1)  # cells further right are never read
                number = 0
                # python-calamine 0.9 yields every row from the sheet's first (blank ones before its first cell
                # included) and the columns from the first one holding a cell: checked at the end.
                for number, values in enumerate(sheet.iter_rows(), start=1):
                    if len(values) > MAX_CELLS_PER_ROW and sum(value != "" for value in values) > MAX_CELLS_PER_ROW:
                        raise RosterFileError("row_too_wide", limit=f"{MAX_CELLS_PER_ROW:,}")
                    cells = {
                        index: value
                        for index, value in enumerate(values[:last], start=start_column)
                        if value != "" and value is not None
                    }
                    for index, value in cells.items():
                        if type(value) is not str:
                            cells[index] = _openpyxl_value(value)
                    self.rows_read = min(number, self.rows_in_file)
                    if cells:
                        yield number, cells
                if number != end[0] + 1:
                    raise RosterFileError("rows_not_counted", count=f"{self.rows_in_file:,}")
            finally:
                book.close()
        except RosterFileError:
            raise
        except (python_calamine.ZipError, python_calamine.XmlError) as error:
            code = "damaged_archive" if isinstance(error, python_calamine.ZipError) else "damaged_xml"
            logger.warning("roster file refused (%s) while reading the sheet: %s", code, error)
            raise RosterFileError(code) from None
        except Exception as error:
            raise file_error(error, doing="reading the sheet with calamine") from None
        self.rows_read = self.rows_in_file

    @staticmethod
    def _row_number(tree, previous: int) -> int:
        text = tree.get("r")
        try:
            number = int(text) if text is not None else previous + 1
        except ValueError:
            raise RosterFileError("rows_out_of_order", row=previous + 1) from None
        if not previous < number <= LAST_ROW:
            raise RosterFileError("rows_out_of_order", row=previous + 1)
        return number

    def read_header(self) -> Header | None:
        """Find the header row among the first rows; None (with an issue) when there is none fit to read by."""
        self._rows = self.fast_rows() if self.fast else self.xml_rows()
        best: tuple[int, int, dict] | None = None
        for number, cells in self._rows:
            if self.fast:
                cells = {index: FastCell(value) for index, value in cells.items()}
            if number > HEADER_SEARCH_ROWS:
                break
            matched = sum(1 for cell in cells.values() if roster_columns.match_header(cell.value))
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
        found = {column.key for cell in cells.values() if (column := roster_columns.match_header(cell.value))}
        return all(column.key in found for column in roster_columns.REQUIRED)

    def _header(self, number: int, cells) -> Header:
        header = Header(row=number, columns={}, spelled={})
        for index, cell in sorted(cells.items()):
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
        """Every row below the header that holds anything in its columns, merged cells filled in.

        Raises RosterFileError (see xml_rows) when the sheet cannot be read to its end.
        """
        assert self.header is not None, "read_header first"
        indexes = sorted(self.header.columns)
        merges = _Merges(self._merged_refs, below=self.header.row, columns=set(indexes))
        if self.fast and not merges.any:
            yield from self._plain_rows(indexes)
            return
        for number, cells in self._rows:
            if self.fast:
                cells = {index: FastCell(value) for index, value in cells.items()}
            merges.reach(number, cells)
            row = SheetRow(number, {}, position=self.rows_read)
            for index in indexes:
                cell = cells.get(index)
                value = getattr(cell, "value", None)
                merged = merges.source(number, index)
                if merged is not None:
                    value = merged[0]
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                row.cells[index] = value
                if merged is None and getattr(cell, "data_type", None) == "f":
                    row.formulas.add(index)
            if row.cells:
                yield row

    def _plain_rows(self, indexes: list[int]) -> Iterator[SheetRow]:
        """rows() for the fast reader's cells when no merged range is in the way: values, never formulas."""
        for number, cells in self._rows:
            row = SheetRow(number, {}, position=self.rows_read)
            for index in indexes:
                value = cells.get(index)
                if value is None or (type(value) is str and not value.strip()):
                    continue
                row.cells[index] = value
            if row.cells:
                yield row


class FastCell:
    """A cell as the fast reader gives it: its value; never a formula (a sheet with any is read by openpyxl)."""

    __slots__ = ("value",)
    data_type = "n"

    def __init__(self, value):
        self.value = value


def _openpyxl_value(value):
    """A calamine value as openpyxl gives it: Excel stores every number as a float, openpyxl a whole one as int."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT else value
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


class _Merges:
    """The merged ranges below the header over its columns, followed down the sheet as its rows are read.

    A range is kept as its bounds, never expanded cell by cell: a range of a
    million rows costs what a range of two does.
    """

    def __init__(self, refs: set[str], *, below: int, columns: set[int]):
        starts = []
        for ref in refs:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            covered = columns & set(range(min_col, min(max_col, MAX_COLUMNS) + 1))
            if min_row > below and covered:
                starts.append((min_row, max_row, min_col, sorted(covered)))
        self._waiting = sorted(starts, reverse=True)  # popped from the end: the topmost range first
        self.any = bool(starts)
        self._open: dict[int, tuple[int, int, int]] = {}  # column -> (its range's last row, top-left row, column)
        self._values: dict[tuple[int, int], Any] = {}  # an open range's top-left (row, column) -> its value

    def reach(self, number: int, cells: dict) -> None:
        """Open the ranges that have begun by this row, remembering their top-left values; close those past."""
        while self._waiting and self._waiting[-1][0] <= number:
            min_row, max_row, min_col, covered = self._waiting.pop()
            if min_row == number:
                self._values[(min_row, min_col)] = getattr(cells.get(min_col), "value", None)
            for column in covered:
                self._open[column] = (max_row, min_row, min_col)
        if any(last < number for last, _row, _column in self._open.values()):
            self._open = {column: found for column, found in self._open.items() if found[0] >= number}
            tops = {(row, column) for _last, row, column in self._open.values()}
            self._values = {top: value for top, value in self._values.items() if top in tops}

    def source(self, number: int, column: int) -> tuple[Any] | None:
        """(the value it shows,) for a cell a range covers other than its top-left one; else None."""
        found = self._open.get(column)
        if found is None or (number, column) == found[1:]:
            return None
        return (self._values.get(found[1:]),)


@contextmanager
def open_roster(
    file: IO[bytes], *, sheet_name: str = "", max_bytes: int | None = None, max_rows: int | None = None
) -> Iterator[RosterSheet]:
    """A checked workbook's sheet (the first unless named), its rows counted; closed afterwards.

    Other imports of a workbook (monitoring's department warning lists) open theirs here too, with their own
    limits on size and rows.

    Raises RosterFileError, also while its rows are read.
    """
    if not openpyxl.DEFUSEDXML:
        raise ImproperlyConfigured("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not False) to read rosters")
    check_archive(file, max_bytes=max_bytes)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise file_error(error, doing="opening the workbook") from None
    try:
        if sheet_name:
            if sheet_name not in workbook.sheetnames:
                raise RosterFileError("no_sheet", sheet=sheet_name, sheets="、".join(workbook.sheetnames))
            worksheet = workbook[sheet_name]
        elif workbook.worksheets:
            worksheet = workbook.worksheets[0]
        else:
            raise RosterFileError("no_worksheets")
        yield RosterSheet(workbook, worksheet, max_rows=max_rows, file=file)
    finally:
        workbook.close()
