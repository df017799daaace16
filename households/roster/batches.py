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
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from households.models import ImportBatch, ImportIssue
from households.roster import registry as roster_registry
from households.roster.apply import apply_plan
from households.roster.issues import Issue, megabytes
from households.roster.reader import RosterFileError, open_roster, read_error
from households.roster.validate import ParsedRoster, Plan, parse_roster, plan_roster
from households.roster.values import Context

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
PROGRESS_EVERY = 500  # rows between two progress writes
READ_ERRORS = (zipfile.BadZipFile, zlib.error, ParseError, DefusedXmlException, EOFError, ValueError, KeyError)


# ---------------------------------------------------------------- reading and checking a file


@dataclass
class Reading:
    parsed: ParsedRoster | None
    issues: list[Issue]  # what stopped the reading (the file, the sheet, the header), when parsed is None
    sheet: str = ""
    declared_rows: int | None = None


def read(file, *, sheet_name: str = "", on_row=None) -> Reading:
    """Open a file safely and read every row of its roster sheet; no database."""
    try:
        with open_roster(file, sheet_name=sheet_name) as sheet:
            header = sheet.read_header()
            if header is None:
                return Reading(None, sheet.issues, sheet.title, sheet.declared_rows)
            try:
                parsed = parse_roster(sheet.rows(), header, Context(sheet.epoch), on_row=on_row)
            except READ_ERRORS as error:
                return Reading(None, [read_error(error)], sheet.title, sheet.declared_rows)
            parsed.issues.extend(sheet.issues)
            return Reading(parsed, [], sheet.title, sheet.declared_rows)
    except RosterFileError as error:
        return Reading(None, [error.issue])


def check(reading: Reading, *, town=None, lock: bool = False, today: dt.date | None = None) -> Plan:
    """The plan for a file read: what it would change and every error, against the registry as it is now."""
    if reading.parsed is None:
        return Plan(households=[], issues=list(reading.issues), rows=0)
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
    """Check the file's envelope and size it up; validate it now if it is small. True when a job must finish it."""
    try:
        with batch.file.open("rb") as file, open_roster(file, sheet_name=batch.sheet_name) as sheet:
            declared = sheet.declared_rows
    except RosterFileError as error:
        _store_result(batch, Plan(households=[], issues=[error.issue], rows=0))
        return False
    batch.rows_total = declared
    batch.background = allow_background and (declared is None or declared > settings.ROSTER_BACKGROUND_ROWS)
    if batch.background:
        batch.status = Status.QUEUED
        batch.save(update_fields=["rows_total", "background", "status"])
        return True
    batch.save(update_fields=["rows_total", "background"])
    batch_validate(batch)
    return False


def batch_validate(batch: ImportBatch) -> ImportBatch:
    """Read and check the whole file; keep its issues and counts. The batch ends invalid, ready or unchanged."""
    _set(batch, status=Status.VALIDATING, rows_done=0)
    try:
        reading = _read_batch(batch)
        plan = check(reading, town=town_of(batch.uploaded_by))
    except Exception as error:
        logger.exception("roster batch %s could not be checked", batch.pk)
        return _fail(batch, error)
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
                apply_plan(plan, batch=batch, user=batch.confirmed_by)
            _store_result(batch, plan, sheet=reading.sheet, applied=plan.ok)
    except Exception as error:
        logger.exception("roster batch %s could not be applied", batch.pk)
        return _fail(batch, error)
    return batch


def batch_enqueue_failed(batch: ImportBatch, error: Exception) -> None:
    """The job could not be queued (the broker is down): say so on the batch, and let it be tried again."""
    logger.warning("roster batch %s could not be queued: %s", batch.pk, error)
    if batch.status == Status.APPLY_QUEUED:
        _set(batch, status=Status.READY, failure=str(error) or type(error).__name__)
    else:
        _set(batch, status=Status.FAILED, failure=str(error) or type(error).__name__)


def _read_batch(batch: ImportBatch) -> Reading:
    last = [0]

    def on_row(number):
        last[0] = number
        if number % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_done=number)

    with batch.file.open("rb") as file:
        reading = read(file, sheet_name=batch.sheet_name, on_row=on_row)
    total = batch.rows_total if batch.rows_total and batch.rows_total >= last[0] else last[0]
    _set(batch, rows_done=total, rows_total=total)  # read to the end: the bar is full
    return reading


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


def _fail(batch: ImportBatch, error: Exception) -> ImportBatch:
    _set(batch, status=Status.FAILED, failure=f"{type(error).__name__}: {error}")
    return batch


def _set(batch: ImportBatch, **values) -> None:
    for key, value in values.items():
        setattr(batch, key, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**values)
