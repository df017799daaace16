"""The programme pages: scoping on every view, lists with pinned query counts, and the forms."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assistance.models import (
    FiveMutualActivity,
    IndustrySupport,
    InstalmentFlag,
    Loan,
    PVShare,
    PVStation,
    Repayment,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from assistance.tests.factories_programmes import (
    FiveMutualActivityFactory,
    FiveMutualTypeFactory,
    IndustrySupportFactory,
    LoanFactory,
    PVIncomeFactory,
    PVShareFactory,
    PVStationFactory,
    RewardFactory,
    TrainingSessionFactory,
    TypicalExampleFactory,
    WelfareJobFactory,
)
from households.tests.factories import AssignmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

D = Decimal


# ---------------------------------------------------------------- one object of each kind, in a given village


def household_in(village):
    return HouseholdFactory(village=village)


def pv_share_in(village):
    return PVShareFactory(income=PVIncomeFactory(station=PVStationFactory(village=village)))


BUILDERS = {
    "loan": lambda v: LoanFactory(household=household_in(v)),
    "training": lambda v: TrainingSessionFactory(village=v, attendees=[household_in(v).members.get()]),
    "welfare-job": lambda v: WelfareJobFactory(member=MemberFactory(household=household_in(v))),
    "pv-station": lambda v: PVStationFactory(village=v),
    "pv-income": lambda v: PVIncomeFactory(station=PVStationFactory(village=v)),
    "pv-share": pv_share_in,
    "industry": lambda v: IndustrySupportFactory(village=v, households=[household_in(v)]),
    "reward": lambda v: RewardFactory(household=household_in(v)),
    "example": lambda v: TypicalExampleFactory(household=household_in(v)),
    "five-mutual": lambda v: FiveMutualActivityFactory(village=v, households=[household_in(v)]),
}

# (url name, kind of object whose pk is in the URL); the first of each kind is its detail page.
READ_VIEWS = [
    ("assistance:loan-detail", "loan"),
    ("assistance:training-detail", "training"),
    ("assistance:welfare-job-detail", "welfare-job"),
    ("assistance:pv-station-detail", "pv-station"),
    ("assistance:industry-detail", "industry"),
    ("assistance:reward-detail", "reward"),
    ("assistance:example-detail", "example"),
    ("assistance:five-mutual-detail", "five-mutual"),
]
WRITE_VIEWS = [
    ("assistance:loan-edit", "loan"),
    ("assistance:loan-repay", "loan"),
    ("assistance:training-edit", "training"),
    ("assistance:welfare-job-edit", "welfare-job"),
    ("assistance:pv-station-edit", "pv-station"),
    ("assistance:pv-income-create", "pv-station"),
    ("assistance:pv-income-edit", "pv-income"),
    ("assistance:pv-share-create", "pv-income"),
    ("assistance:pv-share-edit", "pv-share"),
    ("assistance:industry-edit", "industry"),
    ("assistance:reward-edit", "reward"),
    ("assistance:example-edit", "example"),
    ("assistance:five-mutual-edit", "five-mutual"),
]
OBJECT_VIEWS = READ_VIEWS + WRITE_VIEWS
CREATE_VIEWS = [
    "assistance:loan-create",
    "assistance:training-create",
    "assistance:welfare-job-create",
    "assistance:pv-station-create",
    "assistance:industry-create",
    "assistance:reward-create",
    "assistance:example-create",
    "assistance:five-mutual-create",
]
LIST_VIEWS = [
    "assistance:loan-list",
    "assistance:instalment-list",
    "assistance:training-list",
    "assistance:welfare-job-list",
    "assistance:pv-station-list",
    "assistance:industry-list",
    "assistance:reward-list",
    "assistance:example-list",
    "assistance:five-mutual-list",
]


def url_for(name, kind, village):
    return reverse(name, args=[BUILDERS[kind](village).pk])


# ---------------------------------------------------------------- scoping on every view


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_on_a_programme_of_another_village(client, alice, hongqi, name, kind, method):
    url = url_for(name, kind, hongqi)
    client.force_login(alice)
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_scope_gets_404_on_every_programme_view(client, charlie, dongfeng, name, kind, method):
    url = url_for(name, kind, dongfeng)
    client.force_login(charlie)
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
def test_a_missing_programme_gives_the_same_404(client, alice, name, kind):
    client.force_login(alice)
    assert client.get(reverse(name, args=[987654])).status_code == 404


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
def test_the_cadre_of_the_village_opens_every_view(client, bob, hongqi, name, kind):
    url = url_for(name, kind, hongqi)
    client.force_login(bob)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("name", "kind"), OBJECT_VIEWS)
def test_an_official_opens_every_view_of_any_village(client, official, hongqi, name, kind):
    url = url_for(name, kind, hongqi)
    client.force_login(official)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", CREATE_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_users_who_edit_may_create(client, charlie, helper, name, method):
    for user in (charlie, helper):
        client.force_login(user)
        assert getattr(client, method)(reverse(name)).status_code == 404


def test_a_responsible_person_reads_the_programmes_of_an_assigned_household_but_cannot_edit(
    client, helper, dongfeng_household
):
    AssignmentFactory(household=dongfeng_household, person=helper)
    loan = LoanFactory(household=dongfeng_household)
    reward = RewardFactory(household=dongfeng_household)
    client.force_login(helper)
    assert client.get(loan.get_absolute_url()).status_code == 200
    assert client.get(reward.get_absolute_url()).status_code == 200
    assert "loan-edit" not in client.get(loan.get_absolute_url()).text
    assert client.get(reverse("assistance:loan-edit", args=[loan.pk])).status_code == 404
    assert client.get(reverse("assistance:loan-repay", args=[loan.pk])).status_code == 404


def test_a_session_lists_only_the_attendees_the_reader_may_see(client, helper, dongfeng, dongfeng_household):
    AssignmentFactory(household=dongfeng_household, person=helper)
    mine = dongfeng_household.members.get()
    other = household_in(dongfeng).members.get()
    session = TrainingSessionFactory(village=dongfeng, attendees=[mine, other])
    client.force_login(helper)
    response = client.get(session.get_absolute_url())
    assert mine.name in response.text
    assert other.name not in response.text
    assert response.context["object"].attendee_count == 2


# ---------------------------------------------------------------- lists


@pytest.mark.parametrize("name", LIST_VIEWS)
def test_a_user_without_scope_sees_empty_lists(client, charlie, dongfeng, name):
    for kind in BUILDERS:
        BUILDERS[kind](dongfeng)
    client.force_login(charlie)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


LIST_KINDS = {
    "assistance:loan-list": "loan",
    "assistance:training-list": "training",
    "assistance:welfare-job-list": "welfare-job",
    "assistance:pv-station-list": "pv-station",
    "assistance:industry-list": "industry",
    "assistance:reward-list": "reward",
    "assistance:example-list": "example",
    "assistance:five-mutual-list": "five-mutual",
}


@pytest.mark.parametrize(("name", "kind"), LIST_KINDS.items())
def test_a_cadre_lists_their_village_and_the_official_lists_all(client, alice, official, dongfeng, hongqi, name, kind):
    mine, theirs = BUILDERS[kind](dongfeng), BUILDERS[kind](hongqi)
    client.force_login(alice)
    assert [o.pk for o in client.get(reverse(name)).context["page"].object_list] == [mine.pk]
    assert [o.pk for o in client.get(reverse(name), {"village": hongqi.pk}).context["page"].object_list] == [mine.pk]
    client.force_login(official)
    assert {o.pk for o in client.get(reverse(name)).context["page"].object_list} == {mine.pk, theirs.pk}
    filtered = client.get(reverse(name), {"village": hongqi.pk}).context["page"].object_list
    assert [o.pk for o in filtered] == [theirs.pk]


# Queries of every list for the official (no village lookup in their scope):
# 1 session, 2 user, 3 paginator count, 4 the page's rows with their joins and per-row subqueries,
# 5 the village choices of the filter; the five-mutual list adds 6 its activity-type choices.
LIST_QUERIES = {name: 5 for name in LIST_VIEWS} | {"assistance:five-mutual-list": 6}


@pytest.mark.parametrize("name", LIST_VIEWS)
def test_every_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries, name):
    kind = LIST_KINDS.get(name, "loan")

    def add_rows():
        for _ in range(2):
            built = BUILDERS[kind](dongfeng)
            if kind == "loan":
                built.instalments.filter(number__lte=2).update(flag=InstalmentFlag.OVERDUE)

    add_rows()
    client.force_login(official)
    client.get(reverse(name))  # warm the session
    with django_assert_num_queries(LIST_QUERIES[name]):
        response = client.get(reverse(name))
    assert response.context["page"].paginator.count >= 2
    add_rows()
    add_rows()
    with django_assert_num_queries(LIST_QUERIES[name]):
        response = client.get(reverse(name))
    assert response.context["page"].paginator.count >= 6


def test_lists_are_paginated(client, official, dongfeng, monkeypatch):
    from assistance.views import programmes

    monkeypatch.setattr(programmes, "PER_PAGE", 2)
    for _ in range(5):
        RewardFactory(household=household_in(dongfeng))
    client.force_login(official)
    response = client.get(reverse("assistance:reward-list"), {"page": 3})
    assert len(response.context["page"].object_list) == 1


def test_the_loan_list_filters_by_status_and_flag(client, official, dongfeng):
    today = timezone.localdate()
    overdue = LoanFactory(household=household_in(dongfeng), issued_on=today - dt.timedelta(days=120))
    quiet = LoanFactory(household=household_in(dongfeng), issued_on=today - dt.timedelta(days=10))
    quiet.instalments.update(flag=InstalmentFlag.NONE)
    repaid = LoanFactory(household=household_in(dongfeng), issued_on=today - dt.timedelta(days=10))
    Loan.objects.filter(pk=repaid.pk).update(repaid_on=today)
    client.force_login(official)

    def listed(**query):
        return {loan.pk for loan in client.get(reverse("assistance:loan-list"), query).context["page"].object_list}

    assert listed(status="repaid") == {repaid.pk}
    assert listed(status="active") == {overdue.pk, quiet.pk}
    assert listed(flagged="overdue") == {overdue.pk}
    assert listed(flagged="any") == {overdue.pk}
    assert listed(flagged="due_soon") == set()


def test_the_instalment_list_shows_flagged_instalments_soonest_first(client, alice, dongfeng, hongqi):
    today = timezone.localdate()
    # Interest quarterly: issued 200 days ago, two instalments are past due and the third is months away;
    # issued 80 days ago, the first falls due within the coming fortnight.
    behind = LoanFactory(household=household_in(dongfeng), issued_on=today - dt.timedelta(days=200))
    soon = LoanFactory(household=household_in(dongfeng), issued_on=today - dt.timedelta(days=80))
    LoanFactory(household=household_in(hongqi), issued_on=today - dt.timedelta(days=200))
    client.force_login(alice)
    rows = client.get(reverse("assistance:instalment-list")).context["page"].object_list
    assert [(i.loan_id, i.number, i.flag) for i in rows] == [
        (behind.pk, 1, InstalmentFlag.OVERDUE),
        (behind.pk, 2, InstalmentFlag.OVERDUE),
        (soon.pk, 1, InstalmentFlag.DUE_SOON),
    ]
    only_overdue = client.get(reverse("assistance:instalment-list"), {"flag": "overdue"}).context["page"]
    assert [i.flag for i in only_overdue.object_list] == [InstalmentFlag.OVERDUE] * 2


def test_the_welfare_job_list_filters_posts_held_today(client, official, dongfeng):
    held = WelfareJobFactory(member=MemberFactory(household=household_in(dongfeng)))
    WelfareJobFactory(
        member=MemberFactory(household=household_in(dongfeng)), end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(official)
    page = client.get(reverse("assistance:welfare-job-list"), {"current": "yes"}).context["page"]
    assert [job.pk for job in page.object_list] == [held.pk]
    assert client.get(reverse("assistance:welfare-job-list"), {"current": "no"}).context["page"].paginator.count == 1


# ---------------------------------------------------------------- loans: create, edit, repay


def loan_post(borrower, **extra):
    data = {
        "borrower": borrower.pk,
        "bank": "县农商银行",
        "amount": "30000",
        "issued_on": "2020-03-01",
        "term_months": "36",
        "annual_rate": "4.35",
        "interest_subsidised": "on",
        "repayment_method": "quarterly_interest",
        "purpose": "肉牛养殖",
    }
    return data | extra


def test_a_new_loan_starts_by_asking_for_the_household_number(client, alice, dongfeng_household, hongqi_household):
    client.force_login(alice)
    url = reverse("assistance:loan-create")
    assert "number" in client.get(url).context["form"].fields
    response = client.get(url, {"number": dongfeng_household.number})
    assert response.status_code == 302
    assert response.url == f"{url}?household={dongfeng_household.pk}"
    refused = client.get(url, {"number": hongqi_household.number})
    assert refused.status_code == 200
    assert refused.context["form"].errors
    assert client.get(url, {"household": hongqi_household.pk}).status_code == 404
    assert client.get(url, {"household": "x"}).status_code == 404


def test_a_cadre_records_a_loan_and_its_schedule_is_written(client, alice, dongfeng_household):
    client.force_login(alice)
    head = dongfeng_household.members.get()
    url = reverse("assistance:loan-create") + f"?household={dongfeng_household.pk}"
    response = client.post(url, loan_post(head))
    loan = Loan.objects.get()
    assert response.status_code == 302
    assert response.url == loan.get_absolute_url()
    assert (loan.household, loan.borrower, loan.created_by) == (dongfeng_household, head, alice)
    assert loan.instalments.count() == 12


@pytest.mark.parametrize(("field", "value"), [("amount", "50000.01"), ("term_months", "61"), ("amount", "0")])
def test_the_loan_form_refuses_terms_beyond_the_limits(client, alice, dongfeng_household, field, value):
    client.force_login(alice)
    url = reverse("assistance:loan-create") + f"?household={dongfeng_household.pk}"
    response = client.post(url, loan_post(dongfeng_household.members.get(), **{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Loan.objects.exists()


def test_the_borrower_is_chosen_among_the_households_members(client, alice, dongfeng_household, dongfeng):
    outsider = household_in(dongfeng).members.get()
    client.force_login(alice)
    url = reverse("assistance:loan-create") + f"?household={dongfeng_household.pk}"
    response = client.post(url, loan_post(outsider))
    assert "borrower" in response.context["form"].errors


def test_terms_cannot_be_edited_after_a_repayment(client, alice, dongfeng_household):
    loan = LoanFactory(household=dongfeng_household)
    client.force_login(alice)
    client.post(reverse("assistance:loan-repay", args=[loan.pk]), {"paid_on": "2020-06-01", "amount": "326.25"})
    assert Repayment.objects.count() == 1
    edit = reverse("assistance:loan-edit", args=[loan.pk])
    response = client.post(edit, loan_post(loan.borrower, amount="20000"))
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert Loan.objects.get().amount == D("30000")
    response = client.post(edit, loan_post(loan.borrower, bank="县邮储银行"))
    assert response.status_code == 302
    assert Loan.objects.get().bank == "县邮储银行"


def test_a_repayment_beyond_what_is_owed_is_refused_on_the_form(client, alice, dongfeng_household):
    loan = LoanFactory(household=dongfeng_household)
    client.force_login(alice)
    response = client.post(
        reverse("assistance:loan-repay", args=[loan.pk]), {"paid_on": "2020-06-01", "amount": "40000"}
    )
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not Repayment.objects.exists()


def test_the_loan_page_runs_a_fixed_number_of_queries(client, alice, dongfeng_household, django_assert_num_queries):
    loan = LoanFactory(household=dongfeng_household)
    client.force_login(alice)
    client.get(loan.get_absolute_url())
    # 1 session, 2 user, 3 cadre's villages, 4 loan with household, village, borrower, creator and figures,
    # 5 instalments, 6 repayments
    with django_assert_num_queries(6):
        client.get(loan.get_absolute_url())


# ---------------------------------------------------------------- village programmes: create


def test_a_cadre_of_one_village_goes_straight_to_the_training_form(client, alice, dongfeng, dongfeng_household):
    client.force_login(alice)
    response = client.get(reverse("assistance:training-create"))
    assert response.context["village"] == dongfeng
    head = dongfeng_household.members.get()
    data = {
        "kind": "skills",
        "held_on": "2020-05-12",
        "topic": "电焊工技能培训",
        "organiser": "县人社局",
        "location": "村部",
        "attendees": [head.pk],
    }
    response = client.post(reverse("assistance:training-create"), data)
    session = TrainingSession.objects.get()
    assert response.url == session.get_absolute_url()
    assert (session.village, list(session.attendees.all())) == (dongfeng, [head])


def test_attendees_come_from_the_sessions_village_only(client, official, dongfeng, hongqi_household):
    client.force_login(official)
    url = reverse("assistance:training-create") + f"?village={dongfeng.pk}"
    data = {
        "kind": "skills",
        "held_on": "2020-05-12",
        "topic": "x",
        "organiser": "y",
        "location": "z",
        "attendees": [hongqi_household.members.get().pk],
    }
    response = client.post(url, data)
    assert "attendees" in response.context["form"].errors
    assert not TrainingSession.objects.exists()


def test_an_official_first_picks_the_village(client, official, dongfeng, hongqi):
    client.force_login(official)
    url = reverse("assistance:industry-create")
    assert "village" in client.get(url).context["form"].fields
    # The picker submits ?village=<pk>, which is what the form page reads.
    response = client.get(url, {"village": hongqi.pk})
    assert response.context["village"] == hongqi
    assert "households" in response.context["form"].fields


def test_a_cadre_cannot_create_in_another_village(client, alice, hongqi):
    client.force_login(alice)
    assert client.get(reverse("assistance:five-mutual-create"), {"village": hongqi.pk}).status_code == 404


def test_a_second_open_post_is_refused_on_the_form(client, alice, dongfeng_household):
    member = dongfeng_household.members.get()
    WelfareJobFactory(member=member)
    client.force_login(alice)
    data = {"post": "forest_ranger", "member": member.pk, "monthly_pay": "600", "start_date": "2020-08-01"}
    response = client.post(reverse("assistance:welfare-job-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert WelfareJob.objects.count() == 1


def test_a_welfare_job_is_created_for_a_member_of_the_village(client, alice, dongfeng, dongfeng_household):
    member = dongfeng_household.members.get()
    client.force_login(alice)
    data = {"post": "cleaner", "member": member.pk, "monthly_pay": "500", "start_date": "2020-01-01"}
    response = client.post(reverse("assistance:welfare-job-create"), data)
    job = WelfareJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert job.village == dongfeng


def test_pv_income_and_shares_are_recorded_with_what_remains(client, alice, dongfeng, dongfeng_household):
    client.force_login(alice)
    response = client.post(
        reverse("assistance:pv-station-create"),
        {"name": "东风村光伏电站", "village": dongfeng.pk, "capacity_kw": "100", "built_year": "2017"},
    )
    station = PVStation.objects.get()
    assert response.url == station.get_absolute_url()
    client.post(reverse("assistance:pv-income-create", args=[station.pk]), {"year": "2019", "income": "1000"})
    income = station.incomes.get()
    share_url = reverse("assistance:pv-share-create", args=[income.pk])
    refused = client.post(share_url, {"household": dongfeng_household.pk, "amount": "1000.01"})
    assert "amount" in refused.context["form"].errors
    client.post(share_url, {"household": dongfeng_household.pk, "amount": "600"})
    assert PVShare.objects.get().amount == D("600")
    page = client.get(station.get_absolute_url())
    assert page.context["object"].incomes.all()[0].remaining == D("400")


def test_households_of_an_industry_support_are_chosen_in_its_village(
    client, alice, dongfeng_household, hongqi_household
):
    client.force_login(alice)
    data = {"drive": "cooperative", "partner": "葡萄合作社", "industry": "葡萄种植", "year": "2020"}
    refused = client.post(reverse("assistance:industry-create"), data | {"households": [hongqi_household.pk]})
    assert "households" in refused.context["form"].errors
    client.post(reverse("assistance:industry-create"), data | {"households": [dongfeng_household.pk]})
    assert list(IndustrySupport.objects.get().households.all()) == [dongfeng_household]


def test_retired_activity_types_are_not_offered_for_new_activities(client, alice, dongfeng_household):
    active, retired = FiveMutualTypeFactory(), FiveMutualTypeFactory(active=False)
    client.force_login(alice)
    offered = client.get(reverse("assistance:five-mutual-create")).context["form"].fields["type"].queryset
    assert list(offered) == [active]
    data = {
        "type": active.pk,
        "held_on": "2020-07-01",
        "description": "邻里互帮",
        "households": [dongfeng_household.pk],
    }
    client.post(reverse("assistance:five-mutual-create"), data)
    assert FiveMutualActivity.objects.get().households.get() == dongfeng_household
    assert retired.pk not in [t.pk for t in offered]


def test_rewards_and_examples_are_created_for_the_household_passed_along(client, alice, dongfeng_household):
    client.force_login(alice)
    query = f"?household={dongfeng_household.pk}"
    client.post(
        reverse("assistance:reward-create") + query, {"awarded_on": "2020-06-01", "amount": "800", "reason": "x"}
    )
    client.post(
        reverse("assistance:example-create") + query,
        {"kind": "positive", "noted_on": "2020-06-01", "description": "勤劳致富"},
    )
    assert Reward.objects.get().household == dongfeng_household
    assert TypicalExample.objects.get().household == dongfeng_household


# ---------------------------------------------------------------- the household panel


@pytest.fixture
def programme_panel_registered(monkeypatch):
    from assistance import programme_panels
    from households import panels

    monkeypatch.setattr(panels, "_registry", list(panels._registry))
    programme_panels.register_all()


def test_the_household_page_summarises_its_programmes(client, alice, dongfeng_household, programme_panel_registered):
    today = timezone.localdate()
    loan = LoanFactory(household=dongfeng_household, issued_on=today - dt.timedelta(days=120), bank="县农商银行")
    RewardFactory(household=dongfeng_household, reason="发展庭院经济")
    WelfareJobFactory(member=dongfeng_household.members.get())
    client.force_login(alice)
    response = client.get(dongfeng_household.get_absolute_url())
    assert loan.get_absolute_url() in response.text
    assert "发展庭院经济" in response.text
    assert reverse("assistance:loan-create") + f"?household={dongfeng_household.pk}" in response.text


def test_the_panel_runs_five_queries_whatever_the_household_holds(alice, dongfeng, django_assert_num_queries):
    from assistance.programme_panels import programme_panel

    household = household_in(dongfeng)
    alice.scope  # noqa: B018 -- the scope is computed once per request, before any panel
    # 1 loans with their figures, 2 welfare jobs with members, 3 PV shares with station, 4 rewards, 5 examples
    with django_assert_num_queries(5):
        programme_panel(household, alice)
    LoanFactory(household=household)
    LoanFactory(household=household)
    RewardFactory(household=household)
    pv_share = PVShareFactory(household=household, income=PVIncomeFactory(station=PVStationFactory(village=dongfeng)))
    with django_assert_num_queries(5):
        context = programme_panel(household, alice)
    assert len(context["loans"]) == 2
    assert context["loans"][0].next_due_date is not None
    assert context["pv_shares"] == [pv_share]
