"""seed_demo loads the town of the 2020 plan exactly, validly, and only once.

The town is seeded once for this module, inside a transaction rolled back at the
end, because building 1,679 households takes seconds; each test still runs in
its own savepoint, so the tests that run the command again leave no trace.
Every figure is counted from the database and compared with the plan's numbers
written out here, never with constants of the code under test.
"""

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from accounts.models import Reach, Role, User
from households import idnumbers, services
from households.choices import AssessmentItem, HouseholdStatus, PovertyCause, Relation
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
DEMO_DAY = dt.date(2020, 1, 1)  # the demo is set at the start of the plan's year
EXITED, UNEXITED = HouseholdStatus.EXITED, HouseholdStatus.UNEXITED


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    """Seed the demo town once for the module; roll it back so that other modules start empty."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_output")]


def run_seed_demo(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_exited_households_and_their_people_match_the_plan():
    exited = Household.objects.filter(status=EXITED)

    assert exited.count() == 1654
    assert Member.objects.filter(household__status=EXITED).count() == 4425
    assert set(exited.values_list("exit_year", flat=True)) == {2014, 2015, 2016, 2017, 2018, 2019}
    assert set(exited.values_list("identified_year", flat=True)) <= {2013, 2014, 2015, 2016}
    assert not exited.filter(identified_year__gt=F("exit_year")).exists()


def test_unexited_households_and_their_people_match_the_plan():
    unexited = Household.objects.filter(status=UNEXITED)

    assert unexited.count() == 25
    assert Member.objects.filter(household__status=UNEXITED).count() == 70
    assert set(unexited.values_list("identified_year", flat=True)) <= set(range(2014, 2020))
    assert not unexited.filter(exit_year__isnull=False).exists()
    assert Household.objects.count() == 1654 + 25


def test_the_2020_target_is_the_25_households_and_70_people_still_poor_at_its_start():
    target = Target.objects.get(town__code="340321001", year=2020)
    cohort = set(target.cohort.values_list("household_id", flat=True))

    assert target.as_of == DEMO_DAY
    assert cohort == set(Household.objects.filter(status=UNEXITED).values_list("pk", flat=True))
    assert (len(cohort), target.cohort.aggregate(people=Sum("people"))["people"]) == (25, 70)


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


def test_households_are_spread_over_every_village_with_unexited_ones_in_the_cadres_villages():
    per_village = dict(
        Village.objects.annotate(unexited=Count("households", filter=Q(households__status=UNEXITED))).values_list(
            "name", "unexited"
        )
    )
    households_per_village = Counter(Household.objects.values_list("village__name", flat=True))

    assert per_village["东风村"] >= 3
    assert per_village["红旗村"] >= 2
    assert set(households_per_village) == set(VILLAGE_NAMES)
    assert len(set(households_per_village.values())) > 1, "households are spread unequally"


def test_every_household_has_a_group_of_its_village_an_address_and_a_mobile_phone():
    households = Household.objects.select_related("village", "group")

    for household in households:
        assert household.group.village_id == household.village_id
        assert household.address.startswith(household.village.name + household.group.name)
        assert re.fullmatch(r"1[358]\d{9}", household.phone)
        assert household.monitor_kind == ""
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

    school_age = [status for birth, status in members if 6 <= age_on(birth, DEMO_DAY) <= 15]

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


def test_every_household_has_one_assessment_and_it_is_the_latest():
    per_household = Counter(Assessment.objects.values_list("household_id", flat=True))

    assert set(per_household.values()) == {1}
    assert len(per_household) == Household.objects.count()
    assert not Household.objects.filter(latest_assessment__isnull=True).exists()
    assert not Household.objects.exclude(latest_assessment__household_id=F("pk")).exists()


def test_exited_households_passed_every_item_in_their_exit_year():
    for household in Household.objects.filter(status=EXITED).select_related("latest_assessment"):
        assert household.latest_assessment.assessed_on.year == household.exit_year
        assert household.latest_assessment.passes
        assert household.housing_grade in {"A", "B"}


def test_four_unexited_households_fail_an_item_and_say_why():
    unexited = Household.objects.filter(status=UNEXITED).select_related("latest_assessment")
    failing = [household for household in unexited if not household.latest_assessment.passes]

    assert len(failing) == 4
    for household in unexited:
        assert dt.date(2020, 1, 5) <= household.latest_assessment.assessed_on <= dt.date(2020, 3, 31)
    for household in failing:
        for item in household.latest_assessment.failing_items():
            assert getattr(household.latest_assessment, item.note_field)
        housing_fails = AssessmentItem.HOUSING in household.latest_assessment.failing_items()
        assert (household.housing_grade in {"C", "D"}) == housing_fails


def test_status_history_records_identification_and_exit():
    for household in Household.objects.prefetch_related("status_changes"):
        changes = sorted(household.status_changes.all(), key=lambda change: change.changed_on)
        assert (changes[0].from_status, changes[0].to_status) == ("", UNEXITED)
        assert changes[0].changed_on == dt.date(household.identified_year, 1, 1)
        if household.status == EXITED:
            assert len(changes) == 2
            assert (changes[1].from_status, changes[1].to_status) == (UNEXITED, EXITED)
            assert changes[1].changed_on.year == household.exit_year
            assert changes[1].reason
        else:
            assert len(changes) == 1


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


def test_helper_and_cadre_guarantee_the_unexited_households_of_dongfeng():
    # The other villages' guarantees are the assistance app's part of the demo (assistance/tests/test_demo.py).
    open_assignments = Assignment.objects.filter(end_date__isnull=True, start_date=dt.date(2020, 1, 1))
    dongfeng_unexited = set(
        Household.objects.filter(village__name="东风村", status=UNEXITED).values_list("pk", flat=True)
    )
    helped = Household.objects.filter(assignments__in=open_assignments.filter(person__username="helper"))
    contacted = open_assignments.filter(person__username="cadre", role="contact").values_list("household_id", flat=True)

    assert set(helped.filter(status=UNEXITED).values_list("pk", flat=True)) == dongfeng_unexited
    assert helped.filter(status=EXITED, village__name="东风村").count() == 5
    assert set(helped.values_list("village__name", flat=True)) == {"东风村"}
    assert set(contacted) == dongfeng_unexited
    assert Assignment.objects.count() == open_assignments.count()


def test_output_names_the_logins_and_the_counts(seed_output):
    for username in ("admin", "official", "cadre", "cadre2", "helper"):
        assert re.search(rf"^\s*{username}\s+\w+\s+townaid-demo$", seed_output, re.MULTILINE)
    assert "1,654" in seed_output
    assert "4,425" in seed_output
    assert "25 households" in seed_output
    assert "70 people" in seed_output


def test_second_run_changes_nothing_and_says_the_town_was_already_there():
    models = (Town, Village, VillagerGroup, Household, Member, Assessment, StatusChange, Assignment, User, Target)
    counts_before = {model: model.objects.count() for model in models}
    updated_before = dict(Household.objects.values_list("pk", "updated_at"))

    output = run_seed_demo("--password", "another-password")

    assert {model: model.objects.count() for model in models} == counts_before
    assert dict(Household.objects.values_list("pk", "updated_at")) == updated_before
    assert "already there" in output
    assert output.count("(unchanged)") == 5
    assert "1,654" in output
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

LINE_2020 = 5000  # the plan: per-capita net income must exceed 5,000 yuan in 2020


def per_capita_by_household(year: int) -> dict[int, tuple[int, int]]:
    """{household: (net income, size)} for one year."""
    rows = IncomeRecord.objects.filter(year=year).values_list("household_id", "net_income", "household_size")
    return {household: (net, size) for household, net, size in rows}


def test_the_2020_line_is_the_plans_5000_yuan():
    assert IncomeLine.objects.get(year=2020).line == LINE_2020


def test_every_household_has_2019_and_2020_income_for_all_its_members():
    sizes = dict(Household.objects.annotate(n=Count("members")).values_list("pk", "n"))
    for year in (2019, 2020):
        records = per_capita_by_household(year)
        assert set(records) == set(sizes), year
        assert all(size == sizes[household] for household, (_, size) in records.items())
    assert IncomeRecord.objects.count() == 2 * Household.objects.count()


def test_exactly_six_exited_households_are_not_above_the_2020_line():
    exited = set(Household.objects.filter(status=EXITED).values_list("pk", flat=True))
    records = per_capita_by_household(2020)
    below = [h for h in exited if records[h][0] <= LINE_2020 * records[h][1]]
    assert len(below) == 6
    above = [records[h][0] / records[h][1] for h in exited if h not in below]
    assert sorted(above)[len(above) // 2] > 1.5 * LINE_2020, "most are well above the line"


def test_a_few_exited_households_above_the_line_fell_by_more_than_30_percent():
    before, now = per_capita_by_household(2019), per_capita_by_household(2020)
    exited = Household.objects.filter(status=EXITED).values_list("pk", flat=True)
    fell = [
        h
        for h in exited
        if now[h][0] > LINE_2020 * now[h][1] and now[h][0] * before[h][1] * 10 < 7 * before[h][0] * now[h][1]
    ]
    assert 3 <= len(fell) <= 10


def test_unexited_households_were_below_the_line_in_2019_and_are_a_mix_in_2020():
    before, now = per_capita_by_household(2019), per_capita_by_household(2020)
    unexited = list(Household.objects.filter(status=UNEXITED).select_related("latest_assessment"))
    assert all(before[h.pk][0] <= LINE_2020 * before[h.pk][1] for h in unexited)

    def blocked_by(household):
        above = now[household.pk][0] > LINE_2020 * now[household.pk][1]
        return (not above, not household.latest_assessment.passes)

    kinds = Counter(blocked_by(household) for household in unexited)
    assert kinds[(False, False)] > 0, "some are ready to leave poverty"
    assert kinds[(True, False)] > 0, "some are held back by income alone"
    assert kinds[(False, True)] > 0, "some are held back by a 2W3G item alone"
    ready = [h for h in unexited if blocked_by(h) == (False, False)]
    assert all(services.exit_blockers(household) == [] for household in ready)


def test_every_exited_household_has_one_current_class_confirmed_by_the_official():
    exited = set(Household.objects.filter(status=EXITED).values_list("pk", flat=True))
    current = Classification.objects.filter(current=True)
    assert set(current.values_list("household_id", flat=True)) == exited
    assert current.count() == len(exited)
    assert set(current.values_list("decided_by__username", flat=True)) == {"official"}
    assert not Classification.objects.exclude(household__status=EXITED).exists()


def test_the_households_below_the_line_are_at_risk_and_every_class_is_used():
    records = per_capita_by_household(2020)
    at_risk = Classification.objects.filter(current=True, rule="below_line").values_list("household_id", flat=True)
    assert len(at_risk) == 6
    assert all(records[h][0] <= LINE_2020 * records[h][1] for h in at_risk)
    used = set(Classification.objects.values_list("confirmed_class", flat=True))
    assert used == {"bottom_line", "at_risk", "consolidation", "stable"}


def test_a_few_classes_override_the_suggestion_each_with_a_reason():
    overrides = Classification.objects.exclude(confirmed_class=F("suggested_class"))
    assert 1 <= overrides.count() <= 10
    assert all(reason.strip() for reason in overrides.values_list("reason", flat=True))
    assert not Classification.objects.filter(confirmed_class=F("suggested_class")).exclude(reason="").exists()


def test_a_second_run_adds_no_income_and_no_class():
    counts_before = (IncomeRecord.objects.count(), Classification.objects.count(), IncomeLine.objects.count())
    run_seed_demo()
    assert (IncomeRecord.objects.count(), Classification.objects.count(), IncomeLine.objects.count()) == counts_before
