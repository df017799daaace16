"""Time the overdue-visits job raising a county's worth of new flags at once, and its peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/townaid_county .venv/bin/python bench/overdue_job.py \
        [--runs 3] [--date YYYY-MM-DD] [--json PATH]

The recipe for 107,200 new flags at once on a county seeded by `seed_county`
(100,000 households: 95,200 exited, visited quarterly by their responsible
person; 1,500 unexited, monthly by the responsible and the contact person;
3,000 monitored, monthly by the responsible person): run the job on the 20th of
the first month of the quarter after next, e.g. 2027-04-20 for a county seeded
on 2026-12-04. Its last quarter (95,200 overdue flags) and last month (6,000)
lie wholly after the visits seeded, and from the 20th this month's visits are
due soon (6,000 more): 107,200 flags, none there before, each notified to its
responsible person and to the village's cadre. --date picks another day.

The county stays as it was: each run works on a throwaway copy
(`createdb -T`, so nobody may be connected to the county meanwhile; it is
retried for a while), dropped afterwards. Each run is `manage.py
flag_overdue_visits --date DAY` in a process of its own (the nightly command,
Django's start-up included), timed from outside, its peak memory the maximum
resident set size the kernel reports for it. The figures are the median time
and the largest peak of --runs runs.
"""

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS, GOAL_MB = 10.0, 200.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh copy (default: %(default)s)")
    parser.add_argument("--date", type=dt.date.fromisoformat, help="the day the job runs as of (default: see above)")
    parser.add_argument("--json", type=Path, help="write the figures there (bench/run.py reads them)")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        parser.exit(2, "Set DATABASE_URL to a county on PostgreSQL (see --help).\n")
    if urlsplit(url).password:
        os.environ["PGPASSWORD"] = urlsplit(url).password  # for createdb and dropdb
    day = options.date or recipe_day(url)
    print(f"county: {urlsplit(url).path.lstrip('/')}; the job runs as of {day}")

    runs = []
    for n in range(1, options.runs + 1):
        copy = f"{urlsplit(url).path.lstrip('/')}_overdue_{os.getpid()}"
        copy_url = url.rsplit("/", 1)[0] + "/" + copy
        copy_database(url, copy)
        try:
            seconds, peak_kb, output = run_job(copy_url, day)
        finally:
            drop_database(url, copy)
        raised = int(re.search(r"(\d+) raised", output).group(1)) if "raised" in output else 0
        notified = int(re.search(r"(\d+) notified", output).group(1)) if "notified" in output else 0
        print(f"run {n}: {seconds:.1f} s, peak {peak_kb / 1024:.0f} MB: {output.strip().splitlines()[-1]}")
        runs.append((seconds, peak_kb / 1024, raised, notified))

    median_s = statistics.median(r[0] for r in runs)
    peak_mb = max(r[1] for r in runs)
    raised = {r[2] for r in runs}
    label = f"overdue job, {runs[0][2]:,} new flags at once"
    detail = (
        f"`manage.py flag_overdue_visits --date {day}` on a fresh copy of the county, {options.runs} runs: "
        f"{', '.join(f'{r[0]:.1f} s / {r[1]:.0f} MB' for r in runs)}; raised {sorted(raised)}, notified "
        f"{sorted({r[3] for r in runs})}"
    )
    print(f"median {median_s:.1f} s (goal <= {GOAL_SECONDS:.0f} s), peak {peak_mb:.0f} MB (goal <= {GOAL_MB:.0f} MB)")
    ok = len(raised) == 1 and runs[0][2] > 0
    figures = [
        figure(f"{label}, time", median_s, "s", f"<= {GOAL_SECONDS:.0f} s", ok and median_s <= GOAL_SECONDS, detail),
        figure(
            f"{label}, peak memory",
            peak_mb,
            "MB",
            f"<= {GOAL_MB:.0f} MB",
            ok and peak_mb <= GOAL_MB,
            "the largest peak",
        ),
    ]
    if options.json:
        options.json.write_text(json.dumps({"figures": figures}, ensure_ascii=False, indent=2))
    return 0 if all(f["met"] for f in figures) else 1


def figure(name, measured, unit, goal, met, detail) -> dict:
    return {"name": name, "measured": round(measured, 1), "unit": unit, "goal": goal, "met": met, "detail": detail}


def recipe_day(url: str) -> dt.date:
    """The 20th of the first month of the quarter after the first quarter wholly after the visits seeded."""
    import psycopg2

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT max(visited_on) FROM visits_visit")
        (last,) = cursor.fetchone()
    connection.close()
    last = max(last or dt.date.today(), dt.date.today())
    quarter = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
    after = add_months(quarter, 3)  # the first quarter wholly after the visits seeded: its flags will be overdue
    return add_months(after, 3).replace(day=20)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def copy_database(url: str, copy: str, *, tries: int = 30) -> None:
    parts = urlsplit(url)
    source = parts.path.lstrip("/")
    for attempt in range(tries):
        done = subprocess.run(["createdb", *connection_args(parts), "-T", source, copy], capture_output=True, text=True)
        if done.returncode == 0:
            return
        if "being accessed by other users" not in done.stderr or attempt == tries - 1:
            raise SystemExit(f"createdb -T {source} {copy} failed: {done.stderr.strip()}")
        time.sleep(2)


def drop_database(url: str, copy: str) -> None:
    subprocess.run(["dropdb", *connection_args(urlsplit(url)), "--if-exists", copy], check=True)


def connection_args(parts) -> list[str]:
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    return [*args, "-U", parts.username] if parts.username else args


def run_job(url: str, day: dt.date) -> tuple[float, int, str]:
    """Run the nightly command on `url`; its wall seconds, peak resident memory in kB, and output."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "flag_overdue_visits", "--date", day.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"flag_overdue_visits failed ({process.returncode}):\n{output[-3000:]}")
    return seconds, usage.ru_maxrss, output  # ru_maxrss is in kB on Linux


if __name__ == "__main__":
    sys.exit(main())
