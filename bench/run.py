"""Run every figure of issue 18 on a county database, side by side, and write bench/RESULTS.md.

    python bench/run.py [DATABASE_URL] [--reseed] [--only NAME ...] [--results PATH]
    make bench                                   # the same, with the venv's Python

The county database is the argument, else $BENCH_DATABASE_URL, else
postgres://postgres@127.0.0.1:5432/townaid_bench. It is created, migrated and
seeded with `manage.py seed_county` when it is missing or holds no household
(seed_county's own time and progress are then a figure); --reseed drops it and
starts again. Then each bench script runs in a process of its own, one after
another (never two at once: they would time each other), as

    python bench/<script>.py --json PATH          (DATABASE_URL set to the county)

and writes {"figures": [{"name", "measured", "unit", "goal", "met", "detail", "why", "remedy"}],
"profile": [line, ...]} to PATH ("why", "remedy" and "profile" optional: for a goal not met, what the run
measured that shows why, and what would meet it; the profile is where the script's time went).
A script that is missing, fails, or writes no such file is reported as
"not measured" with the last lines of its output; a script that exits non-zero
after writing its figures (over a budget) counts by its figures. The scripts
read the county and leave it as it was (the overdue job runs on a throwaway copy).

RESULTS.md holds the date, the commit, the machine and the table figure |
measured | goal | met, then each script's details. Exit status: 0 when every
figure measured met its goal and none is missing, 1 otherwise.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/townaid_bench"
TAIL_LINES = 25  # of a failed script's output, in RESULTS.md
# seed_county shows progress when it is never silent for longer than this: its steps print every 5 s,
# and the commit and VACUUM (single statements, a minute at most on the county) are announced first.
SEED_SILENCE_GOAL_S = 60.0


@dataclass(frozen=True)
class Script:
    name: str
    path: str  # relative to bench/
    figures: tuple[str, ...]  # the rows of issue 18 it measures, shown as "not measured" when it fails
    args: tuple[str, ...] = ()
    on_copy: bool = False  # it writes to the county: run it on a throwaway copy (createdb -T), dropped after


SCRIPTS = (
    Script(
        "dashboard",
        "dashboard.py",
        (
            "town dashboard, one town's official, uncached",
            "town dashboard, county-wide",
            "household list, county-wide, first page",
        ),
    ),
    Script(
        "roster_import",
        "roster_import.py",
        (
            "roster import, 100,000 people, end to end",
            "roster import vs django-import-export defaults",
            "bare parse of the same file",
        ),
        args=("--figures", "--people", "100000"),
        on_copy=True,
    ),
    Script("load", "load.py", ("web, gunicorn 2 workers, 20 clients",)),
    Script("overdue_job", "overdue_job.py", ("overdue job, 107,200 new flags at once",)),
)


@dataclass
class Figure:
    name: str
    measured: float | None
    unit: str = ""
    goal: str = ""
    met: bool | None = None  # None: not measured (or, for a reused county's seed, not run)
    detail: str = ""
    why: str = ""  # for a goal not met: what this run measured that shows where the time or memory goes
    remedy: str = ""  # for a goal not met: what would meet it

    @classmethod
    def of(cls, raw: dict) -> "Figure":
        return cls(
            name=str(raw["name"]),
            measured=None if raw.get("measured") is None else float(raw["measured"]),
            unit=str(raw.get("unit", "")),
            goal=str(raw.get("goal", "")),
            met=bool(raw["met"]) if raw.get("measured") is not None else None,
            detail=str(raw.get("detail", "")),
            why=str(raw.get("why", "")),
            remedy=str(raw.get("remedy", "")),
        )


@dataclass
class Outcome:
    """What one script (or the seed) gave: its figures, or why there are none."""

    name: str
    command: str
    seconds: float = 0.0
    exit_code: int | None = None
    figures: list[Figure] = field(default_factory=list)
    failure: str = ""  # why nothing was measured
    tail: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)  # lines the script measured on where its time goes

    @property
    def measured(self) -> bool:
        return not self.failure


# ---------------------------------------------------------------- running a script


def run_script(script: Script, *, env: dict[str, str], bench_dir: Path = HERE, timeout: float | None = None) -> Outcome:
    """Run one bench script with --json and read its figures; any failure becomes a not-measured outcome."""
    path = bench_dir / script.path
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        out = Path(folder) / f"{script.name}.json"
        command = [sys.executable, str(path), "--json", str(out), *script.args]
        outcome = Outcome(name=script.name, command=" ".join(["python", f"bench/{script.path}", "--json", "PATH"]))
        if not path.exists():
            outcome.failure = f"bench/{script.path} does not exist (yet)"
            outcome.figures = [Figure(name, None) for name in script.figures]
            return outcome
        outcome.exit_code, outcome.seconds, lines = stream(command, env=env, timeout=timeout)
        outcome.tail = lines[-TAIL_LINES:]
        try:
            raw = json.loads(out.read_text())
            outcome.figures = [Figure.of(figure) for figure in raw["figures"]]
            outcome.profile = [str(line) for line in raw.get("profile", [])]
            if not outcome.figures:
                raise ValueError("no figures")
        except FileNotFoundError:
            outcome.failure = f"exit status {outcome.exit_code}, and it wrote no --json file"
        except (ValueError, KeyError, TypeError) as error:
            outcome.failure = f"exit status {outcome.exit_code}, and its --json file is not readable: {error!r}"
        if outcome.failure:
            outcome.figures = [Figure(name, None) for name in script.figures]
        return outcome


def throwaway_copy(url: str, name: str) -> str:
    """A copy of the county (createdb -T) for a script that writes, so the county stays as it was."""
    parts = urlsplit(url)
    copy = f"{parts.path.lstrip('/')}_{name}"
    drop_copy(parts._replace(path=f"/{copy}").geturl())
    for attempt in range(30):
        done = subprocess.run(
            ["createdb", *_pg_args(parts), "-T", parts.path.lstrip("/"), copy], capture_output=True, text=True
        )
        if done.returncode == 0:
            return parts._replace(path=f"/{copy}").geturl()
        if "being accessed by other users" not in done.stderr or attempt == 29:
            raise SystemExit(f"createdb -T {parts.path.lstrip('/')} {copy} failed: {done.stderr.strip()}")
        time.sleep(2)
    raise AssertionError("unreachable")


def drop_copy(url: str) -> None:
    parts = urlsplit(url)
    subprocess.run(["dropdb", *_pg_args(parts), "--if-exists", parts.path.lstrip("/")], check=True)


def _pg_args(parts) -> list[str]:
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    return [*args, "-U", parts.username] if parts.username else args


def stream(command: list[str], *, env: dict[str, str], timeout: float | None = None) -> tuple[int, float, list[str]]:
    """Run a command, echoing its output as it comes; return its exit status, seconds and output lines."""
    lines, started = [], time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            print(f"  | {line}", end="", flush=True)
            lines.append(line.rstrip("\n"))
            if timeout is not None and time.perf_counter() - started > timeout:
                process.kill()
                lines.append(f"(killed after {timeout:.0f} s)")
                break
        code = process.wait()
    return code, time.perf_counter() - started, lines


# ---------------------------------------------------------------- the county


def ensure_county(url: str, *, reseed: bool, env: dict[str, str]) -> Outcome | None:
    """Create, migrate and seed the county when it is missing or empty (or --reseed); its seed's outcome, if seeded."""
    import psycopg2  # the project's driver; imported here so that the unit tests of the report need no database

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(url.replace(parts.path, "/postgres", 1) if parts.path else url + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and reseed:
            print(f"--reseed: dropping {name}")
            cursor.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            print(f"creating {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    code, _seconds, lines = stream([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env)
    if code != 0:
        raise SystemExit("migrate failed:\n" + "\n".join(lines[-TAIL_LINES:]))
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM households_household")
        (households,) = cursor.fetchone()
    connection.close()
    if households:
        print(f"reusing {name}: {households:,} households (--reseed to seed it again)")
        return None
    return seed(env)


def seed(env: dict[str, str]) -> Outcome:
    command = [sys.executable, "manage.py", "seed_county"]
    outcome = Outcome(name="seed_county", command="python manage.py seed_county")
    stamps: list[float] = []
    lines: list[str] = []
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            print(f"  | {line}", end="", flush=True)
            stamps.append(time.perf_counter())
            lines.append(line.rstrip("\n"))
        outcome.exit_code = process.wait()
    outcome.seconds = time.perf_counter() - started
    outcome.tail = lines[-TAIL_LINES:]
    if outcome.exit_code != 0:
        outcome.failure = f"exit status {outcome.exit_code}"
        outcome.figures = [Figure("seed_county", None)]
        raise SystemExit("seed_county failed:\n" + "\n".join(outcome.tail))
    silence = longest_silence(started, stamps)
    outcome.figures = [
        Figure("seed_county, time", round(outcome.seconds, 1), "s", "(none)", True, f"{len(lines)} lines of output"),
        Figure(
            "seed_county, longest time without a line of progress",
            round(silence, 1),
            "s",
            f"<= {SEED_SILENCE_GOAL_S:.0f} s (progress shown)",
            silence <= SEED_SILENCE_GOAL_S,
            f"{sum(1 for line in lines if 'rows/s' in line)} progress lines",
        ),
    ]
    return outcome


def longest_silence(started: float, stamps: Iterable[float]) -> float:
    gaps, last = [], started
    for stamp in stamps:
        gaps.append(stamp - last)
        last = stamp
    return max(gaps, default=0.0)


# ---------------------------------------------------------------- RESULTS.md


def machine(url: str) -> dict[str, str]:
    info = {
        "cores": str(os.cpu_count()),
        "memory": _meminfo(),
        "CPU": _cpu_model(),
        "Python": platform.python_version(),
        "PostgreSQL": _postgres_version(url),
        "system": platform.platform(),
    }
    return info


def _meminfo() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1048576:.1f} GB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _postgres_version(url: str) -> str:
    try:
        import psycopg2

        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
        connection.close()
        return version
    except Exception as error:  # the report is still worth writing without it
        return f"unknown ({type(error).__name__})"


def commit() -> str:
    def git(*args) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "?"

    dirty = git("status", "--porcelain", "--untracked-files=no")
    state = "dirty (uncommitted changes)" if dirty and dirty != "?" else "clean"
    return f"{git('describe', '--always', '--dirty')} ({git('rev-parse', 'HEAD')}), {state}"


def verdict(outcomes: list[Outcome]) -> bool:
    """True when every figure was measured and met its goal (a reused county's seed is neither)."""
    figures = [figure for outcome in outcomes for figure in outcome.figures]
    return bool(figures) and all(outcome.measured for outcome in outcomes) and all(f.met for f in figures)


def render(outcomes: list[Outcome], *, when: dt.datetime, commit: str, machine: dict[str, str], county: str) -> str:
    lines = [
        "# Benchmark results (issue 18)",
        "",
        f"Written by `python bench/run.py` ({'every goal met' if verdict(outcomes) else 'NOT every goal met'}).",
        "",
        f"- date: {when:%Y-%m-%d %H:%M %Z}".rstrip(),
        f"- commit: {commit}",
        f"- county: {county}",
        *(f"- {key}: {value}" for key, value in machine.items()),
        "",
        "| figure | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes:
        for figure in outcome.figures:
            lines.append(f"| {_cell(figure.name)} | {_measured(figure)} | {_cell(figure.goal)} | {_met(figure)} |")
    missed = [figure for outcome in outcomes for figure in outcome.figures if figure.met is False]
    if missed:
        lines += ["", "## Goals not met: why, and what would meet them", ""]
        for figure in missed:
            lines += [f"### {figure.name}: {_measured(figure)} (goal {figure.goal})", ""]
            lines += [f"Why: {figure.why or 'the script says nothing more.'}", ""]
            lines += [f"What would meet it: {figure.remedy or 'the script says nothing more.'}", ""]
    lines += ["", "## Details", ""]
    for outcome in outcomes:
        status = "" if outcome.exit_code is None else f", exit status {outcome.exit_code}"
        lines += [f"### {outcome.name}", "", f"`{outcome.command}`: {outcome.seconds:.1f} s{status}", ""]
        if outcome.failure:
            lines += [f"Not measured: {outcome.failure}."]
            if outcome.tail:
                lines += ["", "Last lines of its output:", "", "```", *outcome.tail, "```"]
        for figure in outcome.figures:
            if figure.detail:
                lines += [f"- {figure.name}: {figure.detail}"]
        if outcome.profile:
            lines += ["", "Profile of this run:", "", "```", *outcome.profile, "```"]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _measured(figure: Figure) -> str:
    if figure.measured is None:
        return "not measured"
    value = f"{figure.measured:,.0f}" if abs(figure.measured) >= 100 else f"{figure.measured:g}"
    return f"{value} {figure.unit}".strip()


def _met(figure: Figure) -> str:
    return {True: "yes", False: "**no**", None: "—"}[figure.met]


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--reseed", action="store_true", help="drop the county database and seed it again")
    parser.add_argument(
        "--only", action="append", choices=[s.name for s in SCRIPTS], help="run this script only (repeatable)"
    )
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="default: %(default)s")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds a script may run (default: %(default)s)")
    options = parser.parse_args(argv)
    if not re.match(r"postgres(ql)?://", options.database_url):
        parser.error("the county database must be PostgreSQL (postgres://…)")

    env = {**os.environ, "DATABASE_URL": options.database_url, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DEBUG", "true")  # as `make run`: the scripts set what they time (DEBUG off for the pages)
    when = dt.datetime.now().astimezone()
    outcomes = []
    seeded = ensure_county(options.database_url, reseed=options.reseed, env=env)
    if seeded is not None:
        outcomes.append(seeded)
    for script in SCRIPTS:
        if options.only and script.name not in options.only:
            continue
        print(f"\n== {script.name}: bench/{script.path}", flush=True)
        if script.on_copy:
            copy = throwaway_copy(options.database_url, script.name)
            try:
                outcomes.append(run_script(script, env={**env, "DATABASE_URL": copy}, timeout=options.timeout))
            finally:
                drop_copy(copy)
        else:
            outcomes.append(run_script(script, env=env, timeout=options.timeout))
    county = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", options.database_url)  # no password in the report
    county += "" if seeded is not None else " (reused: seeded earlier, so seed_county is not timed here)"
    text = render(outcomes, when=when, commit=commit(), machine=machine(options.database_url), county=county)
    options.results.write_text(text + "\n")
    print(f"\nwrote {options.results}")
    met = verdict(outcomes)
    print("every goal met" if met else "NOT every goal met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
