"""A large roster checked and applied by a real Celery worker on the real broker (Redis in CI).

Skipped unless the broker is Redis and the test database can be shared with a
second process (PostgreSQL); in CI (CI set) their absence fails the build.
Elsewhere the same path runs through task.apply() in test_roster_views.
"""

import uuid

import pytest
from django.urls import reverse

from accounts.models import Role
from households import tasks
from households.models import Household, ImportBatch, Member
from households.tests import roster_workbooks as rw
from households.tests.factories import UserFactory
from households.tests.test_roster_views import upload
from townaid import celery_app
from townaid.tests.test_celery import Worker

Status = ImportBatch.Status


def status_of(batch) -> str:
    return ImportBatch.objects.values_list("status", flat=True).get(pk=batch.pk)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_and_applies_a_large_roster_once(
    client, dongfeng, settings, tmp_path, monkeypatch, worker_database_url
):

    settings.ROSTER_BACKGROUND_ROWS = 2
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))  # the worker opens the same stored upload
    queue = f"test-roster-{uuid.uuid4().hex}"  # no stray worker listens here
    for task in (tasks.validate_roster, tasks.apply_roster):
        monkeypatch.setattr(task, "delay", lambda batch_id, task=task: task.apply_async(args=[batch_id], queue=queue))

    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    worker = Worker(tmp_path / "worker.log", queue, worker_database_url)
    try:
        upload(client, rw.workbook(rw.household() + rw.household() + rw.household()))
        batch = ImportBatch.objects.get()
        assert batch.background
        worker.wait_until(lambda: status_of(batch) == Status.READY, "the roster checked by the worker")
        assert not Household.objects.exists()

        client.post(reverse("households:import-apply", args=[batch.pk]))
        worker.wait_until(lambda: status_of(batch) == Status.APPLIED, "the roster applied by the worker")
        assert (Household.objects.count(), Member.objects.count()) == (3, 9)

        again = tasks.apply_roster.apply_async(args=[batch.pk], queue=queue).id
        worker.wait_until(lambda: worker.result_of(again), "the second run logged")
        assert worker.result_of(again) == {"batch": batch.pk, "skipped": Status.APPLIED}
        assert (Household.objects.count(), Member.objects.count()) == (3, 9)
        page = client.get(reverse("households:import-detail", args=[batch.pk]))
        assert "Refresh" not in page
    finally:
        worker.stop()
        print(worker.output())  # shown by pytest when the test fails
        with celery_app.connection_for_write() as broker_connection:  # leave the broker as it was
            bound = celery_app.amqp.queues[queue](broker_connection.default_channel)
            bound.declare()
            bound.delete()
