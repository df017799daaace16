"""A worker killed in the middle of the nightly visit job, then restarted, leaves every flag exactly once.

A real `celery worker` on Redis runs `visits.tasks.flag_overdue_visits` against the
test database (PostgreSQL). The test holds a real lock that the job runs into at a
chosen point, sees the job's connection waiting on it in pg_stat_activity, and then
kills the worker with SIGKILL: no clean shutdown, the message never acknowledged.
Two points: while raising the last rule's flags, and while writing the messages. The
job is one transaction (its new flags are stored as told of, with the messages that
tell of them), so at either point nothing of it has been committed.

The job comes back by itself: tasks are acknowledged late (CELERY_TASK_ACKS_LATE),
so Redis still holds the message as unacknowledged, and a worker puts it back on
the queue once it has been out for CELERY_VISIBILITY_TIMEOUT seconds (an hour in
production; two seconds for the test's workers). The restarted worker does so as it
starts and runs the same task again; the job's idempotence does the rest.

Needs PostgreSQL and Redis: skipped elsewhere, and in CI their absence fails the build.
"""

import datetime as dt
import signal
import time
import uuid
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import F

from accounts.models import Notification, Role
from households.choices import AssignmentRole, HouseholdStatus
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory
from townaid import celery_app
from townaid.tests.test_celery import Worker
from visits.models import VisitFlag, VisitorRole, VisitRule
from visits.tests.factories import VisitFactory

ON = dt.date(2020, 3, 5)  # February has ended (monthly flags), and the last quarter of 2019 (quarterly ones)
FEBRUARY = dt.date(2020, 2, 1)
LAST_QUARTER = dt.date(2019, 10, 1)
VISIBILITY_TIMEOUT = 2  # seconds; the restarted worker must find the killed job's message older than this
BOUND_SECONDS = 60


class Town:
    """Households of two villages, who must visit them, who did in February, and the flags that must follow."""

    def __init__(self, dongfeng, hongqi, alice, bob):
        self.cadres = {dongfeng.pk: alice, hongqi.pk: bob}
        helpers = [UserFactory(role=Role.RESPONSIBLE) for _ in range(4)]
        contacts = [UserFactory() for _ in range(2)]
        self.expected: dict[tuple[int, str, dt.date], int] = {}  # (household, role, period start) -> visitor
        self.unexited_responsible: set[tuple[int, str, dt.date]] = set()  # the flags of the last rule to run
        self.villages: dict[int, int] = {}
        for number in range(24):
            village = (dongfeng, hongqi)[number % 2]
            household = HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1))
            self.villages[household.pk] = village.pk
            persons = {AssignmentRole.RESPONSIBLE: helpers[number % 4], AssignmentRole.CONTACT: contacts[number % 2]}
            for role, person in persons.items():
                AssignmentFactory(household=household, person=person, role=role)
                visited = (role == AssignmentRole.RESPONSIBLE and number % 5 == 0) or (
                    role == AssignmentRole.CONTACT and number % 7 == 0
                )
                if visited:
                    VisitFactory(household=household, visitor=person, role=role, visited_on=dt.date(2020, 2, 10))
                else:
                    self.expected[(household.pk, role, FEBRUARY)] = person.pk
                    if role == AssignmentRole.RESPONSIBLE:
                        self.unexited_responsible.add((household.pk, role, FEBRUARY))
        # Exited households are visited quarterly; one registered too late for February is not flagged at all.
        exited = HouseholdFactory(
            village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018, registered_on=dt.date(2019, 1, 1)
        )
        # responsible since it was registered, so through the last quarter of 2019, whose visit it owes
        AssignmentFactory(
            household=exited, person=helpers[0], role=AssignmentRole.RESPONSIBLE, start_date=dt.date(2019, 1, 1)
        )
        self.villages[exited.pk] = dongfeng.pk
        self.expected[(exited.pk, AssignmentRole.RESPONSIBLE, LAST_QUARTER)] = helpers[0].pk
        late = HouseholdFactory(village=hongqi, registered_on=dt.date(2020, 3, 1))
        AssignmentFactory(household=late, person=helpers[1], role=AssignmentRole.RESPONSIBLE)

    def recipients(self) -> dict[int, int]:
        """How many flags each person must hear about: their own, and their village's as its cadre."""
        counts = Counter()
        for (household, _role, _start), visitor in self.expected.items():
            counts[visitor] += 1
            counts[self.cadres[self.villages[household]].pk] += 1
        return dict(counts)


def flags_now() -> dict[tuple[int, str, dt.date], int]:
    rows = list(VisitFlag.objects.values_list("household_id", "rule__visitor_role", "period_start", "visitor_id"))
    keys = [row[:3] for row in rows]
    assert len(keys) == len(set(keys)), "a flag is there twice"
    return {row[:3]: row[3] for row in rows}


# ---------------------------------------------------------------- the lock the job runs into


class Blocker:
    """A connection of the test's own, holding in an open transaction what the job will wait for."""

    def __init__(self):
        wrapper = type(connections["default"])(connection.settings_dict, alias="blocker")
        self.raw = wrapper.get_new_connection(wrapper.get_connection_params())
        self.cursor = self.raw.cursor()
        self.cursor.execute("SELECT pg_backend_pid()")
        self.pid = self.cursor.fetchone()[0]

    def hold_a_flag_of(self, rule: VisitRule, household_id: int):
        """An uncommitted flag the job will also insert: PostgreSQL makes the job's insert wait for our outcome."""
        self.cursor.execute(
            f"INSERT INTO {VisitFlag._meta.db_table} (household_id, rule_id, period_start, period_end, kind, "
            "raised_at, notified_kind) VALUES (%s, %s, %s, %s, 'overdue', now(), '')",
            [household_id, rule.pk, FEBRUARY, dt.date(2020, 2, 29)],
        )

    def hold_the_inbox(self):
        """No inserts into the notifications table until we let go; reads go on."""
        self.cursor.execute(f"LOCK TABLE {Notification._meta.db_table} IN SHARE MODE")

    def release(self):
        self.raw.rollback()  # the held flag is gone with it: it changes nothing the job should do

    def close(self):
        self.raw.close()


def wait_for(condition, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker stopped (exit {worker.process.returncode}) before {what}:\n{worker.output()}")
        time.sleep(0.1)
    pytest.fail(f"no {what} within {BOUND_SECONDS} s")


def blocked_by(blocker: Blocker) -> tuple[int, str] | None:
    """The backend waiting on the blocker's lock, and the statement it is stuck in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND %s = ANY(pg_blocking_pids(pid))",  # not autovacuum
            [blocker.pid],
        )
        return cursor.fetchone()


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is None


def kill(worker: Worker):
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=10)
    worker.log.close()


# ---------------------------------------------------------------- the test


@pytest.mark.parametrize("moment", ["while raising flags", "while notifying"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_and_restarted_leaves_every_flag_and_notice_exactly_once(
    moment, dongfeng, hongqi, alice, bob, default_visit_rules, tmp_path, monkeypatch, worker_database_url
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT))  # read by the workers' settings

    town = Town(dongfeng, hongqi, alice, bob)
    # The rules run in their order (exited, monitored, unexited; contact before responsible), then the
    # notices, all in one transaction: the last rule is unexited/responsible.
    last_rule = list(VisitRule.objects.filter(active=True))[-1]
    assert (last_rule.household_status, last_rule.visitor_role) == (HouseholdStatus.UNEXITED, VisitorRole.RESPONSIBLE)
    blocker = Blocker()
    if moment == "while raising flags":
        blocker.hold_a_flag_of(last_rule, household_id=max(town.unexited_responsible)[0])
        stuck_in = f'INSERT INTO "{VisitFlag._meta.db_table}"'
    else:
        blocker.hold_the_inbox()
        stuck_in = f'INSERT INTO "{Notification._meta.db_table}"'

    queue = f"test-worker-kill-{uuid.uuid4().hex}"  # no stray worker listens here
    task_id = celery_app.send_task("visits.tasks.flag_overdue_visits", kwargs={"on": ON.isoformat()}, queue=queue).id
    workers = [Worker(tmp_path / "first.log", queue, worker_database_url)]
    try:
        pid, query = wait_for(lambda: blocked_by(blocker), "job waiting on the test's lock", workers[0])
        assert query.startswith(stuck_in), query
        kill(workers[0])
        killed_at = time.monotonic()
        blocker.release()
        # The dead worker's connection finishes its statement, finds nobody to answer and rolls back.
        wait_for(lambda: backend_gone(pid), "end of the killed worker's database session")

        assert flags_now() == {}, "the kill came mid-job: none of its flags was committed"
        assert not Notification.objects.exists()

        # A worker puts back, as it starts, the messages out longer than the visibility timeout.
        time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))
        workers.append(Worker(tmp_path / "restarted.log", queue, worker_database_url))
        result = wait_for(lambda: workers[1].result_of(task_id), "run of the same task by the restarted worker")

        assert result["on"] == ON.isoformat()
        assert result["raised"] == len(town.expected)
        assert result["notified"] == len(town.expected)
        assert flags_now() == town.expected, "every flag due, exactly once, with its visitor"
        assert not VisitFlag.objects.exclude(notified_kind=F("kind")).exists(), "every flag notified"
        inbox = Counter(Notification.objects.values_list("recipient_id", flat=True))
        assert inbox == dict.fromkeys(town.recipients(), 1), "one notice per person"
        told = {n.recipient_id: len(n.body.splitlines()) for n in Notification.objects.all()}
        assert told == town.recipients(), "each flag told to each of its people once"
    finally:
        blocker.close()
        for worker in workers:
            if worker.process.poll() is None:
                worker.stop()
            worker.log.close()
            print(worker.output())  # shown by pytest when the test fails
        with celery_app.connection_for_write() as broker_connection:  # leave the broker as it was
            bound = celery_app.amqp.queues[queue](broker_connection.default_channel)
            bound.declare()
            bound.delete()
