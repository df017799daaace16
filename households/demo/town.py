"""The demo town 固镇, built from the figures in the town's 2020 work plan.

Dashboards, lists and the 25 / 70 target only mean something with the plan's
numbers behind them: 1,654 households / 4,425 people lifted out of poverty in
2014-2019, and 25 households / 70 people still poor at the start of 2020. This
module builds that town with plausible families, valid ID numbers, 2W3G
assessments, status history, demo users, the two-person guarantee in one
village, two years of income against the 2020 line of 5,000 yuan and a
confirmed class for every exited household, for demos, manual testing and the
reports' tests.

It draws from one random.Random(2020) stream (no Faker), so everyone sees the
same town, and it bulk-creates rows, so the whole town loads in seconds. Ages
and schooling are reckoned on the first day of 2020, when the plan was written.
"""

import datetime as dt
import random
from collections import Counter

from django.db.models import Count, Q

from accounts.models import User
from households.choices import (
    AssignmentRole,
    Attribute,
    HouseholdStatus,
)
from households.demo.families import build_members
from households.demo.income import create_income_and_classes
from households.demo.plan import (
    AS_OF,
    ASSIGNED_EXITED_HOUSEHOLDS,
    ASSIGNED_FROM,
    ASSIGNED_VILLAGE,
    BATCH_SIZE,
    DEMO_PASSWORD,
    DEMO_USERS,
    EXIT_REASON,
    EXIT_YEARS,
    EXITED_IDENTIFIED_YEARS,
    EXITED_PEOPLE,
    FAILURES,
    IDENTIFIED_REASON,
    INCOME_SEED,
    MAIN_CAUSES,
    NUMERALS,
    OTHER_CAUSES,
    SEED,
    SIZE_WEIGHTS,
    SIZES,
    TOWN_CODE,
    TOWN_NAME,
    UNEXITED_ASSESSED_FROM,
    UNEXITED_ASSESSED_UNTIL,
    UNEXITED_IDENTIFIED_YEARS,
    UNEXITED_PEOPLE,
    VILLAGES,
    Failure,
    HouseholdPlan,
    Login,
    SeedResult,
    TownCounts,
)
from households.models import (
    Assessment,
    Assignment,
    AuditEvent,
    Household,
    Member,
    StatusChange,
    Target,
    Town,
    Village,
    VillagerGroup,
)
from households.services import target_fix

_extensions: list = []


def register_extension(extend) -> None:
    """Let an app above the registry add its part of the demo town (called from its AppConfig.ready).

    `extend(town=..., rng=...)` runs once, right after the households are created,
    each extension with a random stream of its own so that adding one leaves the
    others' data unchanged.
    """
    if extend not in _extensions:
        _extensions.append(extend)


def seed(*, password: str = DEMO_PASSWORD) -> SeedResult:
    """Load the demo town unless its code is already there; create missing demo users either way.

    The caller wraps this in a transaction: half a town is worse than none.
    """
    town = Town.objects.filter(code=TOWN_CODE).first()
    created = town is None
    if created:
        town = create_geography()
    logins = ensure_users(town=town, password=password)
    if created:
        create_households(town=town, rng=random.Random(SEED))
        create_target(town)
        for n, extend in enumerate(_extensions, 1):
            extend(town=town, rng=random.Random(SEED + n))
    return SeedResult(town=town, created=created, logins=logins, counts=town_counts(town))


# ---------------------------------------------------------------- geography and users


def create_geography() -> Town:
    town = Town.objects.create(name=TOWN_NAME, code=TOWN_CODE)
    villages = Village.objects.bulk_create(
        Village(town=town, name=plan.name, code=f"{TOWN_CODE}{200 + n}") for n, plan in enumerate(VILLAGES, 1)
    )
    VillagerGroup.objects.bulk_create(
        VillagerGroup(village=village, name=f"第{NUMERALS[n]}村民小组")
        for village, plan in zip(villages, VILLAGES, strict=True)
        for n in range(plan.groups)
    )
    return town


def ensure_users(*, town: Town, password: str) -> list[Login]:
    """Create the demo users that are missing; leave existing ones (and their passwords) alone."""
    existing = {user.username: user for user in User.objects.filter(username__in=[p.username for p in DEMO_USERS])}
    logins = []
    for plan in DEMO_USERS:
        if plan.username in existing:
            logins.append(Login(plan.username, existing[plan.username].role, None))
            continue
        user = User.objects.create_user(
            username=plan.username,
            password=password,
            role=plan.role,
            last_name=plan.last_name,
            first_name=plan.first_name,
            is_staff=plan.superuser,
            is_superuser=plan.superuser,
            town=town if plan.in_town else None,
        )
        if plan.village:
            user.villages.set(town.villages.filter(name=plan.village))
        logins.append(Login(plan.username, plan.role, password))
    return logins


def create_target(town: Town) -> Target:
    """The plan's target: lift every household still poor at the start of 2020 (25 households / 70 people)."""
    return target_fix(
        town=town, year=AS_OF.year, name="2020年脱贫攻坚工作计划", as_of=AS_OF, user=None, via=AuditEvent.Via.COMMAND
    )


def town_counts(town: Town) -> TownCounts:
    """Households and people, exited and unexited, as the database has them now."""

    exited, unexited = HouseholdStatus.EXITED.value, HouseholdStatus.UNEXITED.value

    def by_status(prefix: str = "") -> dict[str, Count]:
        return {status: Count("pk", filter=Q(**{f"{prefix}status": status})) for status in (exited, unexited)}

    households = Household.objects.filter(village__town=town).aggregate(**by_status())
    people = Member.objects.filter(household__village__town=town).aggregate(**by_status("household__"))
    return TownCounts(households[exited], people[exited], households[unexited], people[unexited])


# ---------------------------------------------------------------- households and what hangs off them


def create_households(*, town: Town, rng: random.Random) -> None:
    users = User.objects.in_bulk([plan.username for plan in DEMO_USERS], field_name="username")
    official = users.get("official")
    plans = plan_households(list(town.villages.order_by("code")), rng)
    households = build_households(plans, rng)
    Household.objects.bulk_create(households, batch_size=BATCH_SIZE)

    used_ids = set(Member.objects.values_list("id_number", flat=True))
    members = [m for h, plan in zip(households, plans, strict=True) for m in build_members(h, plan, used_ids, rng)]
    Member.objects.bulk_create(members, batch_size=BATCH_SIZE)

    assessments = [build_assessment(h, plan.failure, official, rng) for h, plan in zip(households, plans, strict=True)]
    Assessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
    for household, assessment in zip(households, assessments, strict=True):
        household.latest_assessment = assessment
    Household.objects.bulk_update(households, ["latest_assessment"], batch_size=BATCH_SIZE)

    history = [change for h in households for change in status_history(h, official)]
    StatusChange.objects.bulk_create(history, batch_size=BATCH_SIZE)
    Assignment.objects.bulk_create(build_assignments(households, users["helper"], users["cadre"], rng))

    create_income_and_classes(households, plans, members, assessments, official, random.Random(INCOME_SEED))


def plan_households(villages: list[Village], rng: random.Random) -> list[HouseholdPlan]:
    """Which village and status each household has, how big it is, and which four fail an item."""
    plans = []
    for village, village_plan in zip(villages, VILLAGES, strict=True):
        statuses = [HouseholdStatus.EXITED] * village_plan.exited + [HouseholdStatus.UNEXITED] * village_plan.unexited
        rng.shuffle(statuses)
        plans += [HouseholdPlan(village=village, status=status) for status in statuses]
    for status, people in ((HouseholdStatus.EXITED, EXITED_PEOPLE), (HouseholdStatus.UNEXITED, UNEXITED_PEOPLE)):
        of_status = [plan for plan in plans if plan.status == status]
        for plan, size in zip(of_status, household_sizes(len(of_status), people, rng), strict=True):
            plan.size = size
    mark_failures([plan for plan in plans if plan.status == HouseholdStatus.UNEXITED], rng)
    return plans


def household_sizes(count: int, people: int, rng: random.Random) -> list[int]:
    """Sizes drawn from a rural distribution, then nudged one person at a time to total exactly `people`."""
    if not count * SIZES[0] <= people <= count * SIZES[-1]:
        raise ValueError(f"{people} people cannot fill {count} households")
    sizes = rng.choices(SIZES, SIZE_WEIGHTS, k=count)
    while gap := people - sum(sizes):
        index = rng.randrange(count)
        step = 1 if gap > 0 else -1
        if SIZES[0] <= sizes[index] + step <= SIZES[-1]:
            sizes[index] += step
    return sizes


def mark_failures(unexited: list[HouseholdPlan], rng: random.Random) -> None:
    """One failing household in each demo cadre's village, two more elsewhere."""
    firsts = [next(p for p in unexited if p.village.name == user.village) for user in DEMO_USERS if user.village]
    others = [plan for plan in unexited if plan not in firsts]
    chosen = firsts + rng.sample(others, len(FAILURES) - len(firsts))
    for plan, failure in zip(chosen, FAILURES, strict=True):
        plan.failure = failure


def build_households(plans: list[HouseholdPlan], rng: random.Random) -> list[Household]:
    groups: dict[int, list[VillagerGroup]] = {}
    for group in VillagerGroup.objects.filter(village__in={plan.village for plan in plans}).order_by("pk"):
        groups.setdefault(group.village_id, []).append(group)
    sequence: Counter[int] = Counter()
    house_numbers: Counter[int] = Counter()
    households = []
    for plan in plans:
        sequence[plan.village.pk] += 1
        group = rng.choice(groups[plan.village.pk])
        house_numbers[group.pk] += rng.randint(1, 3)
        number = f"{plan.village.code}{sequence[plan.village.pk]:04d}"
        households.append(build_household(plan, number, group, house_numbers[group.pk], rng))
    return households


def build_household(plan: HouseholdPlan, number: str, group: VillagerGroup, house: int, rng) -> Household:
    identified_year, exit_year = years_of(plan.status, rng)
    main_cause, other_causes = poverty_causes(rng)
    return Household(
        number=number,
        village=plan.village,
        group=group,
        address=f"{plan.village.name}{group.name}{house}号",
        phone=mobile_phone(rng),
        identified_year=identified_year,
        registered_on=dt.date(identified_year, 1, 1),
        status=plan.status,
        exit_year=exit_year,
        attribute=attribute_for(plan.size, rng),
        main_cause=main_cause,
        other_causes=other_causes,
        housing_grade=(plan.failure and plan.failure.housing_grade) or rng.choices("AB", (45, 55))[0],
    )


def years_of(status: str, rng: random.Random) -> tuple[int, int | None]:
    """(identified, exit) years; an exited household was identified no later than it left."""
    if status == HouseholdStatus.UNEXITED:
        return pick(UNEXITED_IDENTIFIED_YEARS, rng), None
    exit_year = pick(EXIT_YEARS, rng)
    possible = {year: weight for year, weight in EXITED_IDENTIFIED_YEARS.items() if year <= exit_year}
    return pick(possible, rng), exit_year


def poverty_causes(rng: random.Random) -> tuple[str, list[str]]:
    main = pick(MAIN_CAUSES, rng)
    how_many = rng.choices((0, 1, 2), (35, 45, 20))[0]
    return main, rng.sample([cause.value for cause in OTHER_CAUSES if cause != main], how_many)


def attribute_for(size: int, rng: random.Random) -> str:
    """Mostly ordinary; some on the minimum living allowance; extreme-poverty support for some who live alone."""
    if size == 1 and rng.random() < 0.2:
        return Attribute.EXTREME_SUPPORT
    return Attribute.LOW_INCOME if rng.random() < 0.2 else Attribute.ORDINARY


def mobile_phone(rng: random.Random) -> str:
    return f"1{rng.choice('358')}{rng.randrange(10**9):09d}"


def pick(weights: dict, rng: random.Random):
    return rng.choices(list(weights), list(weights.values()))[0]


# ---------------------------------------------------------------- assessments, history, assignments


def build_assessment(household: Household, failure: Failure | None, assessed_by, rng) -> Assessment:
    """Exited households passed every item in their exit year; still-poor ones were checked early in 2020."""
    if household.status == HouseholdStatus.EXITED:
        assessed_on = dt.date(household.exit_year, 10, 1) + dt.timedelta(days=rng.randrange(71))
    else:
        span = (UNEXITED_ASSESSED_UNTIL - UNEXITED_ASSESSED_FROM).days
        assessed_on = UNEXITED_ASSESSED_FROM + dt.timedelta(days=rng.randint(0, span))
    assessment = Assessment(household=household, assessed_on=assessed_on, assessed_by=assessed_by)
    for item, note in (failure.notes if failure else {}).items():
        setattr(assessment, item.verdict_field, False)
        setattr(assessment, item.note_field, note)
    return assessment


def status_history(household: Household, changed_by) -> list[StatusChange]:
    def change(from_status: str, to_status: str, changed_on: dt.date, reason: str) -> StatusChange:
        return StatusChange(
            household=household,
            from_status=from_status,
            to_status=to_status,
            changed_on=changed_on,
            reason=reason,
            changed_by=changed_by,
        )

    unexited, exited = HouseholdStatus.UNEXITED, HouseholdStatus.EXITED
    history = [change("", unexited, dt.date(household.identified_year, 1, 1), IDENTIFIED_REASON)]
    if household.status == exited:
        history.append(change(unexited, exited, dt.date(household.exit_year, 12, 20), EXIT_REASON))
    return history


def build_assignments(households: list[Household], helper: User, cadre: User, rng) -> list[Assignment]:
    """The two-person guarantee in one village; the other villages' gaps are left for the reports to find."""
    in_village = [h for h in households if h.village.name == ASSIGNED_VILLAGE]
    unexited = [h for h in in_village if h.status == HouseholdStatus.UNEXITED]
    exited = [h for h in in_village if h.status == HouseholdStatus.EXITED]
    helped = unexited + rng.sample(exited, ASSIGNED_EXITED_HOUSEHOLDS)

    def assignment(household, person, role):
        return Assignment(household=household, person=person, role=role, start_date=ASSIGNED_FROM)

    return [
        *(assignment(h, helper, AssignmentRole.RESPONSIBLE) for h in helped),
        *(assignment(h, cadre, AssignmentRole.CONTACT) for h in unexited),
    ]
