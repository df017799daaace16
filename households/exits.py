"""The exit procedure (贫困户退出程序): its writes, and the reads of the household page and the exit register.

A household waits on one step at a time, in the order of the active steps (reference data, ExitStep). Only
the step it waits on may be recorded; who may record it follows the step's level (village steps: whoever
may edit the household; town and county steps: whoever may change its status). A publicity step takes
objections, which send the household back a step, and cannot be finished before its days have passed; a
step that checks the exit standard cannot be finished while exit_blockers names anything. The last active
step completes the procedure and sets the household exited through household_set_status: no other page
makes a household exited.
"""

import copy
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, DateField, IntegerField, Max, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import scope_of
from audit import trail as audit
from audit.models import AuditEvent
from common.documents import CheckedDocument
from households.choices import HouseholdStatus
from households.models import ExitProcedure, ExitStep, ExitStepRecord, Household, Member, StepLevel, Village
from households.selectors import head_name, may_act
from households.services import exit_blockers, household_set_status

Outcome = ExitStepRecord.Outcome


# ---------------------------------------------------------------- who may do what


def may_record(user, household: Household, step: ExitStep | None) -> bool:
    """Whether `user` may record `step` (or an objection or a withdrawal while it is waited on) for the household.

    The household must be one the user may see (the caller got it through visible_to): within it, a cadre
    reaches their villages, an official their town. No query.
    """
    if step is None:
        return False
    scope = scope_of(user)
    return scope.can_edit if step.level == StepLevel.VILLAGE else scope.can_change_status


def _check_may_record(user, household: Household, step: ExitStep) -> None:
    if not may_act(user, household, town=step.level != StepLevel.VILLAGE):
        if step.level == StepLevel.VILLAGE:
            raise PermissionDenied(
                _("Only the village's cadres or the town may record the step “%(step)s”.") % {"step": step.label}
            )
        raise PermissionDenied(_("Only the town or the county may record the step “%(step)s”.") % {"step": step.label})


# ---------------------------------------------------------------- writes


def _active_steps() -> list[ExitStep]:
    return list(ExitStep.objects.active().order_by("position"))


def _locked(procedure: ExitProcedure) -> tuple[ExitProcedure, Household]:
    """The household locked (as household_set_status locks it), then its procedure; refused unless open."""
    household = (
        Household.objects.select_for_update(of=("self",)).select_related("village").get(pk=procedure.household_id)
    )
    procedure = ExitProcedure.objects.select_for_update(of=("self",)).select_related("waiting_on").get(pk=procedure.pk)
    if procedure.state != ExitProcedure.State.OPEN:
        raise ValidationError(_("This exit procedure is no longer in progress."))
    return procedure, household


def _last_record(procedure: ExitProcedure) -> ExitStepRecord | None:
    return procedure.records.order_by("-done_on", "-pk").first()


def _date_errors(procedure: ExitProcedure, last: ExitStepRecord | None, on: dt.date) -> list[str]:
    if on > timezone.localdate():
        return [_("The date cannot be in the future.")]
    if on < procedure.started_on:
        return [_("The date cannot be before the procedure started, on %(date)s.") % {"date": procedure.started_on}]
    if last is not None and on < last.done_on:
        return [_("The date cannot be before the previous record, on %(date)s.") % {"date": last.done_on}]
    return []


def publicity_ends(procedure: ExitProcedure, last: ExitStepRecord | None) -> dt.date | None:
    """The first day the publicity step waited on may be finished: its start plus its days; None if not one.

    The publicity starts the day the previous step was done (the latest record), or the day the
    procedure started when it is the first step.
    """
    step = procedure.waiting_on
    if step is None or not step.is_publicity:
        return None
    start = last.done_on if last is not None else procedure.started_on
    return start + dt.timedelta(days=step.publicity_days)


def _audit(*, user, via, instance, household, before=None, on=None, reason=""):
    audit.record(
        actor=user, via=via, instance=instance, before=before, household=household, effective_on=on, reason=reason
    )


@transaction.atomic
def exit_procedure_start(
    *, household: Household, year: int, started_on: dt.date, user, via: str = AuditEvent.Via.WEB
) -> ExitProcedure:
    """Propose a poor household for exit: it then waits on the first active step."""
    household = Household.objects.select_for_update(of=("self",)).get(pk=household.pk)
    if not Household.objects.editable_by(user).filter(pk=household.pk).exists():
        raise PermissionDenied(_("Only the village's cadres or the town may start an exit procedure."))
    errors = []
    if household.status != HouseholdStatus.UNEXITED:
        errors.append(_("Only a household that has not left poverty can go through the exit procedure."))
    if ExitProcedure.objects.filter(household=household, state=ExitProcedure.State.OPEN).exists():
        errors.append(_("This household already has an exit procedure in progress."))
    if started_on > timezone.localdate():
        errors.append(_("The date cannot be in the future."))
    steps = _active_steps()
    if not steps:
        errors.append(_("No exit step is active: an administrator must set the steps first."))
    if errors:
        raise ValidationError(errors)
    procedure = ExitProcedure(
        household=household, year=year, started_on=started_on, started_by=user, waiting_on=steps[0]
    )
    procedure.full_clean()
    procedure.save()
    _audit(user=user, via=via, instance=procedure, household=household, on=started_on)
    return procedure


@transaction.atomic
def exit_step_complete(
    *,
    procedure: ExitProcedure,
    done_on: dt.date,
    note: str = "",
    document: CheckedDocument | None = None,
    user,
    via: str = AuditEvent.Via.WEB,
) -> ExitStepRecord:
    """Record the step the household waits on as done; the last active step makes the household exited."""
    procedure, household = _locked(procedure)
    step = procedure.waiting_on
    _check_may_record(user, household, step)
    last = _last_record(procedure)
    errors = {}
    if date_errors := _date_errors(procedure, last, done_on):
        errors["done_on"] = date_errors
    elif (ends := publicity_ends(procedure, last)) and done_on < ends:
        errors["done_on"] = _(
            "The publicity lasts %(days)d days: the step “%(step)s” may be finished on %(date)s at the earliest."
        ) % {"days": step.publicity_days, "step": step.label, "date": ends}
    if household.status != HouseholdStatus.UNEXITED:
        errors.setdefault(NON_FIELD, []).append(
            _("The household is no longer poor (%(status)s): withdraw the procedure.")
            % {"status": household.get_status_display()}
        )
    if step.checks_exit_standard and (blockers := exit_blockers(household)):
        errors.setdefault(NON_FIELD, []).extend(
            [_("The step “%(step)s” needs the exit standard to be met:") % {"step": step.label}, *blockers]
        )
    if step.needs_document and document is None:
        errors["document"] = _("The step “%(step)s” needs a document.") % {"step": step.label}
    if errors:
        raise ValidationError(errors)

    record = ExitStepRecord(procedure=procedure, step=step, done_on=done_on, actor=user, note=note.strip())
    if document is not None:
        record.document = document.content
        record.document_name, record.document_type = document.name, document.content_type
    record.full_clean()
    record.save()
    _audit(user=user, via=via, instance=record, household=household, on=done_on, reason=record.note)

    before = copy.copy(procedure)
    following = [s for s in _active_steps() if s.position > step.position]
    if following:
        procedure.waiting_on = following[0]
    else:
        procedure.state, procedure.ended_on, procedure.waiting_on = ExitProcedure.State.COMPLETED, done_on, None
    procedure.full_clean()
    procedure.save()
    _audit(user=user, via=via, instance=procedure, before=before, household=household, on=done_on)
    if not following:
        household_set_status(
            household=household,
            to_status=HouseholdStatus.EXITED,
            changed_on=done_on,
            reason=_("Exit procedure completed: %(step)s") % {"step": step.label},
            user=user,
            via=via,
        )
    return record


NON_FIELD = "__all__"


@transaction.atomic
def exit_objection_record(
    *, procedure: ExitProcedure, done_on: dt.date, reason: str, user, via: str = AuditEvent.Via.WEB
) -> ExitStepRecord:
    """An objection upheld during publicity: kept with its reason, and the household sent back a step.

    The household waits again on the previous active step (it must be verified or acknowledged again), and
    the publicity starts afresh once that step is done again.
    """
    procedure, household = _locked(procedure)
    step = procedure.waiting_on
    if not step.is_publicity:
        raise ValidationError(_("Objections are recorded only while the household's exit is publicised."))
    _check_may_record(user, household, step)
    errors = {}
    if date_errors := _date_errors(procedure, _last_record(procedure), done_on):
        errors["done_on"] = date_errors
    if not reason.strip():
        errors["reason"] = _("Give the objection and why it was upheld.")
    if errors:
        raise ValidationError(errors)
    record = ExitStepRecord(
        procedure=procedure, step=step, outcome=Outcome.OBJECTION, done_on=done_on, actor=user, note=reason.strip()
    )
    record.full_clean()
    record.save()
    _audit(user=user, via=via, instance=record, household=household, on=done_on, reason=record.note)
    before = copy.copy(procedure)
    earlier = [s for s in _active_steps() if s.position < step.position]
    if earlier:
        procedure.waiting_on = earlier[-1]
        procedure.full_clean()
        procedure.save()
        _audit(
            user=user, via=via, instance=procedure, before=before, household=household, on=done_on, reason=record.note
        )
    return record


@transaction.atomic
def exit_procedure_withdraw(
    *, procedure: ExitProcedure, on: dt.date, reason: str, user, via: str = AuditEvent.Via.WEB
) -> ExitProcedure:
    """Take a household out of the exit procedure (it stays poor), with the reason."""
    procedure, household = _locked(procedure)
    _check_may_record(user, household, procedure.waiting_on)
    errors = {}
    if date_errors := _date_errors(procedure, _last_record(procedure), on):
        errors["on"] = date_errors
    if not reason.strip():
        errors["reason"] = _("Give the reason for the withdrawal.")
    if errors:
        raise ValidationError(errors)
    before = copy.copy(procedure)
    procedure.state, procedure.ended_on, procedure.waiting_on = ExitProcedure.State.WITHDRAWN, on, None
    procedure.withdrawal_reason = reason.strip()
    procedure.full_clean()
    procedure.save()
    _audit(user=user, via=via, instance=procedure, before=before, household=household, on=on, reason=reason.strip())
    return procedure


# ---------------------------------------------------------------- reads


@dataclass
class ExitPanel:
    """The household page's exit section: where the procedure stands, what blocks it, what the user may do."""

    procedure: ExitProcedure | None
    records: list[ExitStepRecord] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    publicity_ends: dt.date | None = None
    publicity_days_left: int = 0
    document_missing: bool = False
    remaining: list[ExitStep] = field(default_factory=list)
    can_start: bool = False
    can_record: bool = False
    can_object: bool = False
    can_withdraw: bool = False

    @property
    def is_open(self) -> bool:
        return self.procedure is not None and self.procedure.state == ExitProcedure.State.OPEN

    @property
    def waiting_on(self) -> ExitStep | None:
        return self.procedure.waiting_on if self.is_open else None


def exit_panel(household: Household, user, *, lines=None) -> ExitPanel:
    """The exit section of a household page, in three queries: the procedure shown (the open one, else the
    latest) with its step, the household's records with their steps and actors, the active steps.

    The household comes from selectors.household_detail (its income and assessment loaded, `lines` the
    income lines), so the exit blockers cost nothing more.
    """
    open_first = Case(
        When(state=ExitProcedure.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    procedure = (
        ExitProcedure.objects.filter(household=household)
        .select_related("waiting_on")
        .order_by(open_first, "-started_on", "-pk")
        .first()
    )
    # The household's records of every procedure (a few), so that the page costs the same with or without one.
    records = list(
        ExitStepRecord.objects.filter(procedure__household=household)
        .select_related("step", "actor")
        .order_by("done_on", "pk")
    )
    steps = _active_steps()
    scope = scope_of(user)
    panel = ExitPanel(procedure=procedure)
    if procedure is None or not panel.is_open:
        panel.can_start = scope.can_edit and household.status == HouseholdStatus.UNEXITED
    if procedure is None:
        return panel
    panel.records = [record for record in records if record.procedure_id == procedure.pk]
    step = panel.waiting_on
    if step is None:
        return panel
    last = max(panel.records, key=lambda r: (r.done_on, r.pk), default=None)
    if step.checks_exit_standard:
        panel.blockers = exit_blockers(household, lines=lines)
    panel.publicity_ends = publicity_ends(procedure, last)
    if panel.publicity_ends:
        panel.publicity_days_left = max(0, (panel.publicity_ends - timezone.localdate()).days)
    panel.document_missing = step.needs_document
    panel.remaining = [s for s in steps if s.position > step.position]
    allowed = may_record(user, household, step)
    panel.can_record = panel.can_withdraw = allowed
    panel.can_object = allowed and step.is_publicity
    return panel


def exit_register(*, user, village=None, step=None, year=None):
    """The open exit procedures in the user's scope, as the register lists them (one query, with their joins).

    Each carries `head_name` and `since` (the date of its latest record, or its start), from which the end
    of a publicity is read (ExitRow).
    """
    latest = (
        ExitStepRecord.objects.filter(procedure=OuterRef("pk"))
        .order_by()
        .values("procedure")
        .annotate(last=Max("done_on"))
        .values("last")
    )
    procedures = (
        ExitProcedure.objects.visible_to(user)
        .filter(state=ExitProcedure.State.OPEN)
        .select_related("household__village", "household__group", "waiting_on")
        .annotate(
            head_name=head_name("household"),
            since=Coalesce(Subquery(latest, output_field=DateField()), "started_on"),
        )
        .order_by("household__village__code", "household__number", "pk")
    )
    if village is not None:
        procedures = procedures.filter(household__village=village)
    if step is not None:
        procedures = procedures.filter(waiting_on=step)
    if year:
        procedures = procedures.filter(year=year)
    return procedures


@dataclass(frozen=True)
class RegisterRow:
    """A procedure of the register, with the end of its publicity when it waits on one."""

    procedure: ExitProcedure

    @property
    def publicity_ends(self) -> dt.date | None:
        step = self.procedure.waiting_on
        if step is None or not step.is_publicity:
            return None
        return self.procedure.since + dt.timedelta(days=step.publicity_days)


def _in_publicity():
    return ExitProcedure.objects.filter(state=ExitProcedure.State.OPEN, waiting_on__publicity_days__gt=0)


def villages_in_publicity(*, user) -> list[Village]:
    """The villages in the user's scope where some household's exit is publicised now (one query)."""
    publicised = _in_publicity().visible_to(user).values("household__village_id")
    return list(Village.objects.visible_to(user).filter(pk__in=publicised).order_by("code"))


def publicity_list(*, user, village: Village) -> list[ExitProcedure]:
    """The households of a village whose exit is publicised now, for the notice (one query).

    Each procedure carries `head_name`, `size` (members now) and `since` (the start of its publicity).
    """
    members = Member.objects.filter(household=OuterRef("household")).order_by().values("household")
    return list(
        exit_register(user=user, village=village)
        .filter(waiting_on__publicity_days__gt=0)
        .annotate(size=Subquery(members.annotate(n=Count("pk")).values("n"), output_field=IntegerField()))
        .order_by("household__group__name", "household__number", "pk")
    )
