"""Test rosters built in code with openpyxl: rows as dicts keyed by column, written under a header row.

The header texts are spelled out here (not taken from the code under test), so
that a renamed header in the column table fails the tests.
"""

import datetime as dt
import io
import itertools
import re
import zipfile

from django.core.exceptions import ValidationError
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from households import idnumbers
from households.tests.factories import valid_id_number

ZH = {
    "village": "行政村",
    "group": "村民小组",
    "number": "户编号",
    "name": "姓名",
    "id_number": "证件号码",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "education": "文化程度",
    "student_status": "在校生状况",
    "health": "健康状况",
    "disability_grade": "残疾等级",
    "work_ability": "劳动技能",
    "migrant_work": "务工状况",
    "work_months": "务工时间（月）",
    "medical_insurance": "是否参加城乡居民基本医疗保险",
    "attribute": "贫困户属性",
    "main_cause": "主要致贫原因",
    "other_causes": "其他致贫原因",
    "exit_year": "脱贫年度",
    "identified_year": "识别年度",
    "phone": "联系电话",
    "housing_grade": "住房安全等级",
}
EN = {
    "village": "village",
    "group": "group",
    "number": "household number",
    "name": "name",
    "id_number": "id number",
    "relation": "relation",
    "sex": "sex",
    "birth_date": "birth date",
    "ethnicity": "ethnicity",
    "education": "education",
    "student_status": "student status",
    "health": "health",
    "disability_grade": "disability grade",
    "work_ability": "work ability",
    "migrant_work": "migrant work",
    "work_months": "work months",
    "medical_insurance": "medical insurance",
    "attribute": "household attribute",
    "main_cause": "main poverty cause",
    "other_causes": "other poverty causes",
    "exit_year": "exit year",
    "identified_year": "identified year",
    "phone": "phone",
    "housing_grade": "housing grade",
}
ALL = list(ZH)
REQUIRED = ["village", "number", "name", "id_number", "relation", "main_cause"]

_numbers = itertools.count(1)


def household_number() -> str:
    return f"3403219{next(_numbers):07d}"


def person(relation="户主", *, born=dt.date(1970, 3, 4), gender=idnumbers.MALE, **values) -> dict:
    """One row of a person born about `born` (household columns left to `household`)."""
    id_number = values.pop("id_number", None) or valid_id_number(born, gender)
    try:
        facts = idnumbers.parse(str(id_number))
    except ValidationError:  # a test of a bad ID number: sex and birth date as asked
        facts = idnumbers.IdFacts(birth_date=born, sex=gender)
    row = {
        "name": values.pop("name", f"张{next(_numbers)}"),
        "id_number": id_number,
        "relation": relation,
        "sex": "男" if facts.sex == idnumbers.MALE else "女",
        "birth_date": facts.birth_date.isoformat(),
        "ethnicity": "汉族",
        "education": "初中",
        "health": "健康",
        "work_ability": "普通劳动力",
        "medical_insurance": "是",
    }
    row.update(values)
    return row


def household(village="东风村", *, number=None, members=None, **values) -> list[dict]:
    """A household of three (head, spouse, son) unless `members` are given; household columns on every row."""
    number = number or household_number()
    members = members or [
        person("户主"),
        person("配偶", born=dt.date(1972, 6, 1), gender=idnumbers.FEMALE),
        person("之子", born=dt.date(2001, 9, 9), education="高中", student_status="高中", work_ability="无劳动力"),
    ]
    shared = {
        "village": village,
        "group": "第一组",
        "number": number,
        "attribute": "一般贫困户",
        "main_cause": "因病",
        "other_causes": "缺资金",
        "identified_year": 2016,
        "phone": "0552-1234567",
        "housing_grade": "A",
    }
    shared.update(values)
    return [{**shared, **member} for member in members]


def workbook(
    rows,
    *,
    columns=None,
    lang="zh",
    headers=None,
    title_rows=(),
    merge_title=False,
    sheet_title="花名册",
    prepare=None,
    finish=None,
) -> bytes:
    """An .xlsx file: title rows, then a header row, then one row per dict (None for a blank row)."""
    columns = columns or ALL
    names = headers or [(ZH if lang == "zh" else EN)[key] for key in columns]
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    if prepare:
        prepare(book)
    for title in title_rows:
        sheet.append([title])
        if merge_title:
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(columns))
    sheet.append(list(names))
    for row in rows:
        sheet.append([] if row is None else [row.get(key) for key in columns])
    if finish:
        finish(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_raw_number(data: bytes, cell: str, number: str, *, sheet="xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with `cell` holding `number` as the exact integer it is, as tools other than openpyxl may write
    it (openpyxl writes every large integer through a float)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    pattern = re.compile(rf'(<c r="{cell}"[^>]*>)<v>[^<]*</v>'.encode())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == sheet:
                content, found = pattern.subn(rb"\1<v>" + number.encode() + rb"</v>", content)
                assert found == 1
            target.writestr(entry, content)
    return out.getvalue()


def letter(key: str, columns=None) -> str:
    """The column letter of a key in the default column order."""
    return get_column_letter((columns or ALL).index(key) + 1)


def header_row(title_rows=()) -> int:
    return len(title_rows) + 1


def first_data_row(title_rows=()) -> int:
    return header_row(title_rows) + 1


SHEET = "xl/worksheets/sheet1.xml"


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


def with_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change(xml) -> xml`."""
    return rezip(data, lambda name, content: change(content) if name == SHEET else content)


def with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its first sheet claiming to span `ref`, whatever it holds (as some tools write it)."""

    def claim(xml: bytes) -> bytes:
        xml, found = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml)
        assert found == 1
        return xml

    return with_sheet(data, claim)


def one_cell_rows(path, *, last_row: int = 1_048_576, column: str = "D", text: str = "张三") -> None:
    """An .xlsx file at `path`: the roster's header row, then rows 2 to `last_row` each holding one text cell,
    its dimension saying so.

    The sheet's XML is written straight into the zip (openpyxl would take minutes): a million such rows make
    a file of about 5 MB, as in the report of the attack.
    """
    header = zipfile.ZipFile(io.BytesIO(workbook([])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for entry in header.infolist():
            content = header.read(entry.filename)
            if entry.filename == SHEET:
                head, tail = content.split(b"</sheetData>")
                head = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:X{last_row}"'.encode(), head)
                with target.open(SHEET, "w") as sheet:
                    sheet.write(head)
                    batch = []
                    for number in range(2, last_row + 1):
                        batch.append(
                            f'<row r="{number}"><c r="{column}{number}" t="inlineStr"><is><t>{text}</t></is></c></row>'
                        )
                        if len(batch) == 10_000:
                            sheet.write("".join(batch).encode())
                            batch = []
                    sheet.write("".join(batch).encode())
                    sheet.write(b"</sheetData>" + tail)
            else:
                target.writestr(entry, content)
