"""Reads of the monitoring register, with their joins done, always through the scoping choke point."""

from django.db.models import Prefetch

from households.selectors import head_name
from monitoring.models import DepartmentWarning, FollowUp, MonitoringCase


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
