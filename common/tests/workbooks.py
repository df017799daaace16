"""Helpers for the tests of the Excel downloads: read a downloaded workbook, read the audit log."""

import io
from dataclasses import dataclass

import openpyxl

from common.spreadsheets import XLSX

AUDIT_LOGGER = "townaid.audit"


@dataclass
class Export:
    """A downloaded list: its headers and its rows of cell values, as Excel will read them."""

    headers: list
    rows: list[tuple]

    def column(self, header) -> list:
        index = self.headers.index(str(header))
        return [row[index] for row in self.rows]

    def cells(self) -> list:
        return [value for row in [self.headers, *self.rows] for value in row]


def read_export(response) -> Export:
    """The only worksheet of a downloaded workbook, its first row taken as the headers."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 1
    headers, *rows = book.active.iter_rows(values_only=True)
    return Export(headers=list(headers), rows=[tuple(row) for row in rows])


def audit_lines(caplog) -> list[str]:
    """What the audit logger wrote while caplog listened (pytest also captures loggers that do not propagate)."""
    return [record.getMessage() for record in caplog.records if record.name == AUDIT_LOGGER]
