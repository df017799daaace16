"""A county-sized database, written in bulk: what `manage.py seed_county` loads for the benchmarks.

The demo town (households.demo) has 1,679 households; a county deployment has
about 100,000 and 1.2 million visits a year, and the dashboards must stay fast
on it. This package draws such a county from one seed, shaped like the demo
town (same families, causes, income ranges, measures, visit texts and project
tables, mostly through the demo modules' own helpers), and writes it table by
table with PostgreSQL COPY, or bulk_create elsewhere (writer.py). Everything
hangs off today's date in the town's calendar, like the demo: visits fill the
last months up to today, loans fall due around it.

It fills an empty database only: with any household, or any county user or
town, already there it refuses before writing anything.
"""

import time
from collections.abc import Callable

from django.utils import timezone

from accounts.models import User
from households.models import Household, Town
from reports.county import plan, programmes, projects, registry, visiting
from reports.county.plan import Options
from reports.county.shapes import County
from reports.county.writer import Writer, Written

__all__ = ["CountyRefused", "Options", "refusal", "seed"]


class CountyRefused(Exception):
    """The database is not empty: seeding a county there would mix two datasets."""


def refusal() -> str | None:
    """Why the county cannot be seeded here, or None when the database is empty enough."""
    households = Household.objects.count()
    if households:
        return f"The database already holds {households:,} households; seed_county fills an empty database only."
    if User.objects.filter(username__startswith=plan.USERNAME_PREFIX).exists():
        return f"Users named {plan.USERNAME_PREFIX}* already exist; seed_county fills an empty database only."
    if Town.objects.filter(code__startswith=plan.REGION_CODE).exists():
        return f"Towns of the county {plan.REGION_CODE} already exist; seed_county fills an empty database only."
    return None


STEPS = (
    ("geography", registry.create_geography),
    ("drawing households and members", registry.plan_households),
    ("drawing the two-person guarantee", programmes.plan_guarantee),
    ("users", registry.write_users),
    ("households and members", registry.write_households),
    ("2W3G assessments", registry.write_assessments),
    ("status history", registry.write_history),
    ("income and classes", registry.write_income_and_classes),
    ("campaign targets", registry.write_targets),
    ("assignments", programmes.write_assignments),
    ("plans and measures", programmes.write_plans),
    ("loans", programmes.write_loans),
    ("visits and flags", visiting.create_visits),
    ("infrastructure", projects.create_projects),
    ("dashboard figures", registry.write_dashboard_figures),
    ("sequences", lambda county: county.writer.finish()),
)


def seed(*, options: Options, say: Callable[[str], None] = print, use_copy: bool | None = None) -> County:
    """Draw and write the whole county; the caller wraps it in a transaction (half a county is worse than none).

    `use_copy` forces COPY on or off (by default: on for PostgreSQL).
    """
    reason = refusal()
    if reason:
        raise CountyRefused(reason)
    now = timezone.now()

    def report(label: str, written: Written) -> None:
        say(f"  {label:<36} {written.rows:>11,} rows {written.seconds:8.1f} s")

    writer = Writer(now=now, batch_size=options.batch_size, report=report, say=say)
    if use_copy is not None:
        writer.use_copy = use_copy
    county = County(options=options, writer=writer, today=timezone.localdate(), now=now, say=say)
    say(f"Seeding a county of {options.households:,} households in {options.towns} towns (seed {options.seed}), "
        f"{'COPY' if writer.use_copy else 'bulk_create'}, as of {county.today}:")  # fmt: skip
    for name, step in STEPS:
        started = time.perf_counter()
        say(f"{name}:")
        step(county)
        say(f"  {'step total':<36} {'':>16} {time.perf_counter() - started:8.1f} s")
    return county
