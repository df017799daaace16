"""Two years of income against the 2020 line, and a confirmed class for every exited household."""

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from households import classification
from households.choices import (
    Attribute,
    HouseholdStatus,
)
from households.demo.plan import (
    BATCH_SIZE,
    BELOW_2019,
    BELOW_2020,
    CLASSIFIED_AT,
    CLASSIFIED_ON,
    DROP_2020,
    DROP_FACTOR,
    EXITED_2020,
    EXITED_BELOW_LINE,
    EXITED_GROWTH,
    EXITED_SHARP_DROPS,
    INCOME_YEARS,
    LINE_YEAR,
    LINE_YUAN,
    OVERRIDES,
    UNEXITED_2019,
    UNEXITED_ABOVE_2020,
    UNEXITED_BELOW_2020,
    UNEXITED_READY,
)
from households.models import (
    Classification,
    IncomeLine,
    IncomeRecord,
    Member,
)

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
