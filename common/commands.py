"""What the management commands that run a daily job share: the --date option."""

import argparse
import datetime as dt

DATE_HELP = "Run as of this day (YYYY-MM-DD); today in Asia/Shanghai by default."


def iso_date(value: str) -> dt.date:
    """argparse type for --date: a YYYY-MM-DD day, or a clear error naming the value."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_date_argument(parser) -> None:
    parser.add_argument("--date", type=iso_date, help=DATE_HELP)
