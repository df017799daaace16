"""The demo town 固镇, built from the figures in the town's 2020 work plan, with a history that is true.

Dashboards, lists and the 25 / 70 target only mean something with the plan's
numbers behind them: 1,654 households / 4,425 people lifted out of poverty in
2014-2019, and 25 households / 70 people still poor at the start of 2020. This
module builds that town with plausible families and valid ID numbers, then
dates what happened to every household (households.demo.story): identification
and exit with the 2W3G checks that allowed it, the 2020 campaign that lifted the
25 month by month, and the years of consolidation since, in which a few
households fell into risk and most came out of it again. Income follows each
household year by year against that year's line, and the classes after exit
are confirmed at the town's yearly reviews (households.demo.income). The apps
above add their part: persons and plans (assistance), visits and the flags the
daily job left (visits), projects (infrastructure).

It draws from random.Random(2020) streams (no Faker), so everyone sees the same
town up to the day it is loaded, and it bulk-creates rows, so the whole town
loads in seconds. Ages and schooling are reckoned on the first day of 2020.
"""

import datetime as dt
import random
from collections import Counter
from contextlib import contextmanager

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from households import summaries
from households.choices import (
    Attribute,
    HouseholdStatus,
)
from households.demo import story
from households.demo.exits import create_exit_procedures
from households.demo.families import build_members
from households.demo.income import create_income_and_classes
from households.demo.plan import (
    AS_OF,
    BATCH_SIZE,
    COHORT_KIND,
    DEMO_PASSWORD,
    DEMO_USERS,
    EXIT_YEARS,
    EXITED_IDENTIFIED_YEARS,
    EXITED_KIND,
    EXITED_PEOPLE,
    FAILURES,
    INCOME_SEED,
    MAIN_CAUSES,
    MARGINAL_FROM,
    MARGINAL_KIND,
    MARGINAL_RISKS,
    MARGINAL_VILLAGES,
    NUMERALS,
    OTHER_CAUSES,
    SEED,
    SIZE_WEIGHTS,
    SIZES,
    TOWN_CODE,
    TOWN_NAME,
    UNEXITED_IDENTIFIED_YEARS,
    UNEXITED_PEOPLE,
    VILLAGES,
    HouseholdPlan,
    Login,
    SeedResult,
    TownCounts,
)
from households.models import (
    Assessment,
    Household,
    Member,
    StatusChange,
    Target,
    Town,
    Village,
    VillagerGroup,
)
from households.services import target_fix

RECORDED_AT = dt.time(17, 0)  # rows of the registry are entered at the end of the day they happened

_extensions: list = []


def register_extension(extend, *, seed: int | None = None) -> None:
    """Let an app above the registry add its part of the demo town (called from its AppConfig.ready).

    `extend(town=..., rng=...)` runs once, right after the households, their
    history and the 2020 target are created, in the order of the apps, each
    extension with a random stream of its own so that adding one leaves the
    others' data unchanged: SEED + its place among those without a `seed`, or
    its own `seed` (for one added between others).
    """
    if all(extend is not known for known, _seed in _extensions):
        _extensions.append((extend, seed))


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
        create_households(town=town, today=timezone.localdate(), rng=random.Random(SEED))
        create_target(town)
        create_exit_procedures(town=town)
        numbered = 0
        for extend, own_seed in _extensions:
            if own_seed is None:
                numbered += 1
            extend(town=town, rng=random.Random(SEED + numbered if own_seed is None else own_seed))
        # Written in bulk above, past the services: the dashboards' figures of the town, in one statement.
        summaries.refresh(Household.objects.filter(village__town=town))
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
    """Who left poverty when, and where the households stand today, as the database has them."""
    households = Household.objects.filter(village__town=town)
    lifted = households.filter(exit_year__range=(2014, 2019))
    now = households.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in HouseholdStatus.values},
    )
    target = Target.objects.filter(town=town, year=AS_OF.year).first()
    cohort = (
        target.cohort.aggregate(
            households=Count("pk"), people=Sum("people"), lifted=Count("pk", filter=Q(household__exit_year=AS_OF.year))
        )
        if target
        else {"households": 0, "people": 0, "lifted": 0}
    )
    return TownCounts(
        lifted_households=lifted.count(),
        lifted_people=Member.objects.filter(household__in=lifted).count(),
        cohort_households=cohort["households"],
        cohort_people=cohort["people"] or 0,
        cohort_lifted=cohort["lifted"],
        exited=now[HouseholdStatus.EXITED],
        monitored=now[HouseholdStatus.MONITORED],
        unexited=now[HouseholdStatus.UNEXITED],
    )


@contextmanager
def recorded_as_given(model, *names: str):
    """Let bulk_create keep the times given to auto_now_add fields, so that demo rows are dated when they happened.

    Django's pre_save sets such a field to now on every insert; the demo town's
    rows happened over years, and a visit logged in 2021 must say so. The field is
    switched back whatever happens; seed_demo runs alone in its process.
    """
    fields = [model._meta.get_field(name) for name in names]
    for model_field in fields:
        model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field in fields:
            model_field.auto_now_add = True


def moment(day: dt.date, time: dt.time) -> dt.datetime:
    """That day and time in the town, never after now."""
    return min(timezone.make_aware(dt.datetime.combine(day, time)), timezone.now())


# ---------------------------------------------------------------- households and what hangs off them


def create_households(*, town: Town, today: dt.date, rng: random.Random) -> None:
    users = User.objects.in_bulk([plan.username for plan in DEMO_USERS], field_name="username")
    official = users.get("official")
    plans = plan_households(list(town.villages.order_by("code")), today, rng)
    households = build_households(plans, rng)
    used_ids = set(Member.objects.values_list("id_number", flat=True))
    members = {plan: build_members(h, plan, used_ids, rng) for h, plan in zip(households, plans, strict=True)}
    story.tell(plans, households, members, today=today, rng=rng)

    for household in households:
        household.created_at = moment(household.registered_on, RECORDED_AT)
    with recorded_as_given(Household, "created_at"):
        Household.objects.bulk_create(households, batch_size=BATCH_SIZE)
    Member.objects.bulk_create([m for plan in plans for m in members[plan]], batch_size=BATCH_SIZE)

    assessments = [
        build_assessment(h, check, official) for h, plan in zip(households, plans, strict=True) for check in plan.checks
    ]
    with recorded_as_given(Assessment, "created_at"):
        Assessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
    latest = {assessment.household_id: assessment for assessment in assessments}  # in date order per household
    for household in households:
        household.latest_assessment = latest[household.pk]
    Household.objects.bulk_update(households, ["latest_assessment"], batch_size=BATCH_SIZE)

    history = [
        StatusChange(
            household=h,
            from_status=change.from_status,
            to_status=change.to_status,
            changed_on=change.on,
            reason=change.reason,
            changed_by=official,
            created_at=moment(change.on, RECORDED_AT),
        )
        for h, plan in zip(households, plans, strict=True)
        for change in plan.changes
    ]
    with recorded_as_given(StatusChange, "created_at"):
        StatusChange.objects.bulk_create(history, batch_size=BATCH_SIZE)

    create_income_and_classes(households, plans, members, official, today=today, rng=random.Random(INCOME_SEED))


def plan_households(villages: list[Village], today: dt.date, rng: random.Random) -> list[HouseholdPlan]:
    """Which village and kind each household has, how big it is, and which four still poor fail an item.

    The households never poor (边缘易致贫户) come last in their village, found
    once the demo's day is far enough past MARGINAL_FROM.
    """
    plans = []
    marginal = iter(MARGINAL_RISKS if today - dt.timedelta(days=story.MARGINAL_LAST_DAYS) > MARGINAL_FROM else ())
    for village, village_plan in zip(villages, VILLAGES, strict=True):
        kinds = [EXITED_KIND] * village_plan.exited + [COHORT_KIND] * village_plan.unexited
        rng.shuffle(kinds)
        plans += [HouseholdPlan(village=village, kind=kind) for kind in kinds]
        if village.name in MARGINAL_VILLAGES and next(marginal, None) is not None:
            plans.append(HouseholdPlan(village=village, kind=MARGINAL_KIND, size=rng.choices(SIZES, SIZE_WEIGHTS)[0]))
    for kind, people in ((EXITED_KIND, EXITED_PEOPLE), (COHORT_KIND, UNEXITED_PEOPLE)):
        of_kind = [plan for plan in plans if plan.kind == kind]
        for plan, size in zip(of_kind, household_sizes(len(of_kind), people, rng), strict=True):
            plan.size = size
    mark_failures([plan for plan in plans if plan.kind == COHORT_KIND], rng)
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
    """One failing household in each demo cadre's village, two more elsewhere (all of them still poor in 2020)."""
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
    """The household as identified; its story (households.demo.story) gives it its status and dates today's fields."""
    if plan.kind == MARGINAL_KIND:
        identified_year, exit_year = None, None
    else:
        identified_year, exit_year = years_of(
            HouseholdStatus.EXITED if plan.kind == EXITED_KIND else HouseholdStatus.UNEXITED, rng
        )
    main_cause, other_causes = poverty_causes(rng)
    return Household(
        number=number,
        village=plan.village,
        group=group,
        address=f"{plan.village.name}{group.name}{house}号",
        phone=mobile_phone(rng),
        identified_year=identified_year,
        registered_on=dt.date(identified_year, 1, 1) if identified_year else AS_OF,
        exit_year=exit_year,
        attribute=Attribute.ORDINARY if plan.kind == MARGINAL_KIND else attribute_for(plan.size, rng),
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


# ---------------------------------------------------------------- assessments


def build_assessment(household: Household, check, official) -> Assessment:
    """A dated check; those made from 2020 on were recorded on a visit, whose visitor the visits demo names."""
    assessment = Assessment(
        household=household,
        assessed_on=check.on,
        assessed_by=official if check.on < AS_OF else None,
        created_at=moment(check.on, RECORDED_AT),
    )
    for item, (passes, note) in check.verdicts.items():
        setattr(assessment, item.verdict_field, passes)
        setattr(assessment, item.note_field, note)
    return assessment
