"""Background jobs: every scheduled job exists, runs on a real worker, and the web never waits on the broker.

The real-worker test needs Redis and a database a second process can open
(PostgreSQL in CI); elsewhere it is skipped, and in CI its absence fails the build.
"""

import ast
import datetime as dt
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Role
from assistance.models import InstalmentFlag, RepaymentMethod
from assistance.tasks import flag_loan_instalments
from assistance.tests.factories_programmes import LoanFactory
from common.logs import JsonFormatter, TaskFilter
from households.tests.factories import UserFactory
from townaid import celery_app

# A fault-injection bound, not a speed benchmark: far above a page's normal time, far below a hung request.
WEB_BOUND_SECONDS = 2
WORKER_BOUND_SECONDS = 60

# ---------------------------------------------------------------- the schedule


def test_every_scheduled_job_names_a_registered_task():
    celery_app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, f"beat entry {name!r} names an unknown task {entry['task']!r}"


def test_loan_instalments_are_flagged_every_night_at_half_past_midnight_in_shanghai():
    schedule = settings.CELERY_BEAT_SCHEDULE["flag-loan-instalments"]["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({0}, {30}, set(range(7)))
    assert celery_app.conf.timezone == "Asia/Shanghai"


# ---------------------------------------------------------------- the task itself


def instalment_flags(loan) -> dict[int, str]:
    return dict(loan.instalments.order_by("number").values_list("number", "flag"))


@pytest.mark.django_db
def test_the_task_flags_as_of_the_date_it_is_given_and_a_rerun_changes_nothing(dongfeng_household):
    # Issued 2020-03-01 with interest quarterly: the first instalment fell due on 2020-06-01, the
    # next on 2020-09-01, beyond the 30 days. Created today, all of them start out overdue.
    loan = LoanFactory(household=dongfeng_household, issued_on=dt.date(2020, 3, 1))
    later = set(instalment_flags(loan)) - {1}

    first = flag_loan_instalments.apply(kwargs={"on": "2020-06-02"}).get()
    again = flag_loan_instalments.apply(kwargs={"on": "2020-06-02"}).get()

    counts = {"overdue": 1, "due_soon": 0, "newly_overdue": 0, "newly_due_soon": 0}
    assert first == {"on": "2020-06-02", **counts, "cleared": len(later)}
    assert again == {"on": "2020-06-02", **counts, "cleared": 0}
    assert instalment_flags(loan) == {1: InstalmentFlag.OVERDUE} | dict.fromkeys(later, InstalmentFlag.NONE)


@pytest.mark.django_db
def test_the_task_marks_an_instalment_due_on_the_day_due_soon_and_overdue_the_day_after(dongfeng_household):
    loan = LoanFactory(household=dongfeng_household, issued_on=dt.date(2020, 3, 1))

    flag_loan_instalments(on="2020-06-01")
    assert instalment_flags(loan)[1] == InstalmentFlag.DUE_SOON
    flag_loan_instalments(on="2020-06-02")
    assert instalment_flags(loan)[1] == InstalmentFlag.OVERDUE


# ---------------------------------------------------------------- the web never waits on the broker


@contextmanager
def broker_at(url: str):
    """Point the app at another broker, as if CELERY_BROKER_URL had said so (Celery reads it from the environment)."""
    previous = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    forget_broker_connections()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = previous
        forget_broker_connections()


def forget_broker_connections():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def hang_guard(seconds: float):
    """Interrupt a call that hangs (a broker read without a timeout waits forever), so the test fails, not stalls."""

    def interrupt(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=["closed", "silent"])
def dead_broker(request, settings):
    """A Redis URL nobody answers: a closed port, or a port that takes the connection and never replies."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes the handshakes; nobody ever reads or answers
        port = 1 if request.param == "closed" else silent.getsockname()[1]
        url = f"redis://127.0.0.1:{port}/0"
        settings.CELERY_BROKER_URL = url
        with broker_at(url):
            yield url


def pages_without_arguments(patterns=None, namespace=""):
    """The URL names of every page that needs no argument, except the admin, language switch and logout."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if pattern.pattern.regex.groups:  # a <pk> or any other argument
            continue
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from pages_without_arguments(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in ("logout", "set_language"):
            yield f"{namespace}{pattern.name}"


def test_the_page_walk_finds_the_pages_of_every_app():
    names = set(pages_without_arguments())
    assert {"home", "households:list", "assistance:gaps"} <= names
    assert not {"logout", "households:detail", "set_language"} & names


def test_enqueueing_on_a_dead_broker_fails_at_once_instead_of_hanging(dead_broker):
    started = time.monotonic()
    with hang_guard(3 * WEB_BOUND_SECONDS), pytest.raises(OperationalError):
        flag_loan_instalments.delay()
    took = time.monotonic() - started
    assert took < WEB_BOUND_SECONDS, f"enqueueing took {took:.1f} s with the broker at {dead_broker}"


@pytest.mark.django_db
def test_no_page_waits_on_a_dead_broker(
    client, town, dongfeng_household, dead_broker, django_capture_on_commit_callbacks
):
    # An administrator reaches every page, the admin-only ones (roster import) included.
    client.force_login(UserFactory(role=Role.ADMIN, town=town, is_staff=True, is_superuser=True))
    urls = [reverse(name) for name in pages_without_arguments()]
    urls.append(reverse("households:detail", args=[dongfeng_household.pk]))
    for url in urls:
        started = time.monotonic()
        # Work enqueued with delay_on_commit runs when the request's transaction commits: run it here too.
        with hang_guard(3 * WEB_BOUND_SECONDS), django_capture_on_commit_callbacks(execute=True):
            response = client.get(url)
            if response.status_code == 405 and "POST" in response["Allow"]:
                response = client.post(url)  # an action without a page (require_POST): do it
        took = time.monotonic() - started
        # The health check is the one page that asks the broker: it says so, as quickly as the rest answer.
        assert response.status_code in ((503,) if url == reverse("healthz") else (200, 302)), url
        assert took < WEB_BOUND_SECONDS, f"{url} took {took:.1f} s with the broker at {dead_broker}"


# ---------------------------------------------------------------- a real worker on the real broker


def expected_flag(due_date: dt.date, today: dt.date) -> str:
    if due_date < today:
        return InstalmentFlag.OVERDUE
    if due_date <= today + dt.timedelta(days=settings.LOAN_DUE_SOON_DAYS):
        return InstalmentFlag.DUE_SOON
    return InstalmentFlag.NONE


def log_lines(output: str) -> list[dict]:
    """The complete lines of a worker's or beat's output, each parsed as the JSON object it must be."""
    complete = output[: output.rfind("\n") + 1]  # a line still being written is read next time
    return [json.loads(line) for line in complete.splitlines() if line]


def task_result(output: str, task_id: str) -> dict | None:
    """What the task returned, read from the worker's 'succeeded' log line."""
    for line in log_lines(output):
        if line.get("task_id") == task_id and (
            found := re.search(r" succeeded in [\d.]+s: (\{.*\})$", line["message"])
        ):
            return ast.literal_eval(found.group(1))
    return None


@pytest.fixture
def own_queue():
    """A queue no stray worker listens to, removed from the broker afterwards."""
    queue = f"test-celery-{uuid.uuid4().hex}"
    yield queue
    with celery_app.connection_for_write() as broker_connection:  # leave the broker as it was
        bound = celery_app.amqp.queues[queue](broker_connection.default_channel)
        bound.declare()  # so that this connection knows the bindings it has to remove
        bound.delete()


class Worker:
    """A `celery worker` subprocess on its own queue, run as the systemd unit runs it, its output kept in a file.

    JSON logs (LOG_FORMAT=json, as in production) and --quiet: every line it writes is a JSON object, until
    it is stopped (Celery's signal handler prints its "Warm shutdown" notice as plain text, outside logging).
    """

    def __init__(self, log_path, queue: str, database_url: str):
        self.log_path = log_path
        env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "townaid.settings_test"}
        env |= {"PYTHONUNBUFFERED": "1", "LOG_FORMAT": "json"}
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "townaid", "--quiet", "worker", "--pool=solo"),
                *("--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_until(self, condition, what: str):
        deadline = time.monotonic() + WORKER_BOUND_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker stopped (exit {self.process.returncode}) before {what}")
            time.sleep(0.25)
        pytest.fail(f"no {what} within {WORKER_BOUND_SECONDS} s")

    def result_of(self, task_id: str) -> dict | None:
        return task_result(self.output(), task_id)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_nightly_loan_job_from_the_schedule(
    dongfeng_household, tmp_path, worker_database_url, own_queue
):

    today = timezone.localdate()
    # Monthly instalments from 40 days ago: about 10 days past due, 20 days ahead, 50 days ahead, ...
    loan = LoanFactory(
        household=dongfeng_household,
        issued_on=today - dt.timedelta(days=40),
        term_months=12,
        repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    expected = {number: expected_flag(due, today) for number, due in loan.instalments.values_list("number", "due_date")}
    assert set(expected.values()) == {InstalmentFlag.OVERDUE, InstalmentFlag.DUE_SOON, InstalmentFlag.NONE}
    # Every flag wrong, so only the job can put them right.
    loan.instalments.filter(due_date__lt=today).update(flag=InstalmentFlag.NONE)
    loan.instalments.filter(due_date__gte=today).update(flag=InstalmentFlag.OVERDUE)

    entry = settings.CELERY_BEAT_SCHEDULE["flag-loan-instalments"]

    def send():
        return celery_app.send_task(
            entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), queue=own_queue
        ).id

    worker = Worker(tmp_path / "worker.log", own_queue, worker_database_url)
    try:
        first = send()
        worker.wait_until(lambda: instalment_flags(loan) == expected, "flags set by the worker")
        worker.wait_until(lambda: worker.result_of(first), "first run logged")
        to_fix = {flag: list(expected.values()).count(flag) for flag in InstalmentFlag.values}
        counts = worker.result_of(first)
        assert (counts["on"], counts["newly_overdue"], counts["newly_due_soon"], counts["cleared"]) == (
            today.isoformat(),
            to_fix[InstalmentFlag.OVERDUE],
            to_fix[InstalmentFlag.DUE_SOON],
            to_fix[InstalmentFlag.NONE],
        )

        second = send()
        worker.wait_until(lambda: worker.result_of(second), "second run logged")
        counts = worker.result_of(second)
        assert (counts["newly_overdue"], counts["newly_due_soon"], counts["cleared"]) == (0, 0, 0)
        assert instalment_flags(loan) == expected
    finally:
        worker.stop()
        print(worker.output())  # shown by pytest when the test fails


# ---------------------------------------------------------------- the worker's and beat's logs


@pytest.mark.django_db(transaction=True)
def test_a_worker_logs_one_json_object_a_line_a_tasks_lines_with_its_name_and_id(
    tmp_path, worker_database_url, own_queue
):
    worker = Worker(tmp_path / "worker.log", own_queue, worker_database_url)
    try:
        sent = celery_app.send_task("assistance.tasks.flag_loan_instalments", queue=own_queue).id
        worker.wait_until(lambda: worker.result_of(sent) is not None, "the task's 'succeeded' line")
        lines = log_lines(worker.output())  # read while it runs: each line it wrote is JSON, or this fails
    finally:
        worker.stop()
        print(worker.output())
    assert any(line["logger"] == "celery.apps.worker" and line["message"].endswith(" ready.") for line in lines)
    task_lines = [line for line in lines if line.get("task_id") == sent]
    assert [line["message"].split()[-1] for line in task_lines[:1]] == ["received"]
    assert {line["task_name"] for line in task_lines} == {"assistance.tasks.flag_loan_instalments"}
    assert all(line.keys() >= {"ts", "level", "logger", "message"} for line in lines)
    assert "data" not in task_lines[-1]  # Celery's extra repeats the message; the line says it once


def test_beat_logs_one_json_object_a_line(tmp_path, own_queue):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townaid.settings_test", "LOG_FORMAT": "json"}
    env |= {"PYTHONUNBUFFERED": "1", "CELERY_QUEUE": own_queue}  # were a job due, it would go nowhere
    log_path = tmp_path / "beat.log"
    with open(log_path, "w") as log:
        beat = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "townaid", "--quiet", "beat", "--loglevel=INFO"),
                *("--schedule", str(tmp_path / "beat-schedule")),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + WORKER_BOUND_SECONDS
            while "beat: Starting" not in log_path.read_text() and time.monotonic() < deadline:
                assert beat.poll() is None, log_path.read_text()
                time.sleep(0.25)
            lines = log_lines(log_path.read_text())
        finally:
            beat.terminate()
            beat.wait(timeout=10)
    assert {"logger": "celery.beat", "level": "INFO", "message": "beat: Starting..."}.items() <= lines[-1].items()


def test_a_line_logged_inside_a_task_carries_the_tasks_name_and_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TaskFilter())
    logger = logging.getLogger("townaid.tests.task")
    logger.addHandler(handler)
    try:
        logger.warning("outside a task")
        log_inside_a_task.apply(task_id="a-task-id")
    finally:
        logger.removeHandler(handler)
    before, during = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "task_id" not in before
    assert (during["message"], during["task_id"], during["task_name"]) == (
        "inside a task",
        "a-task-id",
        "townaid.tests.log_inside_a_task",
    )


@celery_app.task(name="townaid.tests.log_inside_a_task")
def log_inside_a_task():
    logging.getLogger("townaid.tests.task").warning("inside a task")
