"""The dashboards: every figure against a count the test makes itself, scoping, and fixed query counts."""

import datetime as dt
import random
import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assistance.models import Instalment, InstalmentFlag
from assistance.tests.factories_programmes import LoanFactory
from households import summaries
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus
from households.models import Assessment, Household, IncomeLine, Member, StatusChange
from households.services import assessment_record, target_fix
from households.tests.factories import (
    IDENTIFIED_ON,
    AssessmentFactory,
    AssignmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
    VillageFactory,
    poor_household,
    record_status,
)
from infrastructure.tests.factories import ProjectFactory
from reports import selectors
from visits.models import FlagKind, VisitFlag, VisitorRole, VisitRule
from visits.periods import period_of
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

LINE = 5000
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


# ---------------------------------------------------------------- a small town built at random, and its own tally


@pytest.fixture
def town_data(town, dongfeng, hongqi, helper):
    """Forty households in two villages with every kind of figure, drawn from a seeded random stream."""
    rng = random.Random(42)
    IncomeLine.objects.update_or_create(year=2020, defaults={"line": LINE, "drop_share": "0.30"})
    rules = list(VisitRule.objects.filter(active=True))
    statuses = [HouseholdStatus.UNEXITED, HouseholdStatus.EXITED, HouseholdStatus.EXITED, HouseholdStatus.MONITORED]
    for n in range(40):
        village = dongfeng if n % 2 else hongqi
        status = rng.choice(statuses)
        exit_year = rng.choice([2016, 2018, 2019]) if status != HouseholdStatus.UNEXITED else None
        household = HouseholdFactory(
            village=village, status=status, exit_year=exit_year, registered_on=dt.date(2016, 1, 1)
        )
        for _ in range(rng.randint(0, 3)):
            MemberFactory(household=household, birth_date=dt.date(1960 + rng.randint(0, 40), 1, 1 + n % 28))
        if rng.random() < 0.9:
            verdicts = {item.verdict_field: rng.random() > 0.2 for item in AssessmentItem}
            household.latest_assessment = AssessmentFactory(household=household, **verdicts)
            household.save(update_fields=["latest_assessment"])
            summaries.refresh([household.pk])
        if rng.random() < 0.85:
            size = household.members.count()
            IncomeRecordFactory(household=household, household_size=size, wage_income=rng.randint(0, 4 * LINE) * size)
        if status == HouseholdStatus.UNEXITED:
            AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
        for rule in rules:
            if rule.household_status == status and rng.random() < 0.5:
                # The responsible person of an unexited household is helper: only their own visit counts for it.
                mine = status == HouseholdStatus.UNEXITED and rule.visitor_role == AssignmentRole.RESPONSIBLE
                VisitFactory(
                    household=household,
                    role=rule.visitor_role,
                    visited_on=MONTH,
                    **({"visitor": helper} if mine else {}),
                )
        if rng.random() < 0.3:
            rule = next(r for r in rules if r.household_status == status)
            period = period_of(dt.date(2021, 1, 15), rule.period)
            VisitFlag.objects.create(
                household=household,
                rule=rule,
                period_start=period.start,
                period_end=period.end,
                kind=rng.choice([FlagKind.OVERDUE, FlagKind.DUE_SOON]),
                raised_at=timezone.now(),
                cleared_at=timezone.now() if rng.random() < 0.3 else None,
            )
    # The 2020 campaign: three households poor since 2016, three exits and one return to poverty, in different months.
    exited = list(Household.objects.filter(status=HouseholdStatus.EXITED)[:3])
    for household, month in zip(exited, (3, 3, 7), strict=True):
        StatusChange.objects.create(
            household=household,
            from_status="",
            to_status=HouseholdStatus.UNEXITED,
            changed_on=IDENTIFIED_ON,
            reason="识别",
        )
        StatusChange.objects.create(
            household=household,
            from_status=HouseholdStatus.UNEXITED,
            to_status=HouseholdStatus.EXITED,
            changed_on=dt.date(2020, month, 10),
            reason="脱贫",
        )
    StatusChange.objects.create(
        household=exited[0],
        from_status=HouseholdStatus.EXITED,
        to_status=HouseholdStatus.UNEXITED,
        changed_on=dt.date(2020, 9, 1),
        reason="返贫",
    )
    target_fix(town=town, year=2020, name="2020年脱贫攻坚", as_of=dt.date(2020, 1, 1), user=None)
    loan_household = Household.objects.filter(village=dongfeng).first()
    loan = LoanFactory(household=loan_household)
    first, second, third = loan.instalments.order_by("number")[:3]
    Instalment.objects.filter(pk=first.pk).update(flag=InstalmentFlag.OVERDUE)
    Instalment.objects.filter(pk=second.pk).update(flag=InstalmentFlag.OVERDUE, amount_paid=100)
    Instalment.objects.filter(pk=third.pk).update(flag=InstalmentFlag.DUE_SOON)
    ProjectFactory(village=dongfeng)
    ProjectFactory(village=hongqi)
    return town


def tally(households: list[Household], today=TODAY) -> dict:
    """The dashboard's figures counted in plain Python over the rows, one household at a time."""
    month = today.replace(day=1)
    rules = list(VisitRule.objects.filter(active=True))
    figures = Counter()
    for h in households:
        figures["registered"] += 1
        figures[h.status] += 1
        latest = h.assessments.order_by("-assessed_on", "-pk").first()
        failing = [item for item in AssessmentItem if latest and not getattr(latest, item.verdict_field)]
        figures["failing"] += bool(failing)
        for item in failing:
            figures[f"failing_{item.value}"] += 1
        figures["assessed"] += latest is not None
        record = h.income_records.filter(year=2020).first()
        if record is not None:
            figures["below_line"] += record.net_income <= LINE * record.household_size
            share = record.net_income / (LINE * record.household_size)
            key = next(k for bound, k in selectors.INCOME_BINS if bound is None or share <= bound / 10)
            figures[f"income_{key}"] += 1
        for rule in rules:
            period = period_of(month, rule.period)
            if rule.household_status == h.status and h.registered_on <= period.end:
                figures["visits_required"] += 1
                figures["visits_done"] += any(
                    v.role == rule.visitor_role and period.start <= v.visited_on <= period.end for v in h.visits.all()
                )
        figures["overdue"] += sum(1 for f in h.visit_flags.all() if f.kind == FlagKind.OVERDUE and f.cleared_at is None)
        if h.status == HouseholdStatus.UNEXITED:
            figures["people_unexited"] += h.members.count()
        if h.status in (HouseholdStatus.EXITED, HouseholdStatus.MONITORED) and h.exit_year:
            figures[f"exit_{h.exit_year}"] += 1
            figures[f"exit_people_{h.exit_year}"] += h.members.count()
    return figures


def households_of(village=None) -> list[Household]:
    households = Household.objects.prefetch_related("visits", "visit_flags")
    return list(households.filter(village=village) if village else households)


# ---------------------------------------------------------------- every figure


def test_each_village_row_matches_a_count_made_household_by_household(town_data, official, dongfeng, hongqi):
    board = selectors.dashboard(user=official)
    rows = {row.village_id: row for row in board.villages}
    for village in (dongfeng, hongqi):
        expected, row = tally(households_of(village)), rows[village.pk]
        assert row.registered == expected["registered"]
        assert row.exited == expected[HouseholdStatus.EXITED]
        assert row.unexited == expected[HouseholdStatus.UNEXITED]
        assert row.monitored == expected[HouseholdStatus.MONITORED]
        assert row.failing == expected["failing"]
        assert row.below_line == expected["below_line"]
        assert (row.visits_done, row.visits_required) == (expected["visits_done"], expected["visits_required"])
        assert row.overdue == expected["overdue"]


def test_the_total_row_adds_up_the_whole_town(town_data, official):
    board, expected = selectors.dashboard(user=official), tally(households_of())
    assert board.total.registered == expected["registered"] == 40
    assert board.total.unexited == expected[HouseholdStatus.UNEXITED]
    assert board.total.failing == expected["failing"]
    assert board.total.overdue == expected["overdue"]
    assert board.people_unexited == expected["people_unexited"]


def test_2w3g_compliance_counts_each_item_by_the_latest_assessment(town_data, official):
    board, expected = selectors.dashboard(user=official), tally(households_of())
    for entry in board.items:
        assert entry.failing == expected[f"failing_{entry.item.value}"]
        assert entry.assessed == expected["assessed"]
    assert board.not_assessed == 40 - expected["assessed"]


def test_a_newer_passing_assessment_takes_a_household_out_of_the_failing_count(town_data, official):
    failing = Household.objects.exclude(latest_assessment=None).filter(latest_assessment__food_ok=False).first()
    before = selectors.dashboard(user=official).items[0].failing
    assessment_record(assessment=Assessment(household=failing, assessed_on=dt.date(2021, 1, 1)), user=official)
    assert selectors.dashboard(user=official).items[0].failing == before - 1


def test_the_failing_households_are_listed_with_the_items_they_fail(town_data, official):
    board = selectors.dashboard(user=official)
    for line in board.failing_households:
        latest = Assessment.objects.filter(household_id=line.pk).order_by("-assessed_on", "-pk").first()
        assert line.reasons == [str(item.label) for item in latest.failing_items()]
    assert len(board.failing_households) == min(tally(households_of())["failing"], selectors.LISTED_FAILING)


def test_income_is_binned_against_the_line_by_multiplying_not_dividing(town_data, official):
    board, expected = selectors.dashboard(user=official), tally(households_of())
    assert board.income.line == LINE
    for income_bin in board.income.bins:
        assert income_bin.count == expected[f"income_{income_bin.key}"], income_bin.key
    assert board.income.below_or_at_line == expected["below_line"]
    with_record = sum(expected[f"income_{key}"] for _, key in selectors.INCOME_BINS)
    assert board.income.without_record == 40 - with_record


def test_a_household_exactly_at_the_line_counts_as_not_above_it(official, dongfeng):
    IncomeLine.objects.update_or_create(year=2020, defaults={"line": LINE, "drop_share": "0.30"})
    household = HouseholdFactory(village=dongfeng)
    IncomeRecordFactory(household=household, household_size=2, wage_income=2 * LINE)
    board = selectors.dashboard(user=official)
    assert board.total.below_line == 1
    assert [b.count for b in board.income.bins if b.key == "line"] == [1]


def test_exits_are_counted_by_year_with_their_people(town_data, official):
    board, expected = selectors.dashboard(user=official), tally(households_of())
    assert [(row.year, row.households, row.people) for row in board.exits_by_year] == [
        (year, expected[f"exit_{year}"], expected[f"exit_people_{year}"])
        for year in (2016, 2018, 2019)
        if expected[f"exit_{year}"]
    ]
    assert board.exited_households == sum(row.households for row in board.exits_by_year)


def test_the_target_shows_what_is_left_and_a_burn_down_from_the_status_history(town_data, official):
    target = selectors.dashboard(user=official).target
    cohort = Household.objects.filter(status_changes__changed_on=IDENTIFIED_ON)
    assert (target.year, target.households) == (2020, 3)
    assert target.people == Member.objects.filter(household__in=cohort).count()
    # Two exits in March, one in July, one return to poverty in September.
    remaining = [point.remaining for point in target.burndown]
    assert remaining == [3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]
    assert (target.remaining_households, target.lifted_households) == (1, 2)
    assert [point.planned for point in target.burndown][::3] == [3, 2, 1, 0]


def test_the_burn_down_stops_at_today_in_the_target_year(official, town, dongfeng):
    poor_household(dongfeng)
    target_fix(town=town, year=2020, name="2020", as_of=dt.date(2020, 1, 1), user=official)
    board = selectors.dashboard(user=official, on=dt.date(2020, 4, 15))
    assert [point.month.month for point in board.target.burndown] == [1, 2, 3, 4]


def test_the_target_year_can_be_chosen_among_those_set(official, town, dongfeng):
    poor_household(dongfeng)
    record_status(poor_household(dongfeng, people=3), HouseholdStatus.EXITED, dt.date(2019, 6, 1))
    target_fix(town=town, year=2019, name="2019", as_of=dt.date(2019, 1, 1), user=official)
    target_fix(town=town, year=2020, name="2020", as_of=dt.date(2020, 1, 1), user=official)
    assert selectors.dashboard(user=official).target.year == 2020
    assert selectors.dashboard(user=official, year=2019).target.households == 2
    assert selectors.dashboard(user=official, year=2019).target.people == 4
    assert selectors.dashboard(user=official, year=1999).target.year == 2020
    assert selectors.dashboard(user=official).target_years == [2020, 2019]


def test_a_town_without_a_target_shows_none(official, dongfeng_household):
    assert selectors.dashboard(user=official).target is None


def test_loan_instalments_due_and_overdue_are_counted_with_what_is_owed(town_data, official):
    loans = selectors.dashboard(user=official).loans
    flagged = Instalment.objects.exclude(flag=InstalmentFlag.NONE)
    overdue = [i for i in flagged if i.flag == InstalmentFlag.OVERDUE]
    due_soon = [i for i in flagged if i.flag == InstalmentFlag.DUE_SOON]
    assert (loans.overdue, loans.due_soon) == (len(overdue), len(due_soon))
    assert overdue
    assert due_soon
    assert loans.overdue_amount == sum(i.amount_due - i.amount_paid for i in overdue)
    assert loans.due_soon_amount == sum(i.amount_due - i.amount_paid for i in due_soon)


def test_every_project_gets_a_light(town_data, official):
    lights = dict(selectors.dashboard(user=official).lights)
    assert sum(lights.values()) == 2


def test_the_remaining_households_are_listed_with_their_blockers_and_responsible_person(town_data, official, helper):
    with translation.override("en"):
        board = selectors.dashboard(user=official)
    unexited = Household.objects.filter(status=HouseholdStatus.UNEXITED)
    assert {line.pk for line in board.remaining} == set(unexited.values_list("pk", flat=True))
    for line in board.remaining:
        assert line.responsible == str(helper)
        household = unexited.get(pk=line.pk)
        if household.latest_assessment is None:
            assert "No 2W3G assessment has been recorded." in line.reasons


# ---------------------------------------------------------------- scoping


def test_a_cadre_village_dashboard_holds_only_their_village(town_data, alice, dongfeng):
    board = selectors.dashboard(user=alice, village=dongfeng)
    assert [row.village_id for row in board.villages] == [dongfeng.pk]
    assert board.total.registered == Household.objects.filter(village=dongfeng).count()
    assert all(line.village == dongfeng.name for line in board.remaining)
    assert board.target is None


def test_a_cadre_cannot_open_another_village_dashboard(client, alice, hongqi):
    client.force_login(alice)
    assert client.get(reverse("reports:village", args=[hongqi.pk])).status_code == 404
    assert client.get(reverse("reports:village", args=[987654])).status_code == 404


def test_the_town_dashboard_sends_a_cadre_to_their_own_landing_page(client, alice):
    client.force_login(alice)
    assert client.get(reverse("reports:town")).url == reverse("home")


def test_a_user_without_scope_sees_no_household_on_any_dashboard(client, charlie, town_data, dongfeng):
    client.force_login(charlie)
    assert client.get(reverse("reports:village", args=[dongfeng.pk])).status_code == 404
    response = client.get(reverse("reports:mine"))
    assert response.status_code == 200
    assert response.context["rows"] == []


def test_a_responsible_person_cannot_open_a_village_dashboard(client, helper, town_data, dongfeng):
    client.force_login(helper)
    assert client.get(reverse("reports:village", args=[dongfeng.pk])).status_code == 404


def test_the_official_of_another_town_sees_nothing_of_this_one(client, town_data):
    from households.tests.factories import TownFactory, UserFactory

    other = UserFactory(role="official", town=TownFactory(code="999", name="别镇"))
    board = selectors.dashboard(user=other)
    assert board.total.registered == 0
    assert board.target is None


# ---------------------------------------------------------------- the pages


def test_the_town_dashboard_links_each_figure_to_the_list_behind_it(client, official, town_data, dongfeng):
    client.force_login(official)
    page = client.get(reverse("reports:town")).text
    households = reverse("households:list")
    assert f'href="{households}?village={dongfeng.pk}&amp;status=unexited"' in page
    assert f'href="{households}?village={dongfeng.pk}&amp;failing=any"' in page
    assert f'href="{reverse("visits:flags")}?kind=overdue&amp;village={dongfeng.pk}"' in page
    assert f'href="{reverse("reports:village", args=[dongfeng.pk])}"' in page


def test_each_linked_figure_equals_the_count_of_the_list_it_opens(client, official, town_data, dongfeng):
    client.force_login(official)
    row = next(r for r in client.get(reverse("reports:town")).context["d"].villages if r.village_id == dongfeng.pk)
    for query, figure in (
        ({"village": dongfeng.pk, "status": "unexited"}, row.unexited),
        ({"village": dongfeng.pk, "status": "exited"}, row.exited),
        ({"village": dongfeng.pk, "failing": "any"}, row.failing),
    ):
        assert client.get(reverse("households:list"), query).context["page"].paginator.count == figure
    flags = client.get(reverse("visits:flags"), {"kind": "overdue", "village": dongfeng.pk})
    assert flags.context["page"].paginator.count == row.overdue


def test_every_chart_has_a_table_with_its_figures(client, official, town_data):
    client.force_login(official)
    page = client.get(reverse("reports:town")).text
    # The burn-down and the income chart have a table for screen readers and print; the exits one a visible table.
    assert page.count('<svg class="chart-svg"') == 3
    assert page.count('class="table table-sm chart-data"') == 2
    assert 'class="table table-sm exits-table"' in page


def test_the_dashboard_says_when_its_figures_were_computed(client, official, town_data):
    client.force_login(official)
    response = client.get(reverse("reports:town"))
    computed = response.context["d"].computed_at
    assert timezone.now() - computed < dt.timedelta(minutes=5)
    assert timezone.localtime(computed).strftime("%Y-%m-%d %H:%M") in response.text


def test_my_households_lists_what_a_responsible_person_owes(client, helper, town_data):
    client.force_login(helper)
    rows = client.get(reverse("reports:mine")).context["rows"]
    assigned = set(
        Household.objects.filter(assignments__person=helper, status=HouseholdStatus.UNEXITED).values_list(
            "pk", flat=True
        )
    )
    assert {row.line.pk for row in rows} == assigned
    for row in rows:
        visited = Household.objects.get(pk=row.line.pk).visits.filter(
            role=VisitorRole.RESPONSIBLE, visitor=helper, visited_on__gte=MONTH
        )
        assert row.due.done == visited.exists()


def test_my_households_names_each_household_by_its_head_with_the_whole_number(client, helper, dongfeng):
    household = HouseholdFactory(village=dongfeng, number="3403210012340012", head__name="张三")
    AssignmentFactory(household=household, person=helper)
    client.force_login(helper)
    page = client.get(reverse("reports:mine")).content.decode()
    named = r'<span class="fw-semibold">张三</span>\s*<span class="household-number" data-short="0012">34032100123400'
    assert re.search(named, page)


def test_my_households_counts_the_plan_measures_done_and_late(client, helper, dongfeng):
    from assistance.models import Measure, MeasureStatus, Plan

    household = HouseholdFactory(village=dongfeng)
    AssignmentFactory(household=household, person=helper)
    plan = Plan.objects.create(household=household, year=TODAY.year, cause_analysis="缺资金")
    past, future = TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=10)
    for status, planned in (
        (MeasureStatus.DONE, past),  # done on its date
        (MeasureStatus.PLANNED, past),
        (MeasureStatus.PLANNED, future),
        (MeasureStatus.CANCELLED, past),
    ):
        Measure.objects.create(
            plan=plan,
            category="industry",
            description="养牛",
            planned_date=planned,
            status=status,
            actual_date=planned if status == MeasureStatus.DONE else None,
        )
    client.force_login(helper)
    (row,) = client.get(reverse("reports:mine")).context["rows"]
    assert (row.plan_year, row.measures_done, row.measures_total, row.measures_late) == (TODAY.year, 1, 3, 1)


# ---------------------------------------------------------------- query counts


def _small_town(dongfeng, hongqi, helper):
    """One household, still to lift and failing an item, so that every list on the page has a row to prefetch for."""
    IncomeLine.objects.update_or_create(year=2020, defaults={"line": LINE, "drop_share": "0.30"})
    household = HouseholdFactory(village=dongfeng)
    household.latest_assessment = AssessmentFactory(household=household, water_ok=False)
    household.save(update_fields=["latest_assessment"])
    summaries.refresh([household.pk])
    AssignmentFactory(household=household, person=helper)


# The town dashboard, whatever the data:
#   session, user; income lines; villages; visit rules; the census (ONE grouped scan of the households in
#   scope, counting their kept figures: statuses, 2W3G items, income bins, classes, people, and this period's
#   visits per rule); open overdue flags per village; targets by year with their cohorts' size + the cohorts'
#   status changes; remaining households (heads' names a column) + income records + responsible persons;
#   failing households (heads' names a column); deadlines + project lights; instalments; the year's monitoring
#   figures (ONE conditional aggregate over the cases in scope) + the year's returns to poverty (ONE count of
#   status changes); towns (the title)
TOWN_DASHBOARD_QUERIES = 19


def test_the_town_dashboard_runs_the_same_queries_for_one_household_and_forty(
    client, official, dongfeng, hongqi, helper, django_assert_num_queries, town_data
):
    client.force_login(official)
    with django_assert_num_queries(TOWN_DASHBOARD_QUERIES):
        assert client.get(reverse("reports:town")).status_code == 200


def test_the_town_dashboard_of_a_single_household_runs_the_same_queries(
    client, official, town, dongfeng, hongqi, helper, django_assert_num_queries
):
    _small_town(dongfeng, hongqi, helper)
    record_status(Household.objects.get(), HouseholdStatus.UNEXITED, IDENTIFIED_ON)
    target_fix(town=town, year=2020, name="2020", as_of=dt.date(2020, 1, 1), user=official)
    client.force_login(official)
    with django_assert_num_queries(TOWN_DASHBOARD_QUERIES):
        assert client.get(reverse("reports:town")).status_code == 200


# A village dashboard: as the town's, plus the cadre's villages and the village itself, without the
# targets, the burn-down, the returns to poverty and the towns; plus its monitoring candidates and its late
# cases (one query each, the head's name a column of the row).
VILLAGE_DASHBOARD_QUERIES = 19


@pytest.mark.parametrize("big", [False, True])
def test_the_village_dashboard_runs_a_fixed_number_of_queries(
    request, client, alice, dongfeng, hongqi, helper, django_assert_num_queries, big
):
    if big:
        request.getfixturevalue("town_data")
    else:
        _small_town(dongfeng, hongqi, helper)
    client.force_login(alice)
    with django_assert_num_queries(VILLAGE_DASHBOARD_QUERIES):
        assert client.get(reverse("reports:village", args=[dongfeng.pk])).status_code == 200


# My households: session, user; visit rules, one per active rule (the default four: the households it asks
# of me, with village and my last visit that counted), open flags; households + heads + income records;
# income lines; plans with measure counts; overdue instalments.
MY_HOUSEHOLDS_QUERIES = 14


@pytest.mark.parametrize("big", [False, True])
def test_my_households_runs_a_fixed_number_of_queries(
    request, client, helper, dongfeng, hongqi, django_assert_num_queries, big
):
    if big:
        request.getfixturevalue("town_data")
    else:
        _small_town(dongfeng, hongqi, helper)
    client.force_login(helper)
    with django_assert_num_queries(MY_HOUSEHOLDS_QUERIES):
        assert client.get(reverse("reports:mine")).status_code == 200


def test_members_counted_exclude_other_towns(town_data, official):
    from households.tests.factories import TownFactory

    elsewhere = HouseholdFactory(village=VillageFactory(town=TownFactory(code="777", name="外镇")))
    MemberFactory(household=elsewhere)
    in_town = [h for h in households_of() if h.village.town_id == town_data.pk]
    assert selectors.dashboard(user=official).people_unexited == tally(in_town)["people_unexited"]
    assert Member.objects.filter(household=elsewhere).exists()


def test_a_percentage_is_100_only_when_all_of_them_pass():
    assert selectors.percent_floor(1677, 1679) == 99
    assert selectors.percent_floor(1679, 1679) == 100
    assert selectors.percent_floor(0, 0) is None


# ---------------------------------------------------------------- kept for a few minutes


@pytest.fixture
def dashboard_cache(settings):
    from django.core.cache import cache

    settings.DASHBOARD_MAX_AGE = 300
    cache.clear()
    yield
    cache.clear()


def test_the_figures_are_kept_for_a_few_minutes_and_shared_by_the_officials_of_a_town(
    client, official, town, dongfeng_household, dashboard_cache, django_assert_num_queries
):
    from households.tests.factories import UserFactory

    client.force_login(official)
    first = client.get(reverse("reports:town")).context["d"]
    HouseholdFactory(village=dongfeng_household.village)
    colleague = UserFactory(role="official", town=town)
    client.force_login(colleague)
    with django_assert_num_queries(3):  # session, user, towns: the figures come from the cache
        again = client.get(reverse("reports:town")).context["d"]
    assert again.computed_at == first.computed_at
    assert again.total.registered == 1


def test_refresh_computes_the_figures_afresh(client, official, dongfeng_household, dashboard_cache):
    client.force_login(official)
    first = client.get(reverse("reports:town")).context["d"]
    HouseholdFactory(village=dongfeng_household.village)
    fresh = client.get(reverse("reports:town"), {"refresh": "1"}).context["d"]
    assert fresh.total.registered == first.total.registered + 1
    assert fresh.computed_at > first.computed_at
    assert client.get(reverse("reports:town")).context["d"].computed_at == fresh.computed_at


def test_a_cadre_never_sees_the_figures_cached_for_another_reach(
    client, official, alice, dongfeng, dongfeng_household, hongqi_household, dashboard_cache
):
    client.force_login(official)
    client.get(reverse("reports:town"))
    client.get(reverse("reports:village", args=[dongfeng.pk]))
    client.force_login(alice)
    board = client.get(reverse("reports:village", args=[dongfeng.pk])).context["d"]
    assert board.total.registered == 1
    assert [row.village_id for row in board.villages] == [dongfeng.pk]


def test_figures_are_cached_per_language(client, official, dongfeng_household, dashboard_cache):
    client.force_login(official)
    client.get(reverse("reports:town"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("reports:town")).text
    assert "No 2W3G assessment has been recorded." in page


# ---------------------------------------------------------------- ordinary rural households (一般农户)


def _ordinary_household(village, helper):
    """A household never registered poor, with all a poor one has: members, a failing 2W3G item, income below
    the line, a responsible person, a first line of status history."""
    household = HouseholdFactory(village=village, status=HouseholdStatus.GENERAL, main_cause="", identified_year=None)
    MemberFactory(household=household)
    household.latest_assessment = AssessmentFactory(household=household, water_ok=False)
    household.save(update_fields=["latest_assessment"])
    summaries.refresh([household.pk])
    IncomeRecordFactory(household=household, household_size=2, wage_income=LINE)
    AssignmentFactory(household=household, person=helper)
    record_status(household, HouseholdStatus.GENERAL, IDENTIFIED_ON)
    return household


def _figures(board) -> tuple:
    return (
        board.villages,
        board.total,
        board.people_unexited,
        board.items,
        board.not_assessed,
        board.failing_households,
        board.remaining,
        board.income,
        board.classes,
        board.exits_by_year,
        board.target,
        board.monitoring,
    )


def test_an_ordinary_rural_household_changes_no_figure_of_the_registered_poor(town_data, official, dongfeng, helper):
    before = _figures(selectors.dashboard(user=official))
    _ordinary_household(dongfeng, helper)
    assert _figures(selectors.dashboard(user=official)) == before


def test_an_ordinary_rural_household_changes_no_figure_of_the_village_dashboard(town_data, alice, dongfeng, helper):
    before = _figures(selectors.dashboard(user=alice, village=dongfeng))
    _ordinary_household(dongfeng, helper)
    assert _figures(selectors.dashboard(user=alice, village=dongfeng)) == before


def test_the_dashboards_run_the_same_queries_with_an_ordinary_household(
    client, official, alice, dongfeng, helper, django_assert_num_queries, town_data
):
    _ordinary_household(dongfeng, helper)
    client.force_login(official)
    with django_assert_num_queries(TOWN_DASHBOARD_QUERIES):
        assert client.get(reverse("reports:town")).status_code == 200
    client.force_login(alice)
    with django_assert_num_queries(VILLAGE_DASHBOARD_QUERIES):
        assert client.get(reverse("reports:village", args=[dongfeng.pk])).status_code == 200
