"""Background jobs of the assistance app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

import dataclasses
import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from assistance.services.loans import instalments_flag


@shared_task
def flag_loan_instalments(on: str | None = None) -> dict[str, int | str]:
    """Flag loan instalments as overdue or due soon as of `on` (YYYY-MM-DD; default today in Asia/Shanghai).

    The service changes only rows whose flag is wrong, so a rerun, or a redelivery
    after a worker was killed, changes nothing. The counts end up in the worker's log.
    """
    today = dt.date.fromisoformat(on) if on else timezone.localdate()
    with transaction.atomic():
        counts = instalments_flag(today=today)
    return {"on": today.isoformat(), **dataclasses.asdict(counts)}
