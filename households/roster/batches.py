"""An import batch's life, the one path the web pages, the background job and the command all take.

received --start--> (queued -->) validating --> invalid | ready | unchanged
ready --confirm--> (apply_queued -->) applying --> applied | invalid | failed

Reading the file (the slow part) happens outside any transaction so that its
progress can be seen; applying re-reads it, then loads the registry with locks,
plans and writes in one transaction, so what is applied is what the registry
holds at that moment. A batch already applied is never applied again.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.collector import collector_paused
from households.models import ImportBatch, ImportIssue
from households.roster import registry as roster_registry
from households.roster.apply import apply_plan
from households.roster.issues import Issue, IssueLog, megabytes
from households.roster.reader import RosterFileError, open_roster
from households.roster.validate import ParsedRoster, Plan, parse_roster, plan_roster
from households.roster.values import Context

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
PROGRESS_EVERY = 500  # rows between two progress writes
PROGRESS_SECONDS = 3600  # how long an apply's progress is kept in the cache
# What a batch's `failure` holds: a code, never an exception's text (the page shows it; the log has the details).
CHECK_FAILED, APPLY_FAILED, WORKER_UNREACHABLE = "check_failed", "apply_failed", "worker_unreachable"


# ---------------------------------------------------------------- reading and checking a file


@dataclass
class Reading:
    parsed: ParsedRoster | None
    issues: list[Issue]  # what stopped the reading (the file, the sheet, the header), when parsed is None
    sheet: str = ""
    rows_in_file: int | None = None  # the sheet's rows, as counted in its XML


def read(file, *, sheet_name: str = "", on_row=None) -> Reading:
    """Open a file safely and read every row of its roster sheet, or none (the issues say why); no database."""
    sheet = None
    try:
        with open_roster(file, sheet_name=sheet_name) as sheet:
            header = sheet.read_header()
            if header is None:
                return Reading(None, sheet.issues, sheet.title, sheet.rows_in_file)
            parsed = parse_roster(sheet.rows(), header, Context(sheet.epoch), on_row=on_row)
            parsed.issues.extend(sheet.issues)
            return Reading(parsed, [], sheet.title, sheet.rows_in_file)
    except RosterFileError as error:  # refused, or could not be read to its end: nothing of it counts
        if sheet is None:
            return Reading(None, [error.issue])
        return Reading(None, [error.issue], sheet.title, sheet.rows_in_file)


def check(reading: Reading, *, town=None, lock: bool = False, today: dt.date | None = None) -> Plan:
    """The plan for a file read: what it would change and every error, against the registry as it is now."""
    if reading.parsed is None:
        return Plan(households=[], issues=IssueLog(reading.issues), rows=0)
    registry = roster_registry.load(reading.parsed, town=town, lock=lock)
    return plan_roster(reading.parsed, registry, today=today or timezone.localdate())


def town_of(user):
    """Villages are looked up in the importing admin's town when they have one, else in every town."""
    return user.town if user is not None and user.town_id else None


# ---------------------------------------------------------------- the batch


def batch_receive(*, upload: File, original_name: str, user, sheet_name: str = "") -> ImportBatch:
    """Keep an upload as a new batch, hashed on the way in; raises RosterFileError when it is over the limit."""
    if upload.size > settings.ROSTER_MAX_BYTES:
        raise RosterFileError("file_too_large", size=megabytes(upload.size), limit=megabytes(settings.ROSTER_MAX_BYTES))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    batch = ImportBatch(
        original_name=original_name[:255],
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
        sheet_name=sheet_name.strip(),
    )
    batch.file.save("roster.xlsx", upload, save=False)
    batch.save()
    return batch


def earlier_upload(batch: ImportBatch) -> ImportBatch | None:
    """The first earlier batch of the very same file, if any."""
    return (
        ImportBatch.objects.filter(sha256=batch.sha256, pk__lt=batch.pk)
        .select_related("uploaded_by")
        .order_by("pk")
        .first()
    )


def batch_start(batch: ImportBatch, *, allow_background: bool = True) -> bool:
    """Check the file's envelope and count its rows; validate it now if it is small. True when a job must finish it.

    The rows are counted in the sheet's XML, not taken from its <dimension>, which
    a file may understate: a large file is never read inside the web request.
    """
    try:
        with batch.file.open("rb") as file, open_roster(file, sheet_name=batch.sheet_name) as sheet:
            rows = sheet.rows_in_file
    except RosterFileError as error:
        _store_result(batch, Plan(households=[], issues=IssueLog([error.issue]), rows=0))
        return False
    batch.rows_total = rows
    batch.background = allow_background and rows > settings.ROSTER_BACKGROUND_ROWS
    if batch.background:
        batch.status = Status.QUEUED
        batch.save(update_fields=["rows_total", "background", "status"])
        return True
    batch.save(update_fields=["rows_total", "background"])
    batch_validate(batch)
    return False


@collector_paused()
def batch_validate(batch: ImportBatch) -> ImportBatch:
    """Read and check the whole file; keep its issues and counts. The batch ends invalid, ready or unchanged."""
    _set(batch, status=Status.VALIDATING, rows_done=0)
    try:
        reading = _read_batch(batch)
        plan = check(reading, town=town_of(batch.uploaded_by))
    except Exception:
        logger.exception("roster batch %s could not be checked", batch.pk)
        return _fail(batch, CHECK_FAILED)
    _store_result(batch, plan, sheet=reading.sheet)
    return batch


def batch_confirm(batch: ImportBatch, *, user) -> bool:
    """Record who confirmed; True when a job must apply it, else it has been applied (or found invalid) now."""
    batch.confirmed_by, batch.confirmed_at, batch.failure = user, timezone.now(), ""
    batch.status = Status.APPLY_QUEUED if batch.background else Status.APPLYING
    batch.save(update_fields=["confirmed_by", "confirmed_at", "failure", "status"])
    if batch.background:
        return True
    batch_apply(batch)
    return False


@collector_paused()
def batch_apply(batch: ImportBatch) -> ImportBatch:
    """Re-read the file, then plan against the locked registry and write, all or nothing; never twice."""
    if batch.status == Status.APPLIED:
        return batch
    _set(batch, status=Status.APPLYING, rows_done=0)
    try:
        reading = _read_batch(batch)
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.status == Status.APPLIED:  # another run got there first
                return locked
            plan = check(reading, town=town_of(batch.uploaded_by), lock=True)
            if plan.ok and plan.changes_anything:
                apply_plan(plan, batch=batch, user=batch.confirmed_by, on_progress=_told(batch))
            _store_result(batch, plan, sheet=reading.sheet, applied=plan.ok)
    except Exception:
        logger.exception("roster batch %s could not be applied", batch.pk)
        return _fail(batch, APPLY_FAILED)
    finally:
        cache.delete(_progress_key(batch.pk))
    return batch


@collector_paused()
def batch_import(batch: ImportBatch, *, user, progress=None) -> ImportBatch:
    """Read the file once, check it and, when it has no error, apply it at once: the command's path.

    What the web takes in two steps (check, then apply once confirmed), the command
    does in one, reading the file once: the registry is loaded with locks, the plan
    made and written in one transaction, all or nothing. `progress(stage, done, total)`
    is told how far it has come: "read" (rows of the sheet), "checked", "applied" (people).
    """
    batch.confirmed_by, batch.confirmed_at, batch.failure = user, timezone.now(), ""
    batch.save(update_fields=["confirmed_by", "confirmed_at", "failure"])
    _set(batch, status=Status.VALIDATING, rows_done=0)
    try:
        reading = _read_batch(batch, progress=progress)
        with transaction.atomic():
            plan = check(reading, town=town_of(user), lock=True)
            if progress is not None:
                progress("checked", plan.rows, plan.rows)
            if plan.ok and plan.changes_anything:
                _set(batch, status=Status.APPLYING)
                on_progress = None if progress is None else (lambda done, total: progress("applied", done, total))
                apply_plan(plan, batch=batch, user=user, on_progress=on_progress)
            _store_result(batch, plan, sheet=reading.sheet, applied=plan.ok)
    except Exception:
        logger.exception("roster batch %s could not be imported", batch.pk)
        return _fail(batch, APPLY_FAILED)
    return batch


def apply_progress(batch: ImportBatch) -> dict | None:
    """How far the writing of a batch being applied has come ({"done", "total"} people), if it has begun.

    The writes happen in one transaction, which no other connection sees until it
    ends; the job tells its progress through the cache instead (shared when
    CACHE_URL names one, as in production).
    """
    return cache.get(_progress_key(batch.pk))


def _progress_key(pk: int) -> str:
    return f"roster-apply-progress:{pk}"


def batch_enqueue_failed(batch: ImportBatch, error: Exception) -> None:
    """The job could not be queued (the broker is down): say so on the batch, and let it be tried again."""
    logger.warning("roster batch %s could not be queued: %s: %s", batch.pk, type(error).__name__, error)
    status = Status.READY if batch.status == Status.APPLY_QUEUED else Status.FAILED
    _set(batch, status=status, failure=WORKER_UNREACHABLE)


def _read_batch(batch: ImportBatch, *, progress=None) -> Reading:
    def on_row(position):
        if position % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_done=position)
            if progress is not None:
                progress("read", position, batch.rows_total)

    with batch.file.open("rb") as file:
        reading = read(file, sheet_name=batch.sheet_name, on_row=on_row)
    total = reading.rows_in_file or 0
    _set(batch, rows_done=total, rows_total=total)  # read to the end: the bar is full
    return reading


def _told(batch: ImportBatch):
    def on_progress(done: int, total: int) -> None:
        cache.set(_progress_key(batch.pk), {"done": done, "total": total}, timeout=PROGRESS_SECONDS)

    return on_progress


def _store_result(batch: ImportBatch, plan: Plan, *, sheet: str = "", applied: bool = False) -> None:
    counts = plan.counts()
    if not plan.ok:
        status = Status.INVALID
    elif not plan.changes_anything:
        status = Status.UNCHANGED
    elif applied:
        status = Status.APPLIED
    else:
        status = Status.READY
    now = timezone.now()
    with transaction.atomic():
        ImportIssue.objects.filter(batch=batch).delete()
        ImportIssue.objects.bulk_create(
            [
                ImportIssue(
                    batch=batch,
                    severity=issue.severity,
                    row=issue.row,
                    column=issue.column,
                    header=issue.header[:100],
                    code=issue.code,
                    params=issue.params,
                )
                for issue in plan.issues
            ],
            batch_size=1000,
        )
        _set(
            batch,
            status=status,
            counts=counts,
            error_count=counts["errors"],
            warning_count=counts["warnings"],
            validated_at=now,
            applied_at=now if status == Status.APPLIED else None,
            failure="",
            **({"sheet_name": sheet} if sheet and not batch.sheet_name else {}),
        )


def _fail(batch: ImportBatch, failure: str) -> ImportBatch:
    """The batch failed (the exception has been logged): the page says so in the user's language."""
    _set(batch, status=Status.FAILED, failure=failure)
    return batch


def failure_message(batch: ImportBatch) -> str:
    """What the page and the command say about a failed batch: never the exception, which is in the log."""
    if not batch.failure:
        return ""
    if batch.failure == WORKER_UNREACHABLE:
        return _("Import %(number)s: the background worker did not answer.") % {"number": batch.pk}
    return _(
        "Import %(number)s failed because of a fault in the application, not in the file; nothing was changed. "
        "The details have been logged for the people who run the server: give them the import number."
    ) % {"number": batch.pk}


def _set(batch: ImportBatch, **values) -> None:
    for key, value in values.items():
        setattr(batch, key, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**values)
