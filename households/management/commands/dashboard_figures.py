"""Rebuild the dashboards' figures kept on every household (households.summaries), or check them without writing."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from households import summaries

SHOWN = 20  # households named by --check


class Command(BaseCommand):
    help = (
        "Recompute every household's kept dashboard figures (latest 2W3G verdicts, income of the line's year, "
        "current class, people, last visits) from the source tables, in one statement. With --check, write "
        "nothing: name the households whose kept figures differ from a fresh computation, and fail if any do."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; exit non-zero on any difference.")

    def handle(self, *args, check, **options):
        started = time.perf_counter()
        if check:
            self.check_figures(started)
            return
        with transaction.atomic():
            rows = summaries.refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the dashboard figures of {rows:,} households in {time.perf_counter() - started:.1f} s."
            )
        )

    def check_figures(self, started: float) -> None:
        stale = summaries.stale().order_by("pk")
        count = stale.count()
        if not count:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Every household's dashboard figures are current ({time.perf_counter() - started:.1f} s)."
                )
            )
            return
        for household in stale.only("pk", "number", *summaries.FIELDS)[:SHOWN]:
            differences = ", ".join(
                f"{name} {getattr(household, name)!r} -> {getattr(household, f'fresh_{name}')!r}"
                for name in summaries.FIELDS
                if getattr(household, name) != getattr(household, f"fresh_{name}")
            )
            self.stdout.write(f"  {household.number} (#{household.pk}): {differences}")
        if count > SHOWN:
            self.stdout.write(f"  … and {count - SHOWN:,} more")
        raise CommandError(
            f"{count:,} households' dashboard figures differ from a fresh computation: "
            "run `manage.py dashboard_figures` to rebuild them."
        )
