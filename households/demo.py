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
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, User
from households import classification, idnumbers
from households.choices import (
    AssessmentItem,
    AssignmentRole,
    Attribute,
    Education,
    Health,
    HouseholdStatus,
    MigrantWork,
    PovertyCause,
    Relation,
    StudentStatus,
    WorkAbility,
)
from households.models import (
    Assessment,
    Assignment,
    Classification,
    Household,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    Town,
    Village,
    VillagerGroup,
)

TOWN_NAME = "固镇"
TOWN_CODE = "340321001"
REGION_CODE = "340321"
SEED = 2020
DEMO_PASSWORD = "townaid-demo"
AS_OF = dt.date(2020, 1, 1)
BATCH_SIZE = 500

EXITED_PEOPLE = 4425
UNEXITED_PEOPLE = 70
UNEXITED_ASSESSED_FROM = dt.date(2020, 1, 5)
UNEXITED_ASSESSED_UNTIL = dt.date(2020, 3, 31)
ASSIGNED_FROM = dt.date(2020, 1, 1)
ASSIGNED_EXITED_HOUSEHOLDS = 5

IDENTIFIED_REASON = "建档立卡识别"
EXIT_REASON = "经村评议、乡镇审核、县级审定，达到脱贫标准"

# Income: 2019 and 2020 for every household, judged against the plan's 2020 line.
# Its own random stream, so that adding income left every earlier draw unchanged.
INCOME_SEED = SEED * 10 + 1
INCOME_YEARS = (2019, 2020)
LINE_YEAR, LINE_YUAN = 2020, 5000
EXITED_BELOW_LINE = 6  # exited households whose 2020 income fell to the line or below: the ones to watch
EXITED_SHARP_DROPS = 4  # still above the line, but down by far more than 30% on 2019
UNEXITED_READY = 10  # unexited households above the line in 2020 that also pass every 2W3G item
# Per-capita income as a multiple of the line, drawn from these ranges; the
# margins keep every household clearly on its side of the line after rounding.
EXITED_2020 = (1.2, 3.2)
EXITED_GROWTH = (0.9, 1.15)  # 2020 on 2019: at most a 10% fall, never a flag
BELOW_2020 = (0.72, 0.96)
BELOW_2019 = (1.05, 1.3)
DROP_2020 = (1.1, 1.6)
DROP_FACTOR = (0.45, 0.62)  # 2020 on 2019: a fall of 38-55%
UNEXITED_2019 = (0.5, 0.9)
UNEXITED_ABOVE_2020 = (1.04, 1.4)
UNEXITED_BELOW_2020 = (0.7, 0.97)
CLASSIFIED_ON = dt.date(2020, 12, 31)
CLASSIFIED_AT = (2020, 12, 31, 10, 0)
OVERRIDES = (
    ("stable", "consolidation", "主要劳动力务工收入不稳定，经村评议继续巩固提升"),
    ("stable", "consolidation", "种植业受灾风险大，暂列巩固提升户"),
    ("consolidation", "stable", "产业稳定、务工收入有保障，经村评议列为稳定脱贫户"),
    ("consolidation", "stable", "子女均已就业并按月赡养，家庭收入稳定"),
)


@dataclass(frozen=True)
class VillagePlan:
    name: str
    groups: int
    exited: int
    unexited: int


# Unequal but plausible: the exited column sums to 1,654 and the unexited one to 25.
VILLAGES = (
    VillagePlan("东风村", 6, 182, 4),
    VillagePlan("红旗村", 5, 165, 3),
    VillagePlan("新集村", 7, 198, 2),
    VillagePlan("王庄村", 4, 121, 3),
    VillagePlan("李圩村", 6, 143, 1),
    VillagePlan("张湖村", 8, 176, 2),
    VillagePlan("刘集村", 5, 139, 3),
    VillagePlan("陈桥村", 6, 154, 2),
    VillagePlan("杨楼村", 4, 112, 1),
    VillagePlan("赵圩村", 7, 150, 2),
    VillagePlan("孙岗村", 5, 114, 2),
)
ASSIGNED_VILLAGE = "东风村"
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class UserPlan:
    username: str
    role: str
    last_name: str
    first_name: str
    superuser: bool = False
    in_town: bool = False
    village: str = ""


DEMO_USERS = (
    UserPlan("admin", Role.ADMIN, "周", "文斌", superuser=True, in_town=True),
    UserPlan("official", Role.OFFICIAL, "王", "志强", in_town=True),
    UserPlan("cadre", Role.CADRE, "李", "红梅", village="东风村"),
    UserPlan("cadre2", Role.CADRE, "张", "国庆", village="红旗村"),
    UserPlan("helper", Role.RESPONSIBLE, "陈", "晓东"),
)


@dataclass(frozen=True)
class Failure:
    """How a still-poor household falls short of the exit standard, and what the registry shows for it."""

    notes: dict[AssessmentItem, str]
    housing_grade: str = ""
    uninsured_member: bool = False


# No dropout among them: every child of compulsory-school age in the demo is at school.
FAILURES = (
    Failure({AssessmentItem.HOUSING: "C级危房，待改造"}, housing_grade="C"),
    Failure({AssessmentItem.MEDICAL: "家庭医生未签约"}),
    Failure({AssessmentItem.WATER: "饮水不便，自来水未入户"}),
    Failure(
        {
            AssessmentItem.HOUSING: "D级危房，已列入2020年危房改造计划",
            AssessmentItem.MEDICAL: "一名成员未参加城乡居民基本医疗保险",
        },
        housing_grade="D",
        uninsured_member=True,
    ),
)

SIZES = (1, 2, 3, 4, 5, 6)
SIZE_WEIGHTS = (20, 32, 20, 16, 9, 3)
EXIT_YEARS = {2014: 10, 2015: 16, 2016: 22, 2017: 24, 2018: 18, 2019: 10}
EXITED_IDENTIFIED_YEARS = {2013: 10, 2014: 55, 2015: 20, 2016: 15}
UNEXITED_IDENTIFIED_YEARS = {2014: 50, 2015: 12, 2016: 12, 2017: 10, 2018: 8, 2019: 8}
MAIN_CAUSES = {
    PovertyCause.ILLNESS: 30,
    PovertyCause.DISABILITY: 18,
    PovertyCause.SKILLS: 14,
    PovertyCause.LABOUR: 12,
    PovertyCause.FUNDS: 10,
    PovertyCause.SCHOOLING: 5,
    PovertyCause.MOTIVATION: 3,
    PovertyCause.DISASTER: 2,
    PovertyCause.LAND: 1,
    PovertyCause.WATER: 1,
    PovertyCause.TRANSPORT: 1,
    PovertyCause.LAZINESS: 1,
    PovertyCause.ELDER_NEGLECT: 1,
    PovertyCause.GAMBLING: 0.5,
    PovertyCause.MARRIAGE: 0.5,
}
OTHER_CAUSES = (
    PovertyCause.ILLNESS,
    PovertyCause.DISABILITY,
    PovertyCause.SCHOOLING,
    PovertyCause.SKILLS,
    PovertyCause.LABOUR,
    PovertyCause.FUNDS,
    PovertyCause.TRANSPORT,
    PovertyCause.MOTIVATION,
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
MALE_NAME_CHARS = "伟强磊军勇杰涛明超刚平辉建国华志文斌鹏飞鑫宇浩俊峰海波东林德福贵成春山永庆"
FEMALE_NAME_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰红梅凤琴云莲玉珍婷雪慧燕萍洁翠"
MALE, FEMALE = idnumbers.MALE, idnumbers.FEMALE
CHILD = {MALE: Relation.SON, FEMALE: Relation.DAUGHTER}
GRANDCHILD = {MALE: Relation.GRANDSON, FEMALE: Relation.GRANDDAUGHTER}


@dataclass(eq=False)  # compared by identity: two plans may look alike
class HouseholdPlan:
    village: Village
    status: str
    size: int = 0
    failure: Failure | None = None


@dataclass(eq=False)
class Person:
    """A relative before it becomes a Member: who, and how old at the start of 2020."""

    relation: str
    sex: str
    age: int
    surname: str


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    password: str | None  # None: the user was already there and keeps its password


@dataclass(frozen=True)
class TownCounts:
    exited_households: int
    exited_people: int
    unexited_households: int
    unexited_people: int


@dataclass(frozen=True)
class SeedResult:
    town: Town
    created: bool
    logins: list[Login]
    counts: TownCounts


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


# ---------------------------------------------------------------- families


def build_members(household: Household, plan: HouseholdPlan, used_ids: set[str], rng) -> list[Member]:
    people = compose_family(plan.size, rng)
    affected = rng.choice([p for p in people if p.age >= 16] or people)
    uninsured = rng.choice(people[1:] or people) if plan.failure and plan.failure.uninsured_member else None
    return [
        build_member(
            household,
            person,
            used_ids,
            rng,
            health=health_from_cause(household.main_cause, rng) if person is affected else "",
            insured=person is not uninsured,
        )
        for person in people
    ]


def compose_family(size: int, rng: random.Random) -> list[Person]:
    """Relatives in the order a rural household usually takes them in, cut to `size`."""
    if size == 1:
        return [Person(Relation.HEAD, rng.choice((MALE, FEMALE)), rng.randint(52, 88), rng.choice(SURNAMES))]
    while True:
        people = family_candidates(rng)
        if len(people) >= size:
            return people[:size]


def family_candidates(rng: random.Random) -> list[Person]:
    surname = rng.choice(SURNAMES)
    head = Person(Relation.HEAD, MALE if rng.random() < 0.88 else FEMALE, rng.randint(30, 80), surname)
    spouse = []
    if head.sex == MALE and rng.random() < 0.85:
        spouse = [Person(Relation.SPOUSE, FEMALE, max(24, head.age + rng.randint(-6, 2)), rng.choice(SURNAMES))]
    children = children_of(head.age, surname, CHILD, 4, rng)
    parents = parents_of(head.age, surname, rng)
    eldest_son = next((child for child in children if child.relation == Relation.SON and child.age >= 24), None)
    if eldest_son is None:
        return [head, *spouse, *children, *parents]
    in_law_age = max(23, eldest_son.age + rng.randint(-4, 2))
    in_law = Person(Relation.DAUGHTER_IN_LAW, FEMALE, in_law_age, rng.choice(SURNAMES))
    grandchildren = children_of(eldest_son.age, surname, GRANDCHILD, 3, rng)
    if head.age >= 58:
        others = [child for child in children if child is not eldest_son]
        return [head, *spouse, eldest_son, in_law, *grandchildren, *others, *parents]
    return [head, *spouse, *children, *parents, in_law, *grandchildren]


def children_of(parent_age: int, surname: str, relation: dict[str, str], most: int, rng) -> list[Person]:
    age = rng.randint(max(0, parent_age - 34), parent_age - 24)
    children = []
    for _ in range(rng.randint(1, most)):
        if age < 0:
            break
        sex = rng.choice((MALE, FEMALE))
        children.append(Person(relation[sex], sex, age, surname))
        age -= rng.randint(2, 6)
    return children


def parents_of(head_age: int, surname: str, rng: random.Random) -> list[Person]:
    father_age = head_age + rng.randint(24, 32)
    mother_age = father_age - rng.randint(0, 4)
    parents = [
        Person(Relation.FATHER, MALE, father_age, surname),
        Person(Relation.MOTHER, FEMALE, mother_age, rng.choice(SURNAMES)),
    ]
    rng.shuffle(parents)
    return [parent for parent in parents if parent.age <= 92]


def build_member(household, person: Person, used_ids: set[str], rng, *, health: str, insured: bool) -> Member:
    id_number = unique_id_number(person, used_ids, rng)
    facts = idnumbers.parse(id_number, today=AS_OF)
    age = age_on(facts.birth_date, AS_OF)
    student_status, education = schooling(age, rng)
    health = health or health_at(age, rng)
    disability_grade = rng.randint(1, 4) if health == Health.DISABLED else None
    ability = work_ability(age, health, disability_grade, student_status, rng)
    migrant_work, work_months = migration(age, ability, rng)
    return Member(
        household=household,
        name=person.surname + given_name(facts.sex, rng),
        id_number=id_number,
        relation=person.relation,
        sex=facts.sex,
        birth_date=facts.birth_date,
        education=education,
        student_status=student_status,
        health=health,
        disability_grade=disability_grade,
        work_ability=ability,
        migrant_work=migrant_work,
        work_months=work_months,
        medical_insurance=insured,
        serious_illness_insurance=insured,
        pension_insurance=age >= 16 and not student_status and rng.random() < 0.92,
        minimum_allowance=household.attribute == Attribute.LOW_INCOME,
    )


def unique_id_number(person: Person, used_ids: set[str], rng: random.Random) -> str:
    """A valid ID number for someone of that age and sex that nobody in the database has yet."""
    while True:
        birth = dt.date(AS_OF.year - person.age - 1, 1, 2) + dt.timedelta(days=rng.randrange(364))
        id_number = idnumbers.make(REGION_CODE, birth, person.sex, rng)
        if id_number not in used_ids:
            used_ids.add(id_number)
            return id_number


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def given_name(sex: str, rng: random.Random) -> str:
    chars = MALE_NAME_CHARS if sex == MALE else FEMALE_NAME_CHARS
    return "".join(rng.sample(chars, 1 if rng.random() < 0.3 else 2))


def schooling(age: int, rng: random.Random) -> tuple[str, str]:
    """(student status, education) at that age: everyone aged 3-22 is at school."""
    if age < 3:
        return "", ""
    if age <= 5:
        return StudentStatus.PRESCHOOL, ""
    if age <= 11:
        return StudentStatus.PRIMARY, Education.PRIMARY
    if age <= 14:
        return StudentStatus.JUNIOR, Education.JUNIOR
    if age <= 17:
        return rng.choices((StudentStatus.SENIOR, StudentStatus.VOCATIONAL), (7, 3))[0], Education.SENIOR
    if age <= 22:
        higher = (StudentStatus.UNIVERSITY, StudentStatus.COLLEGE, StudentStatus.HIGHER_VOCATIONAL)
        return rng.choice(higher), Education.COLLEGE
    return "", adult_education(age, rng)


def adult_education(age: int, rng: random.Random) -> str:
    levels = (Education.ILLITERATE, Education.PRIMARY, Education.JUNIOR, Education.SENIOR, Education.COLLEGE)
    if age >= 65:
        weights = (45, 45, 10, 0, 0)
    elif age >= 45:
        weights = (15, 45, 35, 5, 0)
    else:
        weights = (0, 15, 60, 20, 5)
    return rng.choices(levels, weights)[0]


def health_at(age: int, rng: random.Random) -> str:
    levels = (Health.HEALTHY, Health.CHRONIC, Health.SERIOUS, Health.DISABLED)
    if age < 16:
        weights = (96, 2, 0.5, 1.5)
    elif age < 60:
        weights = (84, 9, 3, 4)
    else:
        weights = (62, 26, 5, 7)
    return rng.choices(levels, weights)[0]


def health_from_cause(main_cause: str, rng: random.Random) -> str:
    """The member whose illness or disability made the household poor; anyone else's health is drawn by age."""
    if main_cause == PovertyCause.ILLNESS:
        return rng.choice((Health.CHRONIC, Health.SERIOUS))
    if main_cause == PovertyCause.DISABILITY:
        return Health.DISABLED
    return ""


def work_ability(age: int, health: str, disability_grade: int | None, student_status: str, rng) -> str:
    if age < 16 or student_status:
        return WorkAbility.NONE
    if health == Health.SERIOUS or (health == Health.DISABLED and disability_grade <= 2):
        return WorkAbility.LOST
    if age >= 70:
        return WorkAbility.NONE
    if age >= 60 or health in (Health.CHRONIC, Health.DISABLED):
        return WorkAbility.WEAK
    return WorkAbility.SKILLED if rng.random() < 0.2 else WorkAbility.NORMAL


def migration(age: int, ability: str, rng: random.Random) -> tuple[str, int | None]:
    """Where an able adult worked away from home, and for how many months; most farm at home or go far."""
    if ability not in (WorkAbility.NORMAL, WorkAbility.SKILLED) or age > 55 or rng.random() >= 0.55:
        return "", None
    kinds = (MigrantWork.IN_TOWN, MigrantWork.IN_COUNTY, MigrantWork.IN_PROVINCE, MigrantWork.OUT_OF_PROVINCE)
    return rng.choices(kinds, (15, 20, 25, 40))[0], min(12, max(1, round(rng.gauss(9, 2.5))))


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


# ---------------------------------------------------------------- income and classes after exit


def create_income_and_classes(households, plans, members, assessments, official, rng: random.Random) -> None:
    """Two years of income for every household, then a confirmed class for every exited one.

    Most exited households are well above the line; exactly EXITED_BELOW_LINE
    fell to it or below in 2020 and EXITED_SHARP_DROPS lost more than 30% while
    staying above. The 25 unexited households were all below it in 2019; in 2020
    some are above (ready, or held back only by a 2W3G item) and the rest below.
    """
    line = IncomeLine.objects.get_or_create(year=LINE_YEAR, defaults={"line": LINE_YUAN})[0]
    members_of: dict[int, list[Member]] = defaultdict(list)
    for member in members:
        members_of[member.household_id].append(member)
    ratios = plan_income(households, plans, rng)
    records = [
        build_income(household, year, ratio, line.line, members_of[household.pk], rng)
        for household in households
        for year, ratio in zip(INCOME_YEARS, ratios[household.pk], strict=True)
    ]
    # The database computes net income and hands it back (RETURNING) for the suggestions below.
    IncomeRecord.objects.bulk_create(records, batch_size=BATCH_SIZE)
    by_household = {(record.household_id, record.year): record for record in records}
    classes = [
        build_classification(household, members_of[household.pk], by_household, assessment, line, official)
        for household, assessment in zip(households, assessments, strict=True)
        if household.status == HouseholdStatus.EXITED
    ]
    apply_overrides(classes, rng)
    Classification.objects.bulk_create(classes, batch_size=BATCH_SIZE)


def plan_income(households, plans, rng: random.Random) -> dict[int, tuple[float, float]]:
    """Per-capita income of 2019 and 2020 for each household, as multiples of the line."""
    exited = [h for h in households if h.status == HouseholdStatus.EXITED]
    below = rng.sample(exited, EXITED_BELOW_LINE)
    dropping = rng.sample([h for h in exited if h not in below], EXITED_SHARP_DROPS)
    unexited = [(h, plan) for h, plan in zip(households, plans, strict=True) if h.status == HouseholdStatus.UNEXITED]
    # Half of the four households that fail a 2W3G item are above the line: only the item holds them back.
    failing = [h for h, plan in unexited if plan.failure]
    passing = [h for h, plan in unexited if not plan.failure]
    above = set(failing[: len(failing) // 2]) | set(rng.sample(passing, UNEXITED_READY))

    result = {}
    for household in households:
        if household in below:
            result[household.pk] = rng.uniform(*BELOW_2019), rng.uniform(*BELOW_2020)
        elif household in dropping:
            ratio_2020 = rng.uniform(*DROP_2020)
            result[household.pk] = ratio_2020 / rng.uniform(*DROP_FACTOR), ratio_2020
        elif household.status == HouseholdStatus.EXITED:
            ratio_2020 = rng.uniform(*EXITED_2020)
            result[household.pk] = ratio_2020 / rng.uniform(*EXITED_GROWTH), ratio_2020
        else:
            span = UNEXITED_ABOVE_2020 if household in above else UNEXITED_BELOW_2020
            result[household.pk] = rng.uniform(*UNEXITED_2019), rng.uniform(*span)
    return result


def build_income(household, year: int, ratio: float, line: int, members: list[Member], rng) -> IncomeRecord:
    """A year's income split the way a rural household earns it; the parts add up to exactly the net figure."""
    size = len(members)
    net = round(ratio * line * size)
    supported = household.attribute in (Attribute.LOW_INCOME, Attribute.EXTREME_SUPPORT)
    transfers = round(net * rng.uniform(0.35, 0.6) if supported else net * rng.uniform(0.08, 0.25))
    property_income = round(net * rng.uniform(0, 0.06))
    rest = net - transfers - property_income
    has_labour = any(classification.has_labour(member, CLASSIFIED_ON) for member in members)
    production_net = round(rest * rng.uniform(0.15, 0.45)) if has_labour else rest
    costs = round(production_net * rng.uniform(0.4, 0.9))
    return IncomeRecord(
        household=household,
        year=year,
        wage_income=rest - production_net,
        production_income=production_net + costs,
        property_income=property_income,
        transfer_income=transfers,
        production_costs=costs,
        household_size=size,
    )


def build_classification(household, members, records, assessment, line, official) -> Classification:
    suggestion = classification.suggest(
        members=members,
        income=records[household.pk, LINE_YEAR],
        previous_income=records.get((household.pk, LINE_YEAR - 1)),
        line=line,
        failing_items=assessment.failing_items(),
        monitored=False,
        on=CLASSIFIED_ON,
    )
    return Classification(
        household=household,
        classified_on=CLASSIFIED_ON,
        suggested_class=suggestion.exit_class,
        rule=suggestion.rule,
        figures=suggestion.figures,
        confirmed_class=suggestion.exit_class,
        decided_by=official,
        decided_at=timezone.make_aware(dt.datetime(*CLASSIFIED_AT)),
    )


def apply_overrides(classes: list[Classification], rng: random.Random) -> None:
    """A few households where the official saw more than the figures, each with the reason given."""
    for suggested, confirmed, reason in OVERRIDES:
        candidates = [c for c in classes if c.suggested_class == suggested and c.confirmed_class == suggested]
        chosen = rng.choice(candidates)
        chosen.confirmed_class, chosen.reason = confirmed, reason
