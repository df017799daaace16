"""seed_county fills an empty database with a valid county, deterministically, and refuses a second time.

A county of 300 households in 2 towns is seeded once for this module, inside
a transaction rolled back at the end; each test still runs in its own
savepoint. Before that, the same county is seeded and rolled back once, so that
the two draws can be compared. Figures are counted from the database and
compared with the brief's rules, never with constants of the code under test.
"""

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import Role, User
from households import idnumbers, summaries
from households.choices import AssignmentRole, HouseholdStatus, Relation
from households.models import Assessment, Assignment, Household, Member, StatusChange, Target, Town
from visits.models import FlagKind, Visit, VisitFlag
from visits.services import visits_flag

HOUSEHOLDS, TOWNS = 300, 2
CAMPAIGN_START = dt.date(2020, 1, 1)


def seed(out: io.StringIO) -> None:
    call_command("seed_county", households=HOUSEHOLDS, towns=TOWNS, seed=7, stdout=out)


def fingerprint() -> dict[str, list]:
    """The county by natural keys only: primary keys may differ between two runs (PostgreSQL sequences)."""
    return {
        "households": list(Household.objects.order_by("number").values_list("number", "status", "exit_year")),
        "members": list(Member.objects.order_by("id_number").values_list("id_number", "name", "relation")),
        "visits": list(Visit.objects.order_by("client_key").values_list("client_key", "household__number")),
    }


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker):
    """Seed twice (the first run rolled back at once), keep the second for the module, then roll it back too."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            seed(io.StringIO())
            first = fingerprint()
            transaction.set_rollback(True)
        with transaction.atomic():
            out = io.StringIO()
            seed(out)
            yield {"first": first, "output": out.getvalue()}
            transaction.set_rollback(True)


# The mark also makes pytest-django set up the test database, which the module fixture relies on.
pytestmark = pytest.mark.django_db


def test_the_command_creates_exactly_the_households_and_towns_asked_for(county):
    assert Household.objects.count() == HOUSEHOLDS
    assert Town.objects.count() == TOWNS
    per_town = Counter(Household.objects.values_list("village__town_id", flat=True))
    assert sorted(per_town.values()) == [HOUSEHOLDS // TOWNS] * TOWNS


def test_the_same_seed_draws_the_same_county(county):
    assert fingerprint() == county["first"]


def test_every_member_has_a_valid_id_number_agreeing_with_their_birth_date_and_sex(county):
    members = list(Member.objects.values_list("id_number", "birth_date", "sex"))
    assert len(members) >= 2 * HOUSEHOLDS  # about three to a household
    for id_number, birth_date, sex in members:
        facts = idnumbers.parse(id_number)
        assert (facts.birth_date, facts.sex) == (birth_date, sex), id_number
    assert len({id_number for id_number, _birth, _sex in members}) == len(members)


def test_every_household_has_exactly_one_head(county):
    heads = Household.objects.annotate(heads=Count("members", filter=Q(members__relation=Relation.HEAD)))
    assert Counter(heads.values_list("heads", flat=True)) == {1: HOUSEHOLDS}


def test_every_unexited_household_has_a_responsible_and_a_contact_person(county):
    unexited = Household.objects.filter(status=HouseholdStatus.UNEXITED)
    assert unexited.exists()
    for role in (AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT):
        assigned = Assignment.objects.current().filter(role=role, household__in=unexited)
        assert assigned.values("household").distinct().count() == unexited.count(), role
    responsible = Assignment.objects.current().filter(role=AssignmentRole.RESPONSIBLE, household__in=unexited)
    assert set(responsible.values_list("person__role", flat=True)) == {Role.RESPONSIBLE}


def test_the_users_are_an_admin_an_official_per_town_and_a_cadre_per_village_none_with_a_password(county):
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles[Role.ADMIN] == 1
    assert roles[Role.OFFICIAL] == TOWNS
    assert User.objects.filter(role=Role.OFFICIAL, town__isnull=True).count() == 0
    cadres = User.objects.filter(role=Role.CADRE).annotate(villages_count=Count("villages"))
    assert set(cadres.values_list("villages_count", flat=True)) == {1}
    assert cadres.count() == Household.objects.values("village").distinct().count()
    assert not any(user.has_usable_password() for user in User.objects.all())


def test_about_one_visit_a_month_per_assigned_household_each_with_its_own_client_key(county):
    visits = Visit.objects.count()
    assigned = Assignment.objects.current().filter(role=AssignmentRole.RESPONSIBLE).count()
    assert 10 * assigned < visits < 14 * assigned  # twelve months
    assert Visit.objects.values("client_key").distinct().count() == visits
    assert not Visit.objects.filter(visited_on__gt=timezone.localdate()).exists()


def test_the_daily_visit_job_finds_the_flags_it_would_have_left(county):
    today = timezone.localdate()
    assert VisitFlag.objects.open().filter(kind=FlagKind.OVERDUE).exists()
    assert not VisitFlag.objects.open().filter(kind=FlagKind.OVERDUE, period_end__gte=today).exists()
    run = visits_flag(on=today)
    assert (run.raised, run.escalated, run.cleared, run.notified) == (0, 0, 0, 0)


def test_each_town_has_a_2020_target_of_the_households_and_people_poor_at_the_start_of_2020(county):
    became_poor = StatusChange.objects.filter(to_status=HouseholdStatus.UNEXITED, changed_on__lte=CAMPAIGN_START)
    left_before = StatusChange.objects.filter(
        from_status=HouseholdStatus.UNEXITED, changed_on__lt=CAMPAIGN_START
    ).values("household")
    poor = Household.objects.filter(pk__in=became_poor.values("household")).exclude(pk__in=left_before)
    for town in Town.objects.all():
        target = Target.objects.get(town=town, year=2020)
        in_town = poor.filter(village__town=town)
        assert target.as_of == CAMPAIGN_START
        assert set(target.cohort.values_list("household", flat=True)) == set(in_town.values_list("pk", flat=True))
        assert target.cohort.count() > 0
        assert target.cohort.aggregate(n=Sum("people"))["n"] == Member.objects.filter(household__in=in_town).count()
    exited_in_2020 = poor.filter(status=HouseholdStatus.EXITED, exit_year=2020)
    assert exited_in_2020.exists()  # the burn-down has something to show


def test_every_household_status_is_the_end_of_its_history(county):
    for household in Household.objects.prefetch_related("status_changes"):
        changes = sorted(household.status_changes.all(), key=lambda c: c.changed_on)
        assert changes[-1].to_status == household.status, household.number
        if household.exit_year:
            exits = [c for c in changes if c.to_status == HouseholdStatus.EXITED]
            assert [c.changed_on.year for c in exits] == [household.exit_year], household.number


def test_every_household_points_at_its_own_latest_assessment_and_a_few_fail(county):
    pointing = Household.objects.filter(latest_assessment__household=F("pk"))
    assert pointing.count() == HOUSEHOLDS == Assessment.objects.count()
    failing = Assessment.objects.filter(
        Q(food_ok=False)
        | Q(clothing_ok=False)
        | Q(education_ok=False)
        | Q(medical_ok=False)
        | Q(housing_ok=False)
        | Q(water_ok=False)
    ).count()
    assert 0 < failing < HOUSEHOLDS // 10


def test_a_second_run_refuses_and_changes_nothing(county):
    tables = (Household, Member, Visit, VisitFlag, User, Town, Target, Assignment)
    before = {model: model.objects.count() for model in tables}
    with pytest.raises(CommandError, match="already holds 300 households"):
        seed(io.StringIO())
    assert {model: model.objects.count() for model in tables} == before


def test_the_command_reports_each_table_it_wrote(county):
    output = county["output"]
    for label in ("households.Household", "households.Member", "visits.Visit", "infrastructure.Project"):
        assert label in output
    assert "Seeded 2 towns" in output


def test_every_household_keeps_the_dashboard_figures_a_fresh_computation_gives(county):
    assert not summaries.stale().exists()
    assert Household.objects.filter(people_count__gt=0).count() == HOUSEHOLDS
    assert "dashboard figures" in county["output"]
