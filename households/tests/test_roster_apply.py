"""Applying a checked roster: all or nothing, idempotent, exact updates, history attributed to the batch."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from households import idnumbers, summaries
from households.choices import Education, HouseholdStatus, MonitorKind, Relation
from households.models import Household, HouseholdImport, ImportBatch, Member, StatusChange, VillagerGroup
from households.roster import apply as roster_apply
from households.roster import batches
from households.tests import roster_workbooks as rw
from households.tests.factories import HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


def import_file(data: bytes, user) -> ImportBatch:
    """Upload, check and (when there is no error) confirm, as the command does."""
    batch = batches.batch_receive(upload=ContentFile(data, name="roster.xlsx"), original_name="花名册.xlsx", user=user)
    batches.batch_start(batch, allow_background=False)
    if batch.status == Status.READY:
        batches.batch_confirm(batch, user=user)
    batch.refresh_from_db()
    return batch


def test_a_file_with_one_bad_row_changes_nothing(dongfeng, admin):
    bad = rw.household(members=[rw.person(), rw.person("配偶", work_months=13, gender=idnumbers.FEMALE)])
    batch = import_file(rw.workbook([*rw.household(), *rw.household(), *bad]), admin)
    assert (batch.status, batch.error_count) == (Status.INVALID, 1)
    assert not Household.objects.exists()
    assert not Member.objects.exists()
    assert not VillagerGroup.objects.exists()


def test_a_new_roster_creates_its_households_and_members_with_their_values(dongfeng, admin):
    rows = rw.household(identified_year=2015, phone="139 0000 1111", other_causes="缺资金、缺技术")
    disabled = rw.person(health="残疾", disability_grade="二级")
    rows += rw.household(group="第二组", exit_year=2019, identified_year=None, members=[disabled])
    batch = import_file(rw.workbook(rows), admin)

    assert batch.status == Status.APPLIED
    assert batch.counts["households"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert batch.counts["members"] == {"created": 4, "updated": 0, "unchanged": 0}
    first, second = Household.objects.order_by("pk")
    assert (first.number, first.village, first.group.name, first.phone) == (
        rows[0]["number"],
        dongfeng,
        "第一组",
        "139 0000 1111",
    )
    assert (first.status, first.registered_on, first.other_causes) == (
        "unexited",
        dt.date(2015, 1, 1),
        ["funds", "skills"],
    )
    assert (second.status, second.exit_year, second.registered_on) == ("exited", 2019, timezone.localdate())
    assert set(VillagerGroup.objects.values_list("village__name", "name")) == {
        ("东风村", "第一组"),
        ("东风村", "第二组"),
    }
    son = first.members.get(relation=Relation.SON)
    assert (son.education, son.student_status, son.work_ability) == (Education.SENIOR, "senior", "none")
    assert second.members.get().disability_grade == 2
    assert first.members.get(relation=Relation.HEAD).id_number == rows[0]["id_number"]


def test_households_created_by_an_import_are_registered_by_that_batch_in_their_history(dongfeng, admin):
    batch = import_file(rw.workbook(rw.household(exit_year=2018)), admin)
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status, change.import_batch, change.changed_by) == (
        "",
        "exited",
        batch,
        admin,
    )
    assert str(batch.pk) in change.reason
    entry = HouseholdImport.objects.get()
    assert (entry.batch, entry.action, entry.members_created) == (batch, "created", 3)


def test_importing_the_same_roster_again_changes_nothing_and_says_so(dongfeng, admin):
    data = rw.workbook(rw.household() + rw.household())
    first = import_file(data, admin)
    history = StatusChange.objects.count(), HouseholdImport.objects.count()
    stamps = dict(Household.objects.values_list("pk", "updated_at"))

    again = import_file(data, admin)

    assert again.status == Status.UNCHANGED
    assert again.counts["households"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert again.counts["members"] == {"created": 0, "updated": 0, "unchanged": 6}
    assert (StatusChange.objects.count(), HouseholdImport.objects.count()) == history
    assert dict(Household.objects.values_list("pk", "updated_at")) == stamps
    assert batches.earlier_upload(again) == first


def test_a_changed_roster_updates_exactly_what_changed(dongfeng, admin):
    first_rows, second_rows = rw.household(), rw.household()
    import_file(rw.workbook(first_rows + second_rows), admin)
    untouched = Household.objects.get(number=second_rows[0]["number"])
    newcomer = rw.person("之女", born=dt.date(2010, 1, 1), gender=idnumbers.FEMALE, student_status="小学")
    changed_rows = [{**row, "phone": "0552-7654321"} for row in first_rows]
    changed_rows[2] = {**changed_rows[2], "education": "大专及以上", "student_status": None}
    changed_rows.append({**changed_rows[0], **newcomer})

    batch = import_file(rw.workbook(changed_rows + second_rows), admin)

    assert batch.status == Status.APPLIED
    assert batch.counts["households"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert batch.counts["members"] == {"created": 1, "updated": 1, "unchanged": 5}
    household = Household.objects.get(number=first_rows[0]["number"])
    assert household.phone == "0552-7654321"
    son = household.members.get(id_number=first_rows[2]["id_number"])
    assert (son.education, son.student_status) == (Education.COLLEGE, "")
    assert household.members.count() == 4
    entry = HouseholdImport.objects.get(batch=batch)
    assert (entry.household, entry.changed_fields, entry.members_created, entry.members_updated) == (
        household,
        ["phone"],
        1,
        1,
    )
    assert Household.objects.get(pk=untouched.pk).updated_at == untouched.updated_at


def test_a_member_missing_from_the_file_is_reported_and_kept(dongfeng, admin):
    rows = rw.household()
    import_file(rw.workbook(rows), admin)
    batch = import_file(rw.workbook(rows[:2]), admin)

    assert batch.status == Status.UNCHANGED
    warning = batch.issues.get()
    assert (warning.severity, warning.code, warning.row) == ("warning", "member_missing", None)
    assert warning.params["id"] == idnumbers.mask(rows[2]["id_number"])
    assert batch.counts["missing_members"] == 1
    assert Member.objects.filter(id_number=rows[2]["id_number"]).exists()


def test_the_head_may_change_between_two_members_of_the_file(dongfeng, admin):
    rows = rw.household()
    import_file(rw.workbook(rows), admin)
    rows[0]["relation"], rows[1]["relation"] = "配偶", "户主"
    batch = import_file(rw.workbook(rows), admin)
    assert batch.status == Status.APPLIED
    head = Member.objects.get(relation=Relation.HEAD)
    assert head.id_number == rows[1]["id_number"]


def test_a_new_head_while_the_registrys_head_is_left_out_is_an_error(dongfeng, admin):
    rows = rw.household()
    import_file(rw.workbook(rows), admin)
    batch = import_file(rw.workbook([{**rows[1], "relation": "户主"}, rows[2]]), admin)
    assert batch.status == Status.INVALID
    assert "head_not_in_file" in set(batch.issues.values_list("code", flat=True))
    assert Member.objects.get(relation=Relation.HEAD).id_number == rows[0]["id_number"]


def test_an_exit_year_marks_an_unexited_household_exited_and_its_removal_brings_it_back(dongfeng, admin):
    rows = rw.household()
    import_file(rw.workbook(rows), admin)
    exited = import_file(rw.workbook([{**row, "exit_year": 2019} for row in rows]), admin)
    household = Household.objects.get()
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, 2019)
    change = household.status_changes.get(import_batch=exited)
    assert (change.from_status, change.to_status, change.changed_by) == ("unexited", "exited", admin)

    back = import_file(rw.workbook(rows), admin)
    household.refresh_from_db()
    assert (household.status, household.exit_year) == (HouseholdStatus.UNEXITED, None)
    assert household.status_changes.get(import_batch=back).to_status == "unexited"


def test_a_monitored_household_keeps_its_status(dongfeng, admin):
    household = HouseholdFactory(
        village=dongfeng,
        status=HouseholdStatus.MONITORED,
        monitor_kind=MonitorKind.UNSTABLE,
        exit_year=2017,
        head=False,
    )
    head = MemberFactory(household=household, relation=Relation.HEAD)
    rows = rw.household(number=household.number, exit_year=2018, members=[rw.person(id_number=head.id_number)])
    batch = import_file(rw.workbook(rows), admin)
    household.refresh_from_db()
    assert batch.status == Status.APPLIED
    assert (household.status, household.monitor_kind, household.exit_year) == ("monitored", "unstable", 2018)
    assert not household.status_changes.exists()


def test_an_applied_batch_is_never_applied_again(dongfeng, admin):
    batch = import_file(rw.workbook(rw.household()), admin)
    batches.batch_apply(batch)
    batch.status = Status.APPLYING  # as a redelivered job would find it, had it not been marked applied
    batches.batch_apply(batch)
    assert Household.objects.count() == 1
    assert StatusChange.objects.count() == 1


def test_a_clash_that_appears_between_the_check_and_the_confirmation_stops_the_import(dongfeng, admin):
    rows = rw.household()
    batch = batches.batch_receive(
        upload=ContentFile(rw.workbook(rows), name="r.xlsx"), original_name="r.xlsx", user=admin
    )
    batches.batch_start(batch, allow_background=False)
    assert batch.status == Status.READY
    MemberFactory(household=HouseholdFactory(village=dongfeng, head=False), id_number=rows[1]["id_number"])

    batches.batch_confirm(batch, user=admin)

    assert batch.status == Status.INVALID
    assert list(batch.issues.values_list("code", flat=True)) == ["id_in_other_household"]
    assert Household.objects.count() == 1  # only the one made above


def test_a_database_failure_while_applying_undoes_everything(dongfeng, admin, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster_apply, "_record_history", broken)
    batch = import_file(rw.workbook(rw.household()), admin)
    assert batch.status == Status.FAILED
    assert not Household.objects.exists()
    assert not VillagerGroup.objects.exists()
    assert "disk full" in caplog.text  # for the operators, with its traceback
    with translation.override("en"):
        message = batches.failure_message(batch)
    assert message.startswith(f"Import {batch.pk} failed because of a fault in the application, not in the file;")
    assert "disk full" not in message
    assert "disk full" not in batch.failure


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_failed_check_shows_a_generic_message_and_the_import_number_never_the_exception_or_a_path(
    client, dongfeng, admin, settings, caplog, language
):
    batch = batches.batch_receive(
        upload=ContentFile(rw.workbook(rw.household()), name="roster.xlsx"), original_name="花名册.xlsx", user=admin
    )
    stored = Path(batch.file.path)
    stored.unlink()  # gone from the disk between the upload and the check
    batches.batch_validate(batch)
    assert batch.status == Status.FAILED
    assert str(stored) in caplog.text  # the operators learn which file went missing
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("households:import-detail", args=[batch.pk])).text
    with translation.override(language):
        assert batches.failure_message(batch) in page
        assert str(batch.pk) in batches.failure_message(batch)
    for leak in (str(settings.MEDIA_ROOT), "rosters/", "FileNotFoundError", "No such file", batch.failure):
        assert leak not in page


def test_the_household_page_shows_the_batch_that_imported_and_updated_it(client, dongfeng, admin):
    rows = rw.household()
    created = import_file(rw.workbook(rows), admin)
    updated = import_file(rw.workbook([{**row, "phone": "110"} for row in rows]), admin)
    household = Household.objects.get()
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("households:detail", args=[household.pk])).text
    assert f"Imported by roster import {created.pk} on" in page
    assert f"Updated by roster import {updated.pk} on" in page
    assert f"roster import {created.pk}</div>" in page  # the status history's registration


def test_an_import_keeps_the_dashboard_figures_of_the_households_it_writes(dongfeng, admin):
    first_rows, second_rows = rw.household(), rw.household()
    import_file(rw.workbook(first_rows + second_rows), admin)
    assert Household.objects.get(number=first_rows[0]["number"]).people_count == 3
    newcomer = rw.person("之女", born=dt.date(2010, 1, 1), gender=idnumbers.FEMALE, student_status="小学")

    import_file(rw.workbook([*first_rows, {**first_rows[0], **newcomer}, *second_rows]), admin)

    assert Household.objects.get(number=first_rows[0]["number"]).people_count == 4
    assert not summaries.stale().exists()
