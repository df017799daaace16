"""The daily job: flags raised once, escalated, cleared, notified once; set-based and idempotent."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification, Role
from common.tests.locks import wait_until_blocked
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Household
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory
from visits.models import FlagKind, VisitFlag, VisitorRole, VisitRule
from visits.services import visits_flag
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

MARCH_5 = dt.date(2020, 3, 5)  # February has ended; March is not yet due soon
MARCH_20 = dt.date(2020, 3, 20)


@pytest.fixture
def household(dongfeng, helper, alice):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    AssignmentFactory(household=household, person=alice, role=AssignmentRole.CONTACT)
    return household


def flags(**filters):
    return VisitFlag.objects.filter(**filters)


def test_an_unvisited_household_gets_an_overdue_flag_per_required_role_for_last_month(household, helper, alice):
    run = visits_flag(on=MARCH_5)

    assert run.raised == 2
    overdue = flags(kind=FlagKind.OVERDUE, period_start=dt.date(2020, 2, 1), period_end=dt.date(2020, 2, 29))
    assert {(f.rule.visitor_role, f.visitor) for f in overdue} == {
        (AssignmentRole.RESPONSIBLE, helper),
        (AssignmentRole.CONTACT, alice),
    }


def test_a_visit_in_the_period_means_no_flag_for_that_role(household, helper):
    VisitFactory(household=household, visitor=helper, role=VisitorRole.RESPONSIBLE, visited_on=dt.date(2020, 2, 29))
    visits_flag(on=MARCH_5)
    assert list(flags().values_list("rule__visitor_role", flat=True)) == [AssignmentRole.CONTACT]


def test_a_visit_by_someone_in_another_role_does_not_count(household, official):
    VisitFactory(household=household, visitor=official, role=VisitorRole.OTHER, visited_on=dt.date(2020, 2, 10))
    assert visits_flag(on=MARCH_5).raised == 2


def test_running_the_job_again_changes_nothing(household):
    visits_flag(on=MARCH_5)
    before = list(flags().values_list("pk", "kind", "raised_at", "notified_kind"))
    notes = Notification.objects.count()

    run = visits_flag(on=MARCH_5)

    assert (run.raised, run.escalated, run.cleared, run.notified) == (0, 0, 0, 0)
    assert list(flags().values_list("pk", "kind", "raised_at", "notified_kind")) == before
    assert Notification.objects.count() == notes


def test_due_soon_flags_start_on_the_20th(household, settings):
    settings.VISIT_DUE_SOON_DAY = 20
    visits_flag(on=dt.date(2020, 3, 19))
    assert not flags(kind=FlagKind.DUE_SOON).exists()
    visits_flag(on=MARCH_20)
    assert flags(kind=FlagKind.DUE_SOON, period_start=dt.date(2020, 3, 1)).count() == 2


def test_a_due_soon_flag_becomes_overdue_when_its_period_ends(household):
    visits_flag(on=MARCH_20)
    run = visits_flag(on=dt.date(2020, 4, 1))
    assert run.escalated == 2
    assert set(flags(period_start=dt.date(2020, 3, 1)).values_list("kind", flat=True)) == {FlagKind.OVERDUE}
    assert flags(period_start=dt.date(2020, 3, 1)).count() == 2


def test_exited_households_are_flagged_quarterly_for_their_responsible_person(dongfeng, helper):
    exited = HouseholdFactory(
        village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018, registered_on=dt.date(2020, 1, 1)
    )
    AssignmentFactory(household=exited, person=helper)
    visits_flag(on=dt.date(2020, 2, 5))
    assert not flags().exists(), "the first quarter has not ended"
    visits_flag(on=dt.date(2020, 4, 2))
    flag = flags().get()
    assert (flag.period_start, flag.period_end) == (dt.date(2020, 1, 1), dt.date(2020, 3, 31))


def test_a_household_registered_after_the_period_is_not_flagged_for_it(dongfeng):
    HouseholdFactory(village=dongfeng, registered_on=dt.date(2020, 3, 1))
    assert visits_flag(on=MARCH_5).raised == 0


def test_an_inactive_rule_raises_nothing(household):
    VisitRule.objects.update(active=False)
    assert visits_flag(on=MARCH_5).raised == 0


def test_a_visit_stored_late_is_cleared_by_the_next_run(household, helper):
    visits_flag(on=MARCH_5)
    late = VisitFactory(
        household=household, visitor=helper, role=VisitorRole.RESPONSIBLE, visited_on=dt.date(2020, 2, 27)
    )
    run = visits_flag(on=dt.date(2020, 3, 6))
    assert run.cleared == 1
    cleared = flags(rule__visitor_role=AssignmentRole.RESPONSIBLE).get()
    assert cleared.cleared_at is not None
    assert cleared.cleared_by == late  # stored outside visit_log (as a sync would), cleared by the job


def test_each_new_flag_notifies_the_visitor_and_the_village_cadre_once(
    household, helper, alice, django_capture_on_commit_callbacks
):
    helper.email, alice.email = "helper@example.cn", "alice@example.cn"
    helper.save()
    alice.save()
    other_village_cadre = UserFactory(role=Role.CADRE, villages=[HouseholdFactory().village], email="x@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        visits_flag(on=MARCH_5)

    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"helper", "alice"}
    assert other_village_cadre.notifications.count() == 0
    assert {m.to[0] for m in mail.outbox} == {"helper@example.cn", "alice@example.cn"}
    notes = Notification.objects.count()
    visits_flag(on=MARCH_5)
    assert Notification.objects.count() == notes


def test_a_notification_names_each_household_by_its_head_then_its_number(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1), head__name="张三")
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    visits_flag(on=MARCH_5)
    (note,) = Notification.objects.filter(recipient=helper)
    assert f": 张三 {household.number} 东风村 · " in note.body


def test_flags_read_and_notified_in_batches_smaller_than_the_run_give_each_person_the_same_one_message(
    dongfeng, helper, alice, monkeypatch
):
    for _ in range(5):
        household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
        AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
        AssignmentFactory(household=household, person=alice, role=AssignmentRole.CONTACT)
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng])

    def notifications_of_a_run():
        Notification.objects.all().delete()
        VisitFlag.objects.update(notified_kind="")
        run = visits_flag(on=MARCH_20)
        return run, sorted(Notification.objects.values_list("recipient__username", "subject", "body"))

    unbatched_run, unbatched = notifications_of_a_run()
    monkeypatch.setattr("visits.services.BATCH_SIZE", 3)  # 20 flags, 3 recipients: a last batch part full
    batched_run, batched = notifications_of_a_run()

    assert batched == unbatched
    assert batched_run.notified == unbatched_run.notified == VisitFlag.objects.count() == 5 * 2 * 2
    assert [username for username, *_ in batched] == sorted(["alice", "helper", cadre.username])  # one each
    cadres_lines = Notification.objects.get(recipient=cadre).body.splitlines()
    assert len(cadres_lines) == 20  # every flag of the village, overdue and due soon, once
    assert set(VisitFlag.objects.values_list("notified_kind", flat=True)) == set(FlagKind.values)


def test_escalation_notifies_again_once(household):
    visits_flag(on=MARCH_20)
    due_soon_notes = Notification.objects.count()
    visits_flag(on=dt.date(2020, 4, 1))
    visits_flag(on=dt.date(2020, 4, 2))
    assert Notification.objects.count() > due_soon_notes
    assert set(flags(period_start=dt.date(2020, 3, 1)).values_list("notified_kind", flat=True)) == {FlagKind.OVERDUE}


def test_the_job_runs_the_same_number_of_queries_for_3_households_as_for_15(dongfeng, helper):
    def queries_of_a_run(households):
        VisitFlag.objects.all().delete()
        for _ in range(households - Household.objects.count()):
            household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
            AssignmentFactory(household=household, person=helper)
        with CaptureQueriesContext(connection) as run:
            visits_flag(on=MARCH_20)
        return len(run.captured_queries)

    assert queries_of_a_run(3) == queries_of_a_run(15)


def test_the_command_runs_the_job_for_a_given_day(household, capsys):
    call_command("flag_overdue_visits", "--date", "2020-03-05")
    assert "2 raised" in capsys.readouterr().out
    assert flags().count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_visit_rules")
@pytest.mark.postgresql  # SQLite serialises writers: the race needs PostgreSQL
def test_two_runs_at_once_leave_one_flag_per_household_rule_and_period(dongfeng, helper):
    for _ in range(20):
        AssignmentFactory(
            household=HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1)), person=helper
        )
    errors = []

    def run():
        try:
            visits_flag(on=MARCH_5)
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
    # 20 unexited households, each owed a responsible person's and a contact person's visit for February.
    assert VisitFlag.objects.count() == 40
    assert VisitFlag.objects.values("household", "rule", "period_start").distinct().count() == 40


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_visit_rules")
@pytest.mark.postgresql  # the interleaving below needs a second writer that waits on the first
def test_two_runs_that_overlap_count_between_them_each_flag_raised_and_notify_each_once(dongfeng, helper):
    """Run A inserts its flags and is held before it commits; run B starts then, counts, waits on A's rows.

    The door: a due-soon flag the test inserts and holds uncommitted, which A runs into after inserting the
    overdue flags of the same rule; once B waits on A's rows too, the door is rolled back and both go on.
    """
    households = [HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1)) for _ in range(10)]
    for household in households:
        AssignmentFactory(household=household, person=helper)  # the responsible person
    # The first rule for which each run inserts flags (the rules before it in the runs' order owe nothing here).
    rule = VisitRule.objects.active().get(
        household_status=households[0].status, visitor_role=AssignmentRole.RESPONSIBLE
    )
    runs, errors = {}, []

    def run(name):
        try:
            runs[name] = visits_flag(on=MARCH_20)  # February overdue, March due soon
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    a, b = (threading.Thread(target=run, args=(name,)) for name in "ab")
    with transaction.atomic():
        door = VisitFlag.objects.create(
            household=households[-1],
            rule=rule,
            period_start=dt.date(2020, 3, 1),
            period_end=dt.date(2020, 3, 31),
            kind=FlagKind.DUE_SOON,
            raised_at=timezone.now(),
        )
        a.start()
        wait_until_blocked()  # A, on the door, its overdue flags inserted and not committed
        b.start()
        wait_until_blocked(waiting=2)  # B too, on A's flags, after counting
        transaction.set_rollback(True)  # the door was never there
    for thread in (a, b):
        thread.join()

    assert errors == []
    assert not VisitFlag.objects.filter(pk=door.pk).exists()
    raised = VisitFlag.objects.count()
    # Each owes the responsible and the contact person's visits (no contact assigned: a flag without a
    # visitor) of February (overdue) and of March (due soon).
    assert raised == len(households) * 2 * 2
    assert runs["a"].raised + runs["b"].raised == raised
    assert runs["a"].notified + runs["b"].notified == raised
    helpers_lines = sum(n.body.count("\n") + 1 for n in Notification.objects.filter(recipient=helper))
    assert helpers_lines == VisitFlag.objects.filter(visitor=helper).count() == len(households) * 2
