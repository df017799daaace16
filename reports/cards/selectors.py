"""What a household card (一户一档) shows, loaded for one household or a whole village in a fixed number of queries.

The card page, its PDF and a village's batch share one path: whatever the number
of households, the households with their village, group and latest 2W3G
assessment come in one query, and each kind of row they own in one more. The
"latest N" rows (income years, visits, the newest plan) are sliced prefetches,
which Django turns into one ROW_NUMBER() window query per kind, partitioned by
household: set-based, and served by the (household, ...) indexes.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models import Measure, Plan
from households.choices import AssignmentRole, Relation
from households.idnumbers import age_on
from households.models import Assessment, Assignment, Household, IncomeRecord, Member
from households.selectors import HEAD_FIRST, IncomeYear, income_lines
from visits.models import Visit

# What one A4 page holds; the rest is counted ("and 3 more") rather than spilling to a second page.
MAX_MEMBERS = 10
MAX_MEASURES = 8
RECENT_VISITS = 5
INCOME_YEARS = 2


@dataclass(frozen=True)
class CardMember:
    member: Member
    age: int

    @property
    def cover(self) -> list[str]:
        """The insurance and allowance the member has, by their short names."""
        member = self.member
        return [
            label
            for has, label in (
                (member.medical_insurance, _("Medical insurance")),
                (member.serious_illness_insurance, _("Serious-illness insurance")),
                (member.pension_insurance, _("Pension insurance")),
                (member.minimum_allowance, _("Minimum allowance")),
            )
            if has
        ]


@dataclass(frozen=True)
class HouseholdCard:
    """One household's card: the household (village, group, latest assessment loaded) and its rows."""

    household: Household
    members: list[CardMember]
    income_years: list[IncomeYear]
    plan: Plan | None
    measures: list[Measure]
    responsible: Assignment | None
    contact: Assignment | None
    visits: list[Visit]
    printed_on: dt.date

    @property
    def head(self) -> Member | None:
        return next((m.member for m in self.members if m.member.relation == Relation.HEAD), None)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def members_shown(self) -> list[CardMember]:
        return self.members[:MAX_MEMBERS]

    @property
    def members_more(self) -> int:
        return max(0, len(self.members) - MAX_MEMBERS)

    @property
    def measures_shown(self) -> list[Measure]:
        return self.measures[:MAX_MEASURES]

    @property
    def measures_more(self) -> int:
        return max(0, len(self.measures) - MAX_MEASURES)

    @property
    def assignments(self) -> list[Assignment]:
        """The responsible person first, then the contact person, whichever are assigned."""
        return [a for a in (self.responsible, self.contact) if a is not None]

    @property
    def assessment(self) -> Assessment | None:
        return self.household.latest_assessment

    @property
    def latest_income(self) -> IncomeYear | None:
        return self.income_years[0] if self.income_years else None

    @property
    def last_visited_on(self) -> dt.date | None:
        return self.visits[0].visited_on if self.visits else None


def household_cards(*, user, households_qs) -> list[HouseholdCard]:
    """The cards of the households in `households_qs` (a Household queryset) that `user` may see, by number.

    Eight queries whatever the number of households: households, members, the
    latest income years, current assignments, the newest plans, their measures,
    the latest visits, income lines. (Django skips the measures when no household
    has a plan, and every prefetch when there is no household.)
    """
    today = timezone.localdate()
    newest_plan = Plan.objects.order_by("-year").prefetch_related(
        Prefetch(
            "measures",
            queryset=Measure.objects.select_related("responsible", "beneficiary").order_by("planned_date", "pk"),
            to_attr="card_measures",
        )
    )[:1]
    households = (
        households_qs.visible_to(user)
        .select_related("village__town", "group", "latest_assessment__assessed_by")
        .prefetch_related(
            Prefetch(
                "members", queryset=Member.objects.order_by(HEAD_FIRST, "birth_date", "pk"), to_attr="card_members"
            ),
            Prefetch(
                "income_records", queryset=IncomeRecord.objects.order_by("-year")[:INCOME_YEARS], to_attr="card_income"
            ),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.current(on=today).select_related("person", "support_unit"),
                to_attr="card_assignments",
            ),
            Prefetch("plans", queryset=newest_plan, to_attr="card_plans"),
            Prefetch(
                "visits",
                queryset=Visit.objects.select_related("visitor").order_by("-visited_on", "-pk")[:RECENT_VISITS],
                to_attr="card_visits",
            ),
        )
        .order_by("number")
    )
    households = list(households)
    lines = income_lines()
    return [_card(household, lines=lines, today=today) for household in households]


def household_card(*, user, pk: int) -> HouseholdCard:
    """One household's card; Household.DoesNotExist when it is missing or out of the user's scope."""
    cards = household_cards(user=user, households_qs=Household.objects.filter(pk=pk))
    if not cards:
        raise Household.DoesNotExist
    return cards[0]


def _card(household: Household, *, lines, today: dt.date) -> HouseholdCard:
    by_role = {assignment.role: assignment for assignment in household.card_assignments}
    plan = household.card_plans[0] if household.card_plans else None
    return HouseholdCard(
        household=household,
        members=[CardMember(member, age_on(member.birth_date, today)) for member in household.card_members],
        income_years=[IncomeYear(record, lines.get(record.year)) for record in household.card_income],
        plan=plan,
        measures=plan.card_measures if plan else [],
        responsible=by_role.get(AssignmentRole.RESPONSIBLE),
        contact=by_role.get(AssignmentRole.CONTACT),
        visits=household.card_visits,
        printed_on=today,
    )
