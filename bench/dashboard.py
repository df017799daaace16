"""Time the dashboards and the busiest pages on the configured database, uncached, and show the slowest queries.

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/townaid_county
    createdb -h 127.0.0.1 -U postgres townaid_county
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_county            # 100,000 households, about 1.2 million visits
    .venv/bin/python bench/dashboard.py [--runs 20] [--warmup 2] [--budget-ms 300] [--min-households 100000]
                                        [--json PATH]

Each page is fetched with Django's test Client as a user logged in with
force_login (no network, no web server: the figure is the server's own time),
--warmup times and then --runs times, with DEBUG off as in production, every
cache a DummyCache and each cache cleared before each request, so nothing is
served from a previous run. For each page it prints the median, 95th
percentile and maximum time in ms, the number of queries (which must not grow
with the data: a count that differs between runs is shown as a range) and the
time spent in SQL; then, for each page, the slowest queries of its median run
with their ms, so that a regression is easy to find.

Pages, each as the user who lands on it: the town dashboard as the county
administrator (every town) and as one town's official, the village dashboard
as that village's cadre, "my households" and "visits due" as a responsible
person, the household list as the official and as the administrator, one
household's page as its cadre, visit compliance and the infrastructure list
as the official. A URL name that does not resolve yet, or a page that does not
answer 200, is reported and skipped.

It refuses to run on a database with fewer than --min-households households
(pass --min-households 0 to time a small one). Exit status: 0 when the town
dashboard's median, for one town's official, is within --budget-ms, 1 when it
is over, 2 when it could not be measured (or the database is too small). The
administrator's county-wide dashboard is timed too but not held to the budget:
it scans all 100,000 households, and the page keeps its figures in the cache
for DASHBOARD_MAX_AGE seconds, so only one request in that time pays for it.

--json PATH also writes the figures issue 18 sets goals for, for bench/RESULTS.md:
{"figures": [{"name", "measured", "unit", "goal", "met", "detail"}, ...]}: the
town dashboard for one town's official (median ms, queries), the county-wide
dashboard (median ms) and the county-wide household list's first page (median ms).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")

import django

django.setup()

from county_people import county_people  # noqa: E402  (bench/, the script's own folder)
from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from households.models import Household  # noqa: E402
from visits.models import Visit  # noqa: E402

SQL_SHOWN = 400  # characters of each slow query's SQL

TOWN_DASHBOARD = "town dashboard, town official"
COUNTY_DASHBOARD = "town dashboard, county administrator"
COUNTY_LIST = "household list, county administrator"
# Issue 18's goals: (page, what is measured, unit, goal as said, the goal's bound).
GOALS = (
    (TOWN_DASHBOARD, "median", "ms", "<= 100 ms", 100),
    (TOWN_DASHBOARD, "queries", "queries", "<= 20 queries", 20),
    (COUNTY_DASHBOARD, "median", "ms", "<= 300 ms", 300),
    (COUNTY_LIST, "median", "ms", "<= 150 ms", 150),
)


@dataclass
class Page:
    label: str
    url_name: str
    user: User | None
    kwargs: dict = field(default_factory=dict)
    budgeted: bool = False  # held to --budget-ms


@dataclass
class Timing:
    page: Page
    status: str = ""  # "" when measured, else why not
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return not self.status and bool(self.seconds)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000

    @property
    def query_count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first (default: %(default)s)")
    parser.add_argument("--budget-ms", type=float, default=300, help="the town dashboard's median budget")
    parser.add_argument("--min-households", type=int, default=100_000, help="refuse below this many households")
    parser.add_argument("--top", type=int, default=5, help="slowest queries shown per page (default: %(default)s)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the goals' figures to PATH as JSON")
    options = parser.parse_args()

    households = Household.objects.count()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}: {households:,} households, "
        f"{Visit.objects.count():,} visits"
    )
    if households < options.min_households:
        parser.exit(2, f"Fewer than {options.min_households:,} households: seed a county first (see --help).\n")

    # WhiteNoise warns that STATIC_ROOT was never collected: static files are not what is timed here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    with override_settings(
        DEBUG=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        # No collectstatic here: plain static URLs cost what the manifest's lookups cost.
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        print(f"DEBUG off, caches: DummyCache, {options.runs} runs after {options.warmup} warm-up runs per page\n")
        timings = [measure(page, options) for page in pages()]
    print_table(timings)
    print_slowest(timings, options.top)
    if options.json:
        write_json(options.json, timings, options.runs)
    return verdict(timings, options.budget_ms)


# ---------------------------------------------------------------- who looks at what


def pages() -> list[Page]:
    people = county_people()
    admin, official, cadre, helper = people.admin, people.official, people.cadre, people.helper
    village, household = people.village, people.household
    return [
        Page(COUNTY_DASHBOARD, "reports:town", admin),
        Page(TOWN_DASHBOARD, "reports:town", official, budgeted=True),
        Page("village dashboard, village cadre", "reports:village", cadre, {"pk": village.pk} if village else {}),
        Page("my households, responsible person", "reports:mine", helper),
        Page("household list, town official", "households:list", official),
        Page(COUNTY_LIST, "households:list", admin),
        Page("household page, village cadre", "households:detail", cadre, {"pk": household.pk} if household else {}),
        Page("visits due, responsible person", "visits:due", helper),
        Page("visit compliance, town official", "visits:compliance", official),
        Page("infrastructure projects, town official", "infrastructure:list", official),
    ]


# ---------------------------------------------------------------- timing


def measure(page: Page, options) -> Timing:
    timing = Timing(page)
    try:
        url = reverse(page.url_name, kwargs=page.kwargs or None)
    except NoReverseMatch:
        timing.status = "URL name does not resolve (yet)"
        return report_skip(timing)
    if page.user is None:
        timing.status = "no user of that role in the database"
        return report_skip(timing)
    client = Client()
    client.force_login(page.user)
    try:
        for run in range(options.warmup + options.runs):
            for alias in settings.CACHES:
                caches[alias].clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                took = time.perf_counter() - started
            if response.status_code != 200:
                timing.status = f"answers {response.status_code}"
                return report_skip(timing)
            if run < options.warmup:
                continue
            queries = [(float(q["time"]), q["sql"]) for q in captured.captured_queries]
            timing.seconds.append(took)
            timing.queries.append(len(queries))
            timing.sql_seconds.append(sum(seconds for seconds, _sql in queries))
            if len(timing.seconds) == (options.runs + 1) // 2:  # the median run's queries, for the details
                timing.slowest = sorted(queries, key=lambda q: q[0], reverse=True)
    except Exception:  # a crashing page must not hide the others' figures
        timing.status = "raised " + traceback.format_exc(limit=1).strip().splitlines()[-1]
        return report_skip(timing)
    finally:
        client.logout()
    print(f"  {page.label:<42} {timing.median_ms:8.1f} ms median", flush=True)
    return timing


def report_skip(timing: Timing) -> Timing:
    print(f"  {timing.page.label:<42} skipped: {timing.status}", flush=True)
    return timing


# ---------------------------------------------------------------- printing


def print_table(timings: list[Timing]) -> None:
    print(f"\n{'page':<42} {'user':<26} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8} {'sql ms':>8}")
    for t in timings:
        who = t.page.user.username if t.page.user else "-"
        if not t.measured:
            print(f"{t.page.label:<42} {who:<26} skipped: {t.status}")
            continue
        sql_ms = statistics.median(t.sql_seconds) * 1000
        print(
            f"{t.page.label:<42} {who:<26} {t.median_ms:8.1f} {t.p95_ms:8.1f} {t.max_ms:8.1f} "
            f"{t.query_count:>8} {sql_ms:8.1f}"
        )


def print_slowest(timings: list[Timing], top: int) -> None:
    for t in timings:
        if not t.measured:
            continue
        print(f"\n{t.page.label} ({t.page.url_name}): slowest queries of the median run")
        for seconds, sql in t.slowest[:top]:
            text = " ".join(sql.split())
            print(f"  {seconds * 1000:8.1f} ms  {text[:SQL_SHOWN]}{' …' if len(text) > SQL_SHOWN else ''}")


def explain(timing: Timing, bound: float) -> dict[str, str]:
    """Why a page is over its goal, from its own median run, and what would bring it within."""
    sql_ms = statistics.median(timing.sql_seconds) * 1000
    slowest = timing.slowest[0][0] * 1000 if timing.slowest else 0.0
    python_ms = timing.median_ms - sql_ms
    return {
        "why": f"of the median {timing.median_ms:.1f} ms, {sql_ms:.1f} ms are PostgreSQL's over {timing.query_count} "
        f"queries (the slowest {slowest:.1f} ms: the profile names them) and {python_ms:.1f} ms Python: building "
        "those queries, the page's figures and its template.",
        "remedy": "fewer, cheaper statements: the dashboard's per-village table and its household census "
        "as one pre-added row per village kept by the same writes that keep the household's figures, so "
        f"that the page reads a few hundred rows, not the households; Python's part is then most of the "
        f"{bound:.0f} ms.",
    }


def write_json(path: Path, timings: list[Timing], runs: int) -> None:
    """The goals' figures as {"figures": [{"name", "measured", "unit", "goal", "met", "detail"}, ...]}.

    A page that could not be measured is written with measured null and met false, its reason as the detail.
    """
    by_label = {t.page.label: t for t in timings}
    figures = []
    for label, what, unit, goal, bound in GOALS:
        timing = by_label[label]
        name = f"{label}, uncached, {what}"
        if not timing.measured:
            figures.append(
                {"name": name, "measured": None, "unit": unit, "goal": goal, "met": False, "detail": timing.status}
            )
            continue
        measured = round(timing.median_ms, 1) if what == "median" else max(timing.queries)
        who = timing.page.user.username if timing.page.user else "-"
        detail = (
            f"{who}, {runs} runs: median {timing.median_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms, "
            f"max {timing.max_ms:.1f} ms, {timing.query_count} queries, "
            f"{statistics.median(timing.sql_seconds) * 1000:.1f} ms in SQL"
        )
        figure = {"name": name, "measured": measured, "unit": unit, "goal": goal, "met": measured <= bound}
        figures.append(figure | {"detail": detail} | (explain(timing, bound) if measured > bound else {}))
    profile = []
    for timing in timings:
        if timing.measured and timing.page.label in {label for label, *_rest in GOALS}:
            profile.append(f"{timing.page.label}: slowest queries of the median run")
            for seconds, sql in timing.slowest[:5]:
                text = " ".join(sql.split())
                profile.append(f"  {seconds * 1000:7.1f} ms  {text[:160]}{' …' if len(text) > 160 else ''}")
    document = {"figures": figures, "profile": profile}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {path}")


def verdict(timings: list[Timing], budget_ms: float) -> int:
    budgeted = [t for t in timings if t.page.budgeted]
    if not all(t.measured for t in budgeted):
        print(f"\nThe town dashboard could not be measured: no verdict on the {budget_ms:.0f} ms budget.")
        return 2
    over = [t for t in budgeted if t.median_ms > budget_ms]
    for t in budgeted:
        state = "OVER" if t in over else "within"
        print(f"\n{state} budget: {t.page.label}: median {t.median_ms:.1f} ms, budget {budget_ms:.0f} ms", end="")
    print()
    print(
        "The county-wide view (every town, the administrator's) is timed but not budgeted: it scans the whole\n"
        "county, and the page serves it from the cache for DASHBOARD_MAX_AGE seconds between computations."
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
