"""The part of the registry a roster file touches, loaded in a few queries whatever its size.

Villages of the town (one query), their groups (one), then the file's households
by number, members by ID number and the members of those households, each in
chunks of `in` lists: about 2 + 3 x rows / CHUNK queries, never one per row.
With lock=True (when applying) the households and members are selected for update.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _

from households.models import Household, Member, Village, VillagerGroup
from households.roster.validate import ParsedRoster

CHUNK = 900  # under SQLite's old limit of 999 parameters a statement


@dataclass
class Registry:
    town_label: str
    villages: dict[str, list[tuple[int, str]]]  # name -> [(village id, town name)]
    groups: dict[tuple[int, str], int] = field(default_factory=dict)  # (village id, name) -> group id
    households: dict[str, Household] = field(default_factory=dict)  # the file's households that exist, by number
    members_by_id: dict[str, Member] = field(default_factory=dict)  # the file's people that exist, by ID number
    numbers: dict[int, str] = field(default_factory=dict)  # household id -> number, for members found elsewhere
    members_of: dict[int, list[Member]] = field(default_factory=dict)  # existing household id -> its members


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def load(parsed: ParsedRoster, *, town=None, lock: bool = False) -> Registry:
    """What plan_roster compares the file with; villages are those of `town`, or of every town when None."""
    villages = Village.objects.select_related("town").order_by("pk")
    if town is not None:
        villages = villages.filter(town=town)
    by_name: dict[str, list[tuple[int, str]]] = {}
    for village in villages:
        by_name.setdefault(village.name, []).append((village.pk, village.town.name))
    registry = Registry(town_label=town.name if town is not None else _("any town"), villages=by_name)

    named = {h.values["village"] for h in parsed.households.values() if "village" in h.values}
    village_ids = [pk for name in named for pk, _town in by_name.get(name, [])]
    for chunk in chunks(village_ids):
        for pk, village_id, name in VillagerGroup.objects.filter(village_id__in=chunk).values_list(
            "pk", "village_id", "name"
        ):
            registry.groups[(village_id, name)] = pk

    households = Household.objects.order_by("pk")
    members = Member.objects.order_by("pk")
    if lock:
        households, members = households.select_for_update(), members.select_for_update()
    for chunk in chunks(parsed.households):
        for household in households.filter(number__in=chunk):
            registry.households[household.number] = household
    ids = [member.id_number for household in parsed.households.values() for member in household.members]
    for chunk in chunks(ids):
        for member in members.filter(id_number__in=chunk):
            registry.members_by_id[member.id_number] = member
    for chunk in chunks([household.pk for household in registry.households.values()]):
        for member in members.filter(household_id__in=chunk):
            registry.members_of.setdefault(member.household_id, []).append(member)
            registry.members_by_id.setdefault(member.id_number, member)
    known = {household.pk: number for number, household in registry.households.items()}
    elsewhere = {m.household_id for m in registry.members_by_id.values() if m.household_id not in known}
    registry.numbers = dict(known)
    for chunk in chunks(elsewhere):
        registry.numbers.update(Household.objects.filter(pk__in=chunk).values_list("pk", "number"))
    return registry
