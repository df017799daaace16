"""The dashboards' monitoring figures: each against a count the test makes over the rows, in the user's scope."""

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from households.choices import HouseholdStatus
from households.models import StatusChange
from households.tests.factories import HouseholdFactory, TownFactory, UserFactory, VillageFactory
from monitoring.models import HELPED_STATES, IDENTIFYING_STATES, CaseState, MonitoringCase, Origin
from reports import selectors

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
DAY = dt.timedelta(days=1)
LATER_STATES = [CaseState.IDENTIFIED, *HELPED_STATES, CaseState.RISK_REMOVED]


def make_case(household, state: str, reported_on: dt.date, rng: random.Random) -> MonitoringCase:
    """A case in `state`, each step done a few days after the one before it (never after today)."""

    def after(day, low, high):
        return min(day + dt.timedelta(days=rng.randint(low, high)), TODAY)

    case = MonitoringCase(
        household=household,
        kind="unstable",
        origin=rng.choice(Origin.values),
        risks=["illness"],
        description="户主住院",
        state=state,
        reported_on=reported_on,
        deadline_on=reported_on + dt.timedelta(days=15),
    )
    steps = [CaseState.VERIFIED, CaseState.REVIEWED, *LATER_STATES]
    if state in steps:
        case.verified_on = after(reported_on, 0, 4)
    if state in steps[1:]:
        case.reviewed_on = after(case.verified_on, 0, 4)
    if state in LATER_STATES:
        case.confirmed_on = after(case.reviewed_on, 0, 6)
    if state in (CaseState.REMOVAL_APPRAISED, CaseState.REMOVAL_PUBLICISED, CaseState.RISK_REMOVED):
        case.removal_appraised_on = after(case.confirmed_on, 180, 300)
    if state in (CaseState.REMOVAL_PUBLICISED, CaseState.RISK_REMOVED):
        case.removal_publicised_on = after(case.removal_appraised_on, 0, 3)
    if state == CaseState.RISK_REMOVED:
        case.removed_on = after(case.removal_publicised_on, 7, 12)
    if state == CaseState.DISMISSED:
        case.dismissed_on, case.dismissal_reason = after(reported_on, 1, 10), "收入高于监测线"
    case.save()
    return case


@pytest.fixture
def monitoring(town, dongfeng, hongqi):
    """Sixty households in three villages of two towns, a case each in every state (some late), some with a
    closed case of an earlier year too, and status changes of this year and last, returns to poverty among them."""
    rng = random.Random(16)
    elsewhere = VillageFactory(town=TownFactory(code="888", name="外镇"), name="外村", code="09")
    villages = [dongfeng, hongqi, elsewhere]
    for n in range(60):
        household = HouseholdFactory(village=villages[n % 3], status=HouseholdStatus.EXITED, exit_year=2019)
        state = CaseState.values[n % len(CaseState.values)]
        # Within the year for most; over a year ago for some, so that not every step falls in this year.
        reported_on = TODAY - dt.timedelta(days=rng.choice([rng.randint(0, 40), rng.randint(200, 700)]))
        if rng.random() < 0.3:
            make_case(
                household, rng.choice([CaseState.RISK_REMOVED, CaseState.DISMISSED]), reported_on - 900 * DAY, rng
            )
        make_case(household, state, reported_on, rng)
        if rng.random() < 0.4:
            StatusChange.objects.create(
                household=household,
                from_status=rng.choice([HouseholdStatus.EXITED, HouseholdStatus.MONITORED, HouseholdStatus.GENERAL]),
                to_status=rng.choice([HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED]),
                changed_on=rng.choice([dt.date(YEAR, 1, 1), TODAY, dt.date(YEAR - 1, 12, 31)]),
                reason="测试",
            )
    # A return this year in each village, whatever the draws above.
    for village in villages:
        StatusChange.objects.create(
            household=HouseholdFactory(village=village),
            from_status=HouseholdStatus.EXITED,
            to_status=HouseholdStatus.UNEXITED,
            changed_on=TODAY,
            reason="返贫",
        )
    return villages


def tally(villages) -> dict:
    """The figures counted in plain Python over every case and status change of these villages."""
    cases = [c for c in MonitoringCase.objects.select_related("household") if c.household.village in villages]
    changes = [s for s in StatusChange.objects.select_related("household") if s.household.village in villages]
    return {
        "identified": sum(1 for c in cases if c.confirmed_on and c.confirmed_on.year == YEAR),
        "helped": sum(1 for c in cases if c.state in HELPED_STATES),
        "removed": sum(1 for c in cases if c.removed_on and c.removed_on.year == YEAR),
        "candidates": sum(1 for c in cases if c.state == CaseState.CANDIDATE),
        "late": sum(1 for c in cases if c.state in IDENTIFYING_STATES and c.deadline_on < TODAY),
        "returned": sum(
            1
            for s in changes
            if s.changed_on.year == YEAR
            and s.from_status in (HouseholdStatus.EXITED, HouseholdStatus.MONITORED)
            and s.to_status == HouseholdStatus.UNEXITED
        ),
        "candidate_pks": {c.pk for c in cases if c.state == CaseState.CANDIDATE},
        "late_pks": {c.pk for c in cases if c.state in IDENTIFYING_STATES and c.deadline_on < TODAY},
    }


def figures_of(board) -> dict:
    m = board.monitoring
    return {name: getattr(m, name) for name in ("identified", "helped", "removed", "candidates", "late", "returned")}


def test_the_town_dashboard_counts_this_years_monitoring_of_the_officials_town_only(monitoring, official):
    dongfeng, hongqi, _elsewhere = monitoring
    expected = tally([dongfeng, hongqi])
    board = selectors.dashboard(user=official)
    assert figures_of(board) == {name: expected[name] for name in figures_of(board)}
    assert board.monitoring.year == YEAR
    assert expected["candidates"]
    assert expected["helped"]
    assert expected["late"]
    assert expected["returned"] >= 2


def test_an_administrator_sees_the_monitoring_of_every_town(monitoring):
    admin = UserFactory(role="admin")
    expected = tally(monitoring)
    board = selectors.dashboard(user=admin)
    assert figures_of(board) == {name: expected[name] for name in figures_of(board)}
    assert expected["returned"] >= 3


def test_the_village_dashboard_lists_the_cadres_candidates_and_late_cases_only(monitoring, alice):
    dongfeng = monitoring[0]
    expected = tally([dongfeng])
    board = selectors.dashboard(user=alice, village=dongfeng)
    assert {line.pk for line in board.candidates} == expected["candidate_pks"]
    assert {line.pk for line in board.late_cases} == expected["late_pks"]
    assert (board.monitoring.candidates, board.monitoring.late) == (expected["candidates"], expected["late"])
    assert all(line.village == dongfeng.name for line in board.candidates + board.late_cases)
    assert all(line.late for line in board.late_cases)
    assert board.monitoring.returned is None  # the town's figure


def test_a_case_due_today_is_not_late_and_one_due_yesterday_is(alice, dongfeng):
    rng = random.Random(1)
    due_today = make_case(HouseholdFactory(village=dongfeng), CaseState.VERIFIED, TODAY - 15 * DAY, rng)
    due_yesterday = make_case(HouseholdFactory(village=dongfeng), CaseState.REVIEWED, TODAY - 16 * DAY, rng)
    board = selectors.dashboard(user=alice, village=dongfeng)
    assert [line.pk for line in board.late_cases] == [due_yesterday.pk]
    assert due_today.pk not in {line.pk for line in board.late_cases}


def test_the_village_page_names_each_candidate_and_links_it_and_the_register(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, head__name="赵六", number="3403210010010042")
    case = make_case(household, CaseState.CANDIDATE, TODAY - 20 * DAY, random.Random(2))
    client.force_login(alice)
    page = client.get(reverse("reports:village", args=[dongfeng.pk])).text
    detail = reverse("monitoring:detail", args=[case.pk])
    assert page.count(f'href="{detail}"') == 2  # to verify, and late
    assert "赵六" in page
    assert 'data-short="0042"' in page
    assert f'href="{reverse("monitoring:cases")}?village={dongfeng.pk}&amp;state=candidate"' in page
    assert f'href="{reverse("monitoring:cases")}?village={dongfeng.pk}&amp;late=1"' in page


def test_the_village_page_says_when_there_is_nothing_to_verify_and_nothing_late(client, alice, dongfeng):
    client.force_login(alice)
    page = client.get(reverse("reports:village", args=[dongfeng.pk])).text
    assert "candidates-empty" in page
    assert "late-cases-empty" in page


def test_the_town_page_shows_returns_to_poverty_green_at_zero_and_red_otherwise(client, official, dongfeng):
    client.force_login(official)
    assert "monitoring-returned text-success" in client.get(reverse("reports:town")).text
    StatusChange.objects.create(
        household=HouseholdFactory(village=dongfeng),
        from_status=HouseholdStatus.MONITORED,
        to_status=HouseholdStatus.UNEXITED,
        changed_on=TODAY,
        reason="返贫",
    )
    assert "monitoring-returned text-danger" in client.get(reverse("reports:town")).text


def test_the_town_page_links_the_waiting_and_late_figures_to_the_register(client, official, monitoring):
    client.force_login(official)
    page = client.get(reverse("reports:town")).text
    register = reverse("monitoring:cases")
    assert f'href="{register}?state=candidate"' in page
    assert f'href="{register}?late=1"' in page


def test_the_monitoring_figures_cost_the_same_queries_for_no_case_and_sixty(
    request, official, alice, dongfeng, django_assert_num_queries
):
    """Town: the aggregate over cases, the count of returns; village: the aggregate and its two lists."""
    counts = []
    _ = alice.scope, official.scope  # their villages and town, read once, as a request's middleware does
    for seeded in (False, True):
        if seeded:
            request.getfixturevalue("monitoring")
        with django_assert_num_queries(2) as town_queries:
            selectors._monitoring(official, None, TODAY)
        with django_assert_num_queries(3) as village_queries:
            selectors._monitoring(alice, dongfeng, TODAY)
            selectors._case_lists(alice, dongfeng, TODAY)
        counts.append((len(town_queries), len(village_queries)))
    assert counts[0] == counts[1]


def test_each_linked_monitoring_figure_equals_the_count_of_the_register_it_opens(client, official, alice, monitoring):
    dongfeng = monitoring[0]
    client.force_login(official)
    town = client.get(reverse("reports:town")).context["d"].monitoring
    for query, figure in (({"state": "candidate"}, town.candidates), ({"late": "1"}, town.late)):
        assert client.get(reverse("monitoring:cases"), query).context["page"].paginator.count == figure
    client.force_login(alice)
    village = client.get(reverse("reports:village", args=[dongfeng.pk])).context["d"].monitoring
    for query, figure in (({"state": "candidate"}, village.candidates), ({"late": "1"}, village.late)):
        query["village"] = dongfeng.pk
        assert client.get(reverse("monitoring:cases"), query).context["page"].paginator.count == figure
