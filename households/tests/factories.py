import datetime as dt

import factory

from accounts.models import User
from households import idnumbers, summaries
from households.choices import AssignmentRole, HouseholdStatus, MonitorKind, PovertyCause, Relation
from households.models import (
    Assessment,
    Assignment,
    Classification,
    Household,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    Town,
    Village,
    VillagerGroup,
)


def valid_id_number(birth=dt.date(1980, 5, 17), sex=idnumbers.MALE) -> str:
    """A fresh, valid ID number, unique among a test worker's first 14,000 for the same birth date.

    The birth date moves at most 27 days forward (the serial once moved it a day per number, so a worker's
    seven-thousandth child was born in the future); the sequence and sex digits take the rest of the serial.
    """
    serial = next(_serial) % 14_000
    days, rest = serial % 28, serial // 28
    sex_digits = "13579" if sex == idnumbers.MALE else "02468"
    first17 = f"340321{birth + dt.timedelta(days=days):%Y%m%d}{rest % 100:02d}{sex_digits[rest // 100]}"
    return first17 + idnumbers.check_char(first17)


def _serials():
    n = 0
    while True:
        yield n
        n += 1


_serial = _serials()


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town
        django_get_or_create = ("code",)

    name = "固镇"
    code = "340321001"


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"村{n}")


class VillagerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillagerGroup

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"第{n}组")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def villages(self, create, extracted, **kwargs):
        if create and extracted:
            self.villages.set(extracted)


class KeepsDashboardFigures:
    """A factory of a household's records keeps the household's dashboard figures, as the services do.

    Written past the services, like the seeders' rows, and followed like them by households.summaries.refresh.
    A test that points latest_assessment elsewhere afterwards refreshes it itself.
    """

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        record = super()._create(model_class, *args, **kwargs)
        summaries.refresh([record.household_id])
        return record


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"34032100{n:06d}")
    village = factory.SubFactory(VillageFactory)
    status = HouseholdStatus.UNEXITED
    identified_year = 2016
    main_cause = PovertyCause.ILLNESS

    @factory.post_generation
    def head(self, create, extracted, **kwargs):
        """Every household gets a head unless head=False is passed."""
        if create and extracted is not False:
            MemberFactory(household=self, relation=Relation.HEAD, **kwargs)


class MemberFactory(KeepsDashboardFigures, factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory, head=False)
    name = factory.Sequence(lambda n: f"王{n}")
    relation = Relation.SPOUSE
    sex = idnumbers.MALE
    birth_date = dt.date(1980, 5, 17)
    id_number = factory.LazyAttribute(lambda m: "")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if not kwargs.get("id_number"):
            kwargs["id_number"] = valid_id_number(kwargs["birth_date"], kwargs["sex"])
        kwargs["birth_date"] = idnumbers.parse(kwargs["id_number"]).birth_date
        kwargs["sex"] = idnumbers.parse(kwargs["id_number"]).sex
        return super()._create(model_class, *args, **kwargs)


class AssessmentFactory(KeepsDashboardFigures, factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    household = factory.SubFactory(HouseholdFactory)
    assessed_on = dt.date(2020, 3, 1)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(UserFactory)
    role = AssignmentRole.RESPONSIBLE
    start_date = dt.date(2020, 1, 1)


class IncomeLineFactory(factory.django.DjangoModelFactory):
    """The data migration already holds 2020's line (5,000 yuan); other years are made here."""

    class Meta:
        model = IncomeLine
        django_get_or_create = ("year",)

    year = 2020
    line = 5000


class IncomeRecordFactory(KeepsDashboardFigures, factory.django.DjangoModelFactory):
    class Meta:
        model = IncomeRecord

    household = factory.SubFactory(HouseholdFactory)
    year = 2020
    household_size = 1


class ClassificationFactory(KeepsDashboardFigures, factory.django.DjangoModelFactory):
    class Meta:
        model = Classification

    household = factory.SubFactory(HouseholdFactory, status=HouseholdStatus.EXITED, exit_year=2019)
    classified_on = dt.date(2020, 12, 31)
    suggested_class = "stable"
    rule = "stable"
    figures = factory.LazyFunction(lambda: {"year": 2020, "per_capita": "8000.00", "line": 5000, "factor": "1.50"})
    confirmed_class = "stable"
    decided_by = factory.SubFactory(UserFactory)


# ---------------------------------------------------------------- status history (the factories above write none)

IDENTIFIED_ON = dt.date(2016, 1, 1)


def record_status(household: Household, to_status: str, on: dt.date) -> StatusChange:
    """Move a household to a status on a day as household_set_status would, without its exit checks.

    The history row and the household's own fields, so that the two agree as
    they do in the registry. A household with no history yet gets its first row
    (from nothing), which is how it was identified or registered.
    """
    first = not household.status_changes.exists()
    change = StatusChange.objects.create(
        household=household,
        from_status="" if first else household.status,
        to_status=to_status,
        changed_on=on,
        reason="建档立卡识别" if first else "测试",
    )
    household.status = to_status
    household.monitor_kind = MonitorKind.UNSTABLE if to_status == HouseholdStatus.MONITORED else ""
    if to_status == HouseholdStatus.EXITED:
        household.exit_year = on.year
    household.save(update_fields=["status", "monitor_kind", "exit_year", "updated_at"])
    return change


def poor_household(village, *, since: dt.date = IDENTIFIED_ON, people: int = 1, **kwargs) -> Household:
    """An unexited household with `people` members, identified (its first line of history) on `since`."""
    household = HouseholdFactory(village=village, **kwargs)
    for _ in range(people - 1):
        MemberFactory(household=household)
    record_status(household, HouseholdStatus.UNEXITED, since)
    return household
