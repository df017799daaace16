"""The daily job: late and due-soon milestones flagged once, escalated, cleared, reopened, notified once; set-based."""

import datetime as dt
import importlib
import threading

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification, Role
from common.tests.locks import wait_until_blocked
from households.tests.factories import TownFactory, UserFactory, VillageFactory
from infrastructure.models import FlagKind, Milestone, MilestoneDeadline, MilestoneFlag, Project, Status
from infrastructure.services import infrastructure_flag
from infrastructure.tasks import flag_late_milestones
from infrastructure.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

APRIL_15, APRIL_16, APRIL_30 = dt.date(2020, 4, 15), dt.date(2020, 4, 16), dt.date(2020, 4, 30)
MAY_1 = dt.date(2020, 5, 1)


@pytest.fixture
def project(dongfeng):
    return ProjectFactory(village=dongfeng, name="东风村饮水工程")


def open_flags():
    return set(MilestoneFlag.objects.open().values_list("project__name", "milestone", "kind"))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (APRIL_15, set()),  # declaration due in 15 days
        (APRIL_16, {(Milestone.DECLARED, FlagKind.DUE_SOON)}),  # due in 14 days
        (APRIL_30, {(Milestone.DECLARED, FlagKind.DUE_SOON)}),  # due today
        (MAY_1, {(Milestone.DECLARED, FlagKind.LATE)}),  # due yesterday; the start, due 31 May, is 30 days off
        (dt.date(2020, 5, 17), {(Milestone.DECLARED, FlagKind.LATE), (Milestone.STARTED, FlagKind.DUE_SOON)}),
        (
            dt.date(2020, 10, 1),
            {
                (Milestone.DECLARED, FlagKind.LATE),
                (Milestone.STARTED, FlagKind.LATE),
                (Milestone.ACCEPTED, FlagKind.LATE),
            },
        ),
    ],
)
def test_milestones_not_reached_are_flagged_due_soon_from_14_days_before_and_late_after(project, on, expected):
    infrastructure_flag(on=on)
    assert {(milestone, kind) for _, milestone, kind in open_flags()} == expected


def test_a_milestone_reached_is_not_flagged(dongfeng):
    ProjectFactory(village=dongfeng, reached={Milestone.DECLARED: APRIL_30})
    assert infrastructure_flag(on=MAY_1).raised == 0


def test_running_the_job_again_changes_nothing(project, official):
    infrastructure_flag(on=MAY_1)
    before = list(MilestoneFlag.objects.values_list("pk", "kind", "raised_at", "cleared_at", "notified_kind"))
    notes = Notification.objects.count()

    run = infrastructure_flag(on=MAY_1)

    assert (run.raised, run.escalated, run.eased, run.cleared, run.notified) == (0, 0, 0, 0, 0)
    assert list(MilestoneFlag.objects.values_list("pk", "kind", "raised_at", "cleared_at", "notified_kind")) == before
    assert Notification.objects.count() == notes == 1


def test_a_due_soon_flag_becomes_late_the_day_after_the_deadline_and_is_notified_again_once(
    project, official, settings
):
    settings.LANGUAGE_CODE = "en"  # notices are written in the site's language
    infrastructure_flag(on=APRIL_30)
    run = infrastructure_flag(on=MAY_1)
    infrastructure_flag(on=dt.date(2020, 5, 2))

    assert run.escalated == 1
    flag = MilestoneFlag.objects.get()
    assert (flag.kind, flag.notified_kind) == (FlagKind.LATE, FlagKind.LATE)
    assert list(official.notifications.order_by("pk").values_list("subject", flat=True)) == [
        "Infrastructure milestones: 0 late, 1 due soon",
        "Infrastructure milestones: 1 late, 0 due soon",
    ]


def test_a_milestone_reached_outside_the_service_is_cleared_by_the_next_run(project):
    infrastructure_flag(on=MAY_1)
    Project.objects.filter(pk=project.pk).update(status=Status.DECLARED, declared_on=MAY_1)
    run = infrastructure_flag(on=dt.date(2020, 5, 2))
    assert run.cleared == 1
    assert open_flags() == set()


def test_a_cancelled_project_is_not_flagged_and_its_flags_clear(project, dongfeng):
    infrastructure_flag(on=MAY_1)
    Project.objects.filter(pk=project.pk).update(status=Status.CANCELLED, cancelled_on=MAY_1, cancel_reason="取消")
    ProjectFactory(village=dongfeng, status=Status.CANCELLED, cancelled_on=APRIL_15, cancel_reason="取消")

    run = infrastructure_flag(on=dt.date(2020, 5, 2))

    assert (run.raised, run.cleared) == (0, 1)


def test_a_year_without_deadlines_is_skipped(dongfeng):
    ProjectFactory(village=dongfeng, year=2021)
    run = infrastructure_flag(on=dt.date(2021, 12, 31))
    assert (run.raised, MilestoneFlag.objects.count()) == (0, 0)


def test_moving_a_deadline_clears_its_flags_and_they_return_when_it_falls_due_again(project, official):
    infrastructure_flag(on=MAY_1)
    MilestoneDeadline.objects.filter(year=2020, milestone=Milestone.DECLARED).update(due_on=dt.date(2020, 6, 30))

    assert infrastructure_flag(on=dt.date(2020, 5, 2)).cleared == 1
    assert open_flags() == set()

    run = infrastructure_flag(on=dt.date(2020, 6, 20))
    assert run.raised == 2  # the declaration again (reopened), and now the start, due 31 May, is late
    assert open_flags() == {
        ("东风村饮水工程", Milestone.DECLARED, FlagKind.DUE_SOON),
        ("东风村饮水工程", Milestone.STARTED, FlagKind.LATE),
    }
    assert MilestoneFlag.objects.filter(notified_kind="").count() == 0


def test_each_new_flag_notifies_the_towns_officials_once_in_one_message_each(
    dongfeng, official, alice, django_capture_on_commit_callbacks
):
    official.email, alice.email = "official@example.cn", "alice@example.cn"
    official.save()
    alice.save()
    colleague = UserFactory(role=Role.OFFICIAL, town=dongfeng.town, email="colleague@example.cn")
    inactive = UserFactory(role=Role.OFFICIAL, town=dongfeng.town, is_active=False)
    elsewhere = UserFactory(role=Role.OFFICIAL, town=TownFactory(code="340321002"), email="x@example.cn")
    ProjectFactory(village=dongfeng, name="东风村道路工程")
    ProjectFactory(village=dongfeng, name="东风村饮水工程")
    ProjectFactory(village=VillageFactory(town=elsewhere.town), year=2021)  # no deadlines: no flag

    with django_capture_on_commit_callbacks(execute=True):
        run = infrastructure_flag(on=MAY_1)

    assert run.notified == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"official", colleague.username}
    note = official.notifications.get()
    assert "东风村道路工程" in note.body
    assert "东风村饮水工程" in note.body
    assert "2020-04-30" in note.body
    assert note.url.endswith("?light=late")
    assert sorted(m.to[0] for m in mail.outbox) == ["colleague@example.cn", "official@example.cn"]
    assert not inactive.notifications.exists()
    assert not elsewhere.notifications.exists()
    assert not alice.notifications.exists()  # cadres read projects; officials answer for them

    infrastructure_flag(on=MAY_1)
    assert Notification.objects.count() == 2


def test_the_job_runs_the_same_number_of_queries_for_3_projects_as_for_15(dongfeng, official):
    def queries_of_a_run(projects):
        MilestoneFlag.objects.all().delete()
        for n in range(projects - Project.objects.count()):
            reached = {Milestone.DECLARED: dt.date(2020, 4, 1)} if n % 2 else {}
            ProjectFactory(village=dongfeng, reached=reached)
        with CaptureQueriesContext(connection) as run:
            infrastructure_flag(on=dt.date(2020, 5, 20))
        return len(run.captured_queries)

    assert queries_of_a_run(3) == queries_of_a_run(15)


def test_flags_raised_in_batches_smaller_than_the_run_are_each_raised_and_counted_once(dongfeng, monkeypatch):
    monkeypatch.setattr("infrastructure.services.BATCH_SIZE", 4)  # 3 flags a project: a last part batch
    projects = [ProjectFactory(village=dongfeng) for _ in range(5)]
    run = infrastructure_flag(on=dt.date(2020, 10, 1))  # declared, started and accepted: all three late
    assert run.raised == MilestoneFlag.objects.count() == len(projects) * 3
    assert infrastructure_flag(on=dt.date(2020, 10, 1)).raised == 0


def test_the_command_runs_the_job_for_a_given_day(project, capsys):
    call_command("flag_late_milestones", "--date", "2020-05-01")
    assert "1 raised" in capsys.readouterr().out
    assert open_flags() == {("东风村饮水工程", Milestone.DECLARED, FlagKind.LATE)}


def test_the_command_refuses_a_malformed_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("flag_late_milestones", "--date", "1 May")


def test_the_task_flags_as_of_the_date_it_is_given_and_a_rerun_changes_nothing(project):
    first = flag_late_milestones.apply(kwargs={"on": "2020-05-01"}).get()
    again = flag_late_milestones.apply(kwargs={"on": "2020-05-01"}).get()
    assert (first["on"], first["raised"], first["notified"]) == ("2020-05-01", 1, 1)
    assert (again["raised"], again["notified"], again["cleared"]) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # SQLite serialises writers: the race needs PostgreSQL
def test_two_runs_at_once_leave_one_flag_per_project_and_milestone_and_one_notice(dongfeng, official):
    importlib.import_module("infrastructure.migrations.0002_deadlines_2020").create_deadlines(apps, None)
    for _ in range(20):
        ProjectFactory(village=dongfeng)
    errors = []

    def run():
        try:
            infrastructure_flag(on=MAY_1)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert MilestoneFlag.objects.count() == 20
    assert MilestoneFlag.objects.values("project", "milestone").distinct().count() == 20
    assert not MilestoneFlag.objects.exclude(notified_kind=FlagKind.LATE).exists()
    assert sum(n.body.count("\n") + 1 for n in Notification.objects.filter(recipient=official)) == 20


def test_the_task_is_registered_with_the_worker_under_the_name_the_beat_schedule_uses():
    from townaid import celery_app

    celery_app.loader.import_default_modules()
    assert "infrastructure.tasks.flag_late_milestones" in celery_app.tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # the interleaving below needs a second writer that waits on the first
def test_two_runs_that_overlap_count_between_them_each_flag_raised_and_notify_each_once(dongfeng, official):
    """Run A is held inside its transaction while inserting; run B starts then, counts, and waits on A's rows.

    The door: a flag of the last project that the test inserts and holds uncommitted, which A runs into after
    inserting the others; once B waits too, the door is rolled back and both go on.
    """
    importlib.import_module("infrastructure.migrations.0002_deadlines_2020").create_deadlines(apps, None)
    projects = [ProjectFactory(village=dongfeng) for _ in range(10)]  # none declared: each late on 1 May
    runs, errors = {}, []

    def run(name):
        try:
            runs[name] = infrastructure_flag(on=MAY_1)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    a, b = (threading.Thread(target=run, args=(name,)) for name in "ab")
    with transaction.atomic():
        door = MilestoneFlag.objects.create(
            project=projects[-1], milestone=Milestone.DECLARED, kind=FlagKind.LATE, raised_at=timezone.now()
        )
        a.start()
        wait_until_blocked()  # A, on the door, inside its one transaction
        b.start()
        wait_until_blocked(waiting=2)  # B too, after counting
        transaction.set_rollback(True)  # the door was never there
    for thread in (a, b):
        thread.join()

    assert errors == []
    assert not MilestoneFlag.objects.filter(pk=door.pk).exists()
    assert MilestoneFlag.objects.count() == len(projects)
    assert runs["a"].raised + runs["b"].raised == len(projects)
    assert runs["a"].notified + runs["b"].notified == len(projects)
    assert sum(n.body.count("\n") + 1 for n in Notification.objects.filter(recipient=official)) == len(projects)
