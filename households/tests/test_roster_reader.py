"""Opening an upload safely: size, content, zip bombs, XML entities, formulas and sheets that claim a million rows."""

import io
import time
import zipfile

import pytest

from households.roster import batches, reader
from households.tests import roster_workbooks as rw

pytestmark = pytest.mark.django_db


def codes(data: bytes, **kwargs) -> list[str]:
    reading = batches.read(io.BytesIO(data), **kwargs)
    issues = reading.issues if reading.parsed is None else reading.parsed.issues
    return [issue.code for issue in issues]


def rezip(data: bytes, change=None, extra=()) -> bytes:
    """The workbook's zip rewritten: `change(name, content)` may alter a part; `extra` adds (name, content) parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            target.writestr(entry.filename, change(entry.filename, content) if change else content)
        for name, content in extra:
            target.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def never_parsed(monkeypatch):
    """Fails the test if openpyxl is asked to parse the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a file that should have been refused")

    monkeypatch.setattr(reader.openpyxl, "load_workbook", refuse)


def test_a_text_file_renamed_xlsx_is_refused_by_its_content(never_parsed):
    assert codes("姓名,证件号码\n张三,340321".encode()) == ["not_xlsx"]


def test_an_old_binary_excel_file_is_refused(never_parsed):
    assert codes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600) == ["not_xlsx"]


def test_a_zip_that_is_not_a_workbook_is_refused(never_parsed):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="x"><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr("word/document.xml", "<document/>")
    assert codes(out.getvalue()) == ["not_xlsx"]


def test_a_macro_enabled_workbook_is_refused(never_parsed, dongfeng):
    def as_xlsm(name, content):
        if name == "[Content_Types].xml":
            return content.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
        return content

    assert codes(rezip(rw.workbook(rw.household()), as_xlsm)) == ["not_xlsx"]


def test_an_empty_file_is_refused(never_parsed):
    assert codes(b"") == ["empty_file"]


def test_a_file_over_the_size_limit_is_refused_before_parsing(never_parsed, settings, dongfeng):
    data = rw.workbook(rw.household())
    settings.ROSTER_MAX_BYTES = len(data) - 1
    assert codes(data) == ["file_too_large"]
    settings.ROSTER_MAX_BYTES = len(data)
    assert codes(data) != ["file_too_large"]


def test_a_zip_bomb_of_many_entries_is_refused_before_parsing(never_parsed, dongfeng):
    extra = [(f"xl/media/part{n}.bin", b"") for n in range(reader.MAX_ENTRIES)]
    assert codes(rezip(rw.workbook(rw.household()), extra=extra)) == ["too_many_entries"]


def test_a_zip_bomb_that_unpacks_huge_is_refused_before_parsing(never_parsed, settings, dongfeng):
    settings.ROSTER_MAX_BYTES = 1024 * 1024  # unpacked, at most ten times that
    data = rezip(rw.workbook(rw.household()), extra=[("xl/media/bomb.bin", b"\0" * (11 * 1024 * 1024))])
    assert len(data) < settings.ROSTER_MAX_BYTES  # small on the wire
    assert codes(data) == ["too_large_unpacked"]


def test_a_damaged_archive_is_reported_not_raised(dongfeng):
    data = bytearray(rw.workbook(rw.household()))
    middle = len(data) // 2
    data[middle : middle + 200] = b"\0" * 200
    assert codes(bytes(data))[0] in {"not_xlsx", "unreadable"}


def test_xml_entities_are_refused_by_defusedxml_instead_of_expanded(dongfeng):
    def with_entities(name, content):
        if name == "xl/worksheets/sheet1.xml":
            doctype = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            assert content.startswith(b"<worksheet")
            return doctype + content
        return content

    assert codes(rezip(rw.workbook(rw.household()), with_entities)) == ["unreadable"]


def test_a_sheet_that_declares_a_million_rows_stops_after_a_run_of_blank_rows(dongfeng):
    rows = rw.household() + rw.household() + rw.household()  # 9 people: rows 2-10

    def a_million_rows(name, content):
        if name == "xl/worksheets/sheet1.xml":
            content = content.replace(b'<dimension ref="A1:X10"', b'<dimension ref="A1:X1048576"')
            trap = b'<row r="1048576"><c r="D1048576" t="inlineStr"><is><t>far away</t></is></c></row></sheetData>'
            content = content.replace(b"</sheetData>", trap)
        return content

    data = rezip(rw.workbook(rows), a_million_rows)
    started = time.monotonic()
    reading = batches.read(io.BytesIO(data))
    took = time.monotonic() - started
    assert reading.declared_rows == 1048576
    assert reading.parsed.rows == 9
    stop = 10 + reader.BLANK_ROWS_STOP
    assert [(i.code, i.row) for i in reading.parsed.issues] == [("stopped_after_blank_rows", stop)]
    assert took < 2, f"reading took {took:.1f} s"


def test_trailing_blank_rows_within_the_declared_size_need_no_warning(dongfeng):
    reading = batches.read(io.BytesIO(rw.workbook([*rw.household(), None, None])))
    assert reading.parsed.issues == []
