"""Load the production web server with the four busiest pages, each as its proper user, and report req/s and latency.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/townaid_county_copy   # a copy: sessions are written
    .venv/bin/python bench/load.py [--seconds 30] [--connections 20] [--workers 2] [--json PATH]

It starts Gunicorn with deploy/gunicorn.conf.py on a free port against DATABASE_URL, as production runs it:
DEBUG off, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, WEB_CONCURRENCY=--workers, the static files
collected once into --static-root (the manifest storage needs them). It signs in four users of the county by
writing a session for each into the database (as a login would, without the login's audit lines): the county
administrator, one town's official, a village's cadre and a responsible person. Then `wrk` (/usr/bin/wrk) drives,
with --connections connections for --seconds seconds, the pages in turn:

    household list     the administrator (the whole county) and the official (their town)
    household page     the cadre, one household of their village
    village dashboard  the cadre, their village
    visits due         the responsible person

each request with its user's session cookie and Accept-Encoding: gzip as a browser sends it, after --warmup
seconds of the same load untimed. A response other than 200 (a redirect to the login page included) is an error.
It prints req/s, p50/p95/p99 in ms, the errors, and the workers' CPU time per request (from /proc, sampled
per worker four times a second, so a worker recycled during the run by max_requests counts up to its last
sample; PostgreSQL's CPU is not in it).
--json PATH writes {"figures": [{"name", "measured", "unit", "goal", "met", "detail"}]} for req/s
and p95; --checkout DIR runs another checkout's code (e.g. the main branch) against the same database, to
compare before and after side by side. Gunicorn's log goes to $TMPDIR/townaid-load-gunicorn.log. The sessions
are deleted and Gunicorn stopped at the end. Exit status: 0 when both goals are met, 1 when not, 2 when it could
not measure (no DATABASE_URL, no wrk, Gunicorn not starting, a page that does not answer 200).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_RPS = 100
GOAL_P95_MS = 300
WRK = "/usr/bin/wrk"

# wrk's script: each connection takes the next (path, cookie) in turn; done() prints one JSON line.
LUA = r"""
local targets = {%(targets)s}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  statuses = {}
  counter = id
end

function request()
  counter = counter + 1
  local target = targets[(counter %% #targets) + 1]
  return wrk.format("GET", target[1], {["Cookie"] = target[2], ["Accept-Encoding"] = "gzip"})
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local errors, codes = 0, {}
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("errors")
    for code, n in pairs(thread:get("statuses")) do codes[tostring(code)] = (codes[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(codes) do table.insert(parts, string.format('"%%s": %%d', code, n)) end
  io.write(string.format(
    'WRKJSON {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, ' ..
    '"errors": %%d, "socket_errors": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, errors,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the run (default: %(default)s)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="Gunicorn workers (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before the timed run")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="the checkout whose code Gunicorn runs, to compare two versions side by side (default: this one)",
    )
    parser.add_argument("--static-root", help="where static files are collected (default: a folder under /tmp)")
    parser.add_argument("--page", action="append", help="only these pages (by label; may repeat)")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.exit(2, "Set DATABASE_URL to a copy of the county database (sessions are written to it).\n")
    if not os.path.exists(WRK):
        parser.exit(2, f"{WRK} is missing: apt-get install wrk\n")

    checkout = options.checkout.resolve()
    static_root = options.static_root or os.path.join(tempfile.gettempdir(), f"townaid-load-static-{checkout.name}")
    env = production_environment(static_root)
    os.environ.update(env)
    import django

    django.setup()
    collect_static(checkout, static_root, env)
    targets, session_keys = sign_in()
    if options.page:
        targets = [t for t in targets if t[0] in options.page]
    port = free_port()
    server = start_gunicorn(checkout, port, options.workers, env)
    try:
        base = f"http://127.0.0.1:{port}"
        check_pages(base, targets)
        script = write_script(targets)
        if options.warmup:
            run_wrk(base, script, options.connections, options.warmup)
        with WorkersCpu(server.pid) as cpu:
            result = run_wrk(base, script, options.connections, options.seconds)
        result["cpu_ms"] = cpu.seconds * 1000 / max(1, result["requests"])
        result["pages"] = page_costs(targets)
    finally:
        if "script" in locals():
            os.unlink(script)
        server.terminate()
        server.wait(timeout=30)
        sign_out(session_keys)
    return report(result, targets, options)


# ---------------------------------------------------------------- the server


def production_environment(static_root: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "townaid.settings",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "GUNICORN_LOG_LEVEL": "warning",
    }


def collect_static(checkout: Path, static_root: str, env: dict[str, str]) -> None:
    """The manifest storage of production needs collected files; collected once, then reused."""
    if (Path(static_root) / "staticfiles.json").exists():
        return
    print(f"collecting static files into {static_root} (once)…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=checkout,
        env={**os.environ, **env},
        check=True,
    )


def cannot_measure(message: str):
    print(message, file=sys.stderr)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(checkout: Path, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = Path(tempfile.gettempdir()) / "townaid-load-gunicorn.log"
    print(f"  gunicorn on port {port}, its log (access lines as in production) in {log}", flush=True)
    server = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        cwd=checkout,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except urllib.error.HTTPError:
            return server  # it answers: a failed health check is the checks', not the server's
        except OSError:
            if server.poll() is not None:
                cannot_measure("Gunicorn stopped while starting")
            time.sleep(0.3)
    server.terminate()
    cannot_measure("Gunicorn did not answer within 60 s")


class WorkersCpu:
    """The CPU time (user + system) the master's workers use while it is open, from /proc (Linux).

    Sampled every SAMPLE_SECONDS, each worker by its pid: a worker recycled by max_requests takes its CPU
    with it when it exits, so what it had used by its last sample is kept, and its successor counts from
    zero (its start-up, as in production, included). At most one interval of a recycled worker is lost.
    """

    SAMPLE_SECONDS = 0.25

    def __init__(self, master: int):
        self.master = master
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self):
        self.first = self._ticks()
        self.last = dict(self.first)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.last.update(self._ticks())

    @property
    def seconds(self) -> float:
        used = sum(ticks - self.first.get(pid, 0) for pid, ticks in self.last.items())
        return used / os.sysconf("SC_CLK_TCK")

    def _sample_until_stopped(self):
        while not self._stop.wait(self.SAMPLE_SECONDS):
            self.last.update(self._ticks())

    def _ticks(self) -> dict[int, int]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            if int(fields[1]) == self.master:  # ppid
                found[int(stat.parent.name)] = int(fields[11]) + int(fields[12])  # utime, stime
        return found


def page_costs(targets, runs: int = 20) -> list[tuple[str, float, int, float]]:
    """Each page's own cost, in this process with DEBUG off: (label, median CPU ms, queries, SQL ms).

    The same pages as the load, one at a time, each as its user (the session's cookie), through Django's test
    client: the CPU the server spends on a request of it, before any other request competes for the cores.
    """
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    costs = []
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"], STORAGES=plain_static):
        for label, path, cookie in targets:
            client = Client(HTTP_COOKIE=cookie, HTTP_ACCEPT_ENCODING="gzip")
            client.get(path)  # warm
            spent = []
            for _ in range(runs):
                started = time.process_time()
                client.get(path)
                spent.append(time.process_time() - started)
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
            costs.append((label, statistics.median(spent) * 1000, len(queries.captured_queries), sql_ms))
    return costs


# ---------------------------------------------------------------- who looks at what


def sign_in() -> tuple[list[tuple[str, str, str]], list[str]]:
    """(label, path, cookie) for each page, and the session keys written for them."""
    from county_people import county_people  # bench/, the script's own folder
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import UserSession

    people = county_people()
    admin, official, cadre, helper = people.admin, people.official, people.cadre, people.helper
    village, household = people.village, people.household
    cookies, keys = {}, []
    for user in {admin, official, cadre, helper}:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(timezone.now() + timedelta(hours=2))
        session.create()
        UserSession.objects.create(session_id=session.session_key, user=user)
        cookies[user.pk] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        keys.append(session.session_key)
    targets = [
        ("household list, county administrator", reverse("households:list"), cookies[admin.pk]),
        ("household list, town official", reverse("households:list"), cookies[official.pk]),
        ("household page, village cadre", reverse("households:detail", args=[household.pk]), cookies[cadre.pk]),
        ("village dashboard, village cadre", reverse("reports:village", args=[village.pk]), cookies[cadre.pk]),
        ("visits due, responsible person", reverse("visits:due"), cookies[helper.pk]),
    ]
    for label, path, _cookie in targets:
        print(f"  {label:<40} {path}")
    return targets, keys


def sign_out(session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=session_keys).delete()  # their UserSession rows go with them


def check_pages(base: str, targets) -> None:
    """Each page once, so that a page that does not answer 200 is named before the run."""
    for label, path, cookie in targets:
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status if response.url == base + path else f"redirected to {response.url}"
        except urllib.error.HTTPError as error:
            status = error.code
        took = (time.perf_counter() - started) * 1000
        print(f"  first request: {label:<40} {status} in {took:.0f} ms", flush=True)
        if status != 200:
            cannot_measure(f"{label} answers {status}, not 200: nothing to measure")


# ---------------------------------------------------------------- the load


def write_script(targets) -> str:
    entries = ", ".join(f"{{{json.dumps(path)}, {json.dumps(cookie)}}}" for _label, path, cookie in targets)
    handle, path = tempfile.mkstemp(prefix="townaid-load-", suffix=".lua")
    with os.fdopen(handle, "w") as script:
        script.write(LUA % {"targets": entries})
    return path


def run_wrk(base: str, script: str, connections: int, seconds: int) -> dict:
    threads = max(1, min(2, connections))
    command = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s"]
    output = subprocess.run([*command, "-s", script, base], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def report(result: dict, targets, options) -> int:
    errors = result["errors"] + result["socket_errors"]
    print(
        f"\n{options.connections} connections, {options.workers} workers, {result['seconds']:.0f} s, "
        f"{len(targets)} pages in turn: {result['requests']} requests\n"
        f"  {result['rps']:.1f} req/s   p50 {result['p50']:.0f} ms   p95 {result['p95']:.0f} ms   "
        f"p99 {result['p99']:.0f} ms   max {result['max']:.0f} ms   errors {errors} {result['statuses'] or ''}\n"
        f"  {result['cpu_ms']:.1f} ms of the workers' CPU per request"
    )
    detail = (
        f"gunicorn {options.workers} workers, {options.connections} connections, {result['seconds']:.0f} s, "
        f"{result['requests']} requests, {errors} errors; p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms; "
        f"{result['cpu_ms']:.1f} ms of worker CPU per request"
    )
    rps_met = result["rps"] >= GOAL_RPS and errors == 0
    p95_met = result["p95"] <= GOAL_P95_MS and errors == 0
    figures = [
        {"name": "web throughput", "measured": round(result["rps"], 1), "unit": "req/s", "goal": GOAL_RPS,
         "met": rps_met, "detail": detail},
        {"name": "web p95 latency", "measured": round(result["p95"]), "unit": "ms", "goal": GOAL_P95_MS,
         "met": p95_met, "detail": detail},
    ]  # fmt: skip
    profile = [f"{'page':<40} {'CPU':>8} {'queries':>8} {'SQL':>8}"] + [
        f"{label:<40} {cpu:6.1f}ms {queries:8d} {sql:6.1f}ms" for label, cpu, queries, sql in result["pages"]
    ]
    print("\n".join(profile))
    why, remedy = explain(result, options)
    for item in figures:
        item.update(why=why, remedy=remedy)
    if options.json:
        Path(options.json).write_text(json.dumps({"figures": figures, "profile": profile}, indent=2) + "\n")
    return 0 if rps_met and p95_met else 1


def explain(result: dict, options) -> tuple[str, str]:
    """Why the load is what it is, from this run's own figures, and what would meet the goals."""
    pages = result["pages"]
    if not pages:
        return "", ""
    mean_cpu = sum(cpu for _label, cpu, _queries, _sql in pages) / len(pages)
    heaviest = max(pages, key=lambda page: page[1])
    ceiling = os.cpu_count() * 1000 / mean_cpu if mean_cpu else float("inf")
    why = (
        f"the pages cost {mean_cpu:.1f} ms of the server's CPU each on average (the profile lists them), so "
        f"the {os.cpu_count()} cores, shared with PostgreSQL and wrk, serve at most about {ceiling:.0f} req/s "
        f"before any waiting; under load the workers used {result['cpu_ms']:.1f} ms a request. The heaviest, "
        f"{heaviest[0]}, runs {heaviest[2]} queries; each costs Django about half a millisecond to build and "
        "read besides PostgreSQL's time, and the lists spend the rest rendering a template per cell of fifty rows."
    )
    remedy = (
        f"{GOAL_RPS} req/s on {os.cpu_count()} cores is {os.cpu_count() * 1000 / GOAL_RPS:.0f} ms of all the "
        "machine's CPU a request, PostgreSQL's and wrk's included, so the pages must cost about half what they "
        "do: the household page's panels read in a few combined queries instead of one or more each, the "
        "lists' fifty rows drawn from plain values by one function per row rather than a template lookup per "
        "cell (their badges already are), and the household page and lists cached per user for as long as the "
        "household's kept figures say nothing changed."
    )
    return why, remedy


if __name__ == "__main__":
    sys.exit(main())
