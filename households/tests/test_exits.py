"""The exit procedure: a household leaves poverty step by step, in order, and becomes exited only at the last."""

import datetime as dt
import io
import struct
import zlib
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from accounts.models import Role
from audit.models import AccessEvent, AuditEvent
from common.documents import document_check
from households import exits
from households.choices import HouseholdStatus
from households.forms import StatusChangeForm
from households.models import ExitProcedure, ExitStep, ExitStepRecord, StatusChange, StepLevel
from households.tests.factories import HouseholdFactory, MemberFactory, UserFactory
from households.tests.test_exit_readiness import assessed, earning

pytestmark = pytest.mark.django_db

Outcome = ExitStepRecord.Outcome
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def ready(household):
    """A household that meets the exit standard: income above the 2020 line, every 2W3G item met."""
    assessed(household)
    earning(household, 6_000)
    return household


def pdf(name="纪要.pdf"):
    return document_check(SimpleUploadedFile(name, PDF, content_type="application/pdf"), max_bytes=10**6)


def png_bytes(size=(4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def bomb_png(side=60_000) -> bytes:
    """A PNG whose header claims side x side pixels, with a single byte of data: refused before decoding."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def start(household, user, on=None):
    return exits.exit_procedure_start(household=household, year=2020, started_on=on or START, user=user)


def step_code(procedure) -> str:
    procedure.refresh_from_db()
    return procedure.waiting_on.code if procedure.waiting_on else ""


TODAY = timezone.localdate()
START = TODAY - 40 * DAY


def walk(procedure, *, cadre, official, until: str = "", on=None):
    """Record each step as its level's user would, a day apart (publicity: its days), until the step `until`."""
    day = on or START
    while (code := step_code(procedure)) and code != until:
        step = procedure.waiting_on
        day = day + dt.timedelta(days=step.publicity_days or 1)
        user = cadre if step.level == StepLevel.VILLAGE else official
        exits.exit_step_complete(
            procedure=procedure, done_on=day, note="", document=pdf() if step.needs_document else None, user=user
        )
    return day


# ---------------------------------------------------------------- labels


def test_a_seeded_step_is_shown_in_the_readers_language_and_a_renamed_one_by_its_name():
    appraisal = ExitStep.objects.get(code="appraisal")
    assert appraisal.label == "Democratic appraisal by the villagers"
    appraisal.name = "民主评议会"
    assert appraisal.label == "民主评议会"


# ---------------------------------------------------------------- the order of the steps


def test_a_started_procedure_waits_on_the_first_active_step_and_is_audited(alice, dongfeng_household):
    procedure = start(dongfeng_household, alice)
    assert (procedure.state, procedure.waiting_on.code, procedure.started_by) == ("open", "appraisal", alice)
    event = AuditEvent.objects.get(object_type="households.ExitProcedure")
    assert event.effective_on == START


def test_only_a_poor_household_starts_an_exit_and_only_once(alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    start(household, alice)
    with pytest.raises(ValidationError, match="already has an exit procedure"):
        start(household, alice)
    exited = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    with pytest.raises(ValidationError, match="has not left poverty"):
        start(exited, alice)


def test_a_cadre_cannot_start_an_exit_in_another_village(bob, dongfeng_household):
    with pytest.raises(PermissionDenied):
        start(dongfeng_household, bob)


def test_the_steps_run_in_order_and_the_household_is_exited_only_by_the_last(alice, official, media):
    household = ready(HouseholdFactory(village=alice.villages.get()))
    procedure = start(household, alice)
    day = walk(procedure, cadre=alice, official=official, until="announcement")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.UNEXITED
    assert not StatusChange.objects.filter(household=household, to_status=HouseholdStatus.EXITED).exists()
    exits.exit_step_complete(procedure=procedure, done_on=day + DAY, document=pdf(), user=official)
    codes = list(procedure.records.values_list("step__code", flat=True))
    assert codes == list(ExitStep.objects.order_by("position").values_list("code", flat=True))
    procedure.refresh_from_db()
    household.refresh_from_db()
    assert (procedure.state, procedure.ended_on, procedure.waiting_on) == ("completed", day + DAY, None)
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, (day + DAY).year)
    change = StatusChange.objects.get(household=household, to_status=HouseholdStatus.EXITED)
    assert (change.changed_on, change.changed_by) == (day + DAY, official)
    assert change.reason == "Exit procedure completed: Announcement of the exit by the county"


def test_only_the_step_waited_on_is_recorded_never_another(alice, dongfeng_household, media):
    procedure = start(dongfeng_household, alice)
    exits.exit_step_complete(procedure=procedure, done_on=START + DAY, document=pdf(), user=alice)
    record = procedure.records.get()
    assert record.step.code == "appraisal"  # the service takes no step: it records the one waited on
    assert step_code(procedure) == "verification"


def test_an_inactive_step_is_skipped(alice, official, dongfeng_household, media):
    ExitStep.objects.filter(code="appraisal").update(active=False)
    procedure = start(ready(dongfeng_household), alice)
    assert procedure.waiting_on.code == "verification"
    ExitStep.objects.filter(code="acknowledgement").update(active=False)
    walk(procedure, cadre=alice, official=official, until="publicity")
    assert list(procedure.records.values_list("step__code", flat=True)) == ["verification"]


def test_a_step_a_county_adds_is_taken_in_its_position(alice, official, dongfeng_household, media):
    ExitStep.objects.create(
        code="town_visit", name="乡镇入户复核", position=35, level=StepLevel.TOWN
    )  # before the publicity (40)
    procedure = start(ready(dongfeng_household), alice)
    walk(procedure, cadre=alice, official=official, until="publicity")
    assert list(procedure.records.values_list("step__code", flat=True)) == [
        "appraisal",
        "verification",
        "acknowledgement",
        "town_visit",
    ]
    assert procedure.records.get(step__code="town_visit").actor == official


# ---------------------------------------------------------------- objections


def test_an_objection_sends_the_household_back_a_step_and_is_kept_with_its_reason(alice, official, media):
    household = ready(HouseholdFactory(village=alice.villages.get()))
    procedure = start(household, alice)
    day = walk(procedure, cadre=alice, official=official, until="publicity")
    exits.exit_objection_record(
        procedure=procedure, done_on=day + DAY, reason="邻居反映有外出务工收入未核实", user=alice
    )
    assert step_code(procedure) == "acknowledgement"
    objection = procedure.records.get(outcome=Outcome.OBJECTION)
    assert (objection.step.code, objection.note) == ("publicity", "邻居反映有外出务工收入未核实")
    event = AuditEvent.objects.filter(object_type="households.ExitStepRecord").latest("pk")
    assert event.reason == "邻居反映有外出务工收入未核实"
    # Acknowledged again, the publicity starts afresh from that day.
    exits.exit_step_complete(procedure=procedure, done_on=day + 2 * DAY, document=pdf(), user=alice)
    with pytest.raises(ValidationError, match=(day + 9 * DAY).isoformat()):
        exits.exit_step_complete(procedure=procedure, done_on=day + 8 * DAY, document=pdf(), user=alice)


def test_an_objection_needs_its_reason_and_a_publicity(alice, official, dongfeng_household, media):
    procedure = start(ready(dongfeng_household), alice)
    with pytest.raises(ValidationError, match="only while"):
        exits.exit_objection_record(procedure=procedure, done_on=START, reason="x", user=alice)
    day = walk(procedure, cadre=alice, official=official, until="publicity")
    with pytest.raises(ValidationError) as refused:
        exits.exit_objection_record(procedure=procedure, done_on=day, reason="  ", user=alice)
    assert "reason" in refused.value.error_dict
    assert not procedure.records.filter(outcome=Outcome.OBJECTION).exists()


# ---------------------------------------------------------------- dates


def test_publicity_cannot_end_before_its_days_and_names_the_day_it_may(alice, official, dongfeng_household, media):
    procedure = start(ready(dongfeng_household), alice)
    day = walk(procedure, cadre=alice, official=official, until="publicity")
    with pytest.raises(ValidationError, match=f"{(day + 7 * DAY).isoformat()} at the earliest"):
        exits.exit_step_complete(procedure=procedure, done_on=day + 6 * DAY, document=pdf(), user=alice)
    exits.exit_step_complete(procedure=procedure, done_on=day + 7 * DAY, document=pdf(), user=alice)
    assert step_code(procedure) == "town_review"


def test_publicity_days_are_counted_in_the_towns_dates_not_utc(alice, official, dongfeng_household, media):
    procedure = start(ready(dongfeng_household), alice, on=dt.date(2024, 2, 1))
    # Acknowledged on 3 March: the publicity may end on 10 March.
    for day in (2, 3, 3):  # appraisal, verification, acknowledgement
        exits.exit_step_complete(procedure=procedure, done_on=dt.date(2024, 3, day), document=pdf(), user=alice)
    # 17:30 UTC on 9 March is 01:30 on 10 March in Shanghai: the tenth has come there.
    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2024, 3, 9, 17, 30, tzinfo=dt.UTC)):
        exits.exit_step_complete(procedure=procedure, done_on=dt.date(2024, 3, 10), document=pdf(), user=alice)
    assert step_code(procedure) == "town_review"


def test_a_step_cannot_be_dated_in_the_future_before_the_start_or_before_the_previous_record(
    alice, dongfeng_household, media
):
    procedure = start(dongfeng_household, alice)
    for day, message in ((TODAY + DAY, "future"), (START - DAY, "before the procedure started")):
        with pytest.raises(ValidationError, match=message):
            exits.exit_step_complete(procedure=procedure, done_on=day, document=pdf(), user=alice)
    exits.exit_step_complete(procedure=procedure, done_on=START + 5 * DAY, document=pdf(), user=alice)
    with pytest.raises(ValidationError, match="before the previous record"):
        exits.exit_step_complete(procedure=procedure, done_on=START + 4 * DAY, user=alice)


# ---------------------------------------------------------------- what blocks a step


def test_a_step_that_checks_the_exit_standard_names_each_blocker(alice, dongfeng_household, media):
    assessed(dongfeng_household, housing_ok=False, housing_note="D级危房")
    procedure = start(dongfeng_household, alice)
    exits.exit_step_complete(procedure=procedure, done_on=START + DAY, document=pdf(), user=alice)
    with pytest.raises(ValidationError) as refused:
        exits.exit_step_complete(procedure=procedure, done_on=START + 2 * DAY, user=alice)
    messages = refused.value.messages
    assert "No income has been recorded." in messages
    assert any("Safe housing" in m or "housing" in m.lower() for m in messages)
    assert step_code(procedure) == "verification"


def test_a_step_that_needs_a_document_is_refused_without_one(alice, dongfeng_household):
    procedure = start(dongfeng_household, alice)
    with pytest.raises(ValidationError) as refused:
        exits.exit_step_complete(procedure=procedure, done_on=START + DAY, user=alice)
    assert "document" in refused.value.error_dict
    assert not ExitStepRecord.objects.exists()


# ---------------------------------------------------------------- who may record a step


def test_a_cadre_cannot_record_the_town_review_but_an_official_can(alice, official, dongfeng_household, media):
    procedure = start(ready(dongfeng_household), alice)
    day = walk(procedure, cadre=alice, official=official, until="town_review")
    with pytest.raises(PermissionDenied, match="Only the town or the county"):
        exits.exit_step_complete(procedure=procedure, done_on=day + DAY, user=alice)
    exits.exit_step_complete(procedure=procedure, done_on=day + DAY, user=official)
    assert step_code(procedure) == "county_approval"


def test_the_page_offers_a_cadre_no_town_step_and_refuses_a_forged_post(
    client, alice, official, dongfeng_household, media
):
    procedure = start(ready(dongfeng_household), alice)
    day = walk(procedure, cadre=alice, official=official, until="town_review")
    client.force_login(alice)
    page = client.get(dongfeng_household.get_absolute_url())
    assert page.context["exit"].waiting_on.code == "town_review"
    assert reverse("households:exit-step", args=[procedure.pk]) not in page.text
    forged = client.post(reverse("households:exit-step", args=[procedure.pk]), {"done_on": day + DAY})
    assert forged.status_code == 404
    assert step_code(procedure) == "town_review"


def test_a_cadre_of_another_village_cannot_record_a_step(bob, alice, dongfeng_household):
    procedure = start(dongfeng_household, alice)
    with pytest.raises(PermissionDenied):
        exits.exit_step_complete(procedure=procedure, done_on=START + DAY, document=pdf(), user=bob)


# ---------------------------------------------------------------- withdrawal


def test_a_withdrawal_needs_a_reason_and_ends_the_procedure(alice, dongfeng_household):
    procedure = start(dongfeng_household, alice)
    with pytest.raises(ValidationError):
        exits.exit_procedure_withdraw(procedure=procedure, on=START + DAY, reason="", user=alice)
    exits.exit_procedure_withdraw(procedure=procedure, on=START + DAY, reason="家中突发重病", user=alice)
    procedure.refresh_from_db()
    assert (procedure.state, procedure.ended_on, procedure.waiting_on) == ("withdrawn", START + DAY, None)
    start(dongfeng_household, alice)  # a new one may start


# ---------------------------------------------------------------- documents


def test_a_png_named_pdf_is_kept_as_a_png(settings):
    document = document_check(SimpleUploadedFile("告示.pdf", png_bytes(), "application/pdf"), max_bytes=10**6)
    assert (document.kind, document.content_type, document.name) == ("png", "image/png", "告示.pdf")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not an image at all", "is not a PDF, JPEG or PNG file"),
        (bomb_png(), "has too many pixels"),
        (png_bytes()[:-20], "damaged"),
    ],
    ids=["text claiming png", "decompression bomb", "truncated png"],
)
def test_a_document_is_judged_by_its_content(content, message):
    with pytest.raises(ValidationError, match=message):
        document_check(SimpleUploadedFile("photo.png", content, "image/png"), max_bytes=10**6)


def test_a_document_larger_than_the_setting_is_refused(english, alice, dongfeng_household, settings, media):
    client = english
    settings.EXIT_DOCUMENT_MAX_BYTES = 100
    procedure = start(dongfeng_household, alice)
    client.force_login(alice)
    upload = SimpleUploadedFile("纪要.pdf", PDF + b"x" * 200, "application/pdf")
    response = client.post(
        reverse("households:exit-step", args=[procedure.pk]), {"done_on": START + DAY, "document": upload}
    )
    assert response.status_code == 200
    assert "is larger than" in response.text
    assert not ExitStepRecord.objects.exists()


def test_a_step_recorded_from_its_page_keeps_the_document_served_only_in_scope(
    client, alice, bob, helper, dongfeng_household, media
):
    procedure = start(dongfeng_household, alice)
    client.force_login(alice)
    upload = SimpleUploadedFile("评议纪要.pdf", PDF, "image/png")  # the claimed type is ignored
    response = client.post(
        reverse("households:exit-step", args=[procedure.pk]),
        {"done_on": START + DAY, "note": "全票通过", "document": upload},
    )
    assert response.status_code == 302
    record = procedure.records.get()
    assert (record.document_name, record.document_type, record.note) == ("评议纪要.pdf", "application/pdf", "全票通过")
    url = reverse("households:exit-document", args=[record.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF
    client.force_login(bob)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- the household page


def test_the_household_page_says_what_the_step_waits_on_and_offers_what_the_user_may_do(
    english, alice, helper, dongfeng_household, media
):
    client = english
    client.force_login(alice)
    page = client.get(dongfeng_household.get_absolute_url())
    assert page.context["exit"].can_start
    assert reverse("households:exit-start", args=[dongfeng_household.pk]) in page.text
    response = client.post(
        reverse("households:exit-start", args=[dongfeng_household.pk]), {"year": 2020, "started_on": START}
    )
    assert response.status_code == 302
    procedure = ExitProcedure.objects.get()
    page = client.get(dongfeng_household.get_absolute_url())
    assert "Democratic appraisal by the villagers" in page.text
    assert reverse("households:exit-step", args=[procedure.pk]) in page.text
    assert reverse("households:exit-withdraw", args=[procedure.pk]) in page.text
    assert reverse("households:exit-objection", args=[procedure.pk]) not in page.text  # no publicity yet


def test_the_household_page_costs_the_same_with_a_procedure(
    client, alice, official, dongfeng_household, media, django_assert_num_queries
):
    from households.tests.test_views import DETAIL_PAGE_QUERIES

    procedure = start(ready(dongfeng_household), alice)
    walk(procedure, cadre=alice, official=official, until="town_review")
    client.force_login(alice)
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):  # see test_views: 22-24 are the exit section's
        response = client.get(dongfeng_household.get_absolute_url())
    panel = response.context["exit"]
    assert [r.step.code for r in panel.records] == ["appraisal", "verification", "acknowledgement", "publicity"]
    assert [s.code for s in panel.remaining] == ["county_approval", "announcement"]


def test_the_status_page_no_longer_offers_exited_monitored_or_ordinary(dongfeng_household):
    offered = {value for value, _label in StatusChangeForm(household=dongfeng_household).fields["to_status"].choices}
    assert offered == {HouseholdStatus.CLOSED}


# ---------------------------------------------------------------- the register


@pytest.fixture
def register(alice, bob, official, dongfeng, hongqi, media):
    """Three households of 东风村 in the procedure (one in publicity), one of 红旗村."""
    households = []
    for name in ("张大山", "李二河", "王三"):
        household = ready(HouseholdFactory(village=dongfeng, head__name=name))
        households.append(household)
        start(household, alice)
    walk(ExitProcedure.objects.get(household=households[0]), cadre=alice, official=official, until="publicity")
    start(HouseholdFactory(village=hongqi, head__name="赵四"), bob)
    return households


def test_the_register_lists_open_procedures_in_scope_in_fixed_queries(
    client, alice, register, django_assert_num_queries
):
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 count, 5 the page of procedures with household, village, group,
    # step and head's name, 6 villages with a publicity (notice buttons), 7 the village filter's choices,
    # 8 the step filter's choices
    with django_assert_num_queries(8):
        response = client.get(reverse("households:exits"))
    rows = response.context["page"].object_list
    assert sorted(row.procedure.head_name for row in rows) == ["张大山", "李二河", "王三"]
    publicised = next(row for row in rows if row.procedure.head_name == "张大山")
    assert publicised.publicity_ends == publicised.procedure.since + 7 * DAY
    assert "赵四" not in response.text
    assert [v.name for v in response.context["notices"]] == ["东风村"]


def test_the_register_filters_by_step_and_exports_in_scope(client, official, register):
    client.force_login(official)
    publicity = ExitStep.objects.get(code="publicity")
    response = client.get(reverse("households:exits"), {"step": publicity.pk})
    assert [row.procedure.head_name for row in response.context["page"].object_list] == ["张大山"]
    export = client.get(reverse("households:exits"), {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.LIST_EXPORTED).count() == 1


def test_a_helper_and_an_outsider_see_an_empty_register(client, helper, charlie, register):
    for user in (helper, charlie):
        client.force_login(user)
        assert list(client.get(reverse("households:exits")).context["page"].object_list) == []


# ---------------------------------------------------------------- the publicity notice


def test_the_publicity_notice_is_one_chinese_page_naming_the_households_in_publicity(client, alice, register):
    from pypdf import PdfReader

    MemberFactory(household=register[0])
    client.force_login(alice)
    response = client.get(reverse("households:exit-notice", args=[register[0].village_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "东风村" in text
    assert "张大山" in text
    assert "李二河" not in text  # not in publicity
    assert register[0].members.first().id_number not in text
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.LIST_EXPORTED)
    assert event.detail["list"] == "exit-publicity-notice"


def test_a_cadre_of_another_village_and_a_helper_cannot_print_the_notice(client, bob, helper, register):
    url = reverse("households:exit-notice", args=[register[0].village_id])
    for user in (bob, helper):
        client.force_login(user)
        assert client.get(url).status_code == 404
