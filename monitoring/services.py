"""Writes to the monitoring register: every step of a case, each checked, dated and audited."""

import copy
import datetime as dt
import hashlib
import itertools
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail as audit
from audit.models import AuditEvent
from households.choices import HouseholdStatus, MonitoringRisk, MonitorKind
from households.classification import drop_percent, fell_sharply, per_capita, yuan
from households.models import Household, IncomeLine, IncomeRecord
from households.selectors import may_act
from households.services import assessment_blockers, household_set_status
from monitoring import warnings as warning_lists
from monitoring.models import (
    HELPED_STATES,
    IDENTIFYING_STATES,
    OPEN_STATES,
    CaseState,
    Department,
    DepartmentWarning,
    FollowUp,
    MonitoringCase,
    MonitoringLine,
    Origin,
    WarningUpload,
)

# Who took a step is a user, or nobody for a job (the income ledger): the fields are null=True without
# blank=True, so full_clean leaves them out rather than refuse a job's case.
ACTOR_FIELDS = ["reported_by", "verified_by", "reviewed_by", "confirmed_by", "removed_by"]


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
    case.full_clean(exclude=ACTOR_FIELDS)
    case.save()
    audit.record(actor=user, via=via, instance=case, household=household, effective_on=reported_on)
    return case


# ---------------------------------------------------------------- who may take a step


def may_act_for_village(user, household: Household) -> bool:
    """The village's steps (verify, dismiss, appraise and publicise a removal): whoever may edit the household."""
    return may_act(user, household, town=False)


def may_act_for_town(user, household: Household) -> bool:
    """The town's and the county's steps: officials of its town and administrators."""
    return may_act(user, household, town=True)


def _locked(case: MonitoringCase) -> MonitoringCase:
    return MonitoringCase.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)


def _check_step(
    case: MonitoringCase, *, on: dt.date, after: dt.date | None, states, allowed: bool, field: str = "on"
) -> dict:
    """The errors common to every step: who, from which state, and when."""
    if not allowed:
        raise PermissionDenied
    errors = {}
    if case.state not in states:
        errors["__all__"] = _("This step cannot be taken now: the case is %(state)s.") % {
            "state": case.get_state_display()
        }
    if on > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    elif after is not None and on < after:
        errors[field] = _("The date cannot be before the previous step (%(date)s).") % {"date": f"{after:%Y-%m-%d}"}
    return errors


def _take_step(
    case: MonitoringCase,
    *,
    on: dt.date,
    after: dt.date | None,
    states,
    allowed: bool,
    user,
    via: str,
    changes: dict,
    errors: dict | None = None,
    conditions=None,
    reason: str = "",
) -> MonitoringCase:
    """Take one step of a locked case: check who, from which state and when (and `conditions`, a function of
    the case giving more errors, once those hold), then write `changes` and audit them; nothing on a refusal."""
    errors = {**_check_step(case, on=on, after=after, states=states, allowed=allowed), **(errors or {})}
    if not errors and conditions is not None:
        errors = conditions(case)
    if errors:
        raise ValidationError(errors)
    before = copy.copy(case)
    for name, value in changes.items():
        setattr(case, name, value)
    return _save_step(case, before, user=user, via=via, on=on, reason=reason)


def _removable(on: dt.date):
    """The removal conditions as a step's errors: none when the risk may be removed on `on`."""

    def conditions(case: MonitoringCase) -> dict:
        blockers = removal_blockers(case, on)
        return {"__all__": [_("The risk cannot be removed yet."), *blockers]} if blockers else {}

    return conditions


def _save_step(case: MonitoringCase, before: MonitoringCase, *, user, via: str, on: dt.date, reason: str = ""):
    case.full_clean(exclude=ACTOR_FIELDS)
    case.save()
    audit.record(
        actor=user, via=via, instance=case, before=before, household=case.household, effective_on=on, reason=reason
    )
    return case


# ---------------------------------------------------------------- identification


@transaction.atomic
def case_verify(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The village has verified the household's situation (村级核实): the town reviews it next."""
    case = _locked(case)
    return _take_step(
        case,
        on=on,
        after=case.reported_on,
        states=[CaseState.CANDIDATE],
        allowed=may_act_for_village(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.VERIFIED, "verified_on": on, "verified_by": user},
    )


@transaction.atomic
def case_review(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The town has reviewed the village's verification (乡镇审核): the county confirms it next."""
    case = _locked(case)
    return _take_step(
        case,
        on=on,
        after=case.verified_on,
        states=[CaseState.VERIFIED],
        allowed=may_act_for_town(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.REVIEWED, "reviewed_on": on, "reviewed_by": user},
    )


@transaction.atomic
def case_confirm(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The county has confirmed the case (县级确认), recorded by the town with the county's date.

    The household becomes monitored, with the case's kind, through household_set_status (its history kept).
    """
    case = _locked(case)
    case = _take_step(
        case,
        on=on,
        after=case.reviewed_on,
        states=[CaseState.REVIEWED],
        allowed=may_act_for_town(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.IDENTIFIED, "confirmed_on": on, "confirmed_by": user},
    )
    household = case.household
    # Already monitored (an earlier kind kept): household_set_status refuses a status a household already has.
    if household.status != HouseholdStatus.MONITORED:
        household_set_status(
            household=household,
            to_status=HouseholdStatus.MONITORED,
            monitor_kind=case.kind,
            changed_on=on,
            reason=_("Identified for monitoring (%(kind)s), confirmed by the county.")
            % {"kind": case.get_kind_display()},
            user=user,
            via=via,
        )
    return case


@transaction.atomic
def case_dismiss(
    *, case: MonitoringCase, on: dt.date, reason: str, user, via: str = AuditEvent.Via.WEB
) -> MonitoringCase:
    """The village or the town found the household not at risk: the case closes without identification."""
    case = _locked(case)
    return _take_step(
        case,
        on=on,
        after=case.reviewed_on or case.verified_on or case.reported_on,
        states=IDENTIFYING_STATES,
        allowed=may_act_for_village(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.DISMISSED, "dismissed_on": on, "dismissal_reason": reason.strip()},
        errors={} if reason.strip() else {"reason": _("Say why the household is not at risk.")},
        reason=reason.strip(),
    )


# ---------------------------------------------------------------- help and follow-up


@transaction.atomic
def follow_up_record(
    *,
    case: MonitoringCase,
    month: dt.date,
    per_capita_income: int,
    note: str = "",
    user,
    via: str = AuditEvent.Via.WEB,
) -> FollowUp:
    """A month's follow-up of an identified case; recording a month again corrects it (audited as a change)."""
    case = _locked(case)
    if not may_act_for_village(user, case.household):
        raise PermissionDenied
    errors = {}
    if case.state not in HELPED_STATES:
        errors["__all__"] = _("Only an identified case is followed up: the case is %(state)s.") % {
            "state": case.get_state_display()
        }
    today = timezone.localdate()
    if month.day != 1:
        errors["month"] = _("Give the first day of the month.")
    elif month > today:
        errors["month"] = _("The month cannot be in the future.")
    elif month < case.reported_on.replace(day=1):
        errors["month"] = _("The month cannot be before the case was reported.")
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.select_for_update().filter(case=case, month=month).first()
    before = copy.copy(follow_up) if follow_up is not None else None
    if follow_up is None:
        follow_up = FollowUp(case=case, month=month)
    follow_up.per_capita_income = per_capita_income
    follow_up.note = note.strip()
    follow_up.recorded_by = user
    follow_up.full_clean(exclude=["recorded_by"])
    follow_up.save()
    audit.record(actor=user, via=via, instance=follow_up, before=before, household=case.household, effective_on=month)
    return follow_up


# ---------------------------------------------------------------- risk removal


def _months_back(latest: dt.date, count: int) -> list[dt.date]:
    """`count` first-of-month dates ending at `latest`, newest first."""
    months, month = [], latest
    for _i in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def removal_blockers(case: MonitoringCase, on: dt.date | None = None) -> list[str]:
    """Why the case's risk may not be removed yet, one sentence each; empty when it may.

    The last MONITORING_STABLE_MONTHS calendar months, up to the latest month followed up, must each
    have a follow-up at or above that year's monitoring line; and every item of the household's latest
    2W3G assessment must pass. Three queries: follow-ups, lines, the assessment (unless loaded).
    """
    on = on or timezone.localdate()
    needed = settings.MONITORING_STABLE_MONTHS
    follow_ups = {f.month: f for f in FollowUp.objects.filter(case=case, month__lte=on).order_by("-month")[:240]}
    blockers = []
    if not follow_ups:
        blockers.append(_("No monthly follow-up has been recorded."))
    else:
        months = _months_back(max(follow_ups), needed)
        lines = {line.year: line for line in MonitoringLine.objects.filter(year__in={m.year for m in months})}
        run, problems = 0, []
        for month in months:
            follow_up, line = follow_ups.get(month), lines.get(month.year)
            if follow_up is None:
                problems.append(_("No follow-up was recorded for %(month)s.") % {"month": f"{month:%Y-%m}"})
            elif line is None:
                problems.append(_("No monitoring line is configured for %(year)s.") % {"year": month.year})
            elif follow_up.per_capita_income < line.income_line:
                problems.append(
                    _("In %(month)s per-capita income of %(income)s yuan was below the line of %(line)s yuan.")
                    % {"month": f"{month:%Y-%m}", "income": follow_up.per_capita_income, "line": line.income_line}
                )
            if problems:
                break
            run += 1
        if run < needed:
            blockers.append(
                _("Income has been at or above the monitoring line for %(run)s months in a row; %(needed)s are needed.")
                % {"run": run, "needed": needed}
            )
            blockers.extend(problems)
    return [*blockers, *assessment_blockers(case.household)]


@transaction.atomic
def removal_appraise(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The village has appraised the household as stable (村级评议): refused while a condition fails."""
    case = _locked(case)
    return _take_step(
        case,
        on=on,
        after=case.confirmed_on,
        states=[CaseState.IDENTIFIED],
        allowed=may_act_for_village(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.REMOVAL_APPRAISED, "removal_appraised_on": on},
        conditions=_removable(on),
    )


@transaction.atomic
def removal_publicise(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The village publicises the removal (公示) from `on`; the sign-off waits the publicity days."""
    case = _locked(case)
    return _take_step(
        case,
        on=on,
        after=case.removal_appraised_on,
        states=[CaseState.REMOVAL_APPRAISED],
        allowed=may_act_for_village(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.REMOVAL_PUBLICISED, "removal_publicised_on": on},
    )


def publicity_ends(case: MonitoringCase) -> dt.date | None:
    """The first day the removal may be signed off: publicity start + MONITORING_REMOVAL_PUBLICITY_DAYS."""
    if case.removal_publicised_on is None:
        return None
    return case.removal_publicised_on + dt.timedelta(days=settings.MONITORING_REMOVAL_PUBLICITY_DAYS)


@transaction.atomic
def removal_sign_off(*, case: MonitoringCase, on: dt.date, user, via: str = AuditEvent.Via.WEB) -> MonitoringCase:
    """The town and county sign the removal off (风险消除): the household leaves monitoring.

    It returns to exited (its exit year kept) if it was ever lifted out of poverty, or to an ordinary
    rural household if it never was poor; it stays in the registry and can be reported again.
    """
    case = _locked(case)

    def publicised_and_removable(case: MonitoringCase) -> dict:
        ends = publicity_ends(case)
        if ends is not None and on < ends:
            return {
                "on": _("The publicity runs until %(date)s: the removal can be signed off from that day.")
                % {"date": f"{ends:%Y-%m-%d}"}
            }
        return _removable(on)(case)

    case = _take_step(
        case,
        on=on,
        after=case.removal_publicised_on,
        states=[CaseState.REMOVAL_PUBLICISED],
        allowed=may_act_for_town(user, case.household),
        user=user,
        via=via,
        changes={"state": CaseState.RISK_REMOVED, "removed_on": on, "removed_by": user},
        conditions=publicised_and_removable,
    )
    household = case.household
    if household.status == HouseholdStatus.MONITORED:
        household_set_status(
            household=household,
            to_status=HouseholdStatus.EXITED if household.exit_year is not None else HouseholdStatus.GENERAL,
            changed_on=on,
            reason=_("Risk removed: the monitoring case is closed."),
            user=user,
            via=via,
        )
    return case


# ---------------------------------------------------------------- candidates from the income ledger

# Households the ledger watches: exited, never poor, or monitored without an open case. Never a closed
# file, nor a household still registered poor (its plan and visits already answer for it).
LEDGER_STATUSES = [HouseholdStatus.EXITED, HouseholdStatus.GENERAL, HouseholdStatus.MONITORED]


BATCH_SIZE = 2000  # income records read, and candidate households loaded, at a time


def candidates_from_income(*, year: int, user=None, via: str = AuditEvent.Via.JOB) -> list[MonitoringCase]:
    """Report as candidates the households whose `year` income is below the monitoring line or fell sharply.

    Below: per-capita net income under that year's MonitoringLine.income_line. Fell: per-capita net income
    down by more than that year's IncomeLine.drop_share against the year before. Households with an open
    case are left alone, and so are those the ledger already reported since the start of `year`: a rerun
    creates nothing new, and a candidate the village dismissed is not raised again from the same figures.
    Four queries to find them, whatever the county's size; then one report each.
    """
    monitoring_line = MonitoringLine.objects.filter(year=year).first()
    income_line = IncomeLine.objects.filter(year=year).first()
    if monitoring_line is None and income_line is None:
        return []
    already = MonitoringCase.objects.filter(
        Q(state__in=OPEN_STATES) | Q(origin=Origin.INCOME, reported_on__gte=dt.date(year, 1, 1))
    ).values("household_id")
    watched = Household.objects.filter(status__in=LEDGER_STATUSES).exclude(pk__in=already)
    records = (
        IncomeRecord.objects.filter(household__in=watched, year__in=[year, year - 1])
        .order_by("household_id", "year")
        .values_list("household_id", "year", "household_size", "net_income")
    )
    # Streamed as plain rows, a household's two years at a time: a county's 200,000 records as model
    # instances in one dict took hundreds of MB; only the reasons of the households found are kept.
    found = {}
    for household_id, rows in itertools.groupby(records.iterator(chunk_size=BATCH_SIZE), key=itemgetter(0)):
        years = {figures.year: figures for figures in (LedgerFigures(*row[1:]) for row in rows)}
        now, before = years.get(year), years.get(year - 1)
        if now is None:
            continue
        reason = _ledger_reason(now, before, monitoring_line, income_line)
        if reason:
            found[household_id] = reason
    today = timezone.localdate()
    cases = []
    candidates = sorted(found)
    for start in range(0, len(candidates), BATCH_SIZE):
        for household in Household.objects.filter(pk__in=candidates[start : start + BATCH_SIZE]).order_by("pk"):
            try:
                cases.append(
                    case_report(
                        household=household,
                        origin=Origin.INCOME,
                        risks=[MonitoringRisk.OTHER],
                        description=found[household.pk],
                        reported_on=today,
                        user=user,
                        via=via,
                    )
                )
            except ValidationError:
                continue  # reported meanwhile, or closed: the next run sees it as it is then
    return cases


class LedgerFigures(NamedTuple):
    """A household's income record for one year, as the ledger job reads it."""

    year: int
    household_size: int
    net_income: int


def _ledger_reason(now, before, monitoring_line, income_line) -> str:
    figures = {"year": now.year, "per_capita": yuan(per_capita(now.net_income, now.household_size))}
    if monitoring_line is not None and now.net_income < monitoring_line.income_line * now.household_size:
        return _(
            "Per-capita net income of %(per_capita)s yuan in %(year)s is below that year's monitoring line of "
            "%(line)s yuan."
        ) % {**figures, "line": monitoring_line.income_line}
    if (
        income_line is not None
        and before is not None
        and fell_sharply(
            net_income=now.net_income,
            size=now.household_size,
            previous_net=before.net_income,
            previous_size=before.household_size,
            drop_share=income_line.drop_share,
        )
    ):
        previous = per_capita(before.net_income, before.household_size)
        return _(
            "Per-capita net income fell from %(previous)s yuan in %(previous_year)s to %(per_capita)s yuan in "
            "%(year)s, a drop of %(percent)s%%."
        ) % {
            **figures,
            "previous": yuan(previous),
            "previous_year": before.year,
            "percent": drop_percent(
                per_capita_now=per_capita(now.net_income, now.household_size), per_capita_before=previous
            ),
        }
    return ""


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
