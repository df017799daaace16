"""seed_demo loads the town of the 2020 plan exactly, validly, with a history that is true, and only once.

The town is seeded once for the session (conftest's demo_town), inside a transaction
rolled back at the end, because building it takes seconds; each test still runs in its own
savepoint, so the tests that run the command again leave no trace. Every figure
is counted from the database and compared with the plan's numbers written out
here, or with what the registry's own rules say of the rows beside it, never
with constants of the code under test. The story: 1,654 households / 4,425
people out of poverty in 2014-2019; the 25 households / 70 people still poor at
the start of 2020 lifted during 2020; since then, the years of consolidation up
to the day the demo is loaded.
"""

import datetime as dt
import io
import itertools
import re
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Reach, Role, User
from households import classification, idnumbers
from households.choices import AssessmentItem, HouseholdStatus, MonitorKind, PovertyCause, Relation
from households.classification import POST_EXIT_STATUSES
from households.idnumbers import age_on
from households.models import (
    Assessment,
    Assignment,
    Classification,
    Household,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    Target,
    Town,
    Village,
    VillagerGroup,
)
from reports import selectors

VILLAGE_NAMES = [
    "东风村",
    "红旗村",
    "新集村",
    "王庄村",
    "李圩村",
    "张湖村",
    "刘集村",
    "陈桥村",
    "杨楼村",
    "赵圩村",
    "孙岗村",
]
PLAN_DAY = dt.date(2020, 1, 1)  # the work plan's day: who was still poor then is the 2020 target
LINE_2020 = 5000  # the plan: per-capita net income must exceed 5,000 yuan in 2020
EXITED, UNEXITED, MONITORED = HouseholdStatus.EXITED, HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]


def run_seed_demo(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def histories() -> dict[int, list[StatusChange]]:
    """Each household's status history, oldest first."""
    result = defaultdict(list)
    for change in StatusChange.objects.order_by("changed_on", "pk"):
        result[change.household_id].append(change)
    return result


def status_on(history: list[StatusChange], day: dt.date) -> str:
    """The status at the end of `day` by the history ("" before it starts)."""
    status = ""
    for change in history:
        if change.changed_on > day:
            break
        status = change.to_status
    return status


def assessments() -> dict[int, list[Assessment]]:
    result = defaultdict(list)
    for assessment in Assessment.objects.order_by("assessed_on", "pk"):
        result[assessment.household_id].append(assessment)
    return result


def in_force(checks: list[Assessment], day: dt.date) -> Assessment | None:
    """The assessment in force at the end of `day`: the latest of those made by then."""
    return next((check for check in reversed(checks) if check.assessed_on <= day), None)


def incomes() -> dict[tuple[int, int], IncomeRecord]:
    return {(record.household_id, record.year): record for record in IncomeRecord.objects.all()}


def lines() -> dict[int, IncomeLine]:
    return IncomeLine.objects.in_bulk(field_name="year")


def first_exit(history: list[StatusChange]) -> dt.date | None:
    return next((change.changed_on for change in history if change.to_status == EXITED), None)


def monitored_years(history: list[StatusChange]) -> set[int]:
    """The years in which the household was monitored at some time."""
    years, since = set(), None
    for change in history:
        if change.to_status == MONITORED:
            since = change.changed_on
        elif change.from_status == MONITORED:
            years |= set(range(since.year, change.changed_on.year + 1))
            since = None
    if since is not None:
        years |= set(range(since.year, timezone.localdate().year + 1))
    return years


def the_2020_target() -> Target:
    return Target.objects.get(town__code="340321001", year=2020)


# ---------------------------------------------------------------- who left poverty when


def test_1654_households_and_4425_people_left_poverty_in_2014_2019_by_their_history():
    lifted = [pk for pk, history in histories().items() if (first_exit(history) or PLAN_DAY).year in range(2014, 2020)]

    assert len(lifted) == 1654
    assert Member.objects.filter(household__in=lifted).count() == 4425
    years = Household.objects.filter(pk__in=lifted).values_list("identified_year", "exit_year")
    assert {exit_year for _identified, exit_year in years} == {2014, 2015, 2016, 2017, 2018, 2019}
    assert {identified for identified, _exit_year in years} <= {2013, 2014, 2015, 2016}
    assert all(identified <= exit_year for identified, exit_year in years)


def test_the_town_dashboard_counts_the_same_exits_by_year_as_the_history(client):
    exits = selectors.dashboard(user=User.objects.get(username="official")).exits_by_year
    by_history = Counter(
        first_exit(history).year for history in histories().values() if first_exit(history) is not None
    )

    assert {row.year: row.households for row in exits} == dict(by_history)
    assert sum(row.households for row in exits if row.year < 2020) == 1654
    assert sum(row.people for row in exits if row.year < 2020) == 4425
    assert [(row.households, row.people) for row in exits if row.year == 2020] == [(25, 70)]


def test_the_2020_target_is_the_25_households_and_70_people_still_poor_at_its_start():
    target = the_2020_target()
    cohort = set(target.cohort.values_list("household_id", flat=True))
    poor_then = {
        pk for pk, history in histories().items() if status_on(history, PLAN_DAY - dt.timedelta(1)) == UNEXITED
    }

    assert target.as_of == PLAN_DAY
    assert cohort == poor_then
    assert (len(cohort), target.cohort.aggregate(people=Sum("people"))["people"]) == (25, 70)
    assert Member.objects.filter(household__in=cohort).count() == 70


def test_the_25_left_poverty_month_by_month_during_2020_the_last_in_december():
    cohort = set(the_2020_target().cohort.values_list("household_id", flat=True))
    exits = {pk: first_exit(history) for pk, history in histories().items() if pk in cohort}

    assert all(day is not None and day.year == 2020 for day in exits.values())
    months = Counter(day.month for day in exits.values())
    assert max(months) == 12
    assert len(months) >= 8, "spread over the year"
    assert months[1] == 0, "nobody is lifted before the plan's measures have worked"
    assert not StatusChange.objects.filter(household__in=cohort, to_status=UNEXITED, changed_on__gte=PLAN_DAY)


def test_the_2020_burn_down_from_the_dashboards_year_runs_from_25_to_0_by_december(client):
    cohort = set(the_2020_target().cohort.values_list("household_id", flat=True))
    exits = [first_exit(history) for pk, history in histories().items() if pk in cohort]
    client.force_login(User.objects.get(username="official"))

    landing = client.get(reverse("home"), follow=True)
    chosen = client.get(reverse("reports:town"), {"year": 2020})

    target = chosen.context["d"].target
    assert landing.context["d"].target_years == [2020] == chosen.context["d"].target_years
    assert landing.context["d"].target == target
    assert (target.year, target.households, target.people) == (2020, 25, 70)
    remaining = [point.remaining for point in target.burndown]
    assert [point.month for point in target.burndown] == [dt.date(2020, month, 1) for month in range(1, 13)]
    assert remaining == [25 - sum(1 for day in exits if day.month <= month) for month in range(1, 13)]
    assert remaining[-1] == 0
    assert all(earlier >= later for earlier, later in itertools.pairwise(remaining))
    assert [point.remaining_people for point in target.burndown][-1] == 0
    assert (target.remaining_households, target.lifted_households, target.lifted_people) == (0, 25, 70)
    assert target.percent == 100
    assert b'<th scope="row">2020-12</th><td class="text-end">0</td>' in chosen.content


def test_nobody_is_still_poor_today_and_a_few_fell_into_risk_since_2020():
    history = histories()
    fell = {pk for pk, changes in history.items() if any(c.to_status == MONITORED for c in changes)}
    out_of_risk = {
        pk
        for pk, changes in history.items()
        if any(c.from_status == MONITORED and c.to_status == EXITED for c in changes)
    }
    never_poor = {pk for pk, changes in history.items() if changes[0].to_status == HouseholdStatus.GENERAL}

    assert not Household.objects.filter(status=UNEXITED).exists()
    assert 8 <= len(fell) <= 15
    assert 3 <= len(out_of_risk) < len(fell - never_poor), "some, not all, are out of risk again"
    assert set(Household.objects.filter(status=MONITORED).values_list("pk", flat=True)) == fell - out_of_risk
    assert never_poor, "households never poor are watched too (边缘易致贫户)"
    for changes in history.values():
        for change in changes:
            if change.to_status == MONITORED:
                assert change.changed_on >= dt.date(2021, 1, 1)
                assert change.reason


def test_households_found_close_to_poverty_later_were_registered_as_ordinary_then_monitored_and_not_in_the_target():
    marginal = Household.objects.filter(monitor_kind=MonitorKind.MARGINAL)
    cohort = the_2020_target().cohort.values_list("household_id", flat=True)

    assert marginal.exists()
    for household in marginal.prefetch_related("status_changes"):
        registered, monitored = sorted(household.status_changes.all(), key=lambda change: change.changed_on)
        general = HouseholdStatus.GENERAL
        assert (registered.from_status, registered.to_status, registered.changed_on) == (
            "",
            general,
            household.registered_on,
        )
        assert (monitored.from_status, monitored.to_status) == (general, MONITORED)
        assert household.registered_on < monitored.changed_on <= household.registered_on + dt.timedelta(days=15)
        assert household.registered_on > PLAN_DAY
        assert (household.identified_year, household.exit_year) == (None, None)
        assert household.pk not in cohort


def test_each_history_is_a_chain_that_ends_in_the_households_status_and_exit_year():
    households = Household.objects.in_bulk()
    for pk, changes in histories().items():
        household = households[pk]
        first = changes[0]
        assert first.from_status == ""
        if household.identified_year is not None:
            assert (first.to_status, first.changed_on) == (UNEXITED, dt.date(household.identified_year, 1, 1))
            assert household.registered_on == first.changed_on
        for before, after in itertools.pairwise(changes):
            assert after.from_status == before.to_status != after.to_status
            assert after.changed_on >= before.changed_on
            assert after.reason.strip()
        assert changes[-1].to_status == household.status
        assert (household.monitor_kind != "") == (household.status == MONITORED)
        if household.status == MONITORED:
            unstable = household.identified_year is not None  # poor once, out, then at risk
            assert household.monitor_kind == (MonitorKind.UNSTABLE if unstable else MonitorKind.MARGINAL)
        # The exit year is the year the household was lifted; a risk removed later keeps it.
        exit_on = first_exit(changes)
        assert household.exit_year == (exit_on.year if exit_on else None)
        assert all(change.changed_on <= timezone.localdate() for change in changes)


def test_every_exit_passed_2w3g_and_had_income_above_that_years_line_on_its_day():
    checks, records, line = assessments(), incomes(), lines()
    exits = StatusChange.objects.filter(to_status=EXITED)

    assert exits.count() > 1679
    for change in exits:
        check = in_force(checks[change.household_id], change.changed_on)
        record = records[change.household_id, change.changed_on.year]
        assert check is not None, change
        assert check.passes, change
        assert record.is_above(line[change.changed_on.year]), change


def test_exited_households_are_above_their_years_line_unless_monitored_and_were_below_it_before_exit():
    line = lines()
    records = defaultdict(list)
    for record in IncomeRecord.objects.all():
        records[record.household_id].append(record)
    above_while_exited = 0
    for pk, changes in histories().items():
        exit_on = first_exit(changes)
        monitored_in = monitored_years(changes)
        for record in records[pk]:
            if record.year in monitored_in:
                continue
            if exit_on is not None and record.year >= exit_on.year:
                assert record.is_above(line[record.year]), (pk, record.year)
                above_while_exited += 1
            else:
                assert not record.is_above(line[record.year]), (pk, record.year)
    assert above_while_exited > 1654 * 6


def test_town_has_the_eleven_villages_in_order_each_with_four_to_eight_groups():
    town = Town.objects.get(code="340321001")
    villages = list(Village.objects.filter(town=town).order_by("code").annotate(groups_count=Count("groups")))

    assert town.name == "固镇"
    assert [village.name for village in villages] == VILLAGE_NAMES
    assert len({village.code for village in villages}) == 11
    assert all(4 <= village.groups_count <= 8 for village in villages)
    assert set(VillagerGroup.objects.values_list("name", flat=True)) >= {"第一村民小组", "第四村民小组"}
    assert all(
        re.fullmatch(r"第[一二三四五六七八]村民小组", name)
        for name in VillagerGroup.objects.values_list("name", flat=True)
    )


def test_households_are_spread_over_every_village_with_some_of_the_2020_target_in_the_cadres_villages():
    cohort = the_2020_target().cohort.values_list("household__village__name", flat=True)
    households_per_village = Counter(Household.objects.values_list("village__name", flat=True))

    assert Counter(cohort)["东风村"] >= 3
    assert Counter(cohort)["红旗村"] >= 2
    assert set(households_per_village) == set(VILLAGE_NAMES)
    assert len(set(households_per_village.values())) > 1, "households are spread unequally"
    assert Household.objects.count() == 1654 + 25 + Household.objects.filter(identified_year__isnull=True).count()


def test_every_household_has_a_group_of_its_village_an_address_and_a_mobile_phone():
    households = Household.objects.select_related("village", "group")

    for household in households:
        assert household.group.village_id == household.village_id
        assert household.address.startswith(household.village.name + household.group.name)
        assert re.fullmatch(r"1[358]\d{9}", household.phone)
    assert households.values("number").distinct().count() == households.count()


def test_every_household_has_exactly_one_head():
    heads = Counter(Member.objects.filter(relation=Relation.HEAD).values_list("household_id", flat=True))

    assert set(heads.values()) == {1}
    assert len(heads) == Household.objects.count()


def test_every_id_number_is_valid_unique_and_agrees_with_sex_and_birth_date():
    members = list(Member.objects.values_list("id_number", "sex", "birth_date"))

    for id_number, sex, birth_date in members:
        facts = idnumbers.parse(id_number)
        assert (facts.sex, facts.birth_date) == (sex, birth_date), id_number
        assert id_number.startswith("340321")
    assert len({id_number for id_number, _, _ in members}) == len(members)


def test_children_of_compulsory_school_age_are_at_school():
    members = Member.objects.values_list("birth_date", "student_status")

    school_age = [status for birth, status in members if 6 <= age_on(birth, PLAN_DAY) <= 15]

    assert school_age
    assert all(school_age)


def test_members_records_are_consistent():
    members = list(Member.objects.all())

    assert all(m.disability_grade is None or (m.health == "disabled" and 1 <= m.disability_grade <= 4) for m in members)
    assert all((m.work_months is None) == (m.migrant_work == "") for m in members)
    assert all(m.work_months is None or 1 <= m.work_months <= 12 for m in members)
    assert sum(m.medical_insurance for m in members) > 0.95 * len(members)
    assert sum(m.health == "healthy" for m in members) > len(members) / 2


def test_poverty_causes_are_known_and_other_causes_never_repeat_the_main_cause():
    for main_cause, other_causes in Household.objects.values_list("main_cause", "other_causes"):
        assert main_cause in PovertyCause.values
        assert len(other_causes) <= 2
        assert main_cause not in other_causes
        assert set(other_causes) <= set(PovertyCause.values)


def test_the_latest_assessment_of_every_household_is_its_newest_by_date():
    checks = assessments()

    assert set(checks) == set(Household.objects.values_list("pk", flat=True))
    for household in Household.objects.all():
        assert household.latest_assessment_id == checks[household.pk][-1].pk
        assert all(check.assessed_on <= timezone.localdate() for check in checks[household.pk])


def test_households_out_by_2019_passed_every_item_in_the_autumn_before_they_left():
    checks = assessments()
    for pk, changes in histories().items():
        exit_on = first_exit(changes)
        if exit_on is None or exit_on.year >= 2020:
            continue
        first = checks[pk][0]
        assert first.assessed_on.year == exit_on.year
        assert dt.date(exit_on.year, 10, 1) <= first.assessed_on < exit_on
        assert first.passes


def test_four_of_the_25_failed_an_item_in_january_2020_said_why_and_had_it_repaired_before_they_left():
    checks = assessments()
    cohort = the_2020_target().cohort.values_list("household_id", flat=True)
    history = histories()
    failing = []
    for pk in cohort:
        first = checks[pk][0]
        assert dt.date(2020, 1, 6) <= first.assessed_on <= dt.date(2020, 1, 17)
        for item in first.failing_items():
            assert getattr(first, item.note_field)
        if not first.passes:
            failing.append(pk)
            repaired = [check for check in checks[pk] if check.passes]
            assert repaired, pk
            assert repaired[0].assessed_on < first_exit(history[pk])
    assert len(failing) == 4
    assert {item for pk in failing for item in checks[pk][0].failing_items()} == {
        AssessmentItem.HOUSING,
        AssessmentItem.MEDICAL,
        AssessmentItem.WATER,
    }


def test_the_housing_grade_agrees_with_the_latest_housing_verdict():
    for household in Household.objects.select_related("latest_assessment"):
        housing_fails = AssessmentItem.HOUSING in household.latest_assessment.failing_items()
        assert (household.housing_grade in {"C", "D"}) == housing_fails, household.number


def test_demo_users_have_their_roles_scopes_and_the_demo_password():
    users = User.objects.in_bulk(["admin", "official", "cadre", "cadre2", "helper"], field_name="username")
    town = Town.objects.get(code="340321001")

    assert {name: user.role for name, user in users.items()} == {
        "admin": Role.ADMIN,
        "official": Role.OFFICIAL,
        "cadre": Role.CADRE,
        "cadre2": Role.CADRE,
        "helper": Role.RESPONSIBLE,
    }
    assert users["admin"].is_superuser
    assert users["admin"].is_staff
    assert users["admin"].town == town
    assert users["official"].scope.reach == Reach.TOWN
    assert users["official"].town == town
    assert [v.name for v in users["cadre"].villages.all()] == ["东风村"]
    assert [v.name for v in users["cadre2"].villages.all()] == ["红旗村"]
    assert users["helper"].scope.reach == Reach.ASSIGNED
    for user in users.values():
        assert user.check_password("townaid-demo")
        assert user.first_name
        assert user.last_name


def test_helper_and_cadre_guaranteed_the_2020_target_of_dongfeng_from_2020_until_each_left_poverty():
    # The other villages' guarantees are the assistance app's part of the demo (assistance/tests/test_demo.py).
    cohort = set(
        the_2020_target().cohort.filter(household__village__name="东风村").values_list("household_id", flat=True)
    )
    exits = {pk: first_exit(history) for pk, history in histories().items() if pk in cohort}
    helper = Assignment.objects.filter(person__username="helper", role="responsible")
    contact = Assignment.objects.filter(person__username="cadre", role="contact")

    assert set(helper.filter(start_date=PLAN_DAY).values_list("household_id", flat=True)) >= cohort
    assert not helper.exclude(household__village__name="东风村").exists()
    assert not helper.filter(end_date__isnull=False).exists()
    assert {(a.household_id, a.start_date, a.end_date) for a in contact} == {(pk, PLAN_DAY, exits[pk]) for pk in cohort}


def test_output_names_the_logins_and_the_counts(demo_town):
    for username in ("admin", "official", "cadre", "cadre2", "helper"):
        assert re.search(rf"^\s*{username}\s+\w+\s+townaid-demo$", demo_town, re.MULTILINE)
    assert "2014-2019: 1,654 households, 4,425 people" in demo_town
    assert "2020 target: 25 households, 70 people, 25 households lifted" in demo_town
    monitored = Household.objects.filter(status=MONITORED).count()
    assert f"{monitored:,} monitored for risk, 0 still poor" in demo_town


def test_second_run_changes_nothing_and_says_the_town_was_already_there():
    models = (Town, Village, VillagerGroup, Household, Member, Assessment, StatusChange, Assignment, User, Target)
    counts_before = {model: model.objects.count() for model in models}
    updated_before = dict(Household.objects.values_list("pk", "updated_at"))

    output = run_seed_demo("--password", "another-password")

    assert {model: model.objects.count() for model in models} == counts_before
    assert dict(Household.objects.values_list("pk", "updated_at")) == updated_before
    assert "already there" in output
    assert output.count("(unchanged)") == 5
    assert "1,654 households" in output
    assert User.objects.get(username="official").check_password("townaid-demo")


def test_password_option_is_used_for_the_users_a_run_creates():
    User.objects.get(username="admin").delete()  # the one demo user nothing else refers to

    output = run_seed_demo("--password", "another-password")

    admin = User.objects.get(username="admin")
    assert admin.check_password("another-password")
    assert (admin.is_superuser, admin.town.name) == (True, "固镇")
    assert re.search(r"^\s*admin\s+admin\s+another-password$", output, re.MULTILINE)
    assert User.objects.get(username="cadre").check_password("townaid-demo")


# ---------------------------------------------------------------- income and classes after exit


def test_every_year_has_its_line_2020s_being_the_plans_5000_yuan_and_later_ones_rising():
    line = {year: row.line for year, row in lines().items()}

    assert line[2020] == LINE_2020
    assert set(line) >= set(range(2014, timezone.localdate().year + 1))
    assert all(line[year] < line[year + 1] for year in range(2014, timezone.localdate().year))


def test_every_household_has_a_record_for_each_year_since_it_was_registered_for_all_its_members():
    sizes = dict(Household.objects.annotate(n=Count("members")).values_list("pk", "n"))
    years = defaultdict(set)
    for household, year, size in IncomeRecord.objects.values_list("household_id", "year", "household_size"):
        years[household].add(year)
        assert size == sizes[household]
    for household in Household.objects.all():
        assert years[household.pk] == set(range(household.registered_on.year, timezone.localdate().year + 1))


def test_a_few_households_never_at_risk_fell_by_more_than_30_percent_this_year_and_stay_above_the_line():
    this = timezone.localdate().year
    records, line = incomes(), lines()
    monitored_ever = StatusChange.objects.filter(to_status=MONITORED).values_list("household_id", flat=True)
    fell = [
        pk
        for pk in Household.objects.filter(status=EXITED).exclude(pk__in=monitored_ever).values_list("pk", flat=True)
        if records[pk, this].net_income * records[pk, this - 1].household_size * 10
        < 7 * records[pk, this - 1].net_income * records[pk, this].household_size
    ]

    assert 3 <= len(fell) <= 10
    assert all(records[pk, this].is_above(line[this]) for pk in fell)


def test_every_household_out_of_poverty_has_one_current_class_confirmed_by_the_official():
    post_exit = set(Household.objects.filter(status__in=POST_EXIT_STATUSES).values_list("pk", flat=True))
    current = Classification.objects.filter(current=True)

    assert set(current.values_list("household_id", flat=True)) == post_exit
    assert current.count() == len(post_exit)
    assert set(Classification.objects.values_list("decided_by__username", flat=True)) == {"official"}
    assert set(current.filter(household__status=MONITORED).values_list("confirmed_class", flat=True)) == {"at_risk"}


def test_classes_were_confirmed_at_the_yearly_reviews_and_on_status_changes_from_what_was_known_that_day():
    checks, records, line, history = assessments(), incomes(), lines(), histories()
    members = defaultdict(list)
    for member in Member.objects.all():
        members[member.household_id].append(member)
    decisions = list(Classification.objects.order_by("household_id", "decided_at", "pk"))

    assert len({d.classified_on for d in decisions if d.classified_on.month == 12}) >= timezone.localdate().year - 2020
    for decision in decisions:
        day, changes = decision.classified_on, history[decision.household_id]
        assert timezone.localdate(decision.decided_at) == day <= timezone.localdate()
        status = status_on(changes, day)
        assert status in POST_EXIT_STATUSES
        assert day == dt.date(day.year, 12, 15) or day in {c.changed_on for c in changes}
        suggestion = classification.suggest(
            members=members[decision.household_id],
            income=records.get((decision.household_id, day.year)),
            previous_income=records.get((decision.household_id, day.year - 1)),
            line=line[day.year],
            failing_items=in_force(checks[decision.household_id], day).failing_items(),
            monitored=status == MONITORED,
            on=day,
        )
        assert (decision.suggested_class, decision.rule) == (suggestion.exit_class, suggestion.rule)
    for _household, mine in itertools.groupby(decisions, key=lambda d: d.household_id):
        assert [d.current for d in mine][-1:] == [True]


def test_every_class_is_used_and_the_households_below_the_line_are_at_risk():
    this = timezone.localdate().year
    records, line = incomes(), lines()
    current = Classification.objects.filter(current=True)
    at_risk = set(current.filter(confirmed_class="at_risk").values_list("household_id", flat=True))
    below = {pk for (pk, year), record in records.items() if year == this and not record.is_above(line[this])}

    assert set(current.values_list("confirmed_class", flat=True)) == {
        "bottom_line",
        "at_risk",
        "consolidation",
        "stable",
    }
    assert below <= set(Household.objects.filter(status=MONITORED).values_list("pk", flat=True)) <= at_risk


def test_a_few_classes_override_the_suggestion_each_with_a_reason():
    overrides = Classification.objects.exclude(confirmed_class=F("suggested_class"))
    assert 1 <= overrides.count() <= 10
    assert all(reason.strip() for reason in overrides.values_list("reason", flat=True))
    assert not Classification.objects.filter(confirmed_class=F("suggested_class")).exclude(reason="").exists()


def test_a_second_run_adds_no_income_and_no_class():
    counts_before = (IncomeRecord.objects.count(), Classification.objects.count(), IncomeLine.objects.count())
    run_seed_demo()
    assert (IncomeRecord.objects.count(), Classification.objects.count(), IncomeLine.objects.count()) == counts_before
