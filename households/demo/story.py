"""What happens to each demo household, and when: the registry's history, told before anything is written.

- 2013-2019: every household was identified on 1 January of its year. Those
  out of poverty by 2019 passed a 2W3G check in the autumn of their exit year
  and left on 20 December.
- 2020: the 25 still poor were checked on their responsible person's first
  visit of the year; four failed an item, which their 2020 plan put right (a
  new assessment on the day the repair was found done). Each left poverty in a
  month of 2020 once its income and every item passed, the last in December.
- 2021 on: a few exited households are struck by a hardship (plan.RISKS). A
  visit finds it; a week or two later the county confirms the household as
  monitored (脱贫不稳定户); what the hardship broke is repaired; and most are
  out of risk again after more than half a year, in a later year whose income
  is above the line. Two households never poor are found close to poverty and
  registered as ordinary households the day they apply, then monitored
  once the county confirms them (边缘易致贫户).

Every change is one household_set_status would make (plan.Change: from, to,
date, reason; the exit year is folded the way it folds it), and the story
stops at the day the demo is loaded, whatever that day is.
"""

import datetime as dt
import random

from households.choices import AssessmentItem, Health, HouseholdStatus, MonitorKind, Relation, WorkAbility
from households.demo.plan import (
    AS_OF,
    ASSIGNED_VILLAGE,
    CHANGE_DAYS,
    COHORT_CHECKED_FROM,
    COHORT_CHECKED_UNTIL,
    COHORT_EXIT_MONTHS,
    COHORT_KIND,
    EXIT_CHECK_DAYS,
    EXIT_CHECKED_FROM,
    EXIT_DAY,
    EXIT_REASON,
    EXITED_KIND,
    FIXED_BEFORE_EXIT,
    IDENTIFIED_REASON,
    MARGINAL_FROM,
    MARGINAL_KIND,
    MARGINAL_REASON,
    MARGINAL_REGISTERED_REASON,
    MARGINAL_REPORTED_DAYS,
    MARGINAL_RISKS,
    REPAIRED_AFTER,
    RISK_FOUND_DAYS,
    RISK_REMOVED_REASON,
    RISK_SETTLED,
    RISKS,
    RISKS_FROM,
    Change,
    Check,
    HouseholdPlan,
    Risk,
)
from households.idnumbers import age_on
from households.models import Household, Member

UNEXITED, EXITED, MONITORED = HouseholdStatus.UNEXITED, HouseholdStatus.EXITED, HouseholdStatus.MONITORED
GENERAL = HouseholdStatus.GENERAL
# The latest risks are still open when the demo is loaded, the last two in the demo cadres' villages.
OPEN_RISKS = 4
OPEN_RISK_VILLAGES = ("红旗村", ASSIGNED_VILLAGE)
RISK_LAST_DAYS = 40  # no risk confirmed in the last weeks: its first month of monitoring has a visit behind it
MARGINAL_LAST_DAYS = 60


def tell(
    plans: list[HouseholdPlan],
    households: list[Household],
    members: dict[HouseholdPlan, list[Member]],
    *,
    today: dt.date,
    rng: random.Random,
) -> None:
    """Date every household's history and assessments, then give each Household its fields as of today."""
    for plan, household in zip(plans, households, strict=True):
        plan.housing_grade = household.housing_grade
        if plan.kind == EXITED_KIND:
            lifted_before_2020(plan, household, rng)
        elif plan.kind == COHORT_KIND:
            plan.changes = [Change(household.registered_on, "", UNEXITED, IDENTIFIED_REASON)]
    campaign([p for p in plans if p.kind == COHORT_KIND], rng)
    risks(plans, members, today, rng)
    marginal([(p, h) for p, h in zip(plans, households, strict=True) if p.kind == MARGINAL_KIND], today, rng)
    for plan, household in zip(plans, households, strict=True):
        household.status, household.monitor_kind, household.exit_year = fold(plan.changes)
        household.housing_grade = plan.housing_grade


def fold(changes: list[Change]) -> tuple[str, str, int | None]:
    """(status, monitoring type, exit year) after these changes, as household_set_status leaves them."""
    status, kind, exit_year = "", "", None
    for change in changes:
        risk_removed = status == MONITORED and exit_year is not None
        if change.to_status == EXITED and not risk_removed:
            exit_year = change.on.year
        status, kind = change.to_status, change.monitor_kind if change.to_status == MONITORED else ""
    return status, kind, exit_year


def all_passing() -> dict[AssessmentItem, tuple[bool, str]]:
    return {item: (True, "") for item in AssessmentItem}


def working_day(first: dt.date, last: dt.date, rng: random.Random) -> dt.date:
    """A weekday between the two (inclusive), or the first day when there is none."""
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    weekdays = [day for day in days if day.weekday() < 5]
    return rng.choice(weekdays or days or [first])


def day_of_change(year: int, month: int, rng: random.Random) -> dt.date:
    return dt.date(year, month, rng.randint(*CHANGE_DAYS))


# ---------------------------------------------------------------- 2013-2019


def lifted_before_2020(plan: HouseholdPlan, household: Household, rng: random.Random) -> None:
    checked = dt.date(household.exit_year, *EXIT_CHECKED_FROM) + dt.timedelta(days=rng.randrange(EXIT_CHECK_DAYS + 1))
    plan.checks = [Check(checked, all_passing())]
    plan.changes = [
        Change(household.registered_on, "", UNEXITED, IDENTIFIED_REASON),
        Change(dt.date(household.exit_year, *EXIT_DAY), UNEXITED, EXITED, EXIT_REASON),
    ]


# ---------------------------------------------------------------- 2020


def campaign(cohort: list[HouseholdPlan], rng: random.Random) -> None:
    """The 25: checked in January, their failing items repaired, each out of poverty in its month of 2020."""
    months = sorted(month for month, count in COHORT_EXIT_MONTHS.items() for _ in range(count))
    if len(months) != len(cohort):
        raise ValueError(f"{len(months)} exit months for {len(cohort)} households")
    failing = [plan for plan in cohort if plan.failure]
    others = [plan for plan in cohort if not plan.failure]
    # Those waiting for a repair leave last; the others in any order.
    late, early = months[len(others) :], months[: len(others)]
    rng.shuffle(early)
    rng.shuffle(failing)
    for plan, month in [*zip(others, early, strict=True), *zip(failing, late, strict=True)]:
        exit_on = day_of_change(AS_OF.year, month, rng)
        verdicts = all_passing()
        for item, note in (plan.failure.notes if plan.failure else {}).items():
            verdicts[item] = (False, note)
        plan.checks = [Check(working_day(COHORT_CHECKED_FROM, COHORT_CHECKED_UNTIL, rng), verdicts)]
        repairs = sorted(
            (working_day(repair.earliest, min(repair.latest, exit_on - FIXED_BEFORE_EXIT), rng), item, repair.note)
            for item, repair in (plan.failure.repairs if plan.failure else {}).items()
        )
        for day, item, note in repairs:
            verdicts = {**verdicts, item: (True, note)}
            plan.checks.append(Check(day, verdicts))
            if item == AssessmentItem.HOUSING:
                plan.housing_grade = plan.failure.repaired_grade
        plan.changes.append(Change(exit_on, UNEXITED, EXITED, EXIT_REASON))


# ---------------------------------------------------------------- 2021 on


def risks(plans: list[HouseholdPlan], members: dict, today: dt.date, rng: random.Random) -> None:
    """Hardships spread evenly from RISKS_FROM to a few weeks ago; all but the last few removed once settled."""
    last = today - dt.timedelta(days=RISK_LAST_DAYS)
    if last < RISKS_FROM:
        return
    span = (last - RISKS_FROM).days
    count = len(RISKS)
    onsets = []
    for n in range(count):
        day = RISKS_FROM + dt.timedelta(days=int(span * (n + rng.uniform(0.15, 0.85)) / count))
        onset = day.replace(day=rng.randint(2, 9))  # confirmed early in a month, found late in the one before
        onsets.append(onset if onset <= last else None)
    drawn = list(RISKS)
    rng.shuffle(drawn)
    taken: set[HouseholdPlan] = set()
    for n, (risk, onset) in enumerate(zip(drawn, onsets, strict=True)):
        if onset is None:
            continue
        village = OPEN_RISK_VILLAGES[n - (count - len(OPEN_RISK_VILLAGES))] if n >= count - 2 else None
        removable = n < count - OPEN_RISKS
        candidates = [
            plan
            for plan in plans
            if plan.kind != MARGINAL_KIND
            and plan not in taken
            and (village is None or plan.village.name == village)
            and chosen_member(risk, members[plan]) is not False
        ]
        plan = rng.choice(candidates)
        taken.add(plan)
        strike(plan, risk, onset, members[plan], removable=removable, today=today, rng=rng)


def chosen_member(risk: Risk, members: list[Member]) -> Member | bool | None:
    """The member the risk is about (None when it is about nobody in particular), or False when none fits."""

    def age(member):
        return age_on(member.birth_date, AS_OF)

    match risk.member:
        case "head":
            fits = [m for m in members if m.relation == Relation.HEAD]
        case "spouse":
            fits = [m for m in members if m.relation == Relation.SPOUSE]
        case "worker":
            fits = [
                m for m in members if m.work_ability in (WorkAbility.NORMAL, WorkAbility.SKILLED) and 18 <= age(m) <= 55
            ]
        case "young":
            fits = [m for m in members if 10 <= age(m) <= 17]
        case _:
            return None
    return fits[0] if fits else False


def strike(plan: HouseholdPlan, risk: Risk, onset: dt.date, members, *, removable: bool, today, rng) -> None:
    """Found on a visit, confirmed as monitored on `onset`, repaired, and perhaps removed when it has settled."""
    plan.risk = risk
    found = onset - dt.timedelta(days=rng.randint(max(RISK_FOUND_DAYS[0], onset.day), RISK_FOUND_DAYS[1]))
    plan.changes.append(Change(onset, EXITED, MONITORED, risk.monitored_reason, MonitorKind.UNSTABLE))
    removed = None
    if removable:
        settled = onset + dt.timedelta(days=rng.randint(*RISK_SETTLED))
        # The income of the year the risk is removed must be above the line: never the year it struck.
        settled = max(settled, dt.date(onset.year + 1, 3, 1))
        removed = day_of_change(settled.year, settled.month, rng)
        if removed > today - dt.timedelta(days=20):
            removed = None
    if risk.broke:
        verdicts = dict(plan.check_on(found).verdicts)
        for item, note in risk.broke.items():
            verdicts[item] = (False, note)
        plan.checks.append(Check(found, verdicts))
        plan.housing_grade = risk.housing_grade or plan.housing_grade
        repaired = onset + dt.timedelta(days=rng.randint(*REPAIRED_AFTER))
        if removed is not None:
            repaired = min(repaired, removed - dt.timedelta(days=60))
        if repaired <= today:
            verdicts = {**verdicts, **{item: (True, note) for item, note in risk.repaired.items()}}
            plan.checks.append(Check(repaired, verdicts))
            plan.housing_grade = risk.repaired_grade or plan.housing_grade
    if removed is not None:
        plan.changes.append(Change(removed, MONITORED, EXITED, RISK_REMOVED_REASON))
    else:
        plan.settling = settling(onset, today)
    member = chosen_member(risk, members)
    if risk.member_health and member:
        member.health = risk.member_health
        member.disability_grade = 2 if risk.member_health == Health.DISABLED else None
        member.work_ability = WorkAbility.LOST


def settling(onset: dt.date, today: dt.date) -> bool:
    """Whether a risk confirmed on `onset` and not removed is settling today: its removal under way, its income
    above the line this year (the monitoring demo gives it its removal steps)."""
    return onset.year < today.year and (today - onset).days >= RISK_SETTLED[0]


def marginal(pairs: list[tuple[HouseholdPlan, Household]], today: dt.date, rng: random.Random) -> None:
    """Households never poor that applied: registered as ordinary households, monitored once the county confirmed."""
    last = today - dt.timedelta(days=MARGINAL_LAST_DAYS)
    span = (last - MARGINAL_FROM).days
    for n, ((plan, household), risk) in enumerate(zip(pairs, MARGINAL_RISKS[: len(pairs)], strict=True)):
        day = MARGINAL_FROM + dt.timedelta(days=int(span * (n + rng.uniform(0.2, 0.8)) / len(pairs)))
        confirmed = day_of_change(day.year, day.month, rng)
        registered = confirmed - dt.timedelta(days=rng.randint(*MARGINAL_REPORTED_DAYS))
        plan.risk = risk
        household.registered_on = registered
        household.main_cause = risk.cause
        household.other_causes = [cause for cause in household.other_causes if cause != risk.cause]
        reason = MARGINAL_REASON.format(reason=risk.reason)
        plan.changes = [
            Change(registered, "", GENERAL, MARGINAL_REGISTERED_REASON),
            Change(confirmed, GENERAL, MONITORED, reason, MonitorKind.MARGINAL),
        ]
        plan.checks = [Check(registered, all_passing())]
