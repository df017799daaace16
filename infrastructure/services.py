"""Writes of the infrastructure app: saving a project, moving it along its milestones, its documents, the daily job."""

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import Message, notify_flags_once
from audit import trail
from audit.models import AuditEvent
from common.bulk import insert_new
from infrastructure.deadlines import Deadlines, Light, LightConditions, load_deadlines, milestone_light
from infrastructure.models import (
    MILESTONE_OF_STATUS,
    FlagKind,
    Milestone,
    MilestoneFlag,
    Project,
    ProjectDocument,
    Status,
    next_status,
)

BATCH_SIZE = 1000
FLAG_OF_LIGHT = {Light.LATE: FlagKind.LATE, Light.DUE_SOON: FlagKind.DUE_SOON}


# ---------------------------------------------------------------- projects


@transaction.atomic
def project_save(*, project: Project, beneficiaries, documents=(), user, via: str = AuditEvent.Via.WEB) -> Project:
    """Create or update a project with its beneficiary households and any new documents.

    The beneficiaries must live in the project's village. A new project starts
    planned, and its history (the dated steps of the audit trail) starts with its
    creation, dated today. The beneficiaries are recorded by household number.
    """
    creating = project.pk is None
    before = trail.snapshot(project)
    served_before = [] if creating else sorted(project.beneficiaries.values_list("number", flat=True))
    if creating:
        project.created_by = user
    outside = [h.number for h in beneficiaries if h.village_id != project.village_id]
    if outside:
        raise ValidationError(
            {"beneficiaries": _("Not in this village: %(numbers)s.") % {"numbers": ", ".join(sorted(outside))}}
        )
    project.full_clean()
    project.save()
    project.beneficiaries.set(beneficiaries)
    served = sorted(h.number for h in beneficiaries)
    events = trail.AuditTrail(actor=user, via=via)
    if creating:
        events.created(project, household=None, effective_on=timezone.localdate(), extra={"beneficiaries": served})
    else:
        events.changed(before, project, household=None, extra={"beneficiaries": (served_before, served)})
    events.record()
    for upload in documents:
        document_add(project=project, upload=upload, user=user, via=via)
    return project


@transaction.atomic
def project_advance(
    *, project: Project, to_status: str, on: dt.date, user, reason: str = "", via: str = AuditEvent.Via.WEB
) -> Project:
    """Move a project one step along planned -> declared -> under construction -> completed -> accepted, or cancel it.

    No step may be skipped or taken back; the date may not be in the future nor
    before the milestone reached last; cancelling needs a reason and is refused
    once a project is accepted. Each step is kept in the audit trail (STATUS_CHANGED,
    dated `on`, the day it happened, which may be before the day it is recorded), and
    reaching a milestone clears its flag at once. The project row is locked, so
    two officials recording the same step at once store it once.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    before = copy.copy(locked)
    reason = reason.strip()
    _check_step(locked, to_status, on, reason)
    now = timezone.now()
    if to_status == Status.CANCELLED:
        locked.cancelled_on, locked.cancel_reason = on, reason
        MilestoneFlag.objects.open().filter(project=locked).update(cleared_at=now)
    else:
        milestone = MILESTONE_OF_STATUS[to_status]
        setattr(locked, milestone.date_field, on)
        MilestoneFlag.objects.open().filter(project=locked, milestone=milestone).update(cleared_at=now)
    locked.status = to_status
    locked.full_clean()
    locked.save()
    trail.record(
        actor=user,
        via=via,
        instance=locked,
        before=before,
        action=AuditEvent.Action.STATUS_CHANGED,
        reason=reason,
        effective_on=on,
    )
    return locked


def _check_step(project: Project, to_status: str, on: dt.date, reason: str) -> None:
    if project.is_final:
        raise ValidationError(
            {
                "to_status": _("This project is %(status)s: it takes no further step.")
                % {"status": _label(project.status)}
            }
        )
    if to_status == Status.CANCELLED:
        if not reason:
            raise ValidationError({"reason": _("Say why the project is cancelled.")})
    elif to_status != next_status(project.status):
        raise ValidationError(
            {
                "to_status": _("From %(current)s the next step is %(next)s, not %(wanted)s.")
                % {
                    "current": _label(project.status),
                    "next": _label(next_status(project.status)),
                    "wanted": _label(to_status),
                }
            }
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    last = project.last_dated
    if last is not None and on < last:
        raise ValidationError(
            {"on": _("The date cannot be before the last milestone, reached on %(date)s.") % {"date": last.isoformat()}}
        )


def _label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


# ---------------------------------------------------------------- documents


def document_add(*, project: Project, upload, user, via: str = AuditEvent.Via.WEB) -> ProjectDocument:
    """Store an upload already checked by forms.DocumentsField (kind and size set on it)."""
    document = ProjectDocument(
        project=project, name=upload.name[-200:], kind=upload.kind, size=upload.size, uploaded_by=user
    )
    document.file.save(upload.name, upload, save=False)
    document.save()
    trail.record(actor=user, via=via, instance=document)
    return document


@transaction.atomic
def document_delete(*, document: ProjectDocument, user=None, via: str = AuditEvent.Via.WEB) -> None:
    """Delete the row now and the file once the deletion is committed (a rollback keeps both)."""
    storage, name = document.file.storage, document.file.name
    trail.record(actor=user, via=via, instance=document, action=AuditEvent.Action.DELETED)
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


# ---------------------------------------------------------------- the daily job


@dataclass
class FlagRun:
    on: dt.date
    raised: int = 0
    escalated: int = 0
    eased: int = 0
    cleared: int = 0
    notified: int = 0


def infrastructure_flag(*, on: dt.date | None = None) -> FlagRun:
    """Raise, update and clear milestone flags as of `on` (today in Asia/Shanghai by default), and notify new ones.

    A milestone not reached whose deadline has passed is flagged late; one due
    within due_soon_days() is flagged due soon. Flags of milestones reached,
    of cancelled projects, or whose deadline has moved away or gone, are
    cleared; a cleared flag whose milestone falls due again is reopened.
    Idempotent: one flag per project and milestone (a unique constraint, and
    inserts that skip conflicts), so a rerun, or two runs at once, change
    nothing; each run counts only the flags it inserted or reopened itself, so
    the counts of two runs at once add up. Set-based: the same number of queries whatever the number of
    projects (years without deadlines are skipped, as they have no term in
    the conditions). A run killed halfway is finished by the next one, since
    notifying looks for flags not yet notified rather than flags just raised.
    """
    on = on or timezone.localdate()
    run = FlagRun(on=on)
    now = timezone.now()
    deadlines = load_deadlines()
    flags = LightConditions(deadlines, on, prefix="project__")
    late, due_soon = flags.flags_in(Light.LATE), flags.flags_in(Light.DUE_SOON)
    with transaction.atomic():
        run.cleared = MilestoneFlag.objects.open().exclude(late | due_soon).update(cleared_at=now)
        run.escalated = MilestoneFlag.objects.open().filter(late).exclude(kind=FlagKind.LATE).update(kind=FlagKind.LATE)
        # Only when an administrator has moved a deadline later.
        run.eased = (
            MilestoneFlag.objects.open().filter(due_soon).exclude(kind=FlagKind.DUE_SOON).update(kind=FlagKind.DUE_SOON)
        )
        for kind, condition in ((FlagKind.LATE, late), (FlagKind.DUE_SOON, due_soon)):
            run.raised += (
                MilestoneFlag.objects.filter(cleared_at__isnull=False)
                .filter(condition)
                .update(cleared_at=None, kind=kind, raised_at=now, notified_kind="")
            )
        run.raised += _raise_new(deadlines, on, now)
    with transaction.atomic():
        run.notified = _notify_unnotified(deadlines)
    return run


def _raise_new(deadlines: Deadlines, on: dt.date, now) -> int:
    conditions = LightConditions(deadlines, on)
    candidates = Project.objects.filter(
        conditions.milestones_in(Light.LATE) | conditions.milestones_in(Light.DUE_SOON)
    ).values_list("pk", "year", *(milestone.date_field for milestone in Milestone))
    new, raised = [], 0
    for pk, year, *reached in candidates.iterator(chunk_size=BATCH_SIZE):
        due_by = deadlines.get(year, {})
        for milestone, reached_on in zip(Milestone, reached, strict=True):
            light = milestone_light(due=due_by.get(milestone), reached=reached_on, on=on)
            if light in FLAG_OF_LIGHT:
                new.append(MilestoneFlag(project_id=pk, milestone=milestone, kind=FLAG_OF_LIGHT[light], raised_at=now))
        if len(new) >= BATCH_SIZE:  # inserted as they come: never the whole county's flags in memory at once
            raised += len(insert_new(MilestoneFlag, new, batch_size=BATCH_SIZE))
            new = []
    if new:
        raised += len(insert_new(MilestoneFlag, new, batch_size=BATCH_SIZE))
    return raised


def _notify_unnotified(deadlines: Deadlines) -> int:
    """Tell the town officials of each flagged project's town, once per flag and kind, one message per official."""
    flags = list(
        MilestoneFlag.objects.open()
        .exclude(notified_kind=F("kind"))
        .select_related("project__village")
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("pk")
    )
    if not flags:
        return 0
    officials: dict[int, list[User]] = defaultdict(list)
    towns = {flag.project.village.town_id for flag in flags}
    for official in User.objects.filter(role=Role.OFFICIAL, is_active=True, town_id__in=towns).order_by("pk"):
        officials[official.town_id].append(official)
    return notify_flags_once(
        flags,
        recipients=lambda flag: officials[flag.project.village.town_id],
        message=lambda person, person_flags: _message(person, person_flags, deadlines),
    )


def _message(person: User, flags: list[MilestoneFlag], deadlines: Deadlines) -> Message:
    late = sum(1 for flag in flags if flag.kind == FlagKind.LATE)
    subject = _("Infrastructure milestones: %(late)d late, %(soon)d due soon") % {
        "late": late,
        "soon": len(flags) - late,
    }
    lines = []
    for flag in sorted(flags, key=lambda f: (f.kind != FlagKind.LATE, f.project.village.name, f.project.name)):
        due = deadlines.get(flag.project.year, {}).get(flag.milestone)
        lines.append(
            _("%(flag)s: %(village)s · %(project)s · %(milestone)s by %(date)s")
            % {
                "flag": flag.get_kind_display(),
                "village": flag.project.village.name,
                "project": flag.project.name,
                "milestone": Milestone(flag.milestone).short_label,
                "date": due.isoformat() if due else "—",
            }
        )
    url = f"{reverse('infrastructure:list')}?light={(Light.LATE if late else Light.DUE_SOON).value}"
    return Message(recipient=person, subject=subject, body="\n".join(lines), url=url)
