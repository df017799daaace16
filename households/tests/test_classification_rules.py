"""The pure rules of households.classification, tried at their boundaries without a database."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from households.choices import AssessmentItem, Health, WorkAbility
from households.classification import (
    ExitClass,
    Rule,
    explain,
    fell_sharply,
    is_above_line,
    suggest,
)

ON = dt.date(2020, 12, 31)
LINE = SimpleNamespace(year=2020, line=5000, drop_share=Decimal("0.30"), consolidation_factor=Decimal("1.50"))


def person(age=40, work_ability=WorkAbility.NORMAL, health=Health.HEALTHY, disability_grade=None, name="王一"):
    """A member who turns `age` on ON itself, the latest birthday that still makes them that old."""
    birth = dt.date(ON.year - age, ON.month, ON.day)
    return SimpleNamespace(
        birth_date=birth, work_ability=work_ability, health=health, disability_grade=disability_grade, name=name
    )


def income(net, size=1, year=2020):
    """An income record: the household's whole net income in yuan, and its size that year."""
    return SimpleNamespace(year=year, net_income=net, household_size=size)


def run(members=None, now=None, before=None, line=LINE, failing=(), monitored=False):
    return suggest(
        members=members if members is not None else [person(), person(name="王二")],
        income=now if now is not None else income(20_000, size=2),
        previous_income=before,
        line=line,
        failing_items=failing,
        monitored=monitored,
        on=ON,
    )


# ---------------------------------------------------------------- the arithmetic


@pytest.mark.parametrize(
    ("net", "size", "above"),
    [(5001, 1, True), (5000, 1, False), (15_001, 3, True), (15_000, 3, False), (-10, 1, False)],
)
def test_above_the_line_means_strictly_greater_than_line_times_size(net, size, above):
    assert is_above_line(net, size, 5000) is above


@pytest.mark.parametrize(
    ("net", "size", "previous_net", "previous_size", "fell"),
    [
        (7000, 1, 10_000, 1, False),  # exactly 30%: not more than the share
        (6999, 1, 10_000, 1, True),
        (14_000, 2, 10_000, 1, False),  # 7,000 per person against 10,000: exactly 30%
        (13_999, 2, 10_000, 1, True),
        (0, 1, 0, 1, False),  # nothing to fall from
        (-500, 1, -100, 1, False),
    ],
)
def test_a_sharp_fall_is_more_than_the_share_per_person(net, size, previous_net, previous_size, fell):
    assert (
        fell_sharply(
            net_income=net,
            size=size,
            previous_net=previous_net,
            previous_size=previous_size,
            drop_share=Decimal("0.30"),
        )
        is fell
    )


# ---------------------------------------------------------------- each rule, and the order they are tried in


def test_a_monitored_household_is_at_risk_before_anything_else():
    result = run(monitored=True, failing=None, now=income(1, 1))
    assert (result.exit_class, result.rule) == (ExitClass.AT_RISK, Rule.MONITORED)


def test_a_household_without_an_assessment_is_at_risk():
    assert run(failing=None).rule == Rule.ASSESSMENT_MISSING


def test_a_failing_2w3g_item_puts_it_at_risk_and_is_named():
    result = run(failing=[AssessmentItem.HOUSING])
    assert (result.exit_class, result.rule) == (ExitClass.AT_RISK, Rule.FAILING_ITEM)
    with translation.override("en"):
        assert "Safe housing guaranteed" in result.explanation


def test_without_income_or_without_a_line_it_cannot_be_shown_safe():
    no_income = suggest(
        members=[person()], income=None, previous_income=None, line=LINE, failing_items=[], monitored=False, on=ON
    )
    assert (no_income.exit_class, no_income.rule) == (ExitClass.AT_RISK, Rule.INCOME_MISSING)
    no_line = run(line=None)
    assert (no_line.exit_class, no_line.rule) == (ExitClass.AT_RISK, Rule.LINE_MISSING)
    with translation.override("en"):
        assert "2020" in no_line.explanation


def test_income_at_the_line_is_at_risk_and_the_explanation_quotes_the_figures():
    result = run(now=income(10_000, size=2))
    assert (result.exit_class, result.rule) == (ExitClass.AT_RISK, Rule.BELOW_LINE)
    with translation.override("en"):
        assert result.explanation == "Per-capita net income of 5,000.00 yuan is not above the 2020 line of 5,000 yuan."


def test_the_example_of_the_brief_reads_as_it_should():
    result = run(now=income(4820, size=1), members=[person()])
    with translation.override("en"):
        assert result.explanation == "Per-capita net income of 4,820.00 yuan is not above the 2020 line of 5,000 yuan."


def test_one_yuan_above_the_line_is_not_at_risk():
    assert run(now=income(10_002, size=2)).rule != Rule.BELOW_LINE


def test_a_fall_of_more_than_the_share_from_the_previous_year_is_at_risk():
    result = run(now=income(13_999, size=2), before=income(20_000, size=2, year=2019))
    assert (result.exit_class, result.rule) == (ExitClass.AT_RISK, Rule.INCOME_DROP)
    with translation.override("en"):
        assert "10,000.00 yuan in 2019 to 6,999.50 yuan in 2020" in result.explanation
        assert "30%" in result.explanation


def test_a_fall_of_exactly_the_share_is_not_a_risk():
    assert run(now=income(14_000, size=2), before=income(20_000, size=2, year=2019)).rule != Rule.INCOME_DROP


def test_only_the_year_just_before_counts_as_the_previous_year():
    assert run(now=income(13_999, size=2), before=income(20_000, size=2, year=2018)).rule != Rule.INCOME_DROP


def test_a_fall_uses_the_line_of_the_year_for_its_share():
    lenient = SimpleNamespace(**{**vars(LINE), "drop_share": Decimal("0.50")})
    assert run(now=income(13_999, size=2), before=income(20_000, size=2, year=2019), line=lenient).rule != (
        Rule.INCOME_DROP
    )


@pytest.mark.parametrize(
    ("age", "ability", "bottom_line"),
    [
        (16, WorkAbility.NORMAL, False),
        (15, WorkAbility.NORMAL, True),
        (64, WorkAbility.WEAK, False),
        (65, WorkAbility.NORMAL, True),
        (40, WorkAbility.SKILLED, False),
        (40, WorkAbility.LOST, True),
        (40, WorkAbility.NONE, True),
        (40, "", True),
    ],
)
def test_bottom_line_when_nobody_aged_16_to_64_can_work(age, ability, bottom_line):
    result = run(members=[person(age=age, work_ability=ability)], now=income(20_000, size=1))
    assert (result.exit_class == ExitClass.BOTTOM_LINE) is bottom_line
    if bottom_line:
        assert result.rule == Rule.NO_LABOUR


def test_age_is_reckoned_on_the_given_day():
    turns_65_tomorrow = SimpleNamespace(
        birth_date=dt.date(1956, 1, 1), work_ability=WorkAbility.NORMAL, health=Health.HEALTHY, disability_grade=None
    )
    kwargs = {"income": income(20_000), "previous_income": None, "line": LINE, "failing_items": [], "monitored": False}
    assert suggest(members=[turns_65_tomorrow], on=dt.date(2020, 12, 31), **kwargs).rule != Rule.NO_LABOUR
    assert suggest(members=[turns_65_tomorrow], on=dt.date(2021, 1, 1), **kwargs).rule == Rule.NO_LABOUR


def test_risk_is_tried_before_bottom_line():
    result = run(members=[person(age=80, work_ability=WorkAbility.NONE)], now=income(4000, size=1))
    assert result.rule == Rule.BELOW_LINE


@pytest.mark.parametrize(("net", "consolidation"), [(14_999, True), (15_000, False)])
def test_consolidation_below_one_and_a_half_times_the_line(net, consolidation):
    result = run(now=income(net, size=2))  # threshold 7,500 per person x 2
    assert (result.rule == Rule.BELOW_CONSOLIDATION) is consolidation
    assert result.exit_class == (ExitClass.CONSOLIDATION if consolidation else ExitClass.STABLE)


@pytest.mark.parametrize(
    ("health", "grade", "consolidation"),
    [
        (Health.SERIOUS, None, True),
        (Health.DISABLED, 1, True),
        (Health.DISABLED, 2, True),
        (Health.DISABLED, 3, False),
        (Health.CHRONIC, None, False),
    ],
)
def test_consolidation_for_a_serious_illness_or_a_grade_1_2_disability(health, grade, consolidation):
    members = [person(), person(health=health, disability_grade=grade, work_ability=WorkAbility.LOST, name="李三")]
    result = run(members=members, now=income(40_000, size=2))
    assert (result.rule == Rule.ILLNESS_OR_DISABILITY) is consolidation
    if consolidation:
        assert result.figures["names"] == ["李三"]


@pytest.mark.parametrize(("dependants", "consolidation"), [(2, True), (1, False)])
def test_consolidation_when_dependants_outnumber_workers(dependants, consolidation):
    children = [person(age=8, work_ability=WorkAbility.NONE, name=f"孩{n}") for n in range(dependants)]
    members = [person(), *children]
    result = run(members=members, now=income(100_000, size=len(members)))
    assert (result.rule == Rule.DEPENDANTS) is consolidation
    if consolidation:
        assert result.figures == {"dependants": 2, "workers": 1}


def test_stable_when_no_rule_holds():
    result = run(now=income(40_000, size=2))
    assert (result.exit_class, result.rule) == (ExitClass.STABLE, Rule.STABLE)


def test_the_consolidation_factor_comes_from_the_line():
    strict = SimpleNamespace(**{**vars(LINE), "consolidation_factor": Decimal("2.00")})
    assert run(now=income(19_999, size=2), line=strict).rule == Rule.BELOW_CONSOLIDATION
    assert run(now=income(20_000, size=2), line=strict).rule == Rule.STABLE


def test_explanations_are_rendered_in_the_language_active_when_shown():
    result = run(now=income(10_000, size=2))
    with translation.override("zh-hans"):
        chinese = result.explanation
    with translation.override("en"):
        english = result.explanation
    # Chinese groups no thousands; the figures stay in the row, so each reader gets their own format.
    assert "5000.00" in chinese
    assert "5,000.00" in english


def test_every_rule_has_an_explanation():
    figures = {
        "year": 2020,
        "per_capita": "4820.00",
        "line": 5000,
        "previous_year": 2019,
        "previous_per_capita": "8000.00",
        "drop": "39.8",
        "drop_share": 30,
        "size": 1,
        "factor": "1.50",
        "threshold": "7500.00",
        "names": ["王一"],
        "dependants": 2,
        "workers": 1,
        "items": ["food"],
    }
    with translation.override("en"):
        assert all(explain(rule, figures) for rule in Rule)


def test_a_row_missing_a_figure_shows_the_rule_name_instead_of_breaking_the_page():
    with translation.override("en"):
        assert explain(Rule.BELOW_LINE, {"year": 2020}) == "Income not above the line"
