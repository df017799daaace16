"""Reads of the monitoring register, with their joins done, always through the scoping choke point."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models import Measure, Plan
from households.choices import MonitoringRisk
from households.selectors import head_name
from monitoring.models import HELPED_STATES, IDENTIFYING_STATES, CaseState, DepartmentWarning, FollowUp, MonitoringCase
from monitoring.services import publicity_ends, removal_blockers


def case_list(*, user):
    """The cases `user` may see, each with its household, village and head's name (`head_name`)."""
    return (
        MonitoringCase.objects.visible_to(user)
        .select_related("household__village")
        .annotate(head_name=head_name("household"))
        .order_by("-reported_on", "-pk")
    )


def case_detail(*, user, pk: int) -> MonitoringCase:
    """One case with everything its page shows: the household, the actors, follow-ups and warnings."""
    return (
        MonitoringCase.objects.visible_to(user)
        .select_related(
            "household__village",
            "household__latest_assessment",
            "reported_by",
            "verified_by",
            "reviewed_by",
            "confirmed_by",
            "removed_by",
        )
        .annotate(head_name=head_name("household"))
        .prefetch_related(
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("recorded_by").order_by("-month")),
            Prefetch("warnings", queryset=DepartmentWarning.objects.order_by("-warned_on", "-pk")),
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class Action:
    url_name: str
    label: str
    primary: bool = True


def case_actions(case: MonitoringCase, user) -> list[Action]:
    """The steps this user may take next on the case, as buttons (the services check them again)."""
    scope = user.scope
    village, town = scope.can_edit, scope.can_change_status
    actions = []
    match case.state:
        case CaseState.CANDIDATE if village:
            actions.append(Action("monitoring:verify", _("Record the village's verification")))
        case CaseState.VERIFIED if town:
            actions.append(Action("monitoring:review", _("Record the town's review")))
        case CaseState.REVIEWED if town:
            actions.append(Action("monitoring:confirm", _("Record the county's confirmation")))
        case CaseState.IDENTIFIED if village:
            actions.append(Action("monitoring:follow-up", _("Record a monthly follow-up")))
            actions.append(Action("monitoring:appraise", _("Appraise risk removal"), primary=False))
        case CaseState.REMOVAL_APPRAISED if village:
            actions.append(Action("monitoring:publicise", _("Start the publicity")))
            actions.append(Action("monitoring:follow-up", _("Record a monthly follow-up"), primary=False))
        case CaseState.REMOVAL_PUBLICISED if village:
            if town:
                actions.append(Action("monitoring:sign-off", _("Sign off the risk removal")))
            actions.append(Action("monitoring:follow-up", _("Record a monthly follow-up"), primary=False))
    if case.state in IDENTIFYING_STATES and village:
        actions.append(Action("monitoring:dismiss", _("Not at risk"), primary=False))
    return actions


@dataclass(frozen=True)
class RiskMeasures:
    risk: MonitoringRisk
    measures: list


def case_page(*, case: MonitoringCase, user) -> dict:
    """What a case's page shows beside the case: measures per risk, the removal conditions, the next steps.

    Three queries at most: the measures, this year's plan, and the removal conditions (follow-ups are
    prefetched; lines; the household's assessment is loaded with the case).
    """
    today = timezone.localdate()
    measures = list(
        Measure.objects.visible_to(user)
        .filter(plan__household_id=case.household_id, risk__in=case.risks)
        .select_related("plan")
        .order_by("-plan__year", "planned_date", "pk")
    )
    per_risk = [
        RiskMeasures(MonitoringRisk(risk), [m for m in measures if m.risk == risk])
        for risk in case.risks
        if risk in MonitoringRisk.values
    ]
    plan = None
    if user.scope.can_edit and case.state in HELPED_STATES:
        plan = Plan.objects.filter(household_id=case.household_id, year=today.year).first()
    blockers = removal_blockers(case, today) if case.state in HELPED_STATES else None
    return {
        "today": today,
        "per_risk": per_risk,
        "plan": plan,
        "can_add_measures": user.scope.can_edit and case.state in HELPED_STATES,
        "blockers": blockers,
        "publicity_ends": publicity_ends(case),
        "actions": case_actions(case, user),
    }
