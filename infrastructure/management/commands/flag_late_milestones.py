import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from infrastructure.services import infrastructure_flag


class Command(BaseCommand):
    help = (
        "Flag infrastructure milestones not reached whose deadline has passed (late) or falls within "
        "INFRASTRUCTURE_DUE_SOON_DAYS (14) days (due soon), clear the flags of milestones reached, and notify "
        "the town officials of each new flag once. The daily job runs the same; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); today in Asia/Shanghai by default.")

    def handle(self, *args, date=None, **options):
        try:
            on = dt.date.fromisoformat(date) if date else None
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD: {error}") from None
        run = infrastructure_flag(on=on)
        self.stdout.write(
            f"Milestone flags as of {run.on:%Y-%m-%d}: {run.raised} raised, {run.escalated} now late, "
            f"{run.eased} due soon again, {run.cleared} cleared, {run.notified} notified."
        )
