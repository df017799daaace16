"""Department warning workbooks for the tests: built with openpyxl, or taken apart and put together again."""

import datetime as dt
import io
import re
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from monitoring.warnings import COLUMNS

HEADERS = [column.zh for column in COLUMNS]
ENGLISH = [column.en for column in COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(id_number, name="王小明", kind="住院自付费用高", amount=12000, date=dt.date(2024, 5, 1)) -> list:
    return [id_number, name, kind, amount, date]


def workbook(rows, *, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def uploaded(content: bytes, name: str = "医保预警名单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def replace_part(content: bytes, part: str, change) -> bytes:
    """The workbook with one part's text changed by `change` (str -> str)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == part:
                data = change(data.decode()).encode()
            target.writestr(entry.filename, data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def claiming_dimension(content: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's <dimension> claiming `ref`."""
    return replace_part(content, SHEET, lambda xml: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml))


def with_empty_rows(content: bytes, count: int) -> bytes:
    """The workbook with `count` empty <row> elements added below its rows: a sheet that holds that many rows."""

    def add(xml: str) -> str:
        start = len(re.findall(r"<row\b", xml)) + 1
        rows = "".join(f'<row r="{n}"/>' for n in range(start, start + count))
        return xml.replace("</sheetData>", rows + "</sheetData>")

    return replace_part(content, SHEET, add)
