"""What the county seed keeps in memory between tables: slim records, not model instances."""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from households.demo.plan import Failure
from reports.county.plan import Options
from reports.county.writer import Writer


@dataclass(slots=True, eq=False)
class TownRef:
    pk: int
    index: int
    code: str
    name: str
    official_id: int = 0
    villages: list["VillageRef"] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class VillageRef:
    pk: int
    town: TownRef
    code: str
    name: str
    group_pks: list[int] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    unit_pks: list[int] = field(default_factory=list)
    cadre_id: int = 0
    homes: list["Home"] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Folk:
    """A member, with what classification and the programmes ask of one."""

    pk: int
    name: str
    relation: str
    birth_date: dt.date
    work_ability: str
    health: str
    disability_grade: int | None
    row: tuple = ()  # the Member row, written once the whole town is drawn


@dataclass(slots=True, eq=False)
class Income:
    year: int
    net_income: int
    household_size: int


@dataclass(slots=True, eq=False)
class Home:
    """A household: the registry's fields plus the dates of its history and who answers for it."""

    pk: int
    number: str
    village: VillageRef
    kind: str  # unexited, campaign (out during 2020), exited, monitored, closed
    status: str
    size: int
    identified_year: int | None = None
    exit_year: int | None = None
    registered_on: dt.date | None = None
    exit_on: dt.date | None = None
    monitored_on: dt.date | None = None
    closed_on: dt.date | None = None
    monitor_kind: str = ""
    failure: Failure | None = None
    main_cause: str = ""
    other_causes: list[str] = field(default_factory=list)
    attribute: str = ""
    housing_grade: str = ""
    phone: str = ""
    group: int = 0  # index in the village's groups
    house: int = 0
    assessment_pk: int = 0
    members: list[Folk] = field(default_factory=list)
    incomes: list[Income] = field(default_factory=list)
    responsible_id: int | None = None
    contact_id: int | None = None
    unit_pk: int | None = None

    @property
    def still_poor_in_campaign(self) -> bool:
        """Poor at the start of the campaign year: the year's target."""
        return self.kind in ("unexited", "campaign")


@dataclass
class County:
    """Everything the seed's steps share: options, the writer, the day, and the county so far."""

    options: Options
    writer: Writer
    today: dt.date
    now: dt.datetime
    say: Callable[[str], None]
    towns: list[TownRef] = field(default_factory=list)
    admin_id: int = 0
    homes: list[Home] = field(default_factory=list)
    helper_ids: list[int] = field(default_factory=list)  # the responsible persons' keys

    @property
    def villages(self) -> list[VillageRef]:
        return [village for town in self.towns for village in town.villages]

    def rng(self, part: str) -> random.Random:
        """A random stream of its own for each part, so that changing one part leaves the others' draws alone."""
        return random.Random(f"{self.options.seed}:{part}")
