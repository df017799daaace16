"""Which sheets python-calamine reads (the fast reader) and which openpyxl's parser still reads.

calamine is trusted with plain sheets only, as the byte scan finds them, and only
within a bounded rectangle of cells; every other sheet is read as before. Both give
the same rows and values (the reader's and validation's tests run through both).
"""

import io
import re

import pytest

from households.roster import batches, reader
from households.tests import roster_workbooks as rw

pytestmark = pytest.mark.django_db


def fast(data: bytes) -> bool:
    with reader.open_roster(io.BytesIO(data)) as sheet:
        return sheet.fast


def three_households() -> bytes:
    return rw.workbook(rw.household() + rw.household() + rw.household())


def test_a_plain_roster_is_read_by_calamine_with_every_row_and_value_openpyxl_gives(dongfeng, monkeypatch):
    data = three_households()
    quick = batches.read(io.BytesIO(data)).parsed
    monkeypatch.setattr(reader, "FAST_MAX_CELLS", 0)  # every sheet too big for calamine: openpyxl reads it
    assert not fast(data)
    slow = batches.read(io.BytesIO(data)).parsed

    assert quick.rows == slow.rows == 9
    assert {
        number: (h.values, [(m.id_number, m.values) for m in h.members]) for number, h in quick.households.items()
    } == {number: (h.values, [(m.id_number, m.values) for m in h.members]) for number, h in slow.households.items()}


def test_a_huge_declared_dimension_costs_calamine_nothing(dongfeng):
    data = rw.with_dimension(three_households(), "A1:XFD1048576")

    assert fast(data)
    assert batches.read(io.BytesIO(data)).parsed.rows == 9


def test_a_lone_cell_far_below_sends_the_sheet_to_openpyxl_which_streams_it(dongfeng):
    def far_away(xml):
        return xml.replace(b"</sheetData>", b'<row r="1048575"><c r="D1048575"><v>1</v></c></row></sheetData>')

    assert not fast(rw.with_sheet(three_households(), far_away))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml.replace(b"<v>", b"<f>1+1</f><v>", 1), id="a formula"),
        pytest.param(lambda xml: xml.replace(b"</sheetData>", b"<!-- a comment --></sheetData>"), id="a comment"),
        pytest.param(
            lambda xml: re.sub(rb'<c r="([A-Z]+[0-9]+)"', rb"<c", xml, count=1), id="a cell without its reference"
        ),
        pytest.param(lambda xml: xml.replace(b'<c r="A3"', b'<c r="CW3"', 1), id="a cell right of column CV"),
    ],
)
def test_what_calamine_is_not_trusted_with_is_read_by_openpyxl(dongfeng, change):
    data = rw.with_sheet(three_households(), change)

    assert not fast(data)
