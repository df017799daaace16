from django.core.management.base import BaseCommand

from common.commands import add_date_argument
from visits.services import visits_flag


class Command(BaseCommand):
    help = (
        "Raise overdue flags for required visits of the last period that were not logged, due-soon flags from "
        "VISIT_DUE_SOON_DAY of a period's last month, and clear flags whose visit has been logged. The daily job "
        "runs the same; running it again changes nothing."
    )

    def add_arguments(self, parser):
        add_date_argument(parser)

    def handle(self, *args, date=None, **options):
        run = visits_flag(on=date)
        self.stdout.write(
            f"Visit flags as of {run.on:%Y-%m-%d}: {run.raised} raised, {run.escalated} now overdue, "
            f"{run.cleared} cleared, {run.notified} notified."
        )
