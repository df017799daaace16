"""Load the demo town 固镇 (see households.demo); safe to run again, which changes nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from households import demo


class Command(BaseCommand):
    help = (
        "Load the demo town 固镇: 11 villages, 1,654 households lifted out of poverty in 2014-2019, the 25 of the "
        "2020 target lifted in 2020, and the years since up to today, with demo users. A rerun only creates demo "
        "users that are missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=demo.DEMO_PASSWORD,
            help="Password for the demo users this run creates (default: %(default)s).",
        )

    def handle(self, *args, password, **options):
        with transaction.atomic():
            result = demo.seed(password=password)
        town = result.town
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Created the demo town {town.name} ({town.code})."))
        else:
            self.stdout.write(f"The demo town {town.name} ({town.code}) was already there; households left unchanged.")
        self.write_logins(result.logins)
        self.write_counts(result.counts)
        workbook = settings.DEMO_WARNINGS_WORKBOOK
        if workbook.exists():
            self.stdout.write(f"A department warning list to upload as an administrator: {workbook}")

    def write_logins(self, logins):
        self.stdout.write("Logins:")
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<12} {login.password or '(unchanged)'}")

    def write_counts(self, counts):
        self.stdout.write(
            f"Lifted out of poverty in 2014-2019: {counts.lifted_households:,} households, "
            f"{counts.lifted_people:,} people."
        )
        self.stdout.write(
            f"The 2020 target: {counts.cohort_households:,} households, {counts.cohort_people:,} people, "
            f"{counts.cohort_lifted:,} households lifted in 2020."
        )
        self.stdout.write(
            f"Today: {counts.exited:,} households out of poverty, {counts.monitored:,} monitored for risk, "
            f"{counts.unexited:,} still poor."
        )
