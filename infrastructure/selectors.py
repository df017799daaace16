"""Reads for the infrastructure pages, with their joins done, always through the scoping choke point."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from audit.models import AuditEvent
from households.choices import HouseholdStatus, Relation
from households.models import Household, Member
from infrastructure.deadlines import Deadlines, Light, LightConditions, MilestoneState, milestone_states, project_light
from infrastructure.models import Project, ProjectDocument, Status

# Still poor, or at risk of falling back: the households a project's "poor beneficiaries" counts.
POOR_STATUSES = (HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED)


def _beneficiaries_counted(**filters):
    through = Project.beneficiaries.through.objects.filter(project=OuterRef("pk"), **filters)
    return Coalesce(Subquery(through.order_by().values("project").annotate(n=Count("pk")).values("n")), 0)


def project_list(*, user, deadlines: Deadlines, on: dt.date):
    """Projects in scope, worst light first, with village, beneficiary counts and light computed in the query."""
    conditions = LightConditions(deadlines, on)
    return (
        Project.objects.visible_to(user)
        .select_related("village")
        .annotate(
            beneficiary_count=_beneficiaries_counted(),
            poor_count=_beneficiaries_counted(household__status__in=POOR_STATUSES),
            light=conditions.light(),
            light_rank=conditions.rank(),
        )
        .order_by("light_rank", "-year", "village__code", "village__name", "name", "pk")
    )


def light_counts(projects) -> dict[str, int]:
    """How many of the (filtered) projects show each light, in one query."""
    rows = projects.order_by().values("light").annotate(n=Count("pk")).values_list("light", "n")
    return dict(rows)


def project_years(*, user) -> list[int]:
    return list(Project.objects.visible_to(user).order_by("-year").values_list("year", flat=True).distinct())


@dataclass
class ProjectRow:
    """A project and where each of its milestones stands."""

    project: Project
    states: list[MilestoneState]

    @property
    def light(self) -> Light:
        return project_light(self.project, self.states)


def rows_of(projects, deadlines: Deadlines, on: dt.date) -> list[ProjectRow]:
    return [ProjectRow(project, milestone_states(project, deadlines, on)) for project in projects]


@dataclass(frozen=True)
class ProjectStep:
    """One step of a project's status as its timeline shows it, read from the audit trail."""

    from_status: str  # "" for the project's creation
    to_status: str
    happened_on: dt.date
    reason: str
    by: object  # the user who recorded it, or None
    at: dt.datetime  # when it was recorded

    @property
    def from_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return _status_label(self.to_status)

    @classmethod
    def of(cls, event: AuditEvent) -> "ProjectStep":
        before, after = event.changes.get("status", [None, ""])
        return cls(before or "", after or "", event.effective_on, event.reason, event.actor, event.at)


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def project_steps(projects):
    """The dated status steps of some projects (already scoped), by business date then the order recorded.

    Selects the actors in the same query; `projects` may be a queryset of keys (a subquery).
    """
    return AuditEvent.objects.dated_steps_of(Project, projects).select_related("actor").order_by("effective_on", "pk")


def project_detail(*, user, pk: int) -> Project:
    """One project in scope with its village and town, history with who recorded it, documents, and the
    beneficiaries the user may see with their heads."""
    heads = Member.objects.filter(relation=Relation.HEAD)
    beneficiaries = (
        Household.objects.visible_to(user)
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
        .order_by("number")
    )
    project = (
        Project.objects.visible_to(user)
        .select_related("village__town", "created_by")
        .annotate(
            beneficiary_count=_beneficiaries_counted(),
            poor_count=_beneficiaries_counted(household__status__in=POOR_STATUSES),
        )
        .prefetch_related(
            Prefetch("documents", queryset=ProjectDocument.objects.select_related("uploaded_by").order_by("pk")),
            Prefetch("beneficiaries", queryset=beneficiaries, to_attr="visible_beneficiaries"),
        )
        .get(pk=pk)
    )
    project.steps = [ProjectStep.of(event) for event in project_steps([project.pk])]
    return project


def household_projects(*, household, user):
    """The projects that benefit a household, newest first, in one query."""
    return list(Project.objects.visible_to(user).filter(beneficiaries=household).order_by("-year", "name"))
