import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from assistance.services.guarantee import assignment_set
from assistance.tests.factories import SupportUnitFactory
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT


@pytest.fixture
def unit(dongfeng):
    return SupportUnitFactory(village=dongfeng, name="县农业农村局")


@pytest.fixture
def official_person(db):
    return UserFactory(role=Role.RESPONSIBLE, first_name="建国", last_name="刘")


# ---------------------------------------------------------------- the service


def test_assigning_a_responsible_person_records_their_support_unit(dongfeng_household, official_person, unit, alice):
    assignment = assignment_set(
        household=dongfeng_household,
        role=RESPONSIBLE,
        person=official_person,
        start_date=dt.date(2020, 1, 1),
        support_unit=unit,
        user=alice,
    )
    assert (assignment.person, assignment.support_unit, assignment.end_date) == (official_person, unit, None)


def test_reassigning_ends_the_current_assignment_the_day_before_and_keeps_it(
    dongfeng_household, official_person, unit, alice
):
    first = AssignmentFactory(household=dongfeng_household, person=official_person, support_unit=unit)
    successor = UserFactory(role=Role.RESPONSIBLE)
    assignment_set(
        household=dongfeng_household,
        role=RESPONSIBLE,
        person=successor,
        start_date=dt.date(2020, 7, 1),
        support_unit=unit,
        user=alice,
    )
    first.refresh_from_db()
    assert first.end_date == dt.date(2020, 6, 30)
    assert list(Assignment.objects.current().filter(household=dongfeng_household).values_list("person", flat=True)) == [
        successor.pk
    ]
    assert Assignment.objects.filter(household=dongfeng_household).count() == 2


def test_a_new_assignment_must_start_after_the_current_one(dongfeng_household, official_person, unit, alice):
    AssignmentFactory(household=dongfeng_household, person=official_person, support_unit=unit)
    with pytest.raises(ValidationError) as error:
        assignment_set(
            household=dongfeng_household,
            role=RESPONSIBLE,
            person=UserFactory(role=Role.RESPONSIBLE),
            start_date=dt.date(2020, 1, 1),
            support_unit=unit,
            user=alice,
        )
    assert "start_date" in error.value.message_dict


def test_a_contact_person_must_work_in_the_households_village(dongfeng_household, bob, alice):
    with pytest.raises(ValidationError) as error:
        assignment_set(
            household=dongfeng_household, role=CONTACT, person=bob, start_date=dt.date(2020, 1, 1), user=alice
        )
    assert "person" in error.value.message_dict


def test_a_village_cadre_cannot_be_a_responsible_person(dongfeng_household, alice, unit):
    with pytest.raises(ValidationError) as error:
        assignment_set(
            household=dongfeng_household,
            role=RESPONSIBLE,
            person=alice,
            start_date=dt.date(2020, 1, 1),
            support_unit=unit,
            user=alice,
        )
    assert "person" in error.value.message_dict


def test_a_support_unit_of_another_village_is_refused(dongfeng_household, official_person, hongqi, alice):
    with pytest.raises(ValidationError) as error:
        assignment_set(
            household=dongfeng_household,
            role=RESPONSIBLE,
            person=official_person,
            start_date=dt.date(2020, 1, 1),
            support_unit=SupportUnitFactory(village=hongqi),
            user=alice,
        )
    assert "support_unit" in error.value.message_dict
    assert not Assignment.objects.exists()


# ---------------------------------------------------------------- the assign page


def test_a_cadre_assigns_a_contact_person_from_the_household_page(client, alice, dongfeng_household):
    client.force_login(alice)
    url = reverse("assistance:assign", args=[dongfeng_household.pk, CONTACT])
    response = client.post(url, {"person": alice.pk, "start_date": "2020-02-01"})
    assert response.status_code == 302
    assert Assignment.objects.get().person == alice


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_assigning_in_another_village(client, alice, hongqi_household, method):
    client.force_login(alice)
    url = reverse("assistance:assign", args=[hongqi_household.pk, CONTACT])
    assert getattr(client, method)(url, {"person": alice.pk, "start_date": "2020-02-01"}).status_code == 404
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_responsible_person_cannot_assign(client, helper, dongfeng_household, method):
    AssignmentFactory(household=dongfeng_household, person=helper)
    client.force_login(helper)
    url = reverse("assistance:assign", args=[dongfeng_household.pk, CONTACT])
    assert getattr(client, method)(url).status_code == 404


def test_an_unknown_role_is_not_found(client, alice, dongfeng_household):
    client.force_login(alice)
    assert client.get(reverse("assistance:assign", args=[dongfeng_household.pk, "boss"])).status_code == 404


def test_the_household_page_shows_both_persons_and_what_is_missing(client, alice, dongfeng_household, official_person):
    AssignmentFactory(household=dongfeng_household, person=official_person)
    client.force_login(alice)
    response = client.get(dongfeng_household.get_absolute_url())
    assert str(official_person) in response.text
    guarantee = dict(response.context["panels"])["assistance/includes/guarantee_panel.html"]
    assert guarantee["missing_roles"] == [CONTACT]


# ---------------------------------------------------------------- the gaps list


def test_the_gap_list_shows_unexited_households_missing_either_person_and_exited_missing_a_responsible(
    client, official, dongfeng, official_person
):
    complete = HouseholdFactory(village=dongfeng)
    AssignmentFactory(household=complete, person=official_person)
    AssignmentFactory(household=complete, person=UserFactory(role=Role.CADRE), role=CONTACT)
    no_contact = HouseholdFactory(village=dongfeng)
    AssignmentFactory(household=no_contact, person=official_person)
    exited_covered = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    AssignmentFactory(household=exited_covered, person=official_person)
    exited_alone = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    ended = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    AssignmentFactory(household=ended, person=official_person, end_date=dt.date(2020, 6, 30))
    client.force_login(official)

    listed = {h.pk for h in client.get(reverse("assistance:gaps")).context["page"].object_list}

    assert listed == {no_contact.pk, exited_alone.pk, ended.pk}


def test_a_cadre_sees_only_their_villages_gaps(client, alice, dongfeng_household, hongqi_household):
    client.force_login(alice)
    listed = [h.pk for h in client.get(reverse("assistance:gaps")).context["page"].object_list]
    assert listed == [dongfeng_household.pk]


def test_a_user_without_scope_sees_no_gaps(client, charlie, dongfeng_household):
    client.force_login(charlie)
    assert client.get(reverse("assistance:gaps")).context["page"].paginator.count == 0


def test_the_gap_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    client.force_login(official)
    client.get(reverse("assistance:gaps"))
    for _ in range(3):
        HouseholdFactory(village=dongfeng)
    # 1 session, 2 user, 3 count, 4 page of households, 5 heads, 6 current assignments with persons, 7 villages
    with django_assert_num_queries(7):
        client.get(reverse("assistance:gaps"))
    for _ in range(4):
        AssignmentFactory(household=HouseholdFactory(village=dongfeng), person=UserFactory(role=Role.RESPONSIBLE))
    with django_assert_num_queries(7):
        response = client.get(reverse("assistance:gaps"))
    assert response.context["page"].paginator.count == 7
