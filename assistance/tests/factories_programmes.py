import datetime as dt
from decimal import Decimal

import factory

from assistance.models import (
    ExampleKind,
    FiveMutualActivity,
    FiveMutualType,
    IndustryDrive,
    IndustrySupport,
    Loan,
    PVIncome,
    PVShare,
    PVStation,
    RepaymentMethod,
    Reward,
    TrainingKind,
    TrainingSession,
    TypicalExample,
    WelfareJob,
    WelfarePost,
)
from assistance.services import loans as loan_services
from households.tests.factories import HouseholdFactory, MemberFactory, VillageFactory


class LoanFactory(factory.django.DjangoModelFactory):
    """A loan with its schedule, written by the service as the pages do."""

    class Meta:
        model = Loan

    household = factory.SubFactory(HouseholdFactory)
    borrower = factory.LazyAttribute(lambda loan: loan.household.members.first())
    bank = "县农商银行"
    amount = Decimal("30000.00")
    issued_on = dt.date(2020, 3, 1)
    term_months = 36
    annual_rate = Decimal("4.35")
    interest_subsidised = True
    repayment_method = RepaymentMethod.QUARTERLY_INTEREST
    purpose = "肉牛养殖"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return loan_services.loan_create(loan=model_class(*args, **kwargs), user=None)


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession
        skip_postgeneration_save = True

    kind = TrainingKind.SKILLS
    held_on = dt.date(2020, 5, 12)
    topic = "电焊工技能培训"
    organiser = "县人社局"
    location = "村党群服务中心"
    village = factory.SubFactory(VillageFactory)

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        if create and extracted:
            self.attendees.set(extracted)


class WelfareJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WelfareJob

    post = WelfarePost.CLEANER
    member = factory.SubFactory(MemberFactory)
    village = factory.LazyAttribute(lambda job: job.member.household.village)
    monthly_pay = Decimal("500.00")
    start_date = dt.date(2020, 1, 1)


class PVStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PVStation

    name = factory.Sequence(lambda n: f"村级光伏电站{n}")
    village = factory.SubFactory(VillageFactory)
    capacity_kw = Decimal("100.00")
    built_year = 2017


class PVIncomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PVIncome

    station = factory.SubFactory(PVStationFactory)
    year = 2019
    income = Decimal("80000.00")


class PVShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PVShare

    income = factory.SubFactory(PVIncomeFactory)
    household = factory.SubFactory(HouseholdFactory, village=factory.SelfAttribute("..income.station.village"))
    amount = Decimal("1000.00")


class IndustrySupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustrySupport
        skip_postgeneration_save = True

    drive = IndustryDrive.COOPERATIVE
    partner = "葡萄种植专业合作社"
    industry = "葡萄种植"
    year = 2020
    village = factory.SubFactory(VillageFactory)

    @factory.post_generation
    def households(self, create, extracted, **kwargs):
        if create and extracted:
            self.households.set(extracted)


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    household = factory.SubFactory(HouseholdFactory)
    awarded_on = dt.date(2020, 6, 1)
    amount = Decimal("800.00")
    reason = "发展庭院经济，年增收超过3000元"


class TypicalExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TypicalExample

    household = factory.SubFactory(HouseholdFactory)
    kind = ExampleKind.POSITIVE
    noted_on = dt.date(2020, 6, 1)
    description = "勤劳致富，主动脱贫"


class FiveMutualTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiveMutualType

    name = factory.Sequence(lambda n: f"互帮互助{n}")


class FiveMutualActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiveMutualActivity
        skip_postgeneration_save = True

    type = factory.SubFactory(FiveMutualTypeFactory)
    village = factory.SubFactory(VillageFactory)
    held_on = dt.date(2020, 7, 1)
    description = "组织邻里互帮，清理房前屋后"

    @factory.post_generation
    def households(self, create, extracted, **kwargs):
        if create and extracted:
            self.households.set(extracted)
