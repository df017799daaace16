import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from visits.periods import MONTH, QUARTER, Period, due_soon_from, period_of, previous_period


def test_the_month_after_31_january_is_february_whole():
    assert period_of(dt.date(2021, 1, 31), MONTH) == Period(dt.date(2021, 1, 1), dt.date(2021, 1, 31))
    assert period_of(dt.date(2021, 2, 1), MONTH) == Period(dt.date(2021, 2, 1), dt.date(2021, 2, 28))


@pytest.mark.parametrize(("year", "last_day"), [(2020, 29), (2021, 28), (2024, 29), (2100, 28), (2000, 29)])
def test_february_ends_on_the_right_day_in_leap_and_common_years(year, last_day):
    assert period_of(dt.date(year, 2, 10), MONTH).end == dt.date(year, 2, last_day)


def test_december_rolls_into_the_next_year():
    assert previous_period(dt.date(2021, 1, 5), MONTH) == Period(dt.date(2020, 12, 1), dt.date(2020, 12, 31))


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (dt.date(2020, 1, 1), dt.date(2020, 1, 1), dt.date(2020, 3, 31)),
        (dt.date(2020, 3, 31), dt.date(2020, 1, 1), dt.date(2020, 3, 31)),
        (dt.date(2020, 4, 1), dt.date(2020, 4, 1), dt.date(2020, 6, 30)),
        (dt.date(2020, 12, 31), dt.date(2020, 10, 1), dt.date(2020, 12, 31)),
    ],
)
def test_quarters_run_from_january_april_july_and_october(day, start, end):
    assert period_of(day, QUARTER) == Period(start, end)


def test_the_quarter_before_the_first_is_last_years_fourth():
    assert previous_period(dt.date(2021, 2, 1), QUARTER) == Period(dt.date(2020, 10, 1), dt.date(2020, 12, 31))


def test_due_soon_starts_on_the_configured_day_of_the_periods_last_month():
    assert due_soon_from(period_of(dt.date(2020, 5, 3), MONTH), 20) == dt.date(2020, 5, 20)
    assert due_soon_from(period_of(dt.date(2020, 5, 3), QUARTER), 20) == dt.date(2020, 6, 20)


def test_a_due_soon_day_past_the_end_of_february_falls_on_its_last_day():
    assert due_soon_from(period_of(dt.date(2021, 2, 3), MONTH), 30) == dt.date(2021, 2, 28)
    assert due_soon_from(period_of(dt.date(2024, 2, 3), MONTH), 31) == dt.date(2024, 2, 29)


def test_half_past_midnight_in_the_village_is_already_the_next_month(settings):
    # 29 February 2020, 16:30 UTC is 1 March, 00:30 in Asia/Shanghai.
    moment = dt.datetime(2020, 2, 29, 16, 30, tzinfo=dt.UTC)
    local_day = timezone.localdate(moment, timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    assert local_day == dt.date(2020, 3, 1)
    assert period_of(local_day, MONTH).start == dt.date(2020, 3, 1)
