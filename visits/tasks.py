import datetime as dt
from dataclasses import asdict

from celery import shared_task

from visits.services import visits_flag


@shared_task
def flag_overdue_visits(on: str | None = None) -> dict:
    """The daily visit job: raise, escalate and clear flags as of `on` (ISO date; today by default)."""
    run = visits_flag(on=dt.date.fromisoformat(on) if on else None)
    return {**asdict(run), "on": run.on.isoformat()}
