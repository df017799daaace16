"""The demo town's programmes: plausible, valid, live whenever loaded, and the same every time.

The demo town is the session's (conftest's demo_town); its programmes are drawn again from this
module's own random stream inside a savepoint, and each test runs in a savepoint of its own.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from assistance.demo_programmes import seed_programmes
from assistance.models import (
    ExampleKind,
    FiveMutualActivity,
    FiveMutualType,
    IndustrySupport,
    Instalment,
    InstalmentFlag,
    Loan,
    PVIncome,
    PVShare,
    PVStation,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from households.models import Target

SEED = 2021


def fingerprint():
    return [(loan.household_id, loan.amount, loan.issued_on, loan.bank) for loan in Loan.objects.order_by("pk")]


# What seed_programmes writes (activities before their types, which they protect).
PROGRAMMES = (
    Loan,
    TrainingSession,
    WelfareJob,
    PVStation,
    IndustrySupport,
    Reward,
    TypicalExample,
    FiveMutualActivity,
    FiveMutualType,
)


@pytest.fixture(scope="module")
def town(demo_town, django_db_blocker):
    """The session's demo town with its programmes drawn again from a stream of this module's own.

    The programmes the demo drew are removed (loans take their instalments and repayments with them,
    stations their income and shares) inside a savepoint rolled back at the module's end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        for model in PROGRAMMES:
            model.objects.all().delete()
        town = Target.objects.get(year=2020).town
        seed_programmes(town=town, rng=random.Random(SEED))
        yield town
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]


def test_there_are_forty_loans_spread_over_villages(town):
    loans = Loan.objects.filter(household__village__town=town)
    assert loans.count() == 40
    assert loans.values("household__village").distinct().count() >= 5
    assert not loans.exclude(borrower__household=F("household")).exists()
    assert not loans.filter(amount__gt=50000).exists()


def test_some_loans_are_repaid_and_owe_nothing(town):
    repaid = Loan.objects.filter(repaid_on__isnull=False)
    assert repaid.count() == 8
    assert not Instalment.objects.filter(loan__in=repaid, paid_on__isnull=True).exists()
    for loan in repaid:
        assert (
            loan.repayments.aggregate(total=Sum("amount"))["total"]
            == loan.instalments.aggregate(total=Sum("amount_due"))["total"]
        )


def test_overdue_and_due_soon_instalments_exist_as_of_today(town):
    overdue_loans = Loan.objects.filter(instalments__flag=InstalmentFlag.OVERDUE).distinct()
    assert overdue_loans.count() >= 6
    assert not overdue_loans.filter(repaid_on__isnull=False).exists()
    assert Instalment.objects.filter(flag=InstalmentFlag.DUE_SOON).exists()


def test_every_schedule_repays_its_loan_exactly(town):
    for loan in Loan.objects.annotate(principal=Sum("instalments__principal")):
        assert loan.principal == loan.amount


def test_training_sessions_have_attendees_from_their_village(town):
    sessions = TrainingSession.objects.all()
    assert sessions.count() == 6
    for session in sessions:
        attendees = session.attendees.all()
        assert attendees.exists()
        assert not attendees.exclude(household__village=session.village).exists()


def test_welfare_jobs_are_held_one_at_a_time_in_the_members_village(town):
    jobs = WelfareJob.objects.all()
    assert jobs.count() == 20
    assert not jobs.exclude(village=F("member__household__village")).exists()
    assert jobs.values("member").distinct().count() == 20
    assert jobs.filter(end_date__isnull=False).exists()


def test_photovoltaic_income_is_shared_without_exceeding_it(town):
    assert PVStation.objects.count() == 3
    incomes = PVIncome.objects.annotate(shared=Sum("shares__amount"))
    last_year = max(2020, timezone.localdate().year - 1)
    assert sorted({income.year for income in incomes}) == list(range(2019, last_year + 1))
    assert incomes.count() == 3 * (last_year - 2018)
    for income in incomes:
        assert Decimal("0") < income.shared <= income.income
        assert not income.shares.exclude(household__village=income.station.village).exists()


def test_industry_motivation_and_five_mutual_data_are_there(town):
    assert IndustrySupport.objects.count() == 5
    assert IndustrySupport.objects.values("drive").distinct().count() == 5
    for support in IndustrySupport.objects.all():
        assert not support.households.exclude(village=support.village).exists()
    assert Reward.objects.count() >= 3
    assert TypicalExample.objects.filter(kind=ExampleKind.POSITIVE).exists()
    assert TypicalExample.objects.filter(kind=ExampleKind.NEGATIVE).exists()
    assert FiveMutualType.objects.count() == 3
    assert FiveMutualActivity.objects.count() == 4
    for activity in FiveMutualActivity.objects.all():
        households = activity.households.all()
        assert households.exists()
        assert not households.exclude(village=activity.village).exists()


def test_every_programme_is_dated_between_its_households_registration_and_today(town):
    today = timezone.localdate()
    dated = [
        (Loan.objects, "household", "issued_on"),
        (Instalment.objects.filter(paid_on__isnull=False), "loan__household", "paid_on"),
        (WelfareJob.objects, "member__household", "start_date"),
        (TrainingSession.objects, "attendees__household", "held_on"),
        (PVShare.objects, "household", "income__year"),
        (IndustrySupport.objects, "households", "year"),
        (Reward.objects, "household", "awarded_on"),
        (TypicalExample.objects, "household", "noted_on"),
        (FiveMutualActivity.objects, "households", "held_on"),
    ]
    for queryset, household, field in dated:
        rows = list(queryset.values_list(f"{household}__registered_on", field))
        assert rows, field
        for registered_on, when in rows:
            year = when if isinstance(when, int) else when.year
            assert registered_on.year <= year, field
            if not isinstance(when, int):
                assert registered_on <= when <= today, field
    assert not WelfareJob.objects.filter(end_date__gt=today).exists()
    assert not Loan.objects.filter(repaid_on__gt=today).exists()
    assert Loan.objects.filter(issued_on__gte=dt.date(2021, 1, 1)).exists(), "loans of the consolidation years"
    poor_in_2020 = Target.objects.get(year=2020).cohort.values("household")
    assert PVShare.objects.filter(household__in=poor_in_2020).exists(), "the stations' income went to them first"


def test_the_same_random_stream_gives_the_same_programmes(town):
    first = fingerprint()
    # Clear what the first run made (this test's savepoint brings it back), then run again.
    for model in (Instalment, FiveMutualActivity, FiveMutualType, IndustrySupport, TypicalExample, Reward):
        model.objects.all().delete()
    Loan.objects.all().delete()
    WelfareJob.objects.all().delete()
    PVStation.objects.all().delete()
    TrainingSession.objects.all().delete()
    seed_programmes(town=town, rng=random.Random(SEED))
    second = fingerprint()
    assert second == first
    assert not Loan.objects.filter(Q(amount__lte=0)).exists()
