"""`manage.py import_roster FILE [--dry-run] [--sheet NAME] [--user USERNAME]`: output and exit code."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Role
from households.models import Household, ImportBatch, Member
from households.tests import roster_workbooks as rw
from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root_and_english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def roster_file(tmp_path, data: bytes, name="roster.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(*args) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("import_roster", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + f"\n{error}", error.returncode
    return out.getvalue(), 0


def test_a_good_roster_is_applied_and_its_counts_printed(tmp_path, dongfeng):
    admin = UserFactory(username="admin", role=Role.ADMIN)
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household() + rw.household())), "--user", "admin")
    batch = ImportBatch.objects.get()
    assert code == 0
    assert "Households: created 2, updated 0, unchanged 0." in output
    assert "Members: created 6, updated 0, unchanged 0." in output
    assert f"Applied as import {batch.pk}." in output
    assert (batch.status, batch.uploaded_by, batch.confirmed_by) == ("applied", admin, admin)
    assert Member.objects.count() == 6


def test_running_it_again_changes_nothing_and_says_so(tmp_path, dongfeng):
    path = roster_file(tmp_path, rw.workbook(rw.household()))
    run(path)
    output, code = run(path)
    assert code == 0
    assert "This very file was already uploaded on" in output
    assert "Households: created 0, updated 0, unchanged 1." in output
    assert "Nothing to change: the registry already matches this roster" in output


def test_errors_are_listed_by_row_and_column_and_the_exit_code_is_1_with_nothing_changed(tmp_path, dongfeng):
    rows = rw.household() + rw.household(members=[rw.person(relation="儿子", work_months=13)])
    output, code = run(roster_file(tmp_path, rw.workbook(rows)))
    assert code == 1
    assert "row 5, column F (与户主关系): “儿子” is not one of the accepted values" in output
    assert "row 5, column P (务工时间（月）): 13 is outside 0-12." in output
    assert "3 errors: nothing was changed" in output
    assert not Household.objects.exists()
    assert ImportBatch.objects.get().status == "invalid"


def test_members_missing_from_their_household_are_listed(tmp_path, dongfeng):
    rows = rw.household()
    run(roster_file(tmp_path, rw.workbook(rows), "full.xlsx"))
    output, code = run(roster_file(tmp_path, rw.workbook(rows[:1]), "short.xlsx"))
    assert code == 0
    assert "Members missing from their household (kept): 2" in output
    assert Member.objects.count() == 3


def test_a_dry_run_checks_and_writes_nothing_not_even_a_batch(tmp_path, dongfeng):
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household())), "--dry-run")
    assert code == 0
    assert "Households: created 1, updated 0, unchanged 0." in output
    assert "Dry run: no errors; nothing was written." in output
    assert not ImportBatch.objects.exists()
    assert not Household.objects.exists()


def test_a_dry_run_with_errors_exits_with_1(tmp_path, dongfeng):
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household("西风村"))), "--dry-run")
    assert code == 1
    assert "row 2, column A (行政村): There is no village named “西风村” in any town." in output
    assert not ImportBatch.objects.exists()


def test_a_named_sheet_is_read(tmp_path, dongfeng):
    data = rw.workbook(rw.household(), sheet_title="名单", prepare=lambda book: book.create_sheet("说明", 0))
    assert run(roster_file(tmp_path, data), "--sheet", "名单")[1] == 0
    output, code = run(roster_file(tmp_path, data, "b.xlsx"), "--sheet", "别的")
    assert code == 1
    assert "no worksheet named “别的”" in output


def test_a_file_that_is_no_workbook_exits_with_1(tmp_path):
    output, code = run(roster_file(tmp_path, b"name,id\n"))
    assert code == 1
    assert "This is not an Excel workbook (.xlsx)" in output


def test_the_user_must_be_an_administrator(tmp_path, alice, dongfeng):
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household())), "--user", "alice")
    assert code == 1
    assert "alice is not an administrator." in output
    assert not ImportBatch.objects.exists()


def test_villages_are_looked_up_in_the_town_of_the_user(tmp_path, dongfeng, town):
    from households.tests.factories import TownFactory, VillageFactory

    other = TownFactory(name="别镇", code="999")
    VillageFactory(town=other, name="南山村")
    UserFactory(username="admin", role=Role.ADMIN, town=town)
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household("南山村"))), "--user", "admin")
    assert code == 1
    assert "There is no village named “南山村” in 固镇." in output


def many_errors() -> bytes:
    """8 households whose heads all work 13 months: 8 errors."""
    return rw.workbook([row for _ in range(8) for row in rw.household(members=[rw.person(work_months=13)])])


def test_past_roster_max_issues_the_rest_are_counted_and_said_not_listed(tmp_path, dongfeng, settings):
    settings.ROSTER_MAX_ISSUES = 5
    output, code = run(roster_file(tmp_path, many_errors()))
    assert code == 1
    assert output.count("is outside 0-12.") == 5
    assert "…and 3 more errors not listed." in output
    assert "8 errors: nothing was changed" in output
    assert ImportBatch.objects.get().issues.count() == 5


def test_a_dry_run_says_how_many_errors_are_not_listed_too(tmp_path, dongfeng, settings):
    settings.ROSTER_MAX_ISSUES = 5
    output, code = run(roster_file(tmp_path, many_errors()), "--dry-run")
    assert code == 1
    assert output.count("is outside 0-12.") == 5
    assert "…and 3 more errors not listed." in output
    assert "Dry run: 8 errors." in output


def test_a_hostile_file_is_refused_with_a_plain_message(tmp_path, dongfeng):
    xxe = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    output, code = run(roster_file(tmp_path, rw.with_sheet(rw.workbook(rw.household()), lambda xml: xxe + xml)))
    assert code == 1
    assert "The workbook was refused: it contains XML declarations (a DTD or entities)" in output
    assert "/etc/passwd" not in output
    assert "Forbidden" not in output


def test_a_failure_of_the_application_prints_the_import_number_not_the_exception(tmp_path, dongfeng, monkeypatch):
    from households.roster import apply as roster_apply

    def broken(*args, **kwargs):
        raise RuntimeError("disk full at /srv/townaid/media")

    monkeypatch.setattr(roster_apply, "_record_history", broken)
    output, code = run(roster_file(tmp_path, rw.workbook(rw.household())))
    batch = ImportBatch.objects.get()
    assert code == 1
    assert f"Import {batch.pk} failed because of a fault in the application, not in the file" in output
    assert "disk full" not in output
    assert "/srv/" not in output
