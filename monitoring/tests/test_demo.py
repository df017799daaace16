"""The demo town's monitoring register agrees with its status history, and today's cases show every state."""

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from assistance.models import Measure
from households import idnumbers
from households.choices import HouseholdStatus, MonitorKind
from households.models import Household, Member, StatusChange
from monitoring import warnings as warning_lists
from monitoring.demo import COLUMNS
from monitoring.models import (
    HELPED_STATES,
    IDENTIFYING_STATES,
    OPEN_STATES,
    CaseState,
    Department,
    DepartmentWarning,
    MonitoringCase,
    MonitoringLine,
    Origin,
)
from monitoring.services import removal_blockers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]

MONITORED, EXITED, GENERAL = HouseholdStatus.MONITORED, HouseholdStatus.EXITED, HouseholdStatus.GENERAL


def history() -> dict[int, list[StatusChange]]:
    changes = defaultdict(list)
    for change in StatusChange.objects.order_by("changed_on", "pk"):
        changes[change.household_id].append(change)
    return changes


def test_there_is_a_monitoring_line_for_every_year_from_2021_to_this_one():
    years = set(MonitoringLine.objects.values_list("year", flat=True))
    assert set(range(2021, timezone.localdate().year + 1)) <= years
    lines = MonitoringLine.objects.in_bulk(field_name="year")
    assert all(lines[year].income_line < lines[year + 1].income_line for year in range(2021, max(lines)))


def test_every_monitored_household_has_exactly_one_open_identified_case():
    for household in Household.objects.filter(status=MONITORED):
        cases = MonitoringCase.objects.filter(household=household, state__in=OPEN_STATES)
        assert [case.state in HELPED_STATES for case in cases] == [True], household


def test_every_change_to_monitored_is_a_case_confirmed_that_day_of_the_households_kind():
    cases = {(case.household_id, case.confirmed_on): case for case in MonitoringCase.objects.all()}
    changes = StatusChange.objects.filter(to_status=MONITORED)
    assert changes.count() == MonitoringCase.objects.filter(confirmed_on__isnull=False).count()
    for change in changes:
        case = cases[(change.household_id, change.changed_on)]
        expected = MonitorKind.MARGINAL if change.from_status == GENERAL else MonitorKind.UNSTABLE
        assert case.kind == expected
        assert case.reported_on < change.changed_on <= case.deadline_on


def test_every_cases_dates_are_in_order_and_within_its_deadline_unless_it_is_late():
    today = timezone.localdate()
    late = 0
    for case in MonitoringCase.objects.all():
        assert case.deadline_on == case.reported_on + dt.timedelta(days=settings.MONITORING_IDENTIFY_DAYS)
        steps = [
            case.reported_on,
            case.verified_on,
            case.reviewed_on,
            case.confirmed_on,
            case.removal_appraised_on,
            case.removal_publicised_on,
            case.removed_on,
        ]
        done = [day for day in steps if day is not None]
        assert done == sorted(done), case
        assert done[-1] <= today
        if case.confirmed_on is not None:
            assert case.confirmed_on <= case.deadline_on
        if case.dismissed_on is not None:
            assert case.reported_on <= case.dismissed_on <= today
            assert case.dismissal_reason
        if case.is_late(today):
            late += 1
    assert late == 1


def test_every_risk_removal_follows_six_months_above_the_line_a_publicity_and_is_the_change_back_to_exited():
    lines = MonitoringLine.objects.in_bulk(field_name="year")
    removed = MonitoringCase.objects.filter(state=CaseState.RISK_REMOVED)
    assert removed.count() >= 3
    for case in removed.prefetch_related("follow_ups"):
        assert StatusChange.objects.filter(
            household=case.household, from_status=MONITORED, to_status=EXITED, changed_on=case.removed_on
        ).exists()
        assert case.removed_on - case.removal_publicised_on >= dt.timedelta(settings.MONITORING_REMOVAL_PUBLICITY_DAYS)
        months = sorted(case.follow_ups.all(), key=lambda f: f.month)
        above = [f.per_capita_income >= lines[f.month.year].income_line for f in months if f.month < case.removed_on]
        stable = above[::-1].index(False) if False in above else len(above)  # the months above, up to the removal
        assert stable >= settings.MONITORING_STABLE_MONTHS, case
        assert not all(above), "below the line while struck"
        assessment = (
            case.household.assessments.filter(assessed_on__lte=case.removed_on).order_by("-assessed_on").first()
        )
        assert not assessment.failing_items(), case


def test_the_removal_service_finds_nothing_against_any_removal_on_the_day_it_was_appraised():
    removals = MonitoringCase.objects.filter(removal_appraised_on__isnull=False).select_related("household")
    assert removals.exclude(state=CaseState.RISK_REMOVED).exists(), "one is in removal today"
    for case in removals:
        assert removal_blockers(case, on=case.removal_appraised_on) == [], case


def test_monthly_follow_ups_run_from_the_month_after_confirmation():
    for case in MonitoringCase.objects.filter(confirmed_on__isnull=False).prefetch_related("follow_ups"):
        months = sorted(f.month for f in case.follow_ups.all())
        assert months, case
        assert months[0] > case.confirmed_on
        assert all((b.year - a.year) * 12 + b.month - a.month == 1 for a, b in itertools.pairwise(months))


def test_todays_cases_show_every_state():
    states = set(MonitoringCase.objects.values_list("state", flat=True))
    assert set(CaseState.values) - {CaseState.VERIFIED, CaseState.REVIEWED} <= states
    assert {CaseState.VERIFIED, CaseState.REVIEWED} & states
    assert {CaseState.REMOVAL_APPRAISED, CaseState.REMOVAL_PUBLICISED} & states
    candidate = MonitoringCase.objects.get(state=CaseState.CANDIDATE, origin=Origin.DEPARTMENT)
    warning = DepartmentWarning.objects.get(case=candidate)
    assert warning.upload.status == "applied"
    assert warning.member.household_id == candidate.household_id == warning.household_id
    late = [case for case in MonitoringCase.objects.filter(state__in=IDENTIFYING_STATES) if case.is_late()]
    assert len(late) == 1
    assert set(MonitoringCase.objects.values_list("origin", flat=True)) == set(Origin.values)


def test_open_cases_not_yet_identified_leave_the_households_status_alone():
    for case in MonitoringCase.objects.filter(state__in=[*IDENTIFYING_STATES, CaseState.DISMISSED]):
        assert case.household.status == EXITED


def test_the_measures_of_a_monitored_households_plan_name_the_risk_they_answer():
    tagged = Measure.objects.exclude(risk="").select_related("plan")
    assert tagged.exists()
    risks = defaultdict(set)
    for case in MonitoringCase.objects.filter(confirmed_on__isnull=False):
        risks[case.household_id] |= set(case.risks)
    for measure in tagged:
        assert measure.risk in risks[measure.plan.household_id]


def test_the_warning_workbook_matches_some_members_and_holds_valid_unknown_id_numbers(demo_town):
    path = settings.DEMO_WARNINGS_WORKBOOK
    assert str(path) in demo_town
    sheet = load_workbook(path, read_only=True).active
    header, *rows = list(sheet.values)
    assert tuple(header) == COLUMNS
    numbers = [row[0] for row in rows]
    assert all(idnumbers.is_valid(number) for number in numbers)
    assert all(row[1] and row[2] and int(row[3]) > 0 and row[4] for row in rows)
    members = Member.objects.filter(id_number__in=numbers).select_related("household")
    matched = {member.id_number: member for member in members}
    assert len(rows) - len(matched) == 2, "two rows match nobody"
    open_cases = set(MonitoringCase.objects.filter(state__in=OPEN_STATES).values_list("household_id", flat=True))
    with_case = [m for m in matched.values() if m.household_id in open_cases]
    assert with_case
    assert len(with_case) < len(matched), "and some would be new candidates"


def test_the_warning_workbook_checks_clean_and_previews_matched_attached_and_unmatched_rows():
    with open(settings.DEMO_WARNINGS_WORKBOOK, "rb") as file:
        checked = warning_lists.check_list(file)
    assert checked.errors == []
    admin = User.objects.get(username="admin")
    counts = warning_lists.match_rows(checked.rows, department=Department.HEALTH_INSURANCE, user=admin).counts
    assert counts["unmatched"] == 2
    assert counts["attached"] >= 1
    assert counts["candidates"] >= 1
    assert counts["received"] == 0
