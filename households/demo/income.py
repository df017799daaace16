"""Income year by year against each year's line, and the classes after exit confirmed at dated moments.

Every household has a record for each year from the year it entered the
registry to this one (this year's is the year's estimate, as cadres record it
in the yearly income survey). Before its exit a household is below its year's
line; in the year it leaves and every year after it is above, unless a risk
struck it: the year a risk strikes it falls below, it may stay low while
monitored, and the year the risk is removed it is above again. A few exited
households fall sharply this year while staying above the line.

Classes are confirmed by the town official at the yearly review in December
(from 2020, when the plan asked for it), and again when a household becomes
monitored or its risk is removed, each time from what the registry held on
that day: that year's income and the year before's, that year's line, the
assessment in force and whether the household was monitored.
"""

import datetime as dt
import random

from django.utils import timezone

from households import classification
from households.choices import Attribute, HouseholdStatus
from households.classification import POST_EXIT_STATUSES
from households.demo.plan import (
    AS_OF,
    BATCH_SIZE,
    CEILING,
    COHORT_2020,
    DROP_FACTOR,
    EXIT_YEAR_RATIO,
    EXITED_SHARP_DROPS,
    FLOOR,
    HIT,
    MARGINAL_KIND,
    OVERRIDES,
    POOR,
    RECOVERED,
    RECOVERING,
    REVIEW_AT,
    REVIEW_DAY,
    SHARP_DROP_FROM,
    YEARLY_CHANGE,
    HouseholdPlan,
    income_line,
)
from households.models import Classification, IncomeLine, IncomeRecord

MONITORED, EXITED = HouseholdStatus.MONITORED, HouseholdStatus.EXITED
CHANGE_DECIDED_AT = dt.time(16, 0)  # a class reconsidered the day a household's status changed


def create_income_and_classes(households, plans, members, official, *, today: dt.date, rng: random.Random) -> None:
    lines = income_lines(min(h.registered_on.year for h in households), today.year)
    ratios = {plan: plan_ratios(plan, household, today, rng) for plan, household in zip(plans, households, strict=True)}
    sharp_drops(plans, ratios, lines, today, rng)
    records = [
        build_income(household, year, ratio, lines[year].line, members[plan], rng)
        for plan, household in zip(plans, households, strict=True)
        for year, ratio in ratios[plan].items()
    ]
    # The database computes net income and hands it back (RETURNING) for the suggestions below.
    IncomeRecord.objects.bulk_create(records, batch_size=BATCH_SIZE)
    by_household = {(record.household_id, record.year): record for record in records}
    decisions = classify(plans, households, members, by_household, lines, official, today)
    reviews = review_days(today)
    if reviews:
        apply_overrides(decisions, reviews[-1], rng)
    Classification.objects.bulk_create(decisions, batch_size=BATCH_SIZE)


def income_lines(first: int, last: int) -> dict[int, IncomeLine]:
    """The lines of those years: those an administrator already set are kept, the others are the demo's."""
    IncomeLine.objects.bulk_create(
        [IncomeLine(year=year, line=income_line(year)) for year in range(first, last + 1)], ignore_conflicts=True
    )
    return IncomeLine.objects.filter(year__range=(first, last)).in_bulk(field_name="year")


# ---------------------------------------------------------------- income


def plan_ratios(plan: HouseholdPlan, household, today: dt.date, rng: random.Random) -> dict[int, float]:
    """Per-capita income of each year as a multiple of that year's line."""
    first_exit = plan.first_exit
    struck = next((c.on.year for c in plan.changes if c.to_status == MONITORED), None)
    removed = next((c.on.year for c in plan.changes if c.from_status == MONITORED and c.to_status == EXITED), None)
    ratios, ratio = {}, 1.0
    for year in range(household.registered_on.year, today.year + 1):
        if plan.kind == MARGINAL_KIND:
            ratio = rng.uniform(*(HIT if year == struck else RECOVERING))
        elif first_exit is None or year < first_exit.year:
            ratio = rng.uniform(*POOR)
        elif year == first_exit.year:
            ratio = rng.uniform(*(COHORT_2020 if year == AS_OF.year else EXIT_YEAR_RATIO))
        elif year == struck:
            ratio = rng.uniform(*HIT)
        elif (
            struck is not None
            and year > struck
            and (removed is None or year < removed)
            and not (plan.settling and year == today.year)
        ):
            ratio = rng.uniform(*RECOVERING)
        elif year == removed or (plan.settling and year == today.year):
            ratio = rng.uniform(*RECOVERED)
        else:
            ratio *= rng.uniform(*YEARLY_CHANGE)
            ratio = rng.uniform(*FLOOR) if ratio < FLOOR[0] else min(ratio, CEILING)
        ratios[year] = ratio
    return ratios


def sharp_drops(plans, ratios, lines, today: dt.date, rng: random.Random) -> None:
    """A few households never at risk whose income fell this year by far more than 30%, still above the line."""
    this, last = today.year, today.year - 1
    if last not in lines:
        return
    carried = {
        plan: ratios[plan][last] * lines[last].line / lines[this].line
        for plan in plans
        if plan.risk is None and plan.first_exit and plan.first_exit.year < last
    }
    able = [plan for plan, ratio in carried.items() if ratio >= SHARP_DROP_FROM]
    for plan in rng.sample(able, min(EXITED_SHARP_DROPS, len(able))):
        ratios[plan][this] = max(FLOOR[0] + 0.02, carried[plan] * rng.uniform(*DROP_FACTOR))


def build_income(household, year: int, ratio: float, line: int, members, rng) -> IncomeRecord:
    """A year's income split the way a rural household earns it; the parts add up to exactly the net figure."""
    size = len(members)
    net = round(ratio * line * size)
    supported = household.attribute in (Attribute.LOW_INCOME, Attribute.EXTREME_SUPPORT)
    transfers = round(net * rng.uniform(0.35, 0.6) if supported else net * rng.uniform(0.08, 0.25))
    property_income = round(net * rng.uniform(0, 0.06))
    rest = net - transfers - property_income
    has_labour = any(classification.has_labour(member, dt.date(year, 12, 31)) for member in members)
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


# ---------------------------------------------------------------- classes after exit


def review_days(today: dt.date) -> list[dt.date]:
    days = [dt.date(year, *REVIEW_DAY) for year in range(AS_OF.year, today.year + 1)]
    return [day for day in days if day <= today]


def classify(plans, households, members, records, lines, official, today: dt.date) -> list[Classification]:
    """Each household's decisions in date order, the last one current."""
    reviews = [timezone.make_aware(dt.datetime.combine(day, REVIEW_AT)) for day in review_days(today)]
    decisions = []
    for plan, household in zip(plans, households, strict=True):
        moments = list(reviews)
        moments += [
            timezone.make_aware(dt.datetime.combine(change.on, CHANGE_DECIDED_AT))
            for change in plan.changes
            if change.on.year > AS_OF.year and change.to_status in POST_EXIT_STATUSES
        ]
        mine = []
        for at in sorted(moments):
            day = timezone.localdate(at)
            status = plan.status_on(day)
            if status not in POST_EXIT_STATUSES:
                continue
            suggestion = classification.suggest(
                members=members[plan],
                income=records.get((household.pk, day.year)),
                previous_income=records.get((household.pk, day.year - 1)),
                line=lines[day.year],
                failing_items=plan.check_on(day).failing(),
                monitored=status == MONITORED,
                on=day,
            )
            mine.append(
                Classification(
                    household=household,
                    classified_on=day,
                    suggested_class=suggestion.exit_class,
                    rule=suggestion.rule,
                    figures=suggestion.figures,
                    confirmed_class=suggestion.exit_class,
                    decided_by=official,
                    decided_at=at,
                    current=False,
                )
            )
        if mine:
            mine[-1].current = True
        decisions += mine
    return decisions


def apply_overrides(decisions: list[Classification], review: dt.date, rng: random.Random) -> None:
    """At the latest review, a few households where the official saw more than the figures, with the reason given."""
    current = [c for c in decisions if c.current and c.classified_on == review]
    for suggested, confirmed, reason in OVERRIDES:
        candidates = [c for c in current if c.suggested_class == c.confirmed_class == suggested]
        if candidates:
            chosen = rng.choice(candidates)
            chosen.confirmed_class, chosen.reason = confirmed, reason
