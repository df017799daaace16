"""Writes to the monitoring register: every step of a case, each checked, dated and audited."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail as audit
from audit.models import AuditEvent
from households.choices import HouseholdStatus, MonitoringRisk, MonitorKind
from households.models import Household
from monitoring.models import MonitoringCase, Origin


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
