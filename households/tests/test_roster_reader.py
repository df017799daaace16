"""Opening an upload safely: size, content, zip bombs, XML entities, and every row of the sheet read, not more.

The sheet's <dimension> is what the writer claimed; the rows are what its XML
holds. Each test of a hostile file checks what the user is told (a message in
their language, never an exception's text) and that nothing of the file counts.
"""

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from households.roster import batches, reader
from households.roster.issues import MESSAGES
from households.tests import roster_workbooks as rw
from households.tests.roster_workbooks import rezip

pytestmark = pytest.mark.django_db


def codes(data: bytes, **kwargs) -> list[str]:
    reading = batches.read(io.BytesIO(data), **kwargs)
    issues = reading.issues if reading.parsed is None else reading.parsed.issues
    return [issue.code for issue in issues]


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
    assert codes(bytes(data)) == ["damaged_archive"]


# ---------------------------------------------------------------- hostile XML, and what the user is told


BILLION_LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
XXE = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
DTD_ONLY = b'<!DOCTYPE worksheet SYSTEM "http://attacker.example/roster.dtd">'


def with_doctype(part: str, doctype: bytes, data: bytes) -> bytes:
    def insert(name, content):
        if name != part:
            return content
        if content.startswith(b"<?xml"):
            declaration, rest = content.split(b"?>", 1)
            return declaration + b"?>" + doctype + rest
        return doctype + content

    return rezip(data, insert)


def a_plain_message(reading, code: str, *, language: str) -> str:
    """The one issue a refused file gives: its code as expected, and a message that is ours, not an exception's."""
    assert reading.parsed is None
    assert [issue.code for issue in reading.issues] == [code]
    with translation.override(language):
        message = reading.issues[0].message
        assert message == str(MESSAGES[code]) % reading.issues[0].params
    for leak in ("Error", "Exception", "Forbidden", "file:", "/etc/", "attacker", ".xml", "Traceback", "line "):
        assert leak not in message, message
    return message


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("part", [rw.SHEET, "xl/workbook.xml", "[Content_Types].xml"])
@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_xml_entities_are_refused_as_unsafe_in_the_users_language_without_the_exception(
    dongfeng, caplog, part, doctype, language
):
    data = with_doctype(part, doctype, rw.workbook(rw.household()))
    reading = batches.read(io.BytesIO(data))
    a_plain_message(reading, "unsafe_xml", language=language)
    assert "EntitiesForbidden" in caplog.text  # the operators see what happened


def test_a_dtd_in_the_sheet_is_refused_as_unsafe_even_without_entities(dongfeng):
    reading = batches.read(io.BytesIO(with_doctype(rw.SHEET, DTD_ONLY, rw.workbook(rw.household()))))
    a_plain_message(reading, "unsafe_xml", language="zh-hans")


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda data: data[: len(data) * 2 // 3], "damaged_archive"),  # cut short
        (lambda data: rw.with_sheet(data, lambda xml: xml.replace(b"</sheetData>", b"")), "damaged_xml"),
        (lambda data: rezip(data, lambda name, content: b"PK" if name == "xl/styles.xml" else content), "damaged_xml"),
        (lambda data: rw.with_sheet(data, lambda xml: xml.replace(b'<row r="3"', b'<row r="x"')), "rows_out_of_order"),
        (lambda data: rw.with_sheet(data, lambda xml: xml.replace(b'<row r="3"', b'<row r="2"')), "rows_out_of_order"),
    ],
    ids=["cut-short", "sheet-not-well-formed", "styles-not-xml", "row-number-not-a-number", "row-numbered-twice"],
)
def test_each_kind_of_damage_has_its_own_message_without_the_exception(dongfeng, caplog, damage, code):
    reading = batches.read(io.BytesIO(damage(rw.workbook(rw.household()))))
    a_plain_message(reading, code, language="zh-hans")
    if code.startswith("damaged"):
        assert f"roster file refused ({code})" in caplog.text


def test_a_file_that_is_no_zip_says_so_without_details(never_parsed):
    reading = batches.read(io.BytesIO(b"PK\x03\x04 and then nothing like a zip archive"))
    a_plain_message(reading, "damaged_archive", language="zh-hans")


# ---------------------------------------------------------------- every row of the file, whatever its dimension says


def test_a_sheet_that_understates_its_dimension_is_read_to_its_last_row(dongfeng):
    rows = rw.household() + rw.household() + rw.household(members=[rw.person(work_months=13)])  # rows 2-8
    data = rw.with_dimension(rw.workbook(rows), "A1:X2")  # "one row of people", as a hostile file may claim
    reading = batches.read(io.BytesIO(data))
    assert reading.parsed.rows == 7
    assert reading.rows_in_file == 8
    plan = batches.check(reading)
    assert [(issue.row, issue.code) for issue in plan.errors] == [(8, "out_of_range")]
    assert not plan.ok


def test_a_sheet_without_a_dimension_is_read_to_its_last_row(dongfeng):
    def no_dimension(xml):
        xml, found = re.subn(rb"<dimension [^>]*/>", b"", xml)
        assert found == 1
        return xml

    data = rw.with_sheet(rw.workbook(rw.household() + rw.household()), no_dimension)
    assert batches.read(io.BytesIO(data)).parsed.rows == 6


def test_rows_after_300_blank_rows_are_read(dongfeng):
    blank = [{"name": " "}] * 150 + [None] * 150  # rows the XML holds with a blank cell, and rows it leaves out
    bad = rw.household(members=[rw.person(relation="儿子")])
    reading = batches.read(io.BytesIO(rw.workbook([*rw.household(), *blank, *bad])))
    assert reading.parsed.rows == 4
    plan = batches.check(reading)
    assert [(issue.row, issue.code) for issue in plan.errors] == [(305, "not_in_list"), (305, "heads")]


def test_a_lone_cell_on_the_last_rows_is_read_at_the_cost_of_one_row_not_a_million(dongfeng):
    def far_away(xml):
        trap = b'<row r="1048575"><c r="D1048575" t="inlineStr"><is><t>far away</t></is></c></row></sheetData>'
        return xml.replace(b"</sheetData>", trap)

    data = rw.with_dimension(
        rw.with_sheet(rw.workbook(rw.household() + rw.household() + rw.household()), far_away), "A1:X1048576"
    )
    started = time.monotonic()
    with reader.open_roster(io.BytesIO(data)) as sheet:
        header = sheet.read_header()
        rows = list(sheet.rows())
    took = time.monotonic() - started
    assert (header.row, sheet.rows_in_file, sheet.rows_read) == (1, 11, 11)  # only the rows the XML holds
    assert [row.number for row in rows] == [*range(2, 11), 1048575]
    assert took < 2, f"reading took {took:.1f} s"
    plan = batches.check(batches.read(io.BytesIO(data)))
    assert {(issue.row, issue.code) for issue in plan.errors} >= {(1048575, "required")}


def test_trailing_blank_rows_need_no_warning(dongfeng):
    reading = batches.read(io.BytesIO(rw.workbook([*rw.household(), None, None, {"name": ""}, {"name": " "}])))
    assert list(reading.parsed.issues) == []
    assert reading.parsed.rows == 3


def test_a_row_the_scan_counts_and_the_parser_never_sees_refuses_the_whole_file(dongfeng):
    # A comment is no row to the parser but looks like one to the byte scan: the counts differ.
    data = rw.with_sheet(
        rw.workbook(rw.household()), lambda xml: xml.replace(b"</sheetData>", b"<!--<row r='9'/>--></sheetData>")
    )
    reading = batches.read(io.BytesIO(data))
    a_plain_message(reading, "rows_not_counted", language="zh-hans")


def test_rows_the_scan_did_not_count_are_refused_as_soon_as_the_parser_meets_them(dongfeng, monkeypatch):
    # Rows under a namespace prefix the scan does not expect are rows to the parser all the same.
    def prefixed(xml):
        xml = xml.replace(b"<row ", b"<\xe4\xb8\xad:row ").replace(b"</row>", b"</\xe4\xb8\xad:row>")
        return xml.replace(
            b"<worksheet ",
            b'<worksheet xmlns:\xe4\xb8\xad="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
        )

    data = rw.with_sheet(rw.workbook([row for _ in range(100) for row in rw.household()]), prefixed)
    parsed = []
    parse_cell = reader.WorkSheetParser.parse_cell
    monkeypatch.setattr(reader.WorkSheetParser, "parse_cell", lambda self, el: parsed.append(1) or parse_cell(self, el))
    reading = batches.read(io.BytesIO(data))
    a_plain_message(reading, "rows_not_counted", language="en")
    assert parsed == []  # refused at the first row, before any of its cells


def test_a_sheet_over_the_row_limit_is_refused_before_any_row_is_parsed(dongfeng, settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a row was parsed")

    monkeypatch.setattr(reader.WorkSheetParser, "parse_cell", refuse)
    settings.ROSTER_MAX_ROWS = 9
    data = rw.workbook(rw.household() + rw.household() + rw.household())  # a header and 9 people: 10 rows
    reading = batches.read(io.BytesIO(data))
    assert a_plain_message(reading, "too_many_rows", language="en") == (
        "The worksheet has 10 rows; at most 9 are accepted. Split the roster into several files."
    )


def test_a_sheet_at_the_row_limit_is_read(dongfeng, settings):
    settings.ROSTER_MAX_ROWS = 10
    assert batches.read(io.BytesIO(rw.workbook(rw.household() + rw.household() + rw.household()))).parsed.rows == 9


def test_a_row_of_more_cells_than_excel_allows_is_refused(dongfeng, monkeypatch):
    monkeypatch.setattr(reader, "MAX_CELLS_PER_ROW", 30)
    rows = rw.household()
    rows[1].update({f"extra{n}": "x" for n in range(10)})
    columns = [*rw.ALL, *(f"extra{n}" for n in range(10))]
    headers = [*(rw.ZH[key] for key in rw.ALL), *(f"备注{n}" for n in range(10))]
    reading = batches.read(io.BytesIO(rw.workbook(rows, columns=columns, headers=headers)))
    a_plain_message(reading, "row_too_wide", language="en")


def test_merged_ranges_down_the_whole_sheet_cost_no_more_than_short_ones(dongfeng):
    # Ten columns merged from row 2 to Excel's last row: ten million cells, were the ranges expanded.
    same_for_all = ["village", "group", "ethnicity", "medical_insurance", "attribute", "main_cause", "other_causes"]
    same_for_all += ["identified_year", "phone", "housing_grade"]
    ranges = "".join(f'<mergeCell ref="{rw.letter(key)}2:{rw.letter(key)}1048576"/>' for key in same_for_all)
    merges = f'</sheetData><mergeCells count="{len(same_for_all)}">{ranges}</mergeCells>'.encode()
    rows = rw.household() + rw.household()
    for row in rows[1:]:
        row.update(dict.fromkeys(same_for_all))
    data = rw.with_sheet(rw.workbook(rows), lambda xml: xml.replace(b"</sheetData>", merges))
    started = time.monotonic()
    plan = batches.check(batches.read(io.BytesIO(data)))
    assert time.monotonic() - started < 2
    assert plan.ok, [(issue.row, issue.code) for issue in plan.errors]
    assert plan.counts()["households"]["created"] == 2
    assert {member.values["ethnicity"] for change in plan.households for member in change.members} == {"汉族"}


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_the_byte_scan_counts_each_row_once_and_finds_each_merge_whatever_the_chunks(monkeypatch, chunk):
    monkeypatch.setattr(reader, "SCAN_CHUNK", chunk)
    xml = (
        b'<x:worksheet xmlns:x="main"><x:sheetData><x:row r="1"><x:c r="A1"/></x:row><x:row r="2"/>'
        b'<row\tr="3"></row><row>' + b"<c/>" * 300 + b"</row><rowBreaks/><rows/></x:sheetData>"
        b'<mergeCells><mergeCell ref="A2:A1048576"/><x:mergeCell ref="B2:C3"/></mergeCells></x:worksheet>'
    )
    scan = reader.scan_sheet(io.BytesIO(xml))
    assert (scan.rows, scan.merged) == (4, {"A2:A1048576", "B2:C3"})


# ---------------------------------------------------------------- the attack as reported: a million one-cell rows


@pytest.fixture(scope="session")
def a_million_rows(tmp_path_factory) -> Path:
    """The roster's header, then 1,048,575 rows of one cell each: about 5 MB, built once per session."""
    path = tmp_path_factory.mktemp("rosters") / "million.xlsx"
    rw.one_cell_rows(path)
    return path


CHILD = """
import json, os, re, sys, time
import django
django.setup()

def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would also count the parent's, inherited across fork and exec)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024

from households.roster import batches, reader
parsed = []
parse_cell = reader.WorkSheetParser.parse_cell
reader.WorkSheetParser.parse_cell = lambda self, element: parsed.append(1) or parse_cell(self, element)
started = time.monotonic()
with open(sys.argv[1], "rb") as file:
    reading = batches.read(file)
seconds = time.monotonic() - started
issues = reading.issues if reading.parsed is None else list(reading.parsed.issues)[:5]
print(json.dumps({
    "codes": [issue.code for issue in issues],
    "params": [issue.params for issue in issues],
    "seconds": seconds,
    "peak_mb": peak_mb(),
    "cells_parsed": len(parsed),
}))
"""


def read_in_a_fresh_process(path: Path, **environment) -> dict:
    """batches.read(path) in a new Python, so that its peak memory is its own; what it found, how long, how much."""
    env = {"DJANGO_SETTINGS_MODULE": "townaid.settings_test", "PYTHONPATH": str(django_settings.BASE_DIR)}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=django_settings.BASE_DIR,
        env={**os.environ, **env, **environment},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_file_of_a_million_one_cell_rows_is_refused_within_30_seconds_and_300_mb(a_million_rows):
    assert a_million_rows.stat().st_size < 8 * 1024 * 1024  # small on the wire, under ROSTER_MAX_BYTES
    found = read_in_a_fresh_process(a_million_rows, ROSTER_MAX_ROWS="300000")
    assert found["codes"] == ["too_many_rows"]
    assert found["params"] == [{"count": "1,048,576", "limit": "300,000"}]
    assert found["cells_parsed"] == 0  # refused from the count, before openpyxl parsed a row
    assert found["seconds"] < 30, found
    assert found["peak_mb"] < 300, found
