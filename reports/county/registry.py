"""The registry part of the county: geography, users, households and members, 2W3G, history, income, classes, targets.

Families, causes, attributes and years are drawn with the demo town's own
helpers (households.demo), so a county household looks like a demo one; ID
numbers come from a counter per birth date and sex instead of a random draw,
so they are unique across the county without looking any up.
"""

import datetime as dt
import itertools
import math
import time
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Role, User
from assistance.demo import GIVEN, UNITS
from assistance.demo import SURNAMES as HELPER_SURNAMES
from audit.models import AuditEvent
from households import classification, idnumbers, summaries
from households.choices import AssessmentItem, Attribute, Health, HouseholdStatus, MonitorKind
from households.demo import families
from households.demo.plan import (
    EXIT_REASON,
    FAILURES,
    IDENTIFIED_REASON,
    LINE_YUAN,
    SIZE_WEIGHTS,
    SIZES,
    UNEXITED_IDENTIFIED_YEARS,
)
from households.demo.town import attribute_for, mobile_phone, pick, poverty_causes, years_of
from households.models import (
    Assessment,
    Classification,
    Household,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    SupportUnit,
    TargetHousehold,
    Town,
    Village,
    VillagerGroup,
    WorkTeam,
)
from households.services import target_fix
from reports.county import plan
from reports.county.shapes import County, Folk, Home, Income, TownRef, VillageRef
from reports.county.writer import Progress, Written

EXITED, UNEXITED, MONITORED, CLOSED = (
    HouseholdStatus.EXITED,
    HouseholdStatus.UNEXITED,
    HouseholdStatus.MONITORED,
    HouseholdStatus.CLOSED,
)
STATUS_OF_KIND = {"unexited": UNEXITED, "campaign": EXITED, "exited": EXITED, "monitored": MONITORED, "closed": CLOSED}
MONITORED_REASON = "收入不稳定，存在返贫风险，纳入防返贫动态监测"
MARGINAL_REASON = "边缘易致贫户，经村评议纳入动态监测"
CLOSED_REASON = "户主去世，其他成员已随子女迁出，整户销户"
TARGET_NAME = "年初未脱贫户全部脱贫"


# ---------------------------------------------------------------- geography


def create_geography(county: County) -> None:
    """Towns of about thirty villages each, villager groups, two support units and a work team per village."""
    rng, writer = county.rng("geography"), county.writer
    sizes = split(county.options.households, county.options.towns)
    county.towns = [
        TownRef(pk=writer.next_pk(Town), index=n, code=f"{plan.REGION_CODE}{n + 1:03d}", name=plan.town_name(n))
        for n in range(county.options.towns)
    ]
    for town, size in zip(county.towns, sizes, strict=True):
        count = min(plan.VILLAGES_PER_TOWN, max(1, size // plan.MIN_HOUSEHOLDS_PER_VILLAGE))
        town.villages = [
            VillageRef(
                pk=writer.next_pk(Village), town=town, code=f"{town.code}{201 + n:03d}", name=plan.village_name(n)
            )
            for n in range(count)
        ]
    villages = county.villages
    units = itertools.cycle(UNITS)
    for village in villages:
        village.group_names = [f"第{plan.NUMERALS[n]}村民小组" for n in range(rng.randint(*plan.GROUPS_PER_VILLAGE))]
        village.group_pks = [writer.next_pk(VillagerGroup) for _ in village.group_names]
        village.unit_pks = [writer.next_pk(SupportUnit) for _ in range(plan.SUPPORT_UNITS_PER_VILLAGE)]

    writer.write(Town, ("id", "name", "code"), ((t.pk, t.name, t.code) for t in county.towns))
    writer.write(Village, ("id", "town_id", "name", "code"), ((v.pk, v.town.pk, v.name, v.code) for v in villages))
    writer.write(
        VillagerGroup,
        ("id", "village_id", "name"),
        ((pk, v.pk, name) for v in villages for pk, name in zip(v.group_pks, v.group_names, strict=True)),
    )
    unit_names = {v.pk: [next(units) for _ in v.unit_pks] for v in villages}
    writer.write(
        SupportUnit,
        ("id", "village_id", "name"),
        ((pk, v.pk, name) for v in villages for pk, name in zip(v.unit_pks, unit_names[v.pk], strict=True)),
    )
    writer.write(
        WorkTeam,
        ("village_id", "name", "sent_by", "start_date"),
        ((v.pk, f"{v.name}驻村工作队", unit_names[v.pk][0], plan.ASSIGNED_FROM) for v in villages),
    )
    allocate_staff(county)


def split(total: int, parts: int, weights: list[float] | None = None) -> list[int]:
    """`total` shared out in proportion to `weights` (equal by default), by largest remainder."""
    weights = weights or [1.0] * parts
    exact = [total * w / sum(weights) for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(parts), key=lambda n: shares[n] - exact[n])
    for n in by_remainder[: total - sum(shares)]:
        shares[n] += 1
    return shares


# ---------------------------------------------------------------- users


def allocate_staff(county: County) -> None:
    """Key the administrator, one official per town and one cadre per village (written with the helpers)."""
    writer = county.writer
    county.admin_id = writer.next_pk(User)
    for town in county.towns:
        town.official_id = writer.next_pk(User)
    for village in county.villages:
        village.cadre_id = writer.next_pk(User)


def write_users(county: County) -> None:
    """Every county user with an unusable password: the benchmark logs in with force_login."""
    rng, prefix = county.rng("users"), plan.USERNAME_PREFIX
    unusable = make_password(None)

    def user(pk, username, role, *, town_id=None, superuser=False):
        name = rng.choice(HELPER_SURNAMES), rng.choice(GIVEN)
        return (pk, username, unusable, name[1], name[0], role, town_id, superuser, superuser)

    rows = [user(county.admin_id, f"{prefix}admin", Role.ADMIN, superuser=True)]
    rows += [
        user(t.official_id, f"{prefix}official-{t.index + 1:02d}", Role.OFFICIAL, town_id=t.pk) for t in county.towns
    ]
    rows += [user(v.cadre_id, f"{prefix}cadre-{v.code}", Role.CADRE) for v in county.villages]
    rows += [user(pk, f"{prefix}helper-{n:05d}", Role.RESPONSIBLE) for n, pk in enumerate(county.helper_ids, 1)]
    fields = ("id", "username", "password", "first_name", "last_name", "role", "town_id", "is_superuser", "is_staff")
    county.writer.write(User, fields, rows)
    county.writer.write(User.villages.through, ("user_id", "village_id"), ((v.cadre_id, v.pk) for v in county.villages))


# ---------------------------------------------------------------- households and members


def plan_households(county: County) -> None:
    """Each town's statuses in the plan's shares, dealt out over villages of unequal size."""
    rng = county.rng("households")
    people = county.rng("members")
    ids: Counter[tuple[dt.date, str]] = Counter()
    writer = county.writer
    progress = Progress(county.say, "households drawn", county.options.households, writer.progress_every)
    for town, size in zip(county.towns, split(county.options.households, len(county.towns)), strict=True):
        kinds = town_kinds(size)
        rng.shuffle(kinds)
        village_sizes = split(size, len(town.villages), [rng.uniform(0.6, 1.4) for _ in town.villages])
        start = 0
        for village, count in zip(town.villages, village_sizes, strict=True):
            houses: Counter[int] = Counter()
            for sequence, kind in enumerate(kinds[start : start + count], 1):
                home = build_home(writer, village, f"{village.code}{sequence:05d}", kind, county.today, rng)
                home.members = build_members(writer, home, ids, people)
                home.group = rng.randrange(len(village.group_pks))
                houses[home.group] += rng.randint(1, 3)
                home.house = houses[home.group]
                village.homes.append(home)
                county.homes.append(home)
            start += count
            progress.update(len(county.homes))


def town_kinds(size: int) -> list[str]:
    """The town's households by kind: at least one still poor, so every town has a target."""
    counts = {
        "closed": round(plan.CLOSED * size),
        "unexited": max(1, round(plan.UNEXITED * size)),
        "campaign": round(plan.EXITED_IN_CAMPAIGN * size),
        "monitored": round(plan.MONITORED * size),
    }
    counts["exited"] = size - sum(counts.values())
    return [kind for kind, count in counts.items() for _ in range(count)]


def build_home(writer, village: VillageRef, number: str, kind: str, today: dt.date, rng) -> Home:
    size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
    home = Home(
        pk=writer.next_pk(Household), number=number, village=village, kind=kind, status=STATUS_OF_KIND[kind], size=size
    )
    home.assessment_pk = writer.next_pk(Assessment)
    if kind == "unexited":
        home.identified_year, _ = years_of(UNEXITED, rng)
    elif kind == "campaign":
        home.identified_year, home.exit_year = pick(UNEXITED_IDENTIFIED_YEARS, rng), plan.CAMPAIGN_YEAR
        month = pick(plan.CAMPAIGN_EXIT_MONTHS, rng)
        home.exit_on = dt.date(plan.CAMPAIGN_YEAR, month, rng.randint(1, 28))
    elif kind == "monitored" and pick(plan.MONITOR_KINDS, rng) == MonitorKind.MARGINAL:
        home.monitor_kind = MonitorKind.MARGINAL
        home.monitored_on = dt.date(2021, 1, 4) + dt.timedelta(days=rng.randrange(700))
        home.registered_on = home.monitored_on
    else:
        home.identified_year, home.exit_year = years_of(EXITED, rng)
        home.exit_on = dt.date(home.exit_year, 12, 20)
        if kind == "monitored":
            home.monitor_kind = MonitorKind.UNSTABLE
            home.monitored_on = dt.date(2020, 7, 1) + dt.timedelta(days=rng.randrange(900))
        elif kind == "closed":
            home.closed_on = min(dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365)), today)
    if home.registered_on is None:
        home.registered_on = dt.date(home.identified_year, 1, 1)
    if kind != "campaign" and rng.random() < plan.FAILING[home.status]:
        home.failure = rng.choice(FAILURES)
    home.main_cause, home.other_causes = poverty_causes(rng)
    home.attribute = attribute_for(size, rng)
    home.housing_grade = (home.failure and home.failure.housing_grade) or rng.choices("AB", (45, 55))[0]
    home.phone = mobile_phone(rng)
    return home


def build_members(writer, home: Home, ids: Counter, rng) -> list[Folk]:
    people = families.compose_family(home.size, rng)
    affected = rng.choice([p for p in people if p.age >= 16] or people)
    uninsured = rng.choice(people[1:] or people) if home.failure and home.failure.uninsured_member else None
    folks = []
    for person in people:
        birth = dt.date(plan.AS_OF.year - person.age - 1, 1, 2) + dt.timedelta(days=rng.randrange(364))
        id_number = counted_id_number(birth, person.sex, ids)
        age = families.age_on(birth, plan.AS_OF)
        student_status, education = families.schooling(age, rng)
        health = families.health_from_cause(home.main_cause, rng) if person is affected else ""
        health = health or families.health_at(age, rng)
        grade = rng.randint(1, 4) if health == Health.DISABLED else None
        ability = families.work_ability(age, health, grade, student_status, rng)
        migrant_work, months = families.migration(age, ability, rng)
        insured = person is not uninsured
        folk = Folk(
            pk=writer.next_pk(Member),
            name=person.surname + families.given_name(person.sex, rng),
            relation=person.relation,
            birth_date=birth,
            work_ability=ability,
            health=health,
            disability_grade=grade,
        )
        folk.row = (
            folk.pk,
            home.pk,
            folk.name,
            id_number,
            person.relation,
            person.sex,
            birth,
            education,
            student_status,
            health,
            grade,
            ability,
            migrant_work,
            months,
            insured,
            insured,
            age >= 16 and not student_status and rng.random() < 0.92,
            home.attribute == Attribute.LOW_INCOME,
        )
        folks.append(folk)
    return folks


def counted_id_number(birth: dt.date, sex: str, ids: Counter) -> str:
    """The next free ID number for that birth date and sex: 500 of each a day, far more than a county needs."""
    seen = ids[birth, sex]
    ids[birth, sex] += 1
    if seen >= 500:
        raise ValueError(f"more than 500 people of one sex born on {birth}")
    order = 2 * seen + (1 if sex == idnumbers.MALE else 0)
    first17 = f"{plan.REGION_CODE}{birth:%Y%m%d}{order:03d}"
    return first17 + idnumbers.check_char(first17)


# ---------------------------------------------------------------- writing the registry

HOUSEHOLD_FIELDS = (
    "id", "number", "village_id", "group_id", "address", "phone", "registered_on", "identified_year", "status",
    "monitor_kind", "exit_year", "attribute", "main_cause", "other_causes", "housing_grade", "latest_assessment_id",
)  # fmt: skip
MEMBER_FIELDS = (
    "id", "household_id", "name", "id_number", "relation", "sex", "birth_date", "education", "student_status",
    "health", "disability_grade", "work_ability", "migrant_work", "work_months", "medical_insurance",
    "serious_illness_insurance", "pension_insurance", "minimum_allowance",
)  # fmt: skip
VERDICT_FIELDS = tuple(name for item in AssessmentItem for name in (item.verdict_field, item.note_field))


def write_households(county: County) -> None:
    def row(h: Home):
        village = h.village
        address = f"{village.name}{village.group_names[h.group]}{h.house}号"
        return (
            h.pk, h.number, village.pk, village.group_pks[h.group], address, h.phone, h.registered_on,
            h.identified_year, h.status, h.monitor_kind, h.exit_year, h.attribute, h.main_cause, h.other_causes,
            h.housing_grade, h.assessment_pk,
        )  # fmt: skip

    county.writer.write(Household, HOUSEHOLD_FIELDS, (row(h) for h in county.homes), total=len(county.homes))
    members = sum(len(h.members) for h in county.homes)
    county.writer.write(Member, MEMBER_FIELDS, (folk.row for h in county.homes for folk in h.members), total=members)


def write_assessments(county: County) -> None:
    """Each household's latest 2W3G check, which Household.latest_assessment already names."""
    rng, today = county.rng("assessments"), county.today

    def row(h: Home):
        notes = h.failure.notes if h.failure else {}
        verdicts = [value for item in AssessmentItem for value in (item not in notes, notes.get(item, ""))]
        return (h.assessment_pk, h.pk, assessed_on(h, today, rng), h.village.town.official_id, *verdicts)

    fields = ("id", "household_id", "assessed_on", "assessed_by_id", *VERDICT_FIELDS)
    county.writer.write(Assessment, fields, (row(h) for h in county.homes))


def assessed_on(h: Home, today: dt.date, rng) -> dt.date:
    """Checked before leaving poverty; a problem found since, or a household still poor, was checked this year."""
    if h.kind == "campaign":
        return h.exit_on - dt.timedelta(days=rng.randint(5, 40))
    if h.kind == "unexited" or h.failure:
        return today - dt.timedelta(days=rng.randint(10, 300))
    if h.kind == "monitored":
        return min(h.monitored_on + dt.timedelta(days=rng.randint(0, 60)), today)
    return dt.date(h.exit_year, 10, 1) + dt.timedelta(days=rng.randrange(71))


def write_history(county: County) -> None:
    """Identification, exit, monitoring and closing, dated, so that a burn-down by month can be drawn."""

    def changes(h: Home):
        if h.identified_year is not None:
            yield "", UNEXITED, h.registered_on, IDENTIFIED_REASON
        if h.exit_on is not None:
            yield UNEXITED, EXITED, h.exit_on, EXIT_REASON
        if h.monitor_kind == MonitorKind.UNSTABLE:
            yield EXITED, MONITORED, h.monitored_on, MONITORED_REASON
        elif h.monitor_kind == MonitorKind.MARGINAL:
            yield "", MONITORED, h.monitored_on, MARGINAL_REASON
        if h.closed_on is not None:
            yield EXITED, CLOSED, h.closed_on, CLOSED_REASON

    county.writer.write(
        StatusChange,
        ("household_id", "from_status", "to_status", "changed_on", "reason", "changed_by_id"),
        (
            (h.pk, before, after, on, reason, h.village.town.official_id)
            for h in county.homes
            for before, after, on, reason in changes(h)
        ),
    )


def write_income_and_classes(county: County) -> None:
    """Two years of income for every household not closed, then a class for every exited or monitored one."""
    rng = county.rng("income")
    line = IncomeLine.objects.get_or_create(year=plan.CAMPAIGN_YEAR, defaults={"line": LINE_YUAN})[0]
    fields = (
        "household_id", "year", "wage_income", "production_income", "property_income", "transfer_income",
        "production_costs", "household_size",
    )  # fmt: skip
    county.writer.write(
        IncomeRecord,
        fields,
        (
            income_row(h, year, ratio, line.line, rng)
            for h in county.homes
            if h.status != CLOSED
            for year, ratio in zip(plan.INCOME_YEARS, income_ratios(h, rng), strict=True)
        ),
    )
    decided_at = timezone.make_aware(dt.datetime.combine(plan.CLASSIFIED_ON, plan.CLASSIFIED_AT))
    classified_on = plan.CLASSIFIED_ON
    fields = (
        "household_id", "classified_on", "suggested_class", "rule", "figures", "confirmed_class", "decided_by_id",
        "decided_at",
    )  # fmt: skip

    def row(h: Home):
        previous, latest = h.incomes
        suggestion = classification.suggest(
            members=h.members,
            income=latest,
            previous_income=previous,
            line=line,
            failing_items=[item for item in AssessmentItem if h.failure and item in h.failure.notes],
            monitored=h.status == MONITORED,
            on=classified_on,
        )
        cls = suggestion.exit_class
        return (
            h.pk,
            classified_on,
            cls,
            suggestion.rule,
            suggestion.figures,
            cls,
            h.village.town.official_id,
            decided_at,
        )

    county.writer.write(Classification, fields, (row(h) for h in county.homes if h.status in (EXITED, MONITORED)))


def income_ratios(h: Home, rng) -> tuple[float, float]:
    """Per-capita income of the two years as multiples of the line."""
    if h.kind == "unexited":
        above = rng.random() < plan.UNEXITED_READY
        return rng.uniform(*plan.UNEXITED_2019), rng.uniform(
            *(plan.UNEXITED_ABOVE_2020 if above else plan.UNEXITED_BELOW_2020)
        )
    if h.kind == "campaign":
        return rng.uniform(*plan.UNEXITED_2019), rng.uniform(*plan.CAMPAIGN_2020)
    if h.kind == "monitored":
        latest = rng.uniform(*plan.MONITORED_2020)
        return latest / rng.uniform(0.8, 1.1), latest
    draw = rng.random()
    if draw < plan.EXITED_BELOW_LINE:
        return rng.uniform(*plan.BELOW_2019), rng.uniform(*plan.BELOW_2020)
    if draw < plan.EXITED_BELOW_LINE + plan.EXITED_SHARP_DROP:
        latest = rng.uniform(*plan.DROP_2020)
        return latest / rng.uniform(*plan.DROP_FACTOR), latest
    latest = rng.uniform(*plan.EXITED_2020)
    return latest / rng.uniform(*plan.EXITED_GROWTH), latest


def income_row(h: Home, year: int, ratio: float, line: int, rng) -> tuple:
    """A year's income split as households.demo.income splits it; the parts add up to exactly the net figure."""
    net = round(ratio * line * h.size)
    supported = h.attribute in (Attribute.LOW_INCOME, Attribute.EXTREME_SUPPORT)
    transfers = round(net * (rng.uniform(0.35, 0.6) if supported else rng.uniform(0.08, 0.25)))
    property_income = round(net * rng.uniform(0, 0.06))
    rest = net - transfers - property_income
    labour = any(classification.has_labour(folk, plan.CLASSIFIED_ON) for folk in h.members)
    production_net = round(rest * rng.uniform(0.15, 0.45)) if labour else rest
    costs = round(production_net * rng.uniform(0.4, 0.9))
    h.incomes.append(Income(year, net, h.size))
    return (h.pk, year, rest - production_net, production_net + costs, property_income, transfers, costs, h.size)


def write_targets(county: County) -> None:
    """Each town's campaign target, set as an admin sets one: the households still poor at the start of 2020.

    Through households.services.target_fix (a few set-based queries per town),
    so that the cohort is read from the status history just written, as a real
    county's is.
    """
    started = time.perf_counter()
    admin = User.objects.get(pk=county.admin_id)
    towns = Town.objects.in_bulk([town.pk for town in county.towns])
    for town in county.towns:
        target_fix(
            town=towns[town.pk],
            year=plan.CAMPAIGN_YEAR,
            name=TARGET_NAME,
            as_of=dt.date(plan.CAMPAIGN_YEAR, 1, 1),
            user=admin,
            via=AuditEvent.Via.COMMAND,
        )
    if county.writer.report:
        rows = TargetHousehold.objects.filter(target__town__in=towns.values()).count()
        county.writer.report(TargetHousehold._meta.label, Written(rows, time.perf_counter() - started))


def write_dashboard_figures(county: County) -> None:
    """Each household's kept dashboard figures (households.summaries), from everything written before.

    The steps before write past the services, in bulk, so the figures are computed once at the end, in one
    set-based statement over the county, as `manage.py dashboard_figures` does.
    """
    started = time.perf_counter()
    rows = summaries.refresh()
    if county.writer.report:
        county.writer.report("dashboard figures", Written(rows, time.perf_counter() - started))
