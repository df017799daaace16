"""Classification after exit (分类管理): which class an exited household belongs in, and why.

Pure functions on plain data: no queries, no saving. The caller hands over the
household's members, its latest income record and the one before it, the line
for the latest record's year, the failing 2W3G items of its latest assessment
and whether it is monitored; `suggest` returns one class, the rule that fired
and the figures behind it. Services load the data and keep the history.

The rules are tried in this order; the first that holds decides:

==  ========================  ======================  =========================================================
#   rule                      class                   holds when
==  ========================  ======================  =========================================================
1   monitored                 at risk                 the household is monitored for risk of returning to poverty
2   assessment_missing        at risk                 no 2W3G assessment has been recorded
3   failing_item              at risk                 the latest 2W3G assessment fails an item
4   income_missing            at risk                 no income has been recorded
5   line_missing              at risk                 no income line is configured for the latest record's year
6   below_line                at risk                 net income <= line x household size (not above the line)
7   income_drop               at risk                 per-capita income fell by more than the line's drop share
                                                      from the previous year's record (previous net income > 0)
8   no_labour                 bottom-line guarantee   no member aged 16-64 has work ability ordinary, skilled
                                                      or weak: the household relies on social assistance
9   below_consolidation       continued consolidation net income < consolidation factor x line x size
10  illness_or_disability     continued consolidation a member has a serious illness or a grade 1-2 disability
11  dependants                continued consolidation more dependants than members able to work
12  stable                    stable                  none of the above
==  ========================  ======================  =========================================================

Why this order: risk comes first because it asks for the most urgent response
(monitoring, 防返贫监测) and must never hide behind a quieter class; a
bottom-line household whose income falls to the line is exactly the one whose
social assistance has failed. Missing evidence counts as risk: a household is
called stable only on recorded figures. Bottom-line comes before
consolidation because a household without labour is helped by assistance, not
by the jobs and production that consolidation offers.

Comparisons are exact: amounts are whole yuan, the drop share and the
consolidation factor have two decimals, so every test multiplies out instead
of dividing (the same arithmetic the database uses for the flagged list).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.choices import AssessmentItem, Health, HouseholdStatus, WorkAbility
from households.idnumbers import age_on

# Households that have left poverty and are managed in classes (the monitored ones included).
POST_EXIT_STATUSES = (HouseholdStatus.EXITED, HouseholdStatus.MONITORED)
WORKING_AGE = (16, 64)
LABOUR = (WorkAbility.NORMAL, WorkAbility.SKILLED, WorkAbility.WEAK)
SEVERE_DISABILITY_GRADES = (1, 2)
CENT = Decimal("0.01")


class ExitClass(models.TextChoices):
    BOTTOM_LINE = "bottom_line", gettext_lazy("Bottom-line guarantee")
    AT_RISK = "at_risk", gettext_lazy("At risk of returning to poverty")
    CONSOLIDATION = "consolidation", gettext_lazy("Continued consolidation")
    STABLE = "stable", gettext_lazy("Stably out of poverty")


class Rule(models.TextChoices):
    MONITORED = "monitored", gettext_lazy("Monitored household")
    ASSESSMENT_MISSING = "assessment_missing", gettext_lazy("No 2W3G assessment")
    FAILING_ITEM = "failing_item", gettext_lazy("Fails a 2W3G item")
    INCOME_MISSING = "income_missing", gettext_lazy("No income recorded")
    LINE_MISSING = "line_missing", gettext_lazy("No income line for the year")
    BELOW_LINE = "below_line", gettext_lazy("Income not above the line")
    INCOME_DROP = "income_drop", gettext_lazy("Sharp fall in income")
    NO_LABOUR = "no_labour", gettext_lazy("No labour aged 16-64")
    BELOW_CONSOLIDATION = "below_consolidation", gettext_lazy("Income below the consolidation threshold")
    ILLNESS_OR_DISABILITY = "illness_or_disability", gettext_lazy("Serious illness or severe disability")
    DEPENDANTS = "dependants", gettext_lazy("More dependants than workers")
    STABLE = "stable", gettext_lazy("No risk found")


RULE_CLASS = {
    Rule.MONITORED: ExitClass.AT_RISK,
    Rule.ASSESSMENT_MISSING: ExitClass.AT_RISK,
    Rule.FAILING_ITEM: ExitClass.AT_RISK,
    Rule.INCOME_MISSING: ExitClass.AT_RISK,
    Rule.LINE_MISSING: ExitClass.AT_RISK,
    Rule.BELOW_LINE: ExitClass.AT_RISK,
    Rule.INCOME_DROP: ExitClass.AT_RISK,
    Rule.NO_LABOUR: ExitClass.BOTTOM_LINE,
    Rule.BELOW_CONSOLIDATION: ExitClass.CONSOLIDATION,
    Rule.ILLNESS_OR_DISABILITY: ExitClass.CONSOLIDATION,
    Rule.DEPENDANTS: ExitClass.CONSOLIDATION,
    Rule.STABLE: ExitClass.STABLE,
}


@dataclass(frozen=True)
class Suggestion:
    """The suggested class, the rule that fired, and the figures its explanation quotes (JSON-safe)."""

    exit_class: ExitClass
    rule: Rule
    figures: dict = field(default_factory=dict)

    @property
    def explanation(self) -> str:
        return explain(self.rule, self.figures)


# ---------------------------------------------------------------- arithmetic shared with the rest of the app


def per_capita(net_income: int, size: int) -> Decimal:
    """Per-capita net income in yuan, rounded to the fen for display (comparisons never use it)."""
    return (Decimal(net_income) / Decimal(size)).quantize(CENT, rounding=ROUND_HALF_UP)


def hundredths(value: Decimal) -> int:
    """0.30 -> 30: shares and factors have two decimals, so this is exact."""
    return int(Decimal(value) * 100)


def is_above_line(net_income: int, size: int, line: int) -> bool:
    """Above the line means strictly greater: net / size > line, i.e. net > line x size."""
    return net_income > line * size


def fell_sharply(*, net_income: int, size: int, previous_net: int, previous_size: int, drop_share: Decimal) -> bool:
    """Per-capita income fell by more than drop_share from a positive previous figure.

    net / size < (1 - share) x previous / previous_size, multiplied out by 100 x size x previous_size.
    """
    if previous_net <= 0:
        return False
    return net_income * previous_size * 100 < (100 - hundredths(drop_share)) * previous_net * size


def drop_percent(*, per_capita_now: Decimal, per_capita_before: Decimal) -> Decimal:
    return ((per_capita_before - per_capita_now) * 100 / per_capita_before).quantize(Decimal("0.1"), ROUND_HALF_UP)


def has_labour(member, on: dt.date) -> bool:
    low, high = WORKING_AGE
    return low <= age_on(member.birth_date, on) <= high and member.work_ability in LABOUR


def is_severely_ill_or_disabled(member) -> bool:
    return member.health == Health.SERIOUS or (
        member.health == Health.DISABLED and member.disability_grade in SEVERE_DISABILITY_GRADES
    )


# ---------------------------------------------------------------- the rules


def suggest(
    *,
    members: Iterable,
    income,
    previous_income,
    line,
    failing_items: Sequence | None,
    monitored: bool,
    on: dt.date,
) -> Suggestion:
    """Suggest a class for an exited household (see the module docstring for the rules and their order).

    members: objects with birth_date, work_ability, health, disability_grade, name.
    income, previous_income: the latest income record and the record of the year before it (or None),
    with year, net_income and household_size. line: the income line of income.year (or None), with year,
    line, drop_share and consolidation_factor. failing_items: the failing AssessmentItems of the latest
    assessment, None when there is none.
    """
    members = list(members)
    if monitored:
        return _suggestion(Rule.MONITORED)
    if failing_items is None:
        return _suggestion(Rule.ASSESSMENT_MISSING)
    if failing_items:
        return _suggestion(Rule.FAILING_ITEM, items=[str(item) for item in failing_items])
    if income is None:
        return _suggestion(Rule.INCOME_MISSING)
    if line is None:
        return _suggestion(Rule.LINE_MISSING, year=income.year)

    figures = {
        "year": income.year,
        "per_capita": str(per_capita(income.net_income, income.household_size)),
        "line": line.line,
    }
    if not is_above_line(income.net_income, income.household_size, line.line):
        return _suggestion(Rule.BELOW_LINE, **figures)
    if (
        previous_income is not None
        and previous_income.year == income.year - 1
        and fell_sharply(
            net_income=income.net_income,
            size=income.household_size,
            previous_net=previous_income.net_income,
            previous_size=previous_income.household_size,
            drop_share=line.drop_share,
        )
    ):
        before = per_capita(previous_income.net_income, previous_income.household_size)
        return _suggestion(
            Rule.INCOME_DROP,
            **figures,
            previous_year=previous_income.year,
            previous_per_capita=str(before),
            drop=str(drop_percent(per_capita_now=Decimal(figures["per_capita"]), per_capita_before=before)),
            drop_share=hundredths(line.drop_share),
        )

    workers = [member for member in members if has_labour(member, on)]
    if not workers:
        return _suggestion(Rule.NO_LABOUR, size=len(members))
    factor = hundredths(line.consolidation_factor)
    if income.net_income * 100 < factor * line.line * income.household_size:
        threshold = (Decimal(factor) * line.line / 100).quantize(CENT)
        return _suggestion(
            Rule.BELOW_CONSOLIDATION, **figures, factor=str(line.consolidation_factor), threshold=str(threshold)
        )
    severe = [member.name for member in members if is_severely_ill_or_disabled(member)]
    if severe:
        return _suggestion(Rule.ILLNESS_OR_DISABILITY, names=severe)
    dependants = len(members) - len(workers)
    if dependants > len(workers):
        return _suggestion(Rule.DEPENDANTS, dependants=dependants, workers=len(workers))
    return _suggestion(Rule.STABLE, **figures, factor=str(line.consolidation_factor))


def _suggestion(rule: Rule, **figures) -> Suggestion:
    return Suggestion(exit_class=RULE_CLASS[rule], rule=rule, figures=figures)


# ---------------------------------------------------------------- explanations, translated when shown


def yuan(value) -> str:
    """An amount in the active language's number format, grouped as `floatformat:"2g"` groups it in templates.

    Whole-yuan figures (lines) stay whole; per-capita figures keep two decimals.
    """
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return formats.number_format(Decimal(value), decimal_pos=2, force_grouping=True)


def explain(rule: str, figures: dict) -> str:
    """The rule's sentence in the active language, with the figures it was decided on.

    A stored row whose figures lack one the sentence needs (edited by hand, say)
    shows the rule's name rather than breaking the page.
    """
    try:
        return _sentence(rule, figures)
    except (KeyError, TypeError, ValueError):
        return str(Rule(rule).label) if rule in Rule.values else ""


def _sentence(rule: str, figures: dict) -> str:
    f = dict(figures)
    for key in ("per_capita", "previous_per_capita", "line", "threshold"):
        if key in f:
            f[key] = yuan(f[key])
    match rule:
        case Rule.MONITORED:
            return _("The household is monitored for risk of returning to poverty.")
        case Rule.ASSESSMENT_MISSING:
            return _("No 2W3G assessment has been recorded, so the household cannot be shown to meet the standard.")
        case Rule.FAILING_ITEM:
            labels = [str(AssessmentItem(item).label) for item in f["items"] if item in AssessmentItem.values]
            return _("The latest 2W3G assessment fails: {items}.").format(items=_(", ").join(labels))
        case Rule.INCOME_MISSING:
            return _("No income has been recorded, so the household cannot be shown to be above the line.")
        case Rule.LINE_MISSING:
            return _("No income line is configured for {year}, so the income of {year} cannot be judged.").format(**f)
        case Rule.BELOW_LINE:
            return _("Per-capita net income of {per_capita} yuan is not above the {year} line of {line} yuan.").format(
                **f
            )
        case Rule.INCOME_DROP:
            return _(
                "Per-capita net income fell from {previous_per_capita} yuan in {previous_year} to {per_capita} yuan "
                "in {year}, a fall of {drop}%, more than the {drop_share}% allowed."
            ).format(**f)
        case Rule.NO_LABOUR:
            return _(
                "None of the {size} members is aged 16 to 64 and able to work: the household relies on social "
                "assistance."
            ).format(**f)
        case Rule.BELOW_CONSOLIDATION:
            return _(
                "Per-capita net income of {per_capita} yuan is below {factor} times the {year} line ({threshold} yuan)."
            ).format(**f)
        case Rule.ILLNESS_OR_DISABILITY:
            return _("Serious illness or a grade 1-2 disability: {names}.").format(names=_(", ").join(f["names"]))
        case Rule.DEPENDANTS:
            return _("{dependants} dependants but only {workers} members aged 16 to 64 able to work.").format(**f)
        case Rule.STABLE:
            return _(
                "Per-capita net income of {per_capita} yuan is at least {factor} times the {year} line of {line} "
                "yuan; the family has enough labour and no serious illness or severe disability."
            ).format(**f)
    return ""
