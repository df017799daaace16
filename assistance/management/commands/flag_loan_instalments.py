"""Flag loan instalments as due soon or overdue (and clear stale flags) as of a day, in a few UPDATE statements."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assistance.services.loans import due_soon_days, instalments_flag
from common.commands import add_date_argument


class Command(BaseCommand):
    help = (
        "Set the flags of loan instalments: overdue when unpaid and past due, due soon when unpaid and due within "
        "LOAN_DUE_SOON_DAYS days (30 by default), none otherwise. Running it again on the same day changes nothing."
    )

    def add_arguments(self, parser):
        add_date_argument(parser)

    def handle(self, *args, date=None, **options):
        today = date or timezone.localdate()
        with transaction.atomic():
            counts = instalments_flag(today=today)
        self.stdout.write(f"Instalments flagged as of {today.isoformat()} (due soon: within {due_soon_days()} days):")
        self.stdout.write(f"  overdue:  {counts.overdue} ({counts.newly_overdue} newly flagged)")
        self.stdout.write(f"  due soon: {counts.due_soon} ({counts.newly_due_soon} newly flagged)")
        self.stdout.write(f"  cleared:  {counts.cleared}")
