import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.services import Message, notify
from households.choices import AssignmentRole, HouseholdStatus
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory
from visits.models import FlagKind, Resolution, VisitConflict, VisitorRole
from visits.services import visits_flag
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def assigned(village, person, role=AssignmentRole.RESPONSIBLE, **kwargs):
    household = HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1), **kwargs)
    AssignmentFactory(household=household, person=person, role=role)
    return household


# ---------------------------------------------------------------- my visits due


def test_my_visits_due_lists_my_households_overdue_first_and_done_last(client, helper, dongfeng):
    done = assigned(dongfeng, helper)
    VisitFactory(household=done, visitor=helper, visited_on=TODAY)
    overdue = assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    assigned(dongfeng, UserFactory())  # someone else's
    client.force_login(helper)

    due = client.get(reverse("visits:due")).context["due"]

    assert [d.household for d in due] == [overdue, done]
    assert (due[0].flag, due[0].done, due[1].done) == (FlagKind.OVERDUE, False, True)


def test_an_exited_household_is_due_once_a_quarter(client, helper, dongfeng):
    exited = assigned(dongfeng, helper, status=HouseholdStatus.EXITED, exit_year=2018)
    client.force_login(helper)
    item = client.get(reverse("visits:due")).context["due"][0]
    assert item.household == exited
    assert (item.period.start.month - 1) % 3 == 0
    assert (item.period.end - item.period.start).days > 80


def test_my_visits_due_runs_a_fixed_number_of_queries(client, helper, dongfeng, django_assert_num_queries):
    assigned(dongfeng, helper)
    client.force_login(helper)
    client.get(reverse("visits:due"))
    # 1 session, 2 user, 3 rules, 4-7 one per active rule (the default four): the households it asks of me
    # (scoped), with their village, head's name and my last visit that counted, 8 open flags
    with django_assert_num_queries(8):
        client.get(reverse("visits:due"))
    for _ in range(4):
        VisitFactory(household=assigned(dongfeng, helper), visitor=helper, visited_on=TODAY)
    with django_assert_num_queries(8):
        response = client.get(reverse("visits:due"))
    assert len(response.context["due"]) == 5


def test_my_visits_due_names_each_household_by_its_head_with_the_whole_number(client, helper, dongfeng):
    household = assigned(dongfeng, helper, number="3403210012340012", head__name="张三")
    headless = assigned(dongfeng, helper, number="3403210012340013", head=False)
    client.force_login(helper)
    response = client.get(reverse("visits:due"))
    assert {(d.household, d.household.head_name) for d in response.context["due"]} == {
        (household, "张三"),
        (headless, None),
    }
    assert named(response.text, "张三", "3403210012340012")
    assert named(response.text, "—", "3403210012340013")


def named(page: str, name: str, number: str) -> bool:
    """Whether the page links a household by its head's name, followed by its whole number."""
    return re.search(rf">{name}</.*?\n?.*?{number}<", page) is not None


# ---------------------------------------------------------------- flags


def test_a_cadre_sees_the_overdue_visits_of_their_village_only(client, alice, dongfeng, hongqi, helper):
    mine = assigned(dongfeng, helper)
    assigned(hongqi, helper)
    visits_flag(on=TODAY)
    client.force_login(alice)
    flags = client.get(reverse("visits:flags")).context["page"].object_list
    assert {f.household for f in flags} == {mine}


def test_the_flag_list_runs_a_fixed_number_of_queries(client, official, dongfeng, helper, django_assert_num_queries):
    assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    client.force_login(official)
    client.get(reverse("visits:flags"))
    # 1 session, 2 user, 3 count, 4 page of flags with household, head's name, village, rule and visitor, 5 villages
    with django_assert_num_queries(5):
        client.get(reverse("visits:flags"))
    for _ in range(3):
        assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    with django_assert_num_queries(5):
        client.get(reverse("visits:flags"))


def test_the_flag_list_shows_due_soon_when_asked(client, official, dongfeng, helper, settings):
    assigned(dongfeng, helper)
    settings.VISIT_DUE_SOON_DAY = 1
    visits_flag(on=TODAY)
    client.force_login(official)
    kinds = {f.kind for f in client.get(reverse("visits:flags"), {"kind": "due_soon"}).context["page"].object_list}
    assert kinds == {FlagKind.DUE_SOON}


def test_the_flag_list_names_each_household_by_its_head(client, alice, dongfeng, helper):
    assigned(dongfeng, helper, number="3403210012340012", head__name="张三")
    visits_flag(on=TODAY)
    client.force_login(alice)
    response = client.get(reverse("visits:flags"))
    assert {flag.head_name for flag in response.context["page"].object_list} == {"张三"}
    assert named(response.text, "张三", "3403210012340012")


# ---------------------------------------------------------------- visit list and detail


def test_the_visit_list_is_scoped_and_filters_by_household_and_month(client, alice, dongfeng, hongqi_household):
    mine = VisitFactory(household=assigned(dongfeng, alice, AssignmentRole.CONTACT), visited_on=dt.date(2020, 5, 3))
    VisitFactory(household=mine.household, visited_on=dt.date(2020, 6, 3))
    VisitFactory(household=hongqi_household)
    client.force_login(alice)
    assert client.get(reverse("visits:list")).context["page"].paginator.count == 2
    page = client.get(reverse("visits:list"), {"household": mine.household.number, "month": "2020-05"}).context["page"]
    assert list(page.object_list) == [mine]


def test_the_visit_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    VisitFactory(household=HouseholdFactory(village=dongfeng))
    client.force_login(official)
    client.get(reverse("visits:list"))
    # 1 session, 2 user, 3 count, 4 page of visits with household, head's name, village and visitor
    with django_assert_num_queries(4):
        client.get(reverse("visits:list"))
    for _ in range(3):
        VisitFactory(household=HouseholdFactory(village=dongfeng))
    with django_assert_num_queries(4):
        client.get(reverse("visits:list"))


def test_the_visit_list_and_a_visit_name_the_household_by_its_head(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, number="3403210012340012", head__name="张三")
    visit = VisitFactory(household=household)
    client.force_login(alice)
    assert named(client.get(reverse("visits:list")).text, "张三", "3403210012340012")
    page = client.get(visit.get_absolute_url()).text
    assert f'<a href="{household.get_absolute_url()}">张三</a>' in page  # the breadcrumb
    assert '张三 <span class="household-number" data-short="0012">3403210012340012</span>' in page
    months = client.get(reverse("visits:household", args=[household.pk])).text
    assert f'<a href="{household.get_absolute_url()}">张三</a>' in months


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_on_a_visit_in_another_village(client, alice, hongqi_household, method):
    visit = VisitFactory(household=hongqi_household)
    client.force_login(alice)
    assert getattr(client, method)(visit.get_absolute_url()).status_code == 404


def test_an_official_opens_any_visit_and_charlie_none(client, official, charlie, hongqi_household):
    visit = VisitFactory(household=hongqi_household, findings="屋顶需修缮")
    client.force_login(official)
    assert "屋顶需修缮" in client.get(visit.get_absolute_url()).text
    client.force_login(charlie)
    assert client.get(visit.get_absolute_url()).status_code == 404


def test_the_household_page_shows_recent_visits_and_open_flags(client, alice, dongfeng, helper):
    household = assigned(dongfeng, helper)
    VisitFactory(household=household, visitor=helper, role=VisitorRole.RESPONSIBLE, findings="收入稳定")
    visits_flag(on=TODAY)
    client.force_login(alice)
    response = client.get(household.get_absolute_url())
    panel = dict(response.context["panels"])["visits/includes/visit_panel.html"]
    assert len(panel["visits"]) == 1
    assert {f.rule.visitor_role for f in panel["flags"]} >= {AssignmentRole.CONTACT}


# ---------------------------------------------------------------- compliance


def test_compliance_counts_required_and_done_per_village_and_visitor(client, official, dongfeng, hongqi, helper):
    a = assigned(dongfeng, helper)
    assigned(dongfeng, helper)
    assigned(hongqi, helper)
    VisitFactory(household=a, visitor=helper, role=VisitorRole.RESPONSIBLE, visited_on=LAST_MONTH)
    client.force_login(official)

    context = client.get(reverse("visits:compliance"), {"month": LAST_MONTH.strftime("%Y-%m")}).context

    villages = {row.label: (row.done, row.required) for row in context["villages"]}
    # each unexited household owes a responsible and a contact visit a month
    assert villages == {"东风村": (1, 4), "红旗村": (0, 2)}
    visitors = {row.key: (row.done, row.required) for row in context["visitors"]}
    assert visitors == {helper.pk: (1, 3), None: (0, 3)}  # no contact person anywhere: nobody owes those
    assert (context["total"].done, context["total"].required) == (1, 6)


def test_a_cadres_compliance_covers_their_village_only(client, alice, dongfeng, hongqi, helper):
    assigned(dongfeng, helper)
    assigned(hongqi, helper)
    client.force_login(alice)
    labels = [row.label for row in client.get(reverse("visits:compliance")).context["villages"]]
    assert labels == ["东风村"]


# ---------------------------------------------------------------- inbox


def test_the_inbox_shows_my_notifications_and_marks_them_read(client, helper, alice):
    notify(
        [Message(recipient=helper, subject="走访提醒", body="x"), Message(recipient=alice, subject="别人的", body="y")]
    )
    client.force_login(helper)
    page = client.get(reverse("inbox")).text
    assert "走访提醒" in page
    assert "别人的" not in page
    client.post(reverse("inbox-read"))
    assert not Notification.objects.filter(recipient=helper, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_marking_read_needs_a_post(client, helper):
    client.force_login(helper)
    assert client.get(reverse("inbox-read")).status_code == 405


# ---------------------------------------------------------------- admin


def test_an_administrator_edits_the_visit_rules_in_the_admin(client):
    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get(reverse("admin:visits_visitrule_changelist")).status_code == 200


def test_a_staff_cadre_cannot_see_the_visit_rules(client, dongfeng):
    from django.contrib.auth.models import Permission

    cadre = UserFactory(role="cadre", villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename__in=["view_visitrule", "change_visitrule"]))
    client.force_login(cadre)
    assert client.get(reverse("admin:visits_visitrule_changelist")).status_code == 403


def test_a_miss_from_two_periods_ago_no_longer_marks_a_household_overdue(client, helper, dongfeng):
    household = assigned(dongfeng, helper)
    two_months_ago = (LAST_MONTH - dt.timedelta(days=1)).replace(day=1)
    visits_flag(on=LAST_MONTH + dt.timedelta(days=2))  # raises the miss of two months ago
    VisitFactory(household=household, visitor=helper, visited_on=LAST_MONTH)
    client.force_login(helper)
    item = client.get(reverse("visits:due")).context["due"][0]
    assert household.visit_flags.filter(period_start=two_months_ago, cleared_at__isnull=True).exists()
    assert item.flag is None


# ---------------------------------------------------------------- when and where a visit was made


@pytest.fixture
def visit_from_a_phone(dongfeng, helper):
    household = assigned(dongfeng, helper)
    visit = VisitFactory(
        household=household,
        visitor=helper,
        visited_on=TODAY,
        made_at=dt.datetime(2020, 3, 10, 1, 15, tzinfo=dt.UTC),
        received_at=dt.datetime(2020, 3, 12, 6, 30, tzinfo=dt.UTC),
        offline=True,
        latitude=Decimal("30.123"),
        longitude=Decimal("114.457"),
        content_digest="a" * 64,
    )
    VisitConflict.objects.create(
        visit=visit,
        client_key=visit.client_key,
        received_at=dt.datetime(2020, 3, 12, 7, 0, tzinfo=dt.UTC),
        content={},
        content_digest="b" * 64,
        resolved_at=dt.datetime(2020, 3, 12, 8, 0, tzinfo=dt.UTC),
        resolution=Resolution.KEPT,
        resolved_by=helper,
    )
    return visit


@pytest.mark.parametrize(("user", "sees_location"), [("helper", True), ("official", True), ("alice", False)])
def test_the_visit_page_says_when_it_was_written_and_sent_and_where_only_to_its_visitor_and_officials(
    client, visit_from_a_phone, request, user, sees_location
):
    client.force_login(request.getfixturevalue(user))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = client.get(visit_from_a_phone.get_absolute_url()).text

    assert "Written on the phone at 2020-03-10 09:15" in text  # in the town's time
    assert "Reached the server at 2020-03-12 14:30" in text
    assert "Logged offline" in text
    assert ("about 30.123, 114.457" in text) is sees_location
    assert "A different version reached the server at 2020-03-12 15:00" in text
    assert "The stored version was kept" in text


def test_the_visits_download_says_when_each_visit_was_written_received_and_whether_offline(visit_from_a_phone):
    from visits.resources import VisitResource

    with translation.override("en"):
        row = VisitResource().export([visit_from_a_phone]).dict[0]
    assert [row[str(label)] for label in ("Written on the phone at", "Reached the server at", "Logged offline")] == [
        "2020-03-10 09:15:00",
        "2020-03-12 14:30:00",
        "Yes",
    ]
