import datetime as dt
from dataclasses import asdict

from celery import shared_task

from infrastructure.services import infrastructure_flag


@shared_task
def flag_late_milestones(on: str | None = None) -> dict:
    """The daily infrastructure job: raise, update and clear milestone flags as of `on` (ISO date; today by default)."""
    run = infrastructure_flag(on=dt.date.fromisoformat(on) if on else None)
    return {**asdict(run), "on": run.on.isoformat()}
