"""Writes to the monitoring register: every step of a case, each checked, dated and audited."""

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail as audit
from audit.models import AuditEvent
from households.choices import HouseholdStatus, MonitoringRisk, MonitorKind
from households.models import Household
from monitoring import warnings as warning_lists
from monitoring.models import Department, DepartmentWarning, MonitoringCase, Origin, WarningUpload


def identification_deadline(reported_on: dt.date) -> dt.date:
    """The day the county's confirmation is due: MONITORING_IDENTIFY_DAYS after the first report."""
    return reported_on + dt.timedelta(days=settings.MONITORING_IDENTIFY_DAYS)


def default_kind(household: Household) -> str:
    """The monitoring type a household's history suggests: exited households are unstable, others marginal."""
    if household.exit_year is not None or household.status in (HouseholdStatus.EXITED, HouseholdStatus.MONITORED):
        return household.monitor_kind or MonitorKind.UNSTABLE
    return MonitorKind.MARGINAL


@transaction.atomic
def case_report(
    *,
    household: Household,
    origin: str,
    risks: list[str],
    description: str,
    reported_on: dt.date,
    user,
    kind: str = "",
    via: str = AuditEvent.Via.WEB,
) -> MonitoringCase:
    """Report a household as a candidate for monitoring: the first step, which starts the deadline.

    A household has at most one open case: reporting one that has an open case is refused with its state.
    """
    household = Household.objects.select_for_update(of=("self",)).get(pk=household.pk)
    errors = {}
    if household.status == HouseholdStatus.CLOSED:
        errors["household"] = _("The household's file is closed.")
    if reported_on > timezone.localdate():
        errors["reported_on"] = _("The date cannot be in the future.")
    if reported_on < household.registered_on:
        errors["reported_on"] = _("The date cannot be before the household was registered.")
    unknown = sorted(set(risks) - set(MonitoringRisk.values))
    if not risks:
        errors["risks"] = _("Name at least one risk.")
    elif unknown:
        errors["risks"] = _("Unknown risks: %(risks)s.") % {"risks": ", ".join(unknown)}
    if origin not in Origin.values:
        errors["origin"] = _("Choose how the household was found.")
    open_case = MonitoringCase.objects.open().filter(household=household).first()
    if open_case is not None:
        errors["household"] = _("The household already has an open monitoring case (%(state)s).") % {
            "state": open_case.get_state_display()
        }
    if errors:
        raise ValidationError(errors)
    case = MonitoringCase(
        household=household,
        kind=kind or default_kind(household),
        origin=origin,
        risks=[risk for risk in MonitoringRisk.values if risk in risks],
        description=description.strip(),
        reported_on=reported_on,
        reported_by=user,
        deadline_on=identification_deadline(reported_on),
    )
    case.full_clean()
    case.save()
    audit.record(actor=user, via=via, instance=case, household=household, effective_on=reported_on)
    return case


# ---------------------------------------------------------------- department warning lists

# The risk a department's warning points to, for the candidate it makes.
DEPARTMENT_RISKS = {
    Department.HEALTH_INSURANCE: MonitoringRisk.ILLNESS,
    Department.DISABILITY: MonitoringRisk.DISABILITY,
    Department.EMERGENCY: MonitoringRisk.DISASTER,
    Department.EDUCATION: MonitoringRisk.SCHOOLING,
    Department.HOUSING: MonitoringRisk.HOUSING,
    Department.HUMAN_RESOURCES: MonitoringRisk.LOST_WORK,
    Department.CIVIL_AFFAIRS: MonitoringRisk.OTHER,
    Department.OTHER: MonitoringRisk.OTHER,
}
MAX_LISTED_ERRORS = 1000  # a list wrong on every row would otherwise store (and show) tens of thousands


@transaction.atomic
def warning_upload_receive(*, file: File, original_name: str, department: str, user) -> WarningUpload:
    """Keep a department's warning list, checked whole and matched: READY to apply, or INVALID with its errors.

    Raises ListFileError, storing nothing, when the file cannot be read as a list at all (too large, not a
    workbook, a zip bomb, too many rows). Matching is done again when the list is shown and when it is applied,
    since the registry may change in between; the counts kept here are those of the upload.
    """
    checked = warning_lists.check_list(file)
    size = file.seek(0, 2)
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    upload = WarningUpload(
        department=department, original_name=original_name[:255], size=size, sha256=digest.hexdigest(), uploaded_by=user
    )
    if checked.errors:
        upload.status = WarningUpload.Status.INVALID
        upload.errors = [error.as_json() for error in checked.errors[:MAX_LISTED_ERRORS]]
        upload.counts = {"errors": len(checked.errors)}
    else:
        upload.status = WarningUpload.Status.READY
        upload.counts = warning_lists.match_rows(checked.rows, department=department, user=user).counts
    upload.file.save("warnings.xlsx", file, save=False)
    upload.full_clean()
    upload.save()
    audit.record(actor=user, via=AuditEvent.Via.WEB, instance=upload)
    return upload


@transaction.atomic
def warning_upload_apply(*, upload: WarningUpload, user) -> WarningUpload:
    """Apply a checked list whole or not at all: its new warnings stored, its households made candidates.

    The stored file is read and checked again and matched against the registry as it is now. Each matched
    row not already received (same department, ID number, kind and date) becomes a DepartmentWarning; a
    household with an open case has its warnings attached to it, any other gets ONE candidate case (through
    case_report) for all its warnings of the list. Applying a list again, or another upload of the same list,
    creates nothing. Any failure leaves nothing: the warnings, the cases and the upload's status go together.
    """
    upload = WarningUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != WarningUpload.Status.READY:
        raise ValidationError(
            _("This list cannot be applied: it is %(status)s.") % {"status": upload.get_status_display()}
        )
    try:
        with upload.file.open("rb") as file:
            checked = warning_lists.check_list(file)
    except warning_lists.ListFileError as failure:
        raise ValidationError(failure.error.message) from None
    if checked.errors:
        raise ValidationError(
            _("The list no longer checks clean (%(count)s errors); upload it again.") % {"count": len(checked.errors)}
        )
    preview = warning_lists.match_rows(checked.rows, department=upload.department, user=user)
    reported_on = timezone.localdate(upload.uploaded_at)
    department = upload.get_department_display()
    by_household: dict[int, list] = {}
    for match in preview.to_apply():
        by_household.setdefault(match.household.pk, []).append(match)
    made, cases = [], 0
    for matches in by_household.values():
        household = matches[0].household
        case = matches[0].open_case
        if case is None:
            description = "\n".join(
                [
                    _("Department warning list “%(name)s” (%(department)s), uploaded on %(date)s:")
                    % {"name": upload.original_name, "department": department, "date": reported_on.isoformat()},
                    warning_lists.describe_rows(matches, department),
                ]
            )
            try:
                case = case_report(
                    household=household,
                    origin=Origin.DEPARTMENT,
                    risks=[DEPARTMENT_RISKS.get(upload.department, MonitoringRisk.OTHER)],
                    description=description,
                    reported_on=reported_on,
                    user=user,
                    via=AuditEvent.Via.IMPORT,
                )
            except ValidationError as error:
                raise ValidationError(
                    _("Household %(number)s: %(reason)s")
                    % {"number": household.number, "reason": " ".join(error.messages)}
                ) from None
            cases += 1
        for match in matches:
            warning = DepartmentWarning(
                department=upload.department,
                id_number=match.row.id_number,
                name=match.row.name,
                kind=match.row.kind,
                amount=match.row.amount,
                warned_on=match.row.warned_on,
                member=match.member,
                household=household,
                case=case,
                upload=upload,
            )
            # The unique constraint is left to the database: one query per row would be 20,000 for a long list.
            warning.full_clean(validate_unique=False, validate_constraints=False)
            made.append(warning)
    try:
        with transaction.atomic():
            DepartmentWarning.objects.bulk_create(made, batch_size=500)
    except IntegrityError:
        raise ValidationError(
            _(
                "Some of these warnings were received meanwhile (another upload of the list was applied); "
                "nothing was applied. Open the list again."
            )
        ) from None
    trail = audit.AuditTrail(actor=user, via=AuditEvent.Via.IMPORT, reason=upload.original_name)
    for warning in made:
        trail.created(warning, household=warning.household, effective_on=warning.warned_on)
    trail.record()
    before = audit.snapshot(upload)
    upload.status = WarningUpload.Status.APPLIED
    upload.applied_at = timezone.now()
    upload.counts = {**preview.counts, "created": len(made), "cases": cases}
    upload.save(update_fields=["status", "applied_at", "counts"])
    audit.record(
        actor=user,
        via=AuditEvent.Via.IMPORT,
        instance=upload,
        before=before,
        fields=["status", "applied_at", "counts"],
        effective_on=reported_on,
    )
    return upload
