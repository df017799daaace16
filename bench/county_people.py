"""Who the bench scripts sign in as, and where they land: chosen alike by every script that times pages.

Django must be set up first. Any of them may be None on a database that lacks them (a small one).
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CountyPeople:
    admin: Any  # the county's administrator (a superuser first)
    official: Any  # one town's official
    cadre: Any  # one village's cadre
    village: Any  # the cadre's (first) village
    household: Any  # a household of that village still poor: the page with the most on it
    helper: Any  # the responsible person of the first household still poor


def county_people() -> CountyPeople:
    from django.db.models import Q

    from accounts.models import Role, User
    from households.choices import AssignmentRole, HouseholdStatus
    from households.models import Assignment, Household

    admin = (
        User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True)
        .order_by("-is_superuser", "pk")
        .first()
    )
    official = User.objects.filter(role=Role.OFFICIAL, town__isnull=False, is_active=True).order_by("pk").first()
    cadre = User.objects.filter(role=Role.CADRE, villages__isnull=False, is_active=True).order_by("pk").first()
    village = cadre.villages.order_by("pk").first() if cadre else None
    in_village = Household.objects.filter(village=village).order_by("pk")
    household = (in_village.filter(status=HouseholdStatus.UNEXITED).first() or in_village.first()) if village else None
    first_poor = (
        Assignment.objects.current()
        .filter(role=AssignmentRole.RESPONSIBLE, household__status=HouseholdStatus.UNEXITED)
        .select_related("person")
        .order_by("household_id")
        .first()
    )
    helper = first_poor.person if first_poor else None
    return CountyPeople(admin, official, cadre, village, household, helper)
