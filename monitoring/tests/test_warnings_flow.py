"""A department's warning list from upload to candidates: matched, previewed, applied whole or not at all, once."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from households.choices import MonitoringRisk
from households.tests.factories import HouseholdFactory, MemberFactory, TownFactory, UserFactory
from households.tests.factories import valid_id_number as fresh_id
from monitoring import services
from monitoring.models import CaseState, Department, DepartmentWarning, MonitoringCase, Origin, WarningUpload
from monitoring.tests.warning_lists import row, uploaded, workbook
from monitoring.warnings import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(db):
    return UserFactory(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def other_official(db):
    """An official of another town (TownFactory gets or creates by code: this one has its own)."""
    return UserFactory(username="official2", role=Role.OFFICIAL, town=TownFactory(name="新马桥镇", code="340321002"))


def id_ending_in_x() -> str:
    while not (number := fresh_id()).endswith("X"):
        pass
    return number


@pytest.fixture
def wang(dongfeng):
    """王建国 of a 东风村 household, whose ID number ends in an upper-case X in the registry."""
    household = HouseholdFactory(village=dongfeng, head=False)
    return MemberFactory(household=household, name="王建国", relation="head", id_number=id_ending_in_x())


@pytest.fixture
def li(hongqi):
    household = HouseholdFactory(village=hongqi, head=False)
    return MemberFactory(household=household, name="李秀英", relation="head")


def upload_list(client, user, rows, department=Department.HEALTH_INSURANCE):
    client.force_login(user)
    response = client.post(reverse("monitoring:warnings"), {"department": department, "file": uploaded(workbook(rows))})
    assert response.status_code == 302, response.context["form"].errors
    return WarningUpload.objects.latest("pk")


def apply(client, upload):
    return client.post(reverse("monitoring:warning-apply", args=[upload.pk]), follow=True)


# ---------------------------------------------------------------- matching and the preview


def test_a_lower_case_x_in_the_list_matches_the_upper_case_x_in_the_registry(client, official, wang):
    upload = upload_list(client, official, [row(wang.id_number.lower(), name="王建国")])
    assert upload.status == WarningUpload.Status.READY
    assert upload.counts["matched"] == 1
    page = client.get(upload.get_absolute_url())
    content = page.content.decode()
    assert wang.masked_id_number in content
    assert wang.id_number not in content
    assert wang.household.number in content


def test_rows_matching_nobody_are_listed_as_not_found(client, official, wang):
    stranger = fresh_id()
    upload = upload_list(client, official, [row(wang.id_number), row(stranger, name="赵六")])
    page = client.get(upload.get_absolute_url())
    assert page.context["counts"] | {} == {
        "rows": 2,
        "matched": 1,
        "unmatched": 1,
        "received": 0,
        "candidates": 1,
        "attached": 0,
        "name_differs": 1,  # the list's default name is not 王建国's
    }
    (unmatched,) = page.context["unmatched"]
    assert (unmatched.row.row, unmatched.row.name, unmatched.masked_id) == (
        3,
        "赵六",
        stranger[:6] + "********" + stranger[-4:],
    )


def test_a_name_that_differs_from_the_registry_is_flagged_but_not_an_error(client, official, wang):
    upload = upload_list(client, official, [row(wang.id_number, name="王建军")])
    page = client.get(upload.get_absolute_url())
    assert upload.status == WarningUpload.Status.READY
    assert "王建军" in page.content.decode()
    (match,) = page.context["matched"]
    assert match.name_differs


def test_an_official_of_another_town_sees_this_towns_ids_as_not_found(client, other_official, wang):
    upload = upload_list(client, other_official, [row(wang.id_number, name="王建国")])
    page = client.get(upload.get_absolute_url())
    assert page.context["counts"]["unmatched"] == 1
    assert page.context["counts"]["matched"] == 0
    assert wang.household.number not in page.content.decode()
    apply(client, upload)
    assert not DepartmentWarning.objects.exists()
    assert not MonitoringCase.objects.exists()


# ---------------------------------------------------------------- applying


def test_applying_makes_one_candidate_per_household_with_the_departments_risk(client, official, wang, li):
    rows = [
        row(wang.id_number, name="王建国", kind="住院自付费用高", amount=35000, date=dt.date(2024, 5, 1)),
        row(wang.id_number, name="王建国", kind="门诊慢特病", amount=4200, date=dt.date(2024, 6, 1)),
        row(li.id_number, name="李秀英", kind="住院自付费用高", amount=18000, date=dt.date(2024, 5, 3)),
    ]
    upload = upload_list(client, official, rows)
    apply(client, upload)
    upload.refresh_from_db()
    assert upload.status == WarningUpload.Status.APPLIED
    assert (upload.counts["created"], upload.counts["cases"]) == (3, 2)
    case = MonitoringCase.objects.get(household=wang.household)
    assert (case.origin, case.state, case.risks) == (Origin.DEPARTMENT, CaseState.CANDIDATE, [MonitoringRisk.ILLNESS])
    assert case.reported_on == timezone.localdate()
    assert "门诊慢特病" in case.description
    assert "35,000" in case.description
    assert set(case.warnings.values_list("kind", flat=True)) == {"住院自付费用高", "门诊慢特病"}
    warning = case.warnings.get(kind="门诊慢特病")
    assert (warning.member, warning.amount, warning.warned_on, warning.upload) == (
        wang,
        4200,
        dt.date(2024, 6, 1),
        upload,
    )
    events = AuditEvent.objects.filter(via=AuditEvent.Via.IMPORT)
    assert events.filter(object_type="monitoring.DepartmentWarning").count() == 3
    assert events.filter(object_type="monitoring.MonitoringCase").count() == 2
    assert events.filter(object_type="monitoring.WarningUpload", action=AuditEvent.Action.CHANGED).count() == 1


@pytest.mark.parametrize(
    ("department", "risk"),
    [
        (Department.DISABILITY, MonitoringRisk.DISABILITY),
        (Department.EMERGENCY, MonitoringRisk.DISASTER),
        (Department.EDUCATION, MonitoringRisk.SCHOOLING),
        (Department.HOUSING, MonitoringRisk.HOUSING),
        (Department.HUMAN_RESOURCES, MonitoringRisk.LOST_WORK),
        (Department.CIVIL_AFFAIRS, MonitoringRisk.OTHER),
        (Department.OTHER, MonitoringRisk.OTHER),
    ],
)
def test_each_department_points_to_its_risk(client, admin, wang, department, risk):
    apply(client, upload_list(client, admin, [row(wang.id_number)], department=department))
    assert MonitoringCase.objects.get().risks == [risk]


def test_the_same_list_twice_creates_nothing_new_and_the_second_preview_says_so(client, official, wang, li):
    rows = [row(wang.id_number), row(li.id_number)]
    apply(client, upload_list(client, official, rows))
    assert (DepartmentWarning.objects.count(), MonitoringCase.objects.count()) == (2, 2)

    again = upload_list(client, official, rows)
    page = client.get(again.get_absolute_url())
    assert page.context["nothing_to_apply"]
    assert page.context["counts"]["received"] == 2
    assert page.context["counts"]["candidates"] == 0
    assert {match.outcome for match in page.context["matched"]} == {Outcome.RECEIVED}
    apply(client, again)
    again.refresh_from_db()
    assert (again.status, again.counts["created"], again.counts["cases"]) == (WarningUpload.Status.APPLIED, 0, 0)
    assert (DepartmentWarning.objects.count(), MonitoringCase.objects.count()) == (2, 2)


def test_applying_the_same_upload_twice_is_refused_and_changes_nothing(client, official, wang):
    upload = upload_list(client, official, [row(wang.id_number)])
    apply(client, upload)
    page = apply(client, upload)
    upload.refresh_from_db()
    assert upload.get_status_display() in str(next(iter(page.context["messages"])))
    assert (DepartmentWarning.objects.count(), MonitoringCase.objects.count()) == (1, 1)


def test_a_household_with_an_open_case_gets_the_warning_attached_and_no_second_case(client, official, wang):
    case = services.case_report(
        household=wang.household,
        origin=Origin.CADRE,
        risks=[MonitoringRisk.ACCIDENT],
        description="摔伤",
        reported_on=timezone.localdate(),
        user=official,
    )
    upload = upload_list(client, official, [row(wang.id_number)])
    page = client.get(upload.get_absolute_url())
    assert page.context["counts"]["attached"] == 1
    assert page.context["counts"]["candidates"] == 0
    apply(client, upload)
    assert MonitoringCase.objects.get() == case
    assert DepartmentWarning.objects.get().case == case


def test_one_bad_row_stores_nothing_and_every_error_is_listed(client, official, wang):
    rows = [row(wang.id_number), row("12345", amount=-1), row(wang.id_number, kind="", date="明天")]
    upload = upload_list(client, official, rows)
    assert upload.status == WarningUpload.Status.INVALID
    client.cookies["django_language"] = "en"
    page = client.get(upload.get_absolute_url())
    assert "nothing was applied. Fix the file and upload it again" in page.content.decode()
    assert [(e.row, e.header, e.code) for e in page.context["errors"]] == [
        (3, "身份证号", "id_invalid"),
        (3, "金额", "amount_range"),
        (4, "预警类型", "required"),
        (4, "日期", "bad_date"),
    ]
    apply(client, upload)
    assert not DepartmentWarning.objects.exists()
    assert not MonitoringCase.objects.exists()
    upload.refresh_from_db()
    assert upload.status == WarningUpload.Status.INVALID


def test_the_errors_download_marks_the_bad_cells(client, official):
    upload = upload_list(client, official, [row("12345")])
    response = client.get(reverse("monitoring:warning-errors", args=[upload.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_failure_mid_apply_leaves_nothing(client, official, wang, li, monkeypatch):
    upload = upload_list(client, official, [row(wang.id_number), row(li.id_number)])
    real, calls = services.case_report, []

    def second_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "case_report", second_fails)
    with pytest.raises(RuntimeError):
        services.warning_upload_apply(upload=upload, user=official)
    assert len(calls) == 2
    assert not MonitoringCase.objects.exists()
    assert not DepartmentWarning.objects.exists()
    upload.refresh_from_db()
    assert upload.status == WarningUpload.Status.READY


def test_a_case_refused_by_the_register_is_named_and_nothing_is_applied(official, wang, li):
    upload = services.warning_upload_receive(
        file=uploaded(workbook([row(wang.id_number), row(li.id_number)])),
        original_name="名单.xlsx",
        department=Department.EDUCATION,
        user=official,
    )
    li.household.registered_on = timezone.localdate() + dt.timedelta(days=1)
    li.household.save()
    with pytest.raises(ValidationError) as caught:
        services.warning_upload_apply(upload=upload, user=official)
    assert li.household.number in caught.value.messages[0]
    assert not MonitoringCase.objects.exists()


# ---------------------------------------------------------------- the upload page


def test_a_file_that_is_no_workbook_is_refused_on_the_form_and_nothing_is_stored(client, official):
    client.force_login(official)
    csv = uploaded("身份证号,姓名\n1,2\n".encode(), name="名单.xlsx")
    page = client.post(reverse("monitoring:warnings"), {"department": Department.HOUSING, "file": csv})
    assert page.status_code == 200
    assert page.context["form"].errors["file"]
    assert not WarningUpload.objects.exists()


def test_a_file_over_the_size_setting_is_refused_on_the_form(client, official, wang, settings):
    settings.WARNING_LIST_MAX_BYTES = 100
    client.force_login(official)
    page = client.post(
        reverse("monitoring:warnings"),
        {"department": Department.HOUSING, "file": uploaded(workbook([row(wang.id_number)]))},
    )
    assert page.context["form"].errors["file"]
    assert not WarningUpload.objects.exists()


def test_the_template_download_is_a_workbook(client, official):
    client.force_login(official)
    response = client.get(reverse("monitoring:warning-template"))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


# ---------------------------------------------------------------- who


@pytest.mark.parametrize("name", ["alice", "bob", "helper", "charlie"])
def test_cadres_responsible_persons_and_users_without_a_role_get_404_on_every_page(
    client, request, official, wang, name
):
    upload = upload_list(client, official, [row(wang.id_number)])
    client.force_login(request.getfixturevalue(name))
    for url in (
        reverse("monitoring:warnings"),
        reverse("monitoring:warning-template"),
        upload.get_absolute_url(),
        reverse("monitoring:warning-errors", args=[upload.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("monitoring:warning-apply", args=[upload.pk])).status_code == 404
    assert "monitoring/warnings/" not in client.get(reverse("households:list")).content.decode()


def test_an_official_sees_only_their_own_uploads_and_an_administrator_all(
    client, official, other_official, admin, wang
):
    own = upload_list(client, official, [row(wang.id_number)])
    other = upload_list(client, other_official, [row(wang.id_number)])
    client.force_login(official)
    assert list(client.get(reverse("monitoring:warnings")).context["recent"]) == [own]
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.post(reverse("monitoring:warning-apply", args=[other.pk])).status_code == 404
    client.force_login(admin)
    assert list(client.get(reverse("monitoring:warnings")).context["recent"]) == [other, own]
    assert client.get(other.get_absolute_url()).status_code == 200


def test_officials_and_administrators_have_the_menu_link(client, official):
    client.force_login(official)
    assert reverse("monitoring:warnings") in client.get(reverse("households:list")).content.decode()


def test_the_preview_page_costs_a_fixed_number_of_queries(client, official, wang, li, django_assert_num_queries):
    rows = [row(wang.id_number), row(li.id_number), row(fresh_id())]
    upload = upload_list(client, official, rows)
    # session, user, the upload (with its uploader), the members matched (with household and village),
    # the warnings already received, the open cases of the households matched
    with django_assert_num_queries(6):
        page = client.get(upload.get_absolute_url())
    assert page.context["counts"]["matched"] == 2
