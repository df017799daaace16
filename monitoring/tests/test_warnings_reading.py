"""Reading and checking a department's warning list: every row, every column, and the files that are no list."""

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from households.tests.factories import valid_id_number
from monitoring import warnings
from monitoring.tests.warning_lists import ENGLISH, claiming_dimension, row, with_empty_rows, workbook


def check(content: bytes) -> warnings.CheckedList:
    return warnings.check_list(io.BytesIO(content))


def errors_of(content: bytes) -> list[tuple]:
    return [(error.row, error.header, error.code) for error in check(content).errors]


def refusal(content: bytes) -> str:
    with pytest.raises(warnings.ListFileError) as caught:
        check(content)
    return caught.value.error.code


def with_lower_x() -> str:
    while not (number := valid_id_number()).endswith("X"):
        pass
    return number[:-1] + "x"


def test_a_clean_list_gives_its_rows_with_id_numbers_upper_cased():
    number = with_lower_x()
    checked = check(workbook([row(number, name=" 王小明 ", kind="新增残疾", amount=800, date=dt.date(2024, 3, 2))]))
    assert checked.errors == []
    assert checked.rows == [warnings.WarningRow(2, number.upper(), "王小明", "新增残疾", 800, dt.date(2024, 3, 2))]


def test_english_headers_in_any_case_and_spacing_are_accepted_and_other_columns_ignored():
    headers = ["No.", *[header.upper().replace(" ", "  ") for header in ENGLISH]]
    checked = check(workbook([[1, *row(valid_id_number())]], headers=headers))
    assert checked.errors == []
    assert len(checked.rows) == 1


def test_a_wrong_check_digit_is_an_error_naming_row_and_column():
    number = valid_id_number()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    checked = check(workbook([row(number), row(wrong)]))
    (error,) = checked.errors
    assert (error.row, error.letter, error.header, error.code) == (3, "A", "身份证号", "id_invalid")
    with translation.override("en"):
        assert "check character is wrong" in error.message


def test_a_numeric_id_cell_is_refused_with_advice_to_format_the_column_as_text():
    checked = check(workbook([row(340321198005170013)]))
    (error,) = checked.errors
    assert error.code == "id_not_text"
    with translation.override("en"):
        assert "format the column as text" in error.message


@pytest.mark.parametrize(
    ("amount", "stored"),
    [(0, 0), (1200, 1200), (1200.5, 1201), (1200.49, 1200), ("1,234.50", 1235), ("88", 88), (0.5, 1)],
)
def test_amounts_are_stored_as_whole_yuan_rounded_half_up(amount, stored):
    (checked,) = check(workbook([row(valid_id_number(), amount=amount)])).rows
    assert checked.amount == stored


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1.234, "bad_amount"),
        ("12元x", "bad_amount"),
        (-5, "amount_range"),
        ("-5", "amount_range"),
        (100_000_000, "amount_range"),
        (True, "bad_amount"),
    ],
)
def test_bad_amounts_are_errors(amount, code):
    assert errors_of(workbook([row(valid_id_number(), amount=amount)])) == [(2, "金额", code)]


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (dt.date(2024, 5, 1), dt.date(2024, 5, 1)),
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("2024/5/1", dt.date(2024, 5, 1)),
    ],
)
def test_dates_are_date_cells_or_text(value, day):
    (checked,) = check(workbook([row(valid_id_number(), date=value)])).rows
    assert checked.warned_on == day


def test_bad_future_and_early_dates_are_errors():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rows = [
        row(valid_id_number(), date="2024-02-30"),
        row(valid_id_number(), date=45000),
        row(valid_id_number(), date=tomorrow),
        row(valid_id_number(), date="2013-12-31"),
    ]
    assert errors_of(workbook(rows)) == [
        (2, "日期", "bad_date"),
        (3, "日期", "bad_date"),
        (4, "日期", "future_date"),
        (5, "日期", "early_date"),
    ]


def test_the_same_id_kind_and_date_twice_is_an_error_on_the_second_row():
    number = valid_id_number()
    checked = check(workbook([row(number), row(number, kind="其他"), row(number.lower())]))
    assert [(e.row, e.code, e.params) for e in checked.errors] == [(4, "duplicate_row", {"row": 2})]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers():
    checked = check(workbook([row(valid_id_number()), [None] * 5, ["  ", None, None, None, None], row("bad")]))
    assert [error.row for error in checked.errors] == [5]


def test_every_error_is_listed_with_row_and_column():
    rows = [row(""), row(valid_id_number(), name="", kind="x" * 101), row(valid_id_number(), amount="", date="")]
    assert errors_of(workbook(rows)) == [
        (2, "身份证号", "required"),
        (3, "姓名", "required"),
        (3, "预警类型", "too_long"),
        (4, "金额", "required"),
        (4, "日期", "required"),
    ]


def test_a_formula_is_not_evaluated():
    assert errors_of(workbook([row(valid_id_number(), amount="=1+1")])) == [(2, "金额", "formula")]


def test_missing_columns_are_named():
    checked = check(workbook([row(valid_id_number())[:3]], headers=["身份证号", "姓名", "预警类型"]))
    (error,) = checked.errors
    assert error.code == "missing_columns"
    assert "金额 (Amount)" in error.message
    assert "日期 (Date)" in error.message


def test_a_list_without_rows_is_an_error():
    assert errors_of(workbook([])) == [(None, "", "no_rows")]


def test_more_rows_than_the_limit_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(warnings, "MAX_ROWS", 2)
    content = workbook([row(valid_id_number()) for _ in range(3)])
    code = refusal(content)
    assert code == "too_many_rows"
    with pytest.raises(warnings.ListFileError) as caught:
        check(content)
    with translation.override("en"):
        assert "at most 2 rows of warnings" in caught.value.error.message


# ---------------------------------------------------------------- hostile files


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings):
    settings.WARNING_LIST_MAX_BYTES = 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (11 * 1024 * 1024))
    assert len(out.getvalue()) < settings.WARNING_LIST_MAX_BYTES
    assert refusal(out.getvalue()) == "too_large_unpacked"


def test_a_csv_renamed_xlsx_is_refused():
    csv = "身份证号,姓名,预警类型,金额,日期\n340321198005170013,王小明,住院,100,2024-05-01\n".encode()
    assert refusal(csv) == "not_xlsx"


def test_a_workbook_claiming_a_million_rows_is_read_for_the_rows_it_holds():
    content = claiming_dimension(workbook([row(valid_id_number())]), "A1:E1048576")
    checked = check(content)
    assert checked.errors == []
    assert len(checked.rows) == 1


def test_a_sheet_holding_a_million_rows_is_refused_before_any_row_is_parsed():
    content = with_empty_rows(workbook([row(valid_id_number())]), 1_000_000)
    assert refusal(content) == "too_many_rows"


def test_a_file_larger_than_the_setting_is_refused(settings):
    content = workbook([row(valid_id_number())])
    settings.WARNING_LIST_MAX_BYTES = len(content) - 1
    assert refusal(content) == "file_too_large"


# ---------------------------------------------------------------- the template


def test_the_template_has_chinese_headers_a_text_id_column_and_notes_in_both_languages():
    book = load_workbook(io.BytesIO(warnings.template()))
    sheet, notes = book.worksheets
    assert [cell.value for cell in sheet[1]] == ["身份证号", "姓名", "预警类型", "金额", "日期"]
    assert sheet["A2"].number_format == "@"
    assert notes.title == "说明 Notes"
    text = " ".join(str(cell.value) for line in notes.iter_rows() for cell in line if cell.value)
    assert "四舍五入" in text
    assert "rounded half up" in text


def test_a_filled_template_checks_clean():
    book = load_workbook(io.BytesIO(warnings.template()))
    sheet = book.worksheets[0]
    number = valid_id_number()
    for index, value in enumerate(row(number, amount=99.5), start=1):
        sheet.cell(row=2, column=index, value=value)
    out = io.BytesIO()
    book.save(out)
    checked = check(out.getvalue())
    assert checked.errors == []
    assert [(r.id_number, r.amount) for r in checked.rows] == [(number, 100)]
