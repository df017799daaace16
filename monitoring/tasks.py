from celery import shared_task
from django.utils import timezone

from monitoring.services import candidates_from_income


@shared_task
def flag_income_candidates(year: int | None = None) -> dict:
    """The nightly ledger job: report as candidates the households below the line or with a drop in `year`.

    Idempotent: households already reported (an open case, or a ledger case this year) are skipped.
    """
    year = year or timezone.localdate().year
    cases = candidates_from_income(year=year)
    return {"year": year, "created": len(cases)}
