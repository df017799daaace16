"""Rules of the programmes: one welfare post at a time, PV shares within the income, who drives an industry."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from assistance.models import IndustryDrive, PVShare, TrainingSession, WelfareJob
from assistance.services import programmes as services
from assistance.tests.factories_programmes import (
    IndustrySupportFactory,
    PVIncomeFactory,
    PVShareFactory,
    PVStationFactory,
    RewardFactory,
    TrainingSessionFactory,
    WelfareJobFactory,
)
from households.tests.factories import AssignmentFactory, HouseholdFactory, MemberFactory

D = Decimal


# ---------------------------------------------------------------- public-welfare jobs


def job_for(member, **fields):
    values = {
        "post": "cleaner",
        "member": member,
        "village": member.household.village,
        "monthly_pay": D("500"),
        "start_date": dt.date(2020, 1, 1),
    }
    return WelfareJob(**{**values, **fields})


@pytest.mark.django_db
def test_a_member_holds_at_most_one_open_post(dongfeng_household):
    member = dongfeng_household.members.get()
    services.welfare_job_save(job=job_for(member))
    with pytest.raises(ValidationError) as error:
        services.welfare_job_save(job=job_for(member, post="road_keeper", start_date=dt.date(2020, 6, 1)))
    assert "member" in error.value.message_dict
    assert WelfareJob.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_post_whatever_the_path(dongfeng_household):
    member = dongfeng_household.members.get()
    job_for(member).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        job_for(member, post="road_keeper").save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first_end", "second_start", "allowed"),
    [
        (dt.date(2020, 6, 30), dt.date(2020, 7, 1), True),  # the day after the first ends
        (dt.date(2020, 6, 30), dt.date(2020, 6, 30), False),  # the day it ends
        (None, dt.date(2019, 1, 1), False),  # before an open post, and still running into it
    ],
)
def test_posts_of_one_member_may_follow_each_other_but_not_overlap(
    dongfeng_household, first_end, second_start, allowed
):
    member = dongfeng_household.members.get()
    services.welfare_job_save(job=job_for(member, end_date=first_end))
    second = job_for(member, start_date=second_start, end_date=None if first_end else dt.date(2020, 3, 1))
    if allowed:
        services.welfare_job_save(job=second)
        assert WelfareJob.objects.filter(member=member).count() == 2
    else:
        with pytest.raises(ValidationError):
            services.welfare_job_save(job=second)


@pytest.mark.django_db
def test_a_post_ends_after_it_starts_and_belongs_to_the_members_village(dongfeng_household, hongqi):
    member = dongfeng_household.members.get()
    with pytest.raises(ValidationError) as error:
        services.welfare_job_save(job=job_for(member, end_date=dt.date(2019, 12, 31)))
    assert "end_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.welfare_job_save(job=job_for(member, village=hongqi))
    assert "member" in error.value.message_dict


@pytest.mark.django_db
def test_editing_a_post_does_not_count_it_against_itself(dongfeng_household):
    job = services.welfare_job_save(job=job_for(dongfeng_household.members.get()))
    job.monthly_pay = D("600")
    services.welfare_job_save(job=job)
    assert WelfareJob.objects.get().monthly_pay == D("600")


# ---------------------------------------------------------------- photovoltaic income


@pytest.fixture
def income(dongfeng):
    return PVIncomeFactory(station=PVStationFactory(village=dongfeng), income=D("10000"))


def share(income, amount, household=None):
    household = household or HouseholdFactory(village=income.station.village)
    return services.pv_share_save(share=PVShare(income=income, household=household, amount=D(amount)))


@pytest.mark.django_db
def test_shares_may_use_up_the_income_exactly(income):
    share(income, "6000")
    share(income, "4000")
    assert sum(s.amount for s in income.shares.all()) == D("10000")


@pytest.mark.django_db
def test_a_share_beyond_the_remaining_income_is_refused(income):
    share(income, "6000")
    with pytest.raises(ValidationError) as error:
        share(income, "4000.01")
    assert "amount" in error.value.message_dict
    assert income.shares.count() == 1


@pytest.mark.django_db
def test_changing_a_share_counts_the_others_only(income):
    first = share(income, "6000")
    share(income, "3000")
    first.amount = D("7000")
    services.pv_share_save(share=first)
    first.amount = D("7000.01")
    with pytest.raises(ValidationError):
        services.pv_share_save(share=first)
    assert PVShare.objects.get(pk=first.pk).amount == D("7000")


@pytest.mark.django_db
def test_a_share_goes_to_a_household_of_the_stations_village(income, hongqi_household):
    with pytest.raises(ValidationError) as error:
        share(income, "100", household=hongqi_household)
    assert "household" in error.value.message_dict


@pytest.mark.django_db
def test_the_income_cannot_drop_below_what_was_shared(income):
    share(income, "6000")
    income.income = D("5999.99")
    with pytest.raises(ValidationError) as error:
        services.pv_income_save(income=income)
    assert "income" in error.value.message_dict
    income.income = D("6000")
    services.pv_income_save(income=income)


@pytest.mark.postgresql  # SQLite has no row locks; it serialises whole transactions instead
@pytest.mark.django_db(transaction=True)
def test_concurrent_shares_cannot_together_exceed_the_income(dongfeng):
    """Two requests at once, each fitting alone: the row lock makes the second see the first."""
    income = PVIncomeFactory(station=PVStationFactory(village=dongfeng), income=D("10000"))
    households = [HouseholdFactory(village=dongfeng) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def write(household):
        try:
            barrier.wait()
            share(income, "6000", household=household)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(household,)) for household in households]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert sum(s.amount for s in PVShare.objects.filter(income=income)) == D("6000")


# ---------------------------------------------------------------- industry and scoping


@pytest.mark.django_db
def test_a_driven_industry_names_who_drives_it_and_self_development_need_not(dongfeng):
    support = IndustrySupportFactory.build(village=dongfeng, drive=IndustryDrive.COOPERATIVE, partner=" ")
    with pytest.raises(ValidationError) as error:
        support.full_clean()
    assert "partner" in error.value.message_dict
    IndustrySupportFactory.build(village=dongfeng, drive=IndustryDrive.SELF, partner="").full_clean()


@pytest.mark.django_db
def test_village_programmes_are_scoped_by_village_and_household_ones_by_household(
    alice, bob, helper, dongfeng, hongqi, dongfeng_household
):
    TrainingSessionFactory(village=dongfeng)
    TrainingSessionFactory(village=hongqi)
    reward = RewardFactory(household=dongfeng_household)
    RewardFactory(household=HouseholdFactory(village=dongfeng))
    AssignmentFactory(household=dongfeng_household, person=helper)

    assert [s.village for s in TrainingSession.objects.visible_to(alice)] == [dongfeng]
    assert [s.village for s in TrainingSession.objects.visible_to(helper)] == [dongfeng]
    assert not TrainingSession.objects.editable_by(helper).exists()
    assert reward in reward.__class__.objects.visible_to(helper)
    assert reward.__class__.objects.visible_to(helper).count() == 1
    assert reward.__class__.objects.visible_to(alice).count() == 2
    assert not reward.__class__.objects.visible_to(bob).exists()


@pytest.mark.django_db
def test_welfare_jobs_and_pv_shares_are_scoped_through_the_household(alice, bob, dongfeng, dongfeng_household):
    job = WelfareJobFactory(member=MemberFactory(household=dongfeng_household))
    pv_share = PVShareFactory(income=PVIncomeFactory(station=PVStationFactory(village=dongfeng)))
    assert list(WelfareJob.objects.visible_to(alice)) == [job]
    assert list(PVShare.objects.visible_to(alice)) == [pv_share]
    assert not WelfareJob.objects.visible_to(bob).exists()
    assert not PVShare.objects.visible_to(bob).exists()
