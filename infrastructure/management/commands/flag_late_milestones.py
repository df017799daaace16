from django.core.management.base import BaseCommand

from common.commands import add_date_argument
from infrastructure.services import infrastructure_flag


class Command(BaseCommand):
    help = (
        "Flag infrastructure milestones not reached whose deadline has passed (late) or falls within "
        "INFRASTRUCTURE_DUE_SOON_DAYS (14) days (due soon), clear the flags of milestones reached, and notify "
        "the town officials of each new flag once. The daily job runs the same; running it again changes nothing."
    )

    def add_arguments(self, parser):
        add_date_argument(parser)

    def handle(self, *args, date=None, **options):
        run = infrastructure_flag(on=date)
        self.stdout.write(
            f"Milestone flags as of {run.on:%Y-%m-%d}: {run.raised} raised, {run.escalated} now late, "
            f"{run.eased} due soon again, {run.cleared} cleared, {run.notified} notified."
        )
