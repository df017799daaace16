"""Background jobs of the registry: checking and applying a large roster import; the dashboards' kept income.

Each takes a batch id, loads the batch and calls the same code as the web and the
command (households.roster.batches). Both are idempotent: a batch that is not
waiting for the job any more (already checked, applied, failed) is left alone,
and applying locks the batch and never applies it twice.
"""

from celery import shared_task

from households import summaries
from households.models import ImportBatch
from households.roster import batches

Status = ImportBatch.Status


@shared_task
def validate_roster(batch_id: int) -> dict:
    """Read and check a large uploaded roster, recording progress for its page."""
    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is None or batch.status not in (Status.QUEUED, Status.VALIDATING):
        return {"batch": batch_id, "skipped": batch.status if batch else "missing"}
    batches.batch_validate(batch)
    return {"batch": batch_id, "status": batch.status, "errors": batch.error_count}


@shared_task
def apply_roster(batch_id: int) -> dict:
    """Apply a confirmed large roster, all or nothing."""
    batch = ImportBatch.objects.select_related("uploaded_by", "confirmed_by").filter(pk=batch_id).first()
    if batch is None or batch.status not in (Status.APPLY_QUEUED, Status.APPLYING):
        return {"batch": batch_id, "skipped": batch.status if batch else "missing"}
    batches.batch_apply(batch)
    return {"batch": batch_id, "status": batch.status, "counts": batch.counts}


@shared_task
def refresh_dashboard_income() -> dict:
    """Bring the dashboards' kept income to the current line's year (a line for a new year takes effect on
    1 January, with nobody writing anything); idempotent: nothing behind, nothing written."""
    return {"households": summaries.refresh_income()}
