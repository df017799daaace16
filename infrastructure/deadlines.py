"""Where each milestone stands against its deadline: the traffic lights, in Python for a page and in SQL for a list.

One definition, written twice: `milestone_light` judges one milestone of one
project; `LightConditions` says the same as Q objects over many projects, so
that a list can be filtered and ordered by light and the daily job can find
the late and due-soon milestones without a query per project. The tests hold
the two to agreeing on every boundary day.

A milestone not reached is late once its deadline has passed, due soon from
`due_soon_days()` days before it up to the deadline day itself, and on track
before that. A milestone reached on or before its deadline is done; after it,
done late. A year without deadlines has no lights and no flags.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from infrastructure.models import Milestone, MilestoneDeadline, Status

# year -> milestone -> due date
Deadlines = dict[int, dict[str, dt.date]]


def due_soon_days() -> int:
    """How many days ahead a milestone not yet reached is flagged as due soon (INFRASTRUCTURE_DUE_SOON_DAYS)."""
    return settings.INFRASTRUCTURE_DUE_SOON_DAYS


class Light(models.TextChoices):
    """Worst first: a project shows the worst light of its milestones."""

    LATE = "late", _("Late")
    DUE_SOON = "due_soon", _("Due soon")
    ON_TRACK = "on_track", _("On track")
    DONE_LATE = "done_late", _("Done late")
    DONE = "done", _("Done")
    NO_DEADLINE = "no_deadline", _("No deadline")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def rank(self) -> int:
        return list(Light).index(self)

    @property
    def css(self) -> str:
        return LIGHT_CSS[self]

    @property
    def icon(self) -> str:
        return LIGHT_ICONS[self]


LIGHT_CSS = {
    Light.LATE: "danger",
    Light.DUE_SOON: "warning",
    Light.ON_TRACK: "primary",
    Light.DONE_LATE: "success",
    Light.DONE: "success",
    Light.NO_DEADLINE: "secondary",
    Light.CANCELLED: "secondary",
}
LIGHT_ICONS = {
    Light.LATE: "exclamation-octagon-fill",
    Light.DUE_SOON: "alarm-fill",
    Light.ON_TRACK: "hourglass-split",
    Light.DONE_LATE: "check-circle",
    Light.DONE: "check-circle-fill",
    Light.NO_DEADLINE: "dash-circle",
    Light.CANCELLED: "x-circle",
}
PENDING = (Light.LATE, Light.DUE_SOON, Light.ON_TRACK)


def load_deadlines() -> Deadlines:
    """Every year's deadlines, in one query (a few rows a year)."""
    deadlines: Deadlines = {}
    for year, milestone, due_on in MilestoneDeadline.objects.values_list("year", "milestone", "due_on"):
        deadlines.setdefault(year, {})[milestone] = due_on
    return deadlines


# ---------------------------------------------------------------- one project


def milestone_light(*, due: dt.date | None, reached: dt.date | None, on: dt.date, cancelled: bool = False) -> Light:
    if reached is not None:
        return Light.DONE_LATE if due is not None and reached > due else Light.DONE
    if cancelled:
        return Light.CANCELLED
    if due is None:
        return Light.NO_DEADLINE
    if due < on:
        return Light.LATE
    if due <= on + dt.timedelta(days=due_soon_days()):
        return Light.DUE_SOON
    return Light.ON_TRACK


@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    due: dt.date | None
    reached: dt.date | None
    light: Light
    on: dt.date

    @property
    def days_late(self) -> int | None:
        """Days past the deadline: of the reaching for a milestone done late, of today for one still late."""
        if self.light == Light.DONE_LATE:
            return (self.reached - self.due).days
        if self.light == Light.LATE:
            return (self.on - self.due).days
        return None

    @property
    def days_left(self) -> int | None:
        return (self.due - self.on).days if self.light in (Light.DUE_SOON, Light.ON_TRACK) else None


def milestone_states(project, deadlines: Deadlines, on: dt.date) -> list[MilestoneState]:
    due_by = deadlines.get(project.year, {})
    cancelled = project.status == Status.CANCELLED
    states = []
    for milestone in Milestone:
        due, reached = due_by.get(milestone), project.reached_on(milestone)
        light = milestone_light(due=due, reached=reached, on=on, cancelled=cancelled)
        states.append(MilestoneState(milestone=milestone, due=due, reached=reached, light=light, on=on))
    return states


def project_light(project, states: list[MilestoneState]) -> Light:
    """The worst light among the milestones that have a deadline; cancelled and deadline-free projects say so."""
    if project.status == Status.CANCELLED:
        return Light.CANCELLED
    judged = [state.light for state in states if state.due is not None]
    return min(judged, key=lambda light: light.rank) if judged else Light.NO_DEADLINE


# ---------------------------------------------------------------- many projects, in SQL

NOTHING = Q(pk__in=[])  # an empty OR would be Q(), which matches everything


def any_of(conditions: list[Q]) -> Q:
    combined = NOTHING
    for condition in conditions:
        combined = condition if combined is NOTHING else combined | condition
    return combined


class LightConditions:
    """The lights as Q objects over projects (reached through `prefix`), as of a day.

    Built from the deadlines, one term per year and milestone, so the queries
    stay the same size whatever the number of projects.
    """

    def __init__(self, deadlines: Deadlines, on: dt.date, prefix: str = ""):
        self.on = on
        self.prefix = prefix
        self.pending: dict[Light, list[tuple[str, Q]]] = {light: [] for light in PENDING}
        self.done_late: list[Q] = []
        self.years = sorted(deadlines)
        for year, due_by in deadlines.items():
            for milestone, due in due_by.items():
                field = f"{prefix}{Milestone(milestone).date_field}"
                light = milestone_light(due=due, reached=None, on=on)
                still_open = Q(**{f"{prefix}year": year, f"{field}__isnull": True})
                self.pending[light].append((milestone, still_open & ~Q(**{f"{prefix}status": Status.CANCELLED})))
                self.done_late.append(Q(**{f"{prefix}year": year, f"{field}__gt": due}))

    def milestones_in(self, light: Light) -> Q:
        """Projects with at least one milestone in a pending light (late, due soon or on track)."""
        return any_of([condition for _, condition in self.pending[light]])

    def flags_in(self, light: Light) -> Q:
        """For MilestoneFlag rows (prefix "project__"): the flag's own milestone is in this light."""
        return any_of([Q(milestone=milestone) & condition for milestone, condition in self.pending[light]])

    def _whens(self) -> list[tuple[Q, Light]]:
        """Worst first, as project_light reckons it."""
        cancelled = Q(**{f"{self.prefix}status": Status.CANCELLED})
        has_deadlines = Q(**{f"{self.prefix}year__in": self.years}) if self.years else NOTHING
        return [
            (cancelled, Light.CANCELLED),
            (self.milestones_in(Light.LATE), Light.LATE),
            (self.milestones_in(Light.DUE_SOON), Light.DUE_SOON),
            (self.milestones_in(Light.ON_TRACK), Light.ON_TRACK),
            (any_of(self.done_late), Light.DONE_LATE),
            (has_deadlines, Light.DONE),
        ]

    def light(self) -> Case:
        whens = [When(condition, then=Value(light.value)) for condition, light in self._whens()]
        return Case(*whens, default=Value(Light.NO_DEADLINE.value), output_field=models.CharField())

    def rank(self) -> Case:
        whens = [When(condition, then=Value(light.rank)) for condition, light in self._whens()]
        return Case(*whens, default=Value(Light.NO_DEADLINE.rank), output_field=models.IntegerField())
