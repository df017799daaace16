"""The dashboards count the figures kept on each household: on random data written through the services, every
figure equals the one a plain computation from the source tables gives, household by household."""

import datetime as dt
import random
import uuid
from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from accounts.models import Role
from households import summaries
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus, PovertyCause, Relation
from households.classification import POST_EXIT_STATUSES, ExitClass
from households.models import Assessment, Household, IncomeLine
from households.selectors import UNCLASSIFIED
from households.services import (
    MemberWrite,
    assessment_record,
    classification_confirm,
    household_save,
    income_record_save,
)
from households.tests.factories import (
    AssignmentFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    valid_id_number,
)
from reports import selectors
from visits.models import Visit, VisitRule
from visits.periods import period_of
from visits.services import visit_log

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REGISTERED_ON = dt.date(2016, 1, 1)
STATUS_RANK = {HouseholdStatus.UNEXITED: 0, HouseholdStatus.MONITORED: 1}


# ---------------------------------------------------------------- random households, written through the services


def random_households(rng: random.Random, villages: list, users: dict, count: int) -> None:
    """`count` households with random members, statuses, assessments, income, classes and visits.

    Everything a dashboard figure is kept from is written by its service; the status is set on the row (it is
    no kept figure: the dashboards read it where it is), as the history-free county seeder does.
    """
    line = IncomeLine.objects.get(year=2020).line
    for n in range(count):
        village = rng.choice(villages)
        general = rng.random() < 0.1
        household = household_save(
            household=None,
            values={
                "number": f"34032199{n:06d}",
                "village": village,
                "main_cause": "" if general else PovertyCause.ILLNESS,
                "registered_on": REGISTERED_ON,
            },
            members=[MemberWrite(values=member(rng, relation)) for relation in relations(rng)],
            user=users["official"],
            registered_as=HouseholdStatus.GENERAL if general else HouseholdStatus.UNEXITED,
        )
        if not general:
            set_status(rng, household)
        for _ in range(rng.randint(0, 3)):
            verdicts = {item.verdict_field: rng.random() > 0.15 for item in AssessmentItem}
            day = dt.date(rng.randint(2019, 2021), rng.randint(1, 12), rng.randint(1, 28))
            assessment_record(
                assessment=Assessment(household=household, assessed_on=day, **verdicts), user=users["official"]
            )
        for year in (2019, 2020):
            if rng.random() < 0.8:
                size = rng.randint(1, 5)
                write_income(household, year, rng.randint(-line, 3 * line) * size, size, users["official"])
        household.refresh_from_db()
        if household.status in POST_EXIT_STATUSES and rng.random() < 0.7:
            for _ in range(rng.randint(1, 2)):
                classification_confirm(
                    household=household,
                    confirmed_class=rng.choice(ExitClass.values),
                    reason="核实",
                    user=users["official"],
                )
        if rng.random() < 0.3:
            remove_a_member(household, users["official"])
        visit(rng, household, village, users)


def relations(rng) -> list[str]:
    return [Relation.HEAD, *rng.sample([Relation.SPOUSE, Relation.SON, Relation.DAUGHTER], rng.randint(0, 3))]


def member(rng, relation) -> dict:
    birth = dt.date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
    return {"name": f"王{rng.randint(1, 999)}", "id_number": valid_id_number(birth), "relation": relation}


def set_status(rng, household) -> None:
    status = rng.choice([HouseholdStatus.UNEXITED, HouseholdStatus.EXITED, HouseholdStatus.MONITORED])
    exit_year = None
    if status == HouseholdStatus.EXITED or (status == HouseholdStatus.MONITORED and rng.random() < 0.7):
        exit_year = rng.choice([2016, 2018, 2019, 2020])
    Household.objects.filter(pk=household.pk).update(status=status, exit_year=exit_year)


def write_income(household, year, net, size, user) -> None:
    wage, costs = max(net, 0), max(-net, 0)
    income_record_save(
        household=household,
        year=year,
        wage_income=wage,
        production_income=0,
        property_income=0,
        transfer_income=0,
        production_costs=costs,
        household_size=size,
        user=user,
    )


def remove_a_member(household, user) -> None:
    members = list(household.members.order_by("pk"))
    leaving = next((m for m in members if m.relation != Relation.HEAD), None)
    if leaving is None:
        return
    household_save(
        household=household,
        values={"address": "搬走一人"},
        members=[MemberWrite(pk=m.pk, delete=m is leaving) for m in members],
        user=user,
    )


def visit(rng, household, village, users) -> None:
    """Visits by its responsible person, its contact person and someone else, this month, this quarter or before."""
    responsible, contact = users["helper"], users["cadres"][village.pk]
    AssignmentFactory(
        household=household, person=responsible, role=AssignmentRole.RESPONSIBLE, start_date=REGISTERED_ON
    )
    AssignmentFactory(household=household, person=contact, role=AssignmentRole.CONTACT, start_date=REGISTERED_ON)
    for _ in range(rng.randint(0, 3)):
        visitor = rng.choice([responsible, contact, users["official"]])
        day = TODAY - dt.timedelta(days=rng.choice([0, TODAY.day - 1, rng.randint(0, 40), rng.randint(40, 120)]))
        entry = Visit(household=household, client_key=uuid.uuid4(), visited_on=day, method="home")
        visit_log(visit=entry, user=visitor)


# ---------------------------------------------------------------- the plain computation


def computed(households: list[Household], line_year: int = 2020) -> dict:
    """Every figure of a dashboard counted household by household from the source tables."""
    line = IncomeLine.objects.get(year=line_year)
    rules = list(VisitRule.objects.filter(active=True))
    month = TODAY.replace(day=1)
    villages, figures = defaultdict(Counter), Counter()
    exits, failing_lines = Counter(), []
    for h in households:
        row = villages[h.village_id]
        for rule in rules:
            period = period_of(month, rule.period)
            if rule.household_status == h.status and h.registered_on <= period.end:
                row["visits_required"] += 1
                row["visits_done"] += any(
                    v.role == rule.visitor_role and not v.late and period.start <= v.visited_on <= period.end
                    for v in h.visits.all()
                )
        if h.status == HouseholdStatus.GENERAL:
            continue
        people = len(h.members.all())
        row["registered"] += 1
        row[h.status] += 1
        assessments = sorted(h.assessments.all(), key=lambda a: (a.assessed_on, a.pk))
        latest = assessments[-1] if assessments else None
        failing = [item for item in AssessmentItem if latest and not getattr(latest, item.verdict_field)]
        row["failing"] += bool(failing)
        figures["assessed"] += latest is not None
        for item in failing:
            figures[f"item_{item.value}"] += 1
        if failing:
            rank = (STATUS_RANK.get(h.status, 2), h.village.code, h.number)
            failing_lines.append((rank, h.number, [str(item.label) for item in failing]))
        record = next((r for r in h.income_records.all() if r.year == line.year), None)
        if record is not None:
            cap = line.line * record.household_size
            row["below_line"] += record.net_income <= cap
            key = next(
                k for tenths, k in selectors.INCOME_BINS if tenths is None or record.net_income * 10 <= cap * tenths
            )
            figures[f"bin_{key}"] += 1
        if h.status == HouseholdStatus.UNEXITED:
            figures["people_unexited"] += people
        if h.status in POST_EXIT_STATUSES:
            current = [c for c in h.classifications.all() if c.current]
            figures[f"class_{current[0].confirmed_class if current else UNCLASSIFIED}"] += 1
            if h.exit_year:
                exits[(h.exit_year, "households")] += 1
                exits[(h.exit_year, "people")] += people
    return {
        "villages": villages,
        "figures": figures,
        "exits": exits,
        "failing": [(number, reasons) for _rank, number, reasons in sorted(failing_lines)][: selectors.LISTED_FAILING],
    }


def households_in(**scope) -> list[Household]:
    related = ("members", "assessments", "income_records", "classifications", "visits")
    return list(Household.objects.filter(**scope).select_related("village").prefetch_related(*related))


def assert_the_dashboard_counts_what_the_households_hold(board, expected) -> None:
    for row in board.villages:
        wanted = expected["villages"][row.village_id]
        for name in (*selectors.VillageFigures.HOUSEHOLD_COUNTS, "visits_required", "visits_done"):
            assert getattr(row, name) == wanted[name], (row.name, name)
    figures = expected["figures"]
    for name in selectors.VillageFigures.HOUSEHOLD_COUNTS:
        assert getattr(board.total, name) == sum(v[name] for v in expected["villages"].values()), name
    assert [(e.item.value, e.failing, e.assessed) for e in board.items] == [
        (item.value, figures[f"item_{item.value}"], figures["assessed"]) for item in AssessmentItem
    ]
    assert board.not_assessed == board.total.registered - figures["assessed"]
    assert {b.key: b.count for b in board.income.bins} == {k: figures[f"bin_{k}"] for _t, k in selectors.INCOME_BINS}
    assert board.income.without_record == board.total.registered - sum(b.count for b in board.income.bins)
    assert {value: n for value, _label, n in board.classes} == {
        value: figures[f"class_{value}"] for value in [*ExitClass.values, UNCLASSIFIED]
    }
    assert [(e.year, e.households, e.people) for e in board.exits_by_year] == [
        (year, expected["exits"][(year, "households")], expected["exits"][(year, "people")])
        for year in sorted({year for year, _kind in expected["exits"]})
    ]
    assert board.people_unexited == figures["people_unexited"]
    assert [(line.number, line.reasons) for line in board.failing_households] == expected["failing"]


@pytest.fixture
def random_county(town, dongfeng, hongqi, official, alice, bob, helper):
    """Random households in the town's two villages and in a village of another town."""

    def build(seed: int):
        elsewhere = VillageFactory(town=TownFactory(code="340399", name="外镇"), code="09", name="外村")
        stranger = UserFactory(role=Role.CADRE, villages=[elsewhere])
        admin = UserFactory(role=Role.ADMIN, is_superuser=True)
        users = {"official": admin, "admin": admin, "helper": helper, "cadres": {dongfeng.pk: alice, hongqi.pk: bob}}
        users["cadres"][elsewhere.pk] = stranger
        random_households(random.Random(seed), [dongfeng, hongqi, elsewhere], users, count=36)
        return elsewhere

    return build


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_town_dashboard_equals_the_plain_computation_on_random_households(random_county, official, town, seed):
    random_county(seed)
    expected = computed(households_in(village__town=town))
    assert_the_dashboard_counts_what_the_households_hold(selectors.dashboard(user=official), expected)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_village_and_county_dashboards_equal_the_plain_computation(random_county, alice, dongfeng, seed):
    random_county(seed)
    board = selectors.dashboard(user=alice, village=dongfeng)
    assert_the_dashboard_counts_what_the_households_hold(board, computed(households_in(village=dongfeng)))
    admin = UserFactory(role=Role.ADMIN, is_superuser=True)
    assert_the_dashboard_counts_what_the_households_hold(selectors.dashboard(user=admin), computed(households_in()))


def test_a_new_years_line_is_counted_from_the_income_records_until_the_kept_figures_catch_up(
    random_county, official, town, caplog
):
    random_county(6)
    IncomeLine.objects.create(year=TODAY.year, line=6_000)  # not through its admin page: nothing is refreshed
    for household in Household.objects.filter(village__town=town).order_by("pk")[:8]:
        write_income(household, TODAY.year, 9_000, 2, official)
    expected = computed(households_in(village__town=town), line_year=TODAY.year)
    assert_the_dashboard_counts_what_the_households_hold(selectors.dashboard(user=official), expected)
    assert "keep the income of another year" in caplog.text

    summaries.refresh_income()
    caplog.clear()
    assert_the_dashboard_counts_what_the_households_hold(selectors.dashboard(user=official), expected)
    assert "keep the income of another year" not in caplog.text


def test_without_any_income_line_the_dashboard_shows_no_income_whatever_income_is_kept(random_county, official):
    random_county(7)
    assert Household.objects.filter(income_year=2020).exists()
    IncomeLine.objects.all().delete()
    board = selectors.dashboard(user=official)
    assert (board.income, board.total.below_line) == (None, 0)
