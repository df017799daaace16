"""Visit periods: calendar months and quarters in the town's own calendar (Asia/Shanghai).

Dates here are local dates (timezone.localdate()), so a visit logged at 00:30 on
1 March in the village belongs to March even though it is still February in UTC.
"""

import datetime as dt
from dataclasses import dataclass

MONTH = "month"
QUARTER = "quarter"


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date, length: str) -> Period:
    """The month or quarter that holds `day`."""
    if length == MONTH:
        start = _month_start(day)
        return Period(start, _add_months(start, 1) - dt.timedelta(days=1))
    if length == QUARTER:
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(start, _add_months(start, 3) - dt.timedelta(days=1))
    raise ValueError(f"unknown period length {length!r}")


def previous_period(day: dt.date, length: str) -> Period:
    """The period just before the one that holds `day`."""
    return period_of(period_of(day, length).start - dt.timedelta(days=1), length)


def due_soon_from(period: Period, day_of_month: int) -> dt.date:
    """The day a period's visits become due soon: that day of its last month, or the month's last day."""
    return period.end.replace(day=min(day_of_month, period.end.day))


def entry_closes(period: Period, late_days: int) -> dt.date:
    """The last day a visit of `period` may be entered and still count for it: `late_days` after it ends."""
    return period.end + dt.timedelta(days=late_days)


def counts_from(on: dt.date, length: str, late_days: int) -> dt.date:
    """The earliest visit date that still counts for its period when entered on `on`.

    The previous period's first day while its entries are still open, else the current period's.
    """
    previous = previous_period(on, length)
    return previous.start if on <= entry_closes(previous, late_days) else period_of(on, length).start
