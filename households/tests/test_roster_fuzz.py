"""Fuzzing the roster import with generated workbooks and random bytes.

Reading and checking never raise: whatever the file, what is wrong comes back
as issues (the module's own RosterFileError and CellError are turned into
issues inside it). Through the batch's whole life (received, checked,
confirmed), a batch never ends "failed" (an unexpected exception, caught and
logged), and a file with any error changes nothing in the registry; a file
without one is applied as counted.
"""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from hypothesis import event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.models import Role
from audit.models import AuditEvent
from households.models import (
    Household,
    HouseholdImport,
    ImportBatch,
    Member,
    StatusChange,
    VillagerGroup,
)
from households.roster import batches
from households.roster.validate import Plan
from households.tests import roster_workbooks as rw
from households.tests.factories import HouseholdFactory, MemberFactory, UserFactory
from townaid.tests.fuzzing import either, examples, huge_texts, id_numbers, junk_rates, texts, valid_id_numbers

pytestmark = pytest.mark.django_db
Status = ImportBatch.Status

REGISTRY = [Household, Member, VillagerGroup, StatusChange, HouseholdImport, AuditEvent]
KNOWN_NUMBER = "3403219999999"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def registered(dongfeng):
    """A household already in the registry, whose number and ID numbers the generated files may reuse."""
    household = HouseholdFactory(village=dongfeng, number=KNOWN_NUMBER)
    MemberFactory(household=household)
    return household


def registry() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REGISTRY}


# ---------------------------------------------------------------- what a file holds


def writable(text: str) -> str:
    """Text openpyxl can write (XML forbids most control characters; the test, not the reader, needs this)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:32767]


cell_texts = st.one_of(texts, huge_texts).map(writable)
cells = st.one_of(
    st.none(),
    cell_texts,
    st.integers(-(10**20), 10**20),
    st.floats(),  # NaN and infinity too, which openpyxl writes and no spreadsheet does
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.booleans(),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", '=HYPERLINK("http://x")', "'0001", "是", "否", "一级", "X级"]),
)
headers = st.one_of(
    st.sampled_from(rw.ALL).map(rw.ZH.get),
    st.sampled_from(rw.ALL).map(rw.EN.get),
    st.sampled_from(rw.ALL).map(lambda key: f" {rw.ZH[key]}\u3000"),
    st.sampled_from(rw.ALL).map(lambda key: rw.EN[key].upper()),
    cell_texts,
    st.none(),
    st.integers(),
)


@st.composite
def rows_of_people(draw, rate: int) -> list[dict | None]:
    """Households as the template has them; at the junk rate with cells replaced by anything, odd relations,
    a number already in the registry, ID numbers that are not; blank rows between."""
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        number = draw(either(st.from_regex(r"\A3403219[0-9]{7}\Z"), rate, st.one_of(st.just(KNOWN_NUMBER), cell_texts)))
        members = []
        for index in range(draw(st.integers(1, 3))):
            usual = st.just("户主") if index == 0 else st.sampled_from(["配偶", "之子", "之女"])
            relation = draw(either(usual, rate, st.sampled_from(["户主", "邻居", "配偶"])))
            name = draw(st.from_regex(r"\A[\u4e00-\u9fa5]{2,3}\Z"))
            id_number = draw(either(valid_id_numbers(), rate, id_numbers().map(writable)))
            members.append(rw.person(relation, id_number=id_number, name=name))
        household = rw.household(number=number, members=members)
        for row in household:
            for key in draw(either(st.just([]), rate, st.lists(st.sampled_from(rw.ALL), min_size=1, max_size=3))):
                row[key] = draw(cells)
        rows += household
        if draw(st.booleans()):
            rows.append(None)
    return rows


@st.composite
def workbooks(draw, rate: int) -> bytes:
    odd_columns = st.one_of(st.permutations(rw.ALL), st.lists(st.sampled_from(rw.ALL), max_size=30))
    columns = draw(either(st.just(rw.ALL), rate, odd_columns)) or ["name"]
    names = [draw(either(st.sampled_from([rw.ZH[key], rw.EN[key]]), rate, headers)) for key in columns]
    title_rows = draw(st.lists(cell_texts.map(lambda text: text or "花名册"), max_size=2))
    rows = draw(rows_of_people(rate))

    def finish(sheet):
        for _ in range(draw(either(st.just(0), rate, st.integers(1, 2)))):
            top, left = draw(st.integers(1, sheet.max_row)), draw(st.integers(1, len(columns)))
            sheet.merge_cells(start_row=top, start_column=left, end_row=top + draw(st.integers(0, 3)), end_column=left)

    return rw.workbook(rows, columns=columns, headers=names, title_rows=title_rows, finish=finish)


def damaged(data: bytes, draw) -> bytes:
    """A workbook with bytes changed somewhere, cut short, or one of its parts replaced by junk."""
    how = draw(st.sampled_from(["flip", "cut", "part"]))
    # A place in the file drawn as a share of its length: the length itself varies by a byte or two between
    # runs (the workbook's creation time is compressed with it), and what is drawn must not depend on it.
    at = draw(st.integers(0, 10**6)) * (len(data) - 1) // 10**6
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "cut":
        return data[:at]
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    victim = draw(st.sampled_from(source.namelist()))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = draw(st.binary(max_size=300)) if entry.filename == victim else source.read(entry.filename)
            target.writestr(entry, content)
    return out.getvalue()


@st.composite
def files(draw) -> bytes:
    """A workbook; at the junk rate a damaged one, random bytes, or a zip archive that is no workbook."""
    rate = draw(junk_rates())
    kind = draw(either(st.just("workbook"), rate, st.sampled_from(["damaged", "bytes", "zip"])))
    if kind == "bytes":
        return draw(st.binary(max_size=3000))
    if kind == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            parts = st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "a.txt"])
            for name in draw(st.lists(parts, unique=True)):
                archive.writestr(name, draw(st.binary(max_size=200)))
        return out.getvalue()
    data = draw(workbooks(rate))
    return damaged(data, draw) if kind == "damaged" else data


# ---------------------------------------------------------------- the tests


@settings(max_examples=examples(100))
@given(data=files())
def test_reading_and_checking_any_file_never_raises(registered, data):
    reading = batches.read(io.BytesIO(data))
    plan = batches.check(reading)
    assert isinstance(plan, Plan)
    event("read" if reading.parsed else f"refused: {reading.issues[0].code}")
    if reading.parsed is None:
        assert reading.issues
        assert not plan.ok
    for issue in plan.issues:
        assert issue.message  # every issue can be shown
        assert issue.location() is not None


@settings(max_examples=examples(40))
@given(data=files())
def test_importing_any_file_changes_nothing_unless_it_has_no_error(registered, admin, data):
    def run():
        before = registry()
        batch = batches.batch_receive(
            upload=ContentFile(data, name="roster.xlsx"), original_name="花名册.xlsx", user=admin
        )
        batches.batch_start(batch, allow_background=False)
        if batch.status == Status.READY:
            batches.batch_confirm(batch, user=admin)
        batch.refresh_from_db()
        assert batch.status != Status.FAILED, batch.failure
        event(f"batch {batch.status}")
        if batch.error_count or batch.status != Status.APPLIED:
            assert registry() == before
        else:
            created = batch.counts["households"]["created"]
            assert Household.objects.count() == before["Household"] + created
            members = batch.counts["members"]["created"]
            assert Member.objects.count() == before["Member"] + members

    with transaction.atomic():
        run()
        transaction.set_rollback(True)
