import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from visits.services import visits_flag


class Command(BaseCommand):
    help = (
        "Raise overdue flags for required visits of the last period that were not logged, due-soon flags from "
        "VISIT_DUE_SOON_DAY of a period's last month, and clear flags whose visit has been logged. The daily job "
        "runs the same; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); today in Asia/Shanghai by default.")

    def handle(self, *args, date=None, **options):
        try:
            on = dt.date.fromisoformat(date) if date else None
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD: {error}") from None
        run = visits_flag(on=on)
        self.stdout.write(
            f"Visit flags as of {run.on:%Y-%m-%d}: {run.raised} raised, {run.escalated} now overdue, "
            f"{run.cleared} cleared, {run.notified} notified."
        )
