"""The working set a phone keeps to work without a connection: my visits due and a snapshot of each household."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from households.choices import AssignmentRole, HouseholdStatus, Relation
from households.tests.factories import (
    AssessmentFactory,
    AssignmentFactory,
    HouseholdFactory,
    MemberFactory,
    VillagerGroupFactory,
)
from townaid.tests.test_personal_data import clues
from visits import selectors
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WORKING_SET = reverse("visits:working-set")


def assigned(village, person, role=AssignmentRole.RESPONSIBLE, **kwargs):
    household = HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1), **kwargs)
    AssignmentFactory(household=household, person=person, role=role)
    return household


@pytest.fixture
def phone(client, helper):
    client.force_login(helper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_working_set_holds_my_visits_due_and_what_the_visit_form_shows_of_each_household(phone, helper, dongfeng):
    household = assigned(dongfeng, helper, address="东风村三组12号", phone="13800000000")
    household.group = VillagerGroupFactory(village=dongfeng, name="三组")
    household.latest_assessment = AssessmentFactory(household=household, housing_ok=False, housing_note="屋顶漏雨")
    household.save()
    head = household.members.get()
    MemberFactory(household=household, name="李梅", relation=Relation.SPOUSE, sex="female")
    visits = [VisitFactory(household=household, visited_on=TODAY - dt.timedelta(days=days)) for days in (40, 3, 20, 9)]

    response = phone.get(WORKING_SET)

    assert (response.status_code, response["Content-Type"], response["Cache-Control"]) == (
        200,
        "application/json",
        "no-store",
    )
    body = response.json()
    assert body["user"] == {"id": helper.pk, "name": str(helper)}
    assert body["today"] == TODAY.isoformat()
    [due] = body["due"]
    assert (due["household"], due["role"], due["role_label"]) == (household.pk, "responsible", "Responsible person")
    assert due["period_start"] == TODAY.replace(day=1).isoformat()
    snapshot = body["households"][str(household.pk)]
    assert {key: snapshot[key] for key in ("id", "number", "head", "village", "group", "address", "phone")} == {
        "id": household.pk,
        "number": household.number,
        "head": head.name,
        "village": {"id": dongfeng.pk, "name": "东风村"},
        "group": "三组",
        "address": "东风村三组12号",
        "phone": "13800000000",
    }
    assert (snapshot["status"], snapshot["registered_on"]) == ("Not yet out of poverty", "2019-01-01")
    assert snapshot["members"] == [
        {"name": head.name, "relation": "Head of household", "sex": "Male", "age": head.age},
        {"name": "李梅", "relation": "Spouse", "sex": "Female", "age": household.members.get(name="李梅").age},
    ]
    housing = next(item for item in snapshot["assessment"]["items"] if item["item"] == "housing")
    assert housing == {"item": "housing", "label": "Safe housing guaranteed", "passes": False, "note": "屋顶漏雨"}
    assert [visit["visited_on"] for visit in snapshot["last_visits"]] == [
        visit.visited_on.isoformat() for visit in sorted(visits, key=lambda v: v.visited_on, reverse=True)[:3]
    ]
    assert snapshot["role"] == "responsible"
    assert snapshot["role_text"] == "You visit as the household's responsible person."
    assert snapshot["log_url"] == f"{reverse('visits:log')}?household={household.pk}"


def test_the_role_and_counting_sentences_are_those_the_visit_form_shows(phone, helper, dongfeng):
    household = assigned(dongfeng, helper)
    snapshot = phone.get(WORKING_SET).json()["households"][str(household.pk)]
    form = phone.get(f"{reverse('visits:log')}?household={household.pk}")

    assert form.context["role_text"] == snapshot["role_text"]
    assert form.context["counts_from"].isoformat() == snapshot["counts_from"]
    assert form.context["counts_from_text"] == snapshot["counts_from_text"]
    assert snapshot["counts_from"] in snapshot["counts_from_text"]


def test_no_id_number_nor_birth_date_of_any_member_is_sent(phone, helper, dongfeng):
    household = assigned(dongfeng, helper)
    MemberFactory(household=household, relation=Relation.SON, birth_date=dt.date(2008, 2, 29))
    body = phone.get(WORKING_SET).content.decode()
    leaks = [clue for member in household.members.all() for clue in clues(member) if clue in body]
    assert leaks == []
    assert len(household.members.all()) == 2


def test_the_working_set_is_scoped_to_my_households(phone, helper, dongfeng, hongqi, bob):
    mine = assigned(dongfeng, helper)
    assigned(hongqi, bob)  # bob's, in another village
    HouseholdFactory(village=dongfeng)  # my village's, but not assigned to me
    ended = assigned(dongfeng, helper)
    ended.assignments.update(end_date=TODAY - dt.timedelta(days=1))

    body = phone.get(WORKING_SET).json()

    assert list(body["households"]) == [str(mine.pk)]
    assert [due["household"] for due in body["due"]] == [mine.pk]


def test_a_cadre_without_assignments_gets_an_empty_working_set(client, alice, dongfeng):
    HouseholdFactory(village=dongfeng)
    client.force_login(alice)
    body = client.get(WORKING_SET).json()
    assert (body["due"], body["households"]) == ([], {})


def test_the_working_set_runs_a_fixed_number_of_queries(phone, helper, dongfeng, django_assert_num_queries):
    first = assigned(dongfeng, helper)
    VisitFactory(household=first, visited_on=TODAY)
    phone.get(WORKING_SET)
    # 1 session, 2 user, 3 rules, 4-7 one per active rule (the default four): the households it asks of me, 8 open
    # flags, 9 the rules again, 10 the households with village, group and latest assessment, 11 their members,
    # 12 their three latest visits with visitors, 13 my assignments to them today
    with django_assert_num_queries(13):
        phone.get(WORKING_SET)
    for _ in range(4):
        household = assigned(dongfeng, helper, status=HouseholdStatus.MONITORED)
        VisitFactory(household=household, visited_on=TODAY)
        AssessmentFactory(household=household)
    with django_assert_num_queries(13):
        body = phone.get(WORKING_SET).json()
    assert len(body["households"]) == 5


def test_an_unchanged_working_set_is_not_sent_again(phone, helper, dongfeng):
    assigned(dongfeng, helper)
    first = phone.get(WORKING_SET)
    assert first["ETag"] == f'"{first.json()["version"]}"'

    again = phone.get(WORKING_SET, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content) == (304, b"")

    assigned(dongfeng, helper)
    changed = phone.get(WORKING_SET, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_an_ended_session_is_told_to_log_in_again(client):
    response = client.get(WORKING_SET)
    assert (response.status_code, response.json()["status"]) == (401, "login")


def test_a_person_both_responsible_and_contact_visits_as_responsible(helper, dongfeng):
    household = assigned(dongfeng, helper)
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.CONTACT)  # both roles: responsible wins
    body = selectors.working_set(user=helper, on=TODAY)
    assert body["households"][str(household.pk)]["role"] == "responsible"
