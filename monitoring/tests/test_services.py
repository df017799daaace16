"""The steps of a monitoring case: order, levels, dates, follow-ups, risk removal, and the ledger's candidates."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from audit.models import AuditEvent
from households.choices import HouseholdStatus, MonitorKind
from households.models import StatusChange
from households.tests.factories import AssessmentFactory, HouseholdFactory, IncomeLineFactory, IncomeRecordFactory
from monitoring import services
from monitoring.models import CaseState, MonitoringCase, Origin
from monitoring.tests.factories import FollowUpFactory, MonitoringCaseFactory, MonitoringLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def today():
    return timezone.localdate()


def months_back(count: int) -> list[dt.date]:
    """The first days of the last `count` months up to this one, oldest first."""
    months, month = [], today().replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


@pytest.fixture
def case(dongfeng_household):
    return MonitoringCaseFactory(household=dongfeng_household, reported_on=today() - dt.timedelta(days=10))


def identified(household, *, reported_days_ago=400, **kwargs):
    reported = today() - dt.timedelta(days=reported_days_ago)
    return MonitoringCaseFactory(
        household=household,
        reported_on=reported,
        state=CaseState.IDENTIFIED,
        verified_on=reported,
        reviewed_on=reported,
        confirmed_on=reported + dt.timedelta(days=5),
        **kwargs,
    )


# ---------------------------------------------------------------- deadline and lateness, in Asia/Shanghai dates


def test_the_deadline_is_fifteen_days_after_the_report(settings):
    settings.MONITORING_IDENTIFY_DAYS = 15
    assert services.identification_deadline(dt.date(2024, 3, 1)) == dt.date(2024, 3, 16)


def test_a_case_is_late_from_the_day_after_its_deadline(dongfeng_household):
    case = MonitoringCaseFactory(household=dongfeng_household, reported_on=dt.date(2024, 3, 1))
    assert not case.is_late(dt.date(2024, 3, 16))
    assert case.is_late(dt.date(2024, 3, 17))
    assert list(MonitoringCase.objects.late(dt.date(2024, 3, 17))) == [case]


def test_lateness_turns_at_midnight_in_shanghai_not_at_utc_midnight(dongfeng_household):
    case = MonitoringCaseFactory(household=dongfeng_household, reported_on=dt.date(2024, 3, 1))
    # 16:30 UTC on the deadline is 00:30 the next day in Shanghai: late already.
    at = dt.datetime(2024, 3, 16, 16, 30, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=at):
        assert timezone.localdate() == dt.date(2024, 3, 17)
        assert case.is_late()
        assert MonitoringCase.objects.late().filter(pk=case.pk).exists()
    # 15:30 UTC is 23:30 on the deadline in Shanghai: not yet late.
    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2024, 3, 16, 15, 30, tzinfo=dt.UTC)):
        assert not case.is_late()


def test_a_confirmed_case_is_never_late(dongfeng_household):
    case = identified(dongfeng_household)
    assert not case.is_late()


# ---------------------------------------------------------------- identification: order and levels


def test_the_case_goes_through_village_town_and_county_in_order(case, alice, official):
    services.case_verify(case=case, on=today(), user=alice)
    services.case_review(case=case, on=today(), user=official)
    case = services.case_confirm(case=case, on=today(), user=official)
    assert case.state == CaseState.IDENTIFIED
    assert (case.verified_on, case.reviewed_on, case.confirmed_on) == (today(), today(), today())


def test_a_step_cannot_be_skipped(case, official):
    with pytest.raises(ValidationError, match="cannot be taken now"):
        services.case_review(case=case, on=today(), user=official)


def test_a_cadre_cannot_review_for_the_town(case, alice):
    services.case_verify(case=case, on=today(), user=alice)
    with pytest.raises(PermissionDenied):
        services.case_review(case=case, on=today(), user=alice)


def test_a_cadre_of_another_village_cannot_verify(case, bob):
    with pytest.raises(PermissionDenied):
        services.case_verify(case=case, on=today(), user=bob)


def test_a_step_cannot_be_dated_in_the_future_or_before_the_previous_one(case, alice):
    with pytest.raises(ValidationError, match="future"):
        services.case_verify(case=case, on=today() + dt.timedelta(days=1), user=alice)
    with pytest.raises(ValidationError, match="previous step"):
        services.case_verify(case=case, on=case.reported_on - dt.timedelta(days=1), user=alice)


def test_confirmation_makes_the_household_monitored_through_a_status_change(case, alice, official):
    case.household.status = HouseholdStatus.EXITED
    case.household.exit_year = 2019
    case.household.save()
    case.kind = MonitorKind.SUDDEN
    case.save()
    services.case_verify(case=case, on=today(), user=alice)
    services.case_review(case=case, on=today(), user=official)
    services.case_confirm(case=case, on=today(), user=official)
    case.household.refresh_from_db()
    assert (case.household.status, case.household.monitor_kind) == (HouseholdStatus.MONITORED, MonitorKind.SUDDEN)
    change = StatusChange.objects.get(household=case.household, to_status=HouseholdStatus.MONITORED)
    assert change.changed_on == today()


def test_every_step_is_audited_with_its_date(case, alice):
    services.case_verify(case=case, on=today() - dt.timedelta(days=1), user=alice)
    event = AuditEvent.objects.filter(object_type="monitoring.MonitoringCase").latest("pk")
    assert (event.actor, event.effective_on, event.action) == (alice, today() - dt.timedelta(days=1), "changed")


def test_a_candidate_is_dismissed_with_a_reason(case, alice):
    with pytest.raises(ValidationError, match="not at risk"):
        services.case_dismiss(case=case, on=today(), reason=" ", user=alice)
    case = services.case_dismiss(case=case, on=today(), reason="收入稳定，已核实", user=alice)
    assert case.state == CaseState.DISMISSED
    assert not case.is_open


# ---------------------------------------------------------------- follow-ups


def test_a_follow_up_is_recorded_once_a_month_and_corrected_as_a_change(dongfeng_household, alice):
    case = identified(dongfeng_household)
    month = today().replace(day=1)
    services.follow_up_record(case=case, month=month, per_capita_income=5000, note="", user=alice)
    services.follow_up_record(case=case, month=month, per_capita_income=7000, note="打工收入", user=alice)
    assert [(f.month, f.per_capita_income) for f in case.follow_ups.all()] == [(month, 7000)]
    actions = list(
        AuditEvent.objects.filter(object_type="monitoring.FollowUp").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["created", "changed"]


def test_a_follow_up_month_is_a_first_day_not_in_the_future(dongfeng_household, alice):
    case = identified(dongfeng_household)
    with pytest.raises(ValidationError, match="first day"):
        services.follow_up_record(
            case=case,
            month=today().replace(day=2) if today().day != 2 else today().replace(day=3),
            per_capita_income=1,
            user=alice,
        )
    next_month = (today().replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    with pytest.raises(ValidationError, match="future"):
        services.follow_up_record(case=case, month=next_month, per_capita_income=1, user=alice)


def test_a_candidate_is_not_followed_up(case, alice):
    with pytest.raises(ValidationError, match="Only an identified case"):
        services.follow_up_record(case=case, month=today().replace(day=1), per_capita_income=1, user=alice)


# ---------------------------------------------------------------- risk removal


@pytest.fixture
def stable_case(dongfeng_household, settings):
    """An identified case with seven months at or above the line (six before a step dated last month too)
    and a passing 2W3G assessment."""
    settings.MONITORING_STABLE_MONTHS = 6
    for year in {m.year for m in months_back(7)}:
        MonitoringLineFactory(year=year, income_line=6000)
    case = identified(dongfeng_household)
    for month in months_back(7):
        FollowUpFactory(case=case, month=month, per_capita_income=6000)
    assessment = AssessmentFactory(household=dongfeng_household, assessed_on=today())
    dongfeng_household.latest_assessment = assessment
    dongfeng_household.save()
    return case


def test_removal_may_go_ahead_when_income_and_2w3g_hold(stable_case):
    assert services.removal_blockers(stable_case) == []


def test_removal_is_refused_while_income_is_below_the_line_for_fewer_than_the_months(stable_case):
    latest = stable_case.follow_ups.order_by("-month")[2]
    latest.per_capita_income = 5999
    latest.save()
    blockers = services.removal_blockers(stable_case)
    assert "Income has been at or above the monitoring line for 2 months in a row; 6 are needed." in blockers
    assert any("below the line of 6000 yuan" in b for b in blockers)


def test_removal_names_a_month_without_follow_up(stable_case):
    oldest = stable_case.follow_ups.order_by("month")[1]
    oldest.delete()
    blockers = services.removal_blockers(stable_case)
    assert f"No follow-up was recorded for {oldest.month:%Y-%m}." in blockers


def test_removal_is_refused_while_a_2w3g_item_fails_naming_it(stable_case, alice):
    assessment = stable_case.household.latest_assessment
    assessment.housing_ok = False
    assessment.save()
    with pytest.raises(ValidationError) as refused:
        services.removal_appraise(case=stable_case, on=today(), user=alice)
    assert "Fails the 2W3G item: Safe housing guaranteed." in str(refused.value)


def test_removal_waits_for_the_publicity_days(stable_case, alice, official, settings):
    settings.MONITORING_REMOVAL_PUBLICITY_DAYS = 7
    start = today() - dt.timedelta(days=6)
    services.removal_appraise(case=stable_case, on=start, user=alice)
    services.removal_publicise(case=stable_case, on=start, user=alice)
    with pytest.raises(ValidationError, match="publicity runs until"):
        services.removal_sign_off(case=stable_case, on=today(), user=official)


def test_removal_returns_an_exited_household_to_exited_keeping_its_exit_year(stable_case, alice, official):
    household = stable_case.household
    household.status, household.exit_year, household.monitor_kind = HouseholdStatus.MONITORED, 2019, "unstable"
    household.save()
    IncomeRecordFactory(household=household, year=2020, wage_income=20000)
    start = today() - dt.timedelta(days=7)
    services.removal_appraise(case=stable_case, on=start, user=alice)
    services.removal_publicise(case=stable_case, on=start, user=alice)
    with pytest.raises(PermissionDenied):
        services.removal_sign_off(case=stable_case, on=today(), user=alice)
    case = services.removal_sign_off(case=stable_case, on=today(), user=official)
    household.refresh_from_db()
    assert (case.state, case.removed_on, case.removed_by) == (CaseState.RISK_REMOVED, today(), official)
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, 2019)


def test_removal_is_signed_off_though_the_year_the_household_was_struck_is_below_the_poverty_line(
    stable_case, alice, official
):
    """The months at or above the monitoring line are the income condition, not the struck year's record."""
    household = stable_case.household
    household.status, household.exit_year, household.monitor_kind = HouseholdStatus.MONITORED, 2019, "unstable"
    household.save()
    IncomeLineFactory(year=2020, line=5000)
    IncomeRecordFactory(household=household, year=2020, wage_income=100, household_size=1)
    start = today() - dt.timedelta(days=7)
    services.removal_appraise(case=stable_case, on=start, user=alice)
    services.removal_publicise(case=stable_case, on=start, user=alice)
    services.removal_sign_off(case=stable_case, on=today(), user=official)
    household.refresh_from_db()
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, 2019)


def test_removal_returns_a_never_poor_household_to_general(stable_case, alice, official):
    household = stable_case.household
    household.status, household.identified_year, household.exit_year = HouseholdStatus.MONITORED, None, None
    household.monitor_kind = MonitorKind.MARGINAL
    household.save()
    start = today() - dt.timedelta(days=7)
    services.removal_appraise(case=stable_case, on=start, user=alice)
    services.removal_publicise(case=stable_case, on=start, user=alice)
    services.removal_sign_off(case=stable_case, on=today(), user=official)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.GENERAL
    assert StatusChange.objects.filter(household=household, to_status=HouseholdStatus.GENERAL).exists()


# ---------------------------------------------------------------- candidates from the income ledger


@pytest.fixture
def ledger(dongfeng):
    IncomeLineFactory(year=2023, line=4000)
    IncomeLineFactory(year=2024, line=4000)  # drop_share defaults to 0.30
    MonitoringLineFactory(year=2024, income_line=7000)

    def household(status=HouseholdStatus.EXITED, *, income_2024, income_2023=None):
        h = HouseholdFactory(village=dongfeng, status=status, exit_year=2019 if status != "general" else None)
        IncomeRecordFactory(household=h, year=2024, wage_income=income_2024)
        if income_2023 is not None:
            IncomeRecordFactory(household=h, year=2023, wage_income=income_2023)
        return h

    return household


def test_the_ledger_reports_households_below_the_monitoring_line(ledger):
    below = ledger(income_2024=6999)
    ledger(income_2024=7000)
    cases = services.candidates_from_income(year=2024)
    assert [c.household for c in cases] == [below]
    assert (cases[0].origin, cases[0].risks, cases[0].state) == (Origin.INCOME, ["other"], CaseState.CANDIDATE)
    assert "6999" in cases[0].description.replace(",", "")
    assert "7000" in cases[0].description.replace(",", "")


def test_the_ledger_reports_a_sharp_drop_above_the_line(ledger):
    fell = ledger(income_2024=10000, income_2023=20000)
    ledger(income_2024=15000, income_2023=20000)
    cases = services.candidates_from_income(year=2024)
    assert [c.household for c in cases] == [fell]
    assert "50" in cases[0].description


def test_the_ledger_creates_nothing_new_when_run_again(ledger):
    ledger(income_2024=100)
    assert len(services.candidates_from_income(year=2024)) == 1
    assert services.candidates_from_income(year=2024) == []
    assert MonitoringCase.objects.count() == 1


def test_the_ledger_leaves_closed_and_unexited_files_alone(ledger):
    ledger(HouseholdStatus.CLOSED, income_2024=100)
    ledger(HouseholdStatus.UNEXITED, income_2024=100)
    general = ledger(HouseholdStatus.GENERAL, income_2024=100)
    assert [c.household for c in services.candidates_from_income(year=2024)] == [general]


def test_the_ledger_skips_monitored_households_with_an_open_case(ledger):
    household = ledger(HouseholdStatus.MONITORED, income_2024=100)
    MonitoringCaseFactory(household=household)
    assert services.candidates_from_income(year=2024) == []


def test_the_ledger_read_in_batches_smaller_than_the_county_finds_every_candidate_once(ledger, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    below = [ledger(income_2024=100, income_2023=100) for _ in range(3)]
    fell = [ledger(income_2024=10000, income_2023=20000) for _ in range(2)]
    steady = [ledger(income_2024=15000, income_2023=15000) for _ in range(2)]
    cases = services.candidates_from_income(year=2024)
    assert sorted(c.household.pk for c in cases) == sorted(h.pk for h in below + fell)
    assert not MonitoringCase.objects.filter(household__in=steady).exists()
    assert all("fell" in c.description for c in cases if c.household in fell)


def test_the_ledger_finds_its_candidates_in_a_fixed_number_of_queries(ledger, django_assert_max_num_queries):
    for _ in range(3):
        ledger(income_2024=7000)
    # monitoring line, income line, income records (households and open cases as subqueries), the found households
    with django_assert_max_num_queries(4):
        assert services.candidates_from_income(year=2024) == []


def test_the_nightly_task_runs_the_ledger_for_a_year(ledger):
    from monitoring.tasks import flag_income_candidates

    ledger(income_2024=100)
    assert flag_income_candidates(2024) == {"year": 2024, "created": 1}
    assert flag_income_candidates(2024) == {"year": 2024, "created": 0}
