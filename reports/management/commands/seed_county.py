"""Fill an empty database with a county (see reports.county): the data the dashboard benchmark runs on."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from reports import county


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with a county of --households households in --towns towns (about 30 villages "
        "each), with members, 2W3G assessments, status history, income, classes, campaign targets, the "
        "two-person guarantee, plans, loans, --visits-months months of visits with their flags, and "
        "infrastructure projects; written in bulk (COPY on PostgreSQL). Refuses if any household exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=positive, default=100_000, help="default: %(default)s")
        parser.add_argument("--towns", type=positive, default=10, help="default: %(default)s")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed draws the same county")
        parser.add_argument("--visits-months", type=positive, default=12, help="default: %(default)s")
        parser.add_argument("--batch-size", type=positive, default=10_000, help="rows per COPY or INSERT")
        parser.add_argument(
            "--bulk-create", action="store_true", help="use bulk_create on PostgreSQL too (to compare with COPY)"
        )

    def handle(self, *args, households, towns, seed, visits_months, batch_size, bulk_create, **options):
        if towns > households:
            raise CommandError("Give at least one household per town.")
        wanted = county.Options(
            households=households, towns=towns, seed=seed, visits_months=visits_months, batch_size=batch_size
        )
        started = time.perf_counter()
        try:
            with transaction.atomic():
                result = county.seed(options=wanted, say=self.stdout.write, use_copy=False if bulk_create else None)
                written = time.perf_counter()
                # One statement with nothing to count meanwhile: said before, so the silence is explained.
                self.stdout.write("committing: the deferred foreign-key checks run now (under a minute for a county)")
        except county.CountyRefused as refused:
            raise CommandError(str(refused)) from None
        done = time.perf_counter()
        self.stdout.write(
            f"commit (deferred foreign-key checks): {done - written:.1f} s; {done - started:.1f} s in all"
        )
        if connection.vendor == "postgresql":
            self.vacuum_analyze()
        self.stdout.write(self.style.SUCCESS(self.summary(result)))

    def vacuum_analyze(self):
        # Fresh statistics for the planner, and the visibility map that index-only scans need: autovacuum
        # would get there on its own within minutes, but a benchmark run meanwhile would measure its progress.
        # VACUUM cannot run inside a transaction (a caller's, or a test's): ANALYZE alone then.
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        started = time.perf_counter()
        self.stdout.write(f"{statement}: fresh statistics for the planner")
        with connection.cursor() as cursor:
            cursor.execute(statement)
        self.stdout.write(f"{statement}: {time.perf_counter() - started:.1f} s")

    def summary(self, result) -> str:
        written = result.writer.written
        return (
            f"Seeded {len(result.towns)} towns, {len(result.villages):,} villages, "
            f"{written['households.Household'].rows:,} households, {written['households.Member'].rows:,} members, "
            f"{written['visits.Visit'].rows:,} visits."
        )


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number
