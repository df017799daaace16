"""Flag loan instalments as due soon or overdue (and clear stale flags) as of a day, in a few UPDATE statements."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from assistance.services.loans import due_soon_days, instalments_flag


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Set the flags of loan instalments: overdue when unpaid and past due, due soon when unpaid and due within "
        "LOAN_DUE_SOON_DAYS days (30 by default), none otherwise. Running it again on the same day changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, help="The day to flag as of (default: today).")

    def handle(self, *args, date=None, **options):
        today = date or timezone.localdate()
        with transaction.atomic():
            counts = instalments_flag(today=today)
        self.stdout.write(f"Instalments flagged as of {today.isoformat()} (due soon: within {due_soon_days()} days):")
        self.stdout.write(f"  overdue:  {counts.overdue} ({counts.newly_overdue} newly flagged)")
        self.stdout.write(f"  due soon: {counts.due_soon} ({counts.newly_due_soon} newly flagged)")
        self.stdout.write(f"  cleared:  {counts.cleared}")
