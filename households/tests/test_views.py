import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AccessEvent
from common.tests.browser import sent_back
from households import idnumbers
from households.choices import AssessmentItem, HouseholdStatus, Relation
from households.models import Assessment, Household, Member, StatusChange
from households.tests.factories import (
    AssessmentFactory,
    AssignmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
    valid_id_number,
)

pytestmark = pytest.mark.django_db

# What the household page costs, whatever the household holds (listed in the test that pins it).
DETAIL_PAGE_QUERIES = 22

HOUSEHOLD_VIEWS = ["households:detail", "households:edit", "households:assess", "households:status"]


def household_url(name, household):
    return reverse(name, args=[household.pk])


def reveal_url(household):
    return reverse("households:reveal-id", args=[household.pk, household.members.get().pk])


# ---------------------------------------------------------------- scoping on every view


@pytest.mark.parametrize("name", HOUSEHOLD_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_on_a_household_of_another_village(client, alice, hongqi_household, name, method):
    client.force_login(alice)
    response = getattr(client, method)(household_url(name, hongqi_household))
    assert response.status_code == 404


@pytest.mark.parametrize("name", HOUSEHOLD_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_missing_household_gives_the_same_404(client, alice, name, method):
    client.force_login(alice)
    assert getattr(client, method)(reverse(name, args=[987654])).status_code == 404


def test_a_cadre_cannot_reveal_an_id_number_in_another_village(client, alice, hongqi_household):
    client.force_login(alice)
    assert client.post(reveal_url(hongqi_household)).status_code == 404
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("name", HOUSEHOLD_VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_scope_gets_404_on_every_household_view(client, charlie, dongfeng_household, name, method):
    client.force_login(charlie)
    assert getattr(client, method)(household_url(name, dongfeng_household)).status_code == 404


def test_a_user_without_scope_sees_an_empty_list_and_cannot_create(client, charlie, dongfeng_household):
    client.force_login(charlie)
    response = client.get(reverse("households:list"))
    assert response.status_code == 200
    assert dongfeng_household.number not in response.text
    assert client.get(reverse("households:create")).status_code == 404
    assert client.post(reverse("households:create")).status_code == 404


@pytest.mark.parametrize("name", HOUSEHOLD_VIEWS)
def test_an_official_opens_every_view_of_any_village(client, official, hongqi_household, name):
    client.force_login(official)
    assert client.get(household_url(name, hongqi_household)).status_code == 200


def test_a_responsible_person_reads_an_assigned_household_but_cannot_edit_it(client, helper, dongfeng_household):
    AssignmentFactory(household=dongfeng_household, person=helper)
    client.force_login(helper)
    assert client.get(household_url("households:detail", dongfeng_household)).status_code == 200
    assert client.get(household_url("households:edit", dongfeng_household)).status_code == 404


def test_a_cadre_cannot_change_status_in_their_own_village(client, alice, dongfeng_household):
    client.force_login(alice)
    assert client.get(household_url("households:status", dongfeng_household)).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, dongfeng_household):
    response = client.get(household_url("households:detail", dongfeng_household))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_cadres_village_with_masked_id_numbers(client, alice, dongfeng_household, hongqi_household):
    client.force_login(alice)
    response = client.get(reverse("households:list"))
    head = dongfeng_household.members.get()
    assert dongfeng_household.number in response.text
    assert hongqi_household.number not in response.text
    assert head.masked_id_number in response.text
    assert head.id_number not in response.text


def test_the_list_filters_by_status_and_failing_item(client, official, dongfeng, hongqi_household):
    exited = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    failing = HouseholdFactory(village=dongfeng)
    failing.latest_assessment = AssessmentFactory(household=failing, housing_ok=False, housing_note="C级")
    failing.save()
    client.force_login(official)

    by_status = client.get(reverse("households:list"), {"status": "exited"}).context["page"].object_list
    assert [h.pk for h in by_status] == [exited.pk]
    by_item = client.get(reverse("households:list"), {"failing": "housing"}).context["page"].object_list
    assert [h.pk for h in by_item] == [failing.pk]
    assert client.get(reverse("households:list"), {"failing": "water"}).context["page"].paginator.count == 0
    assert client.get(reverse("households:list"), {"failing": "any"}).context["page"].paginator.count == 1


def test_the_list_filters_by_village_and_group(client, official, dongfeng, dongfeng_household, hongqi_household):
    from households.tests.factories import VillagerGroupFactory

    group = VillagerGroupFactory(village=dongfeng)
    grouped = HouseholdFactory(village=dongfeng, group=group)
    client.force_login(official)
    page = client.get(reverse("households:list"), {"village": dongfeng.pk}).context["page"]
    assert {h.pk for h in page.object_list} == {dongfeng_household.pk, grouped.pk}
    page = client.get(reverse("households:list"), {"village": dongfeng.pk, "group": group.pk}).context["page"]
    assert [h.pk for h in page.object_list] == [grouped.pk]


def test_a_cadre_cannot_filter_their_way_into_another_village(client, alice, hongqi, hongqi_household):
    client.force_login(alice)
    response = client.get(reverse("households:list"), {"village": hongqi.pk})
    assert hongqi_household.number not in response.text


@pytest.mark.parametrize("query", ["name", "number", "id_number"])
def test_the_search_finds_a_household_by_name_number_or_whole_id_number(client, official, dongfeng_household, query):
    other = HouseholdFactory(village=dongfeng_household.village)
    head = dongfeng_household.members.get()
    text = {"name": head.name, "number": dongfeng_household.number, "id_number": head.id_number.lower()}[query]
    client.force_login(official)
    page = client.get(reverse("households:list"), {"q": text}).context["page"]
    assert [h.pk for h in page.object_list] == [dongfeng_household.pk]
    assert other.pk not in [h.pk for h in page.object_list]


def test_the_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    for _ in range(3):
        household = HouseholdFactory(village=dongfeng)
        MemberFactory(household=household)
    client.force_login(official)
    client.get(reverse("households:list"))  # warm the session
    # 1 session, 2 user, 3 paginator count, 4 page of households (with village, group, latest
    # assessment joined and the member count as a subquery), 5 heads prefetch, 6 village choices
    with django_assert_num_queries(6):
        response = client.get(reverse("households:list"))
    assert len(response.context["page"].object_list) == 3
    for _ in range(5):
        HouseholdFactory(village=dongfeng)
    with django_assert_num_queries(6):
        client.get(reverse("households:list"))


def test_the_list_is_paginated(client, official, dongfeng, settings):
    settings.HOUSEHOLDS_PER_PAGE = 2
    for _ in range(5):
        HouseholdFactory(village=dongfeng)
    client.force_login(official)
    response = client.get(reverse("households:list"), {"page": 3})
    assert len(response.context["page"].object_list) == 1


# ---------------------------------------------------------------- the detail page


def test_the_detail_page_runs_a_fixed_number_of_queries(client, alice, dongfeng_household, django_assert_num_queries):
    for _ in range(3):
        MemberFactory(household=dongfeng_household)
    AssessmentFactory(household=dongfeng_household)
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 household with village, town, group, latest assessment,
    # 5 members, 6 status changes with their deciders and roster imports, 7 assessments, 8 income records,
    # 9 classifications with their deciders, 10 roster imports that touched it with their batches,
    # 11 income lines; then the panels of the apps above the registry:
    # 12 current assignments with persons and support units, 13 the latest monitoring cases,
    # 14 latest visits with visitors, 15 open visit flags with rules and visitors, 16 the latest plan (none here),
    # 17-21 programmes: loans with their figures, welfare jobs, PV shares, rewards, examples,
    # 22 infrastructure projects that benefit the household
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        response = client.get(household_url("households:detail", dongfeng_household))
    assert response.status_code == 200


def test_the_detail_page_is_titled_by_the_head_of_household_with_the_whole_number_beside(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, number="3403210012340012", head__name="张三")
    MemberFactory(household=household, name="李四")  # a spouse, listed first by name, is not the head
    client.force_login(alice)
    page = client.get(household_url("households:detail", household)).content.decode()
    assert "<title>张三 · 3403210012340012 · " in page
    assert re.search(r'<h1[^>]*>张三 <span class="household-number" data-short="0012">3403210012340012</span>', page)


def test_a_household_without_a_head_is_titled_by_its_number(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, number="3403210012340099", head=False)
    client.force_login(alice)
    page = client.get(household_url("households:detail", household)).content.decode()
    assert "<title>户 3403210012340099 · " in page  # "Household 3403210012340099", in Chinese


def test_the_detail_page_masks_id_numbers_until_one_is_revealed_and_logs_the_reveal(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    client.force_login(alice)
    assert head.id_number not in client.get(household_url("households:detail", dongfeng_household)).text

    response = client.post(reveal_url(dongfeng_household))

    assert head.id_number in response.text
    reveal = AccessEvent.objects.get()
    assert (reveal.user, reveal.member, reveal.purpose) == (alice, head, "view")


def test_revealing_needs_a_post(client, alice, dongfeng_household):
    client.force_login(alice)
    assert client.get(reveal_url(dongfeng_household)).status_code == 405


# ---------------------------------------------------------------- create and edit with members


def member_data(prefix_index, *, name, relation, id_number, **extra):
    p = f"members-{prefix_index}-"
    data = {p + "name": name, p + "relation": relation, p + "id_number": id_number, p + "health": "healthy"}
    data.update({p + key: value for key, value in extra.items()})
    return data


def household_post(village, *members, number="340321001000777", **extra):
    data = {
        "number": number,
        "village": village.pk,
        "attribute": "ordinary",
        "main_cause": "illness",
        "other_causes": ["skills"],
        "members-TOTAL_FORMS": len(members),
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 1,
        "members-MAX_NUM_FORMS": 1000,
        **extra,
    }
    for member in members:
        data.update(member)
    return data


def test_a_cadre_registers_a_household_with_its_members_in_one_form(client, alice, dongfeng):
    client.force_login(alice)
    head_id = valid_id_number(dt.date(1970, 3, 4), "male")
    data = household_post(
        dongfeng,
        member_data(0, name="张三", relation=Relation.HEAD, id_number=head_id),
        member_data(1, name="李梅", relation=Relation.SPOUSE, id_number=valid_id_number(dt.date(1972, 1, 1), "female")),
    )
    response = client.post(reverse("households:create"), data)

    household = Household.objects.get(number="340321001000777")
    assert response.status_code == 302
    assert response.url == household.get_absolute_url()
    head = household.members.get(relation=Relation.HEAD)
    assert (head.name, head.sex, head.birth_date) == ("张三", "male", idnumbers.parse(head_id).birth_date)
    assert household.other_causes == ["skills"]
    assert StatusChange.objects.get(household=household).to_status == HouseholdStatus.UNEXITED


def test_a_household_without_exactly_one_head_is_not_saved(client, alice, dongfeng):
    client.force_login(alice)
    data = household_post(
        dongfeng,
        member_data(0, name="张三", relation=Relation.SPOUSE, id_number=valid_id_number()),
    )
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 200
    assert [e.code for e in response.context["members"].non_form_errors().as_data()] == ["heads"]
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_a_bad_member_saves_nothing_and_names_the_problem(client, alice, dongfeng):
    client.force_login(alice)
    good = member_data(0, name="张三", relation=Relation.HEAD, id_number=valid_id_number())
    bad = member_data(1, name="李梅", relation=Relation.SPOUSE, id_number="110105194912310021")
    response = client.post(reverse("households:create"), household_post(dongfeng, good, bad))
    assert response.status_code == 200
    assert response.context["members"].forms[1].errors["id_number"]
    assert not Household.objects.exists()


def test_a_members_sex_and_birth_date_are_read_from_the_id_number_not_asked_for(client, alice, dongfeng):
    client.force_login(alice)
    head_id = valid_id_number(dt.date(1961, 7, 8), "male")
    head = member_data(0, name="张三", relation=Relation.HEAD, id_number=head_id, sex="female", birth_date="2001-01-01")
    assert client.post(reverse("households:create"), household_post(dongfeng, head)).status_code == 302
    member = Member.objects.get()
    assert (member.sex, member.birth_date) == ("male", idnumbers.parse(head_id).birth_date)


def test_a_cadre_cannot_register_a_household_in_another_village(client, alice, hongqi):
    client.force_login(alice)
    head = member_data(0, name="张三", relation=Relation.HEAD, id_number=valid_id_number())
    response = client.post(reverse("households:create"), household_post(hongqi, head))
    assert "village" in response.context["form"].errors
    assert not Household.objects.exists()


def test_editing_swaps_the_head_between_two_members(client, alice, dongfeng_household):
    old_head = dongfeng_household.members.get()
    spouse = MemberFactory(household=dongfeng_household, relation=Relation.SPOUSE)
    client.force_login(alice)
    data = household_post(dongfeng_household.village, number=dongfeng_household.number)
    data.update({"members-TOTAL_FORMS": 2, "members-INITIAL_FORMS": 2})
    for index, (member, relation) in enumerate([(old_head, Relation.SPOUSE), (spouse, Relation.HEAD)]):
        data.update(member_data(index, name=member.name, relation=relation, id_number=member.id_number))
        data[f"members-{index}-id"] = member.pk
    response = client.post(household_url("households:edit", dongfeng_household), data)
    assert response.status_code == 302
    assert dongfeng_household.members.get(relation=Relation.HEAD) == spouse


def edit_form_data(client, household) -> dict:
    """The edit form as the page holds it."""
    response = client.get(household_url("households:edit", household))
    return sent_back(response.context["form"], response.context["members"])


def test_the_edit_form_shows_id_numbers_masked_with_neither_birth_date_nor_a_log_entry(
    client, alice, dongfeng_household
):
    head = dongfeng_household.members.get()
    client.force_login(alice)

    response = client.get(household_url("households:edit", dongfeng_household))

    assert head.masked_id_number in response.text
    assert [t for t in (head.id_number, head.birth_date.isoformat(), head.id_number[6:14]) if t in response.text] == []
    assert not AccessEvent.objects.exists()


def test_a_blank_id_number_keeps_the_stored_one(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    client.force_login(alice)
    data = edit_form_data(client, dongfeng_household)
    assert data["members-0-id_number"] == ""
    data["members-0-name"] = "张大山"

    assert client.post(household_url("households:edit", dongfeng_household), data).status_code == 302
    head.refresh_from_db()
    assert (head.name, head.id_number) == ("张大山", head.id_number)


def test_typing_a_new_id_number_replaces_it_with_its_sex_and_birth_date(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    new_id = valid_id_number(dt.date(1958, 11, 12), "female")
    client.force_login(alice)
    data = edit_form_data(client, dongfeng_household)
    data["members-0-id_number"] = new_id.lower()

    assert client.post(household_url("households:edit", dongfeng_household), data).status_code == 302
    head.refresh_from_db()
    assert (head.id_number, head.sex, head.birth_date) == (new_id, "female", idnumbers.parse(new_id).birth_date)


def test_showing_an_id_number_from_the_edit_form_is_a_logged_post_that_keeps_the_input_and_saves_nothing(
    client, alice, dongfeng_household
):
    head = dongfeng_household.members.get()
    client.force_login(alice)
    data = {**edit_form_data(client, dongfeng_household), "address": "东风村9组", "reveal": str(head.pk)}

    response = client.post(household_url("households:edit", dongfeng_household), data)

    assert response.status_code == 200
    assert head.id_number in response.text
    assert response.context["form"]["address"].value() == "东风村9组"
    reveal = AccessEvent.objects.get()
    assert (reveal.kind, reveal.user, reveal.member, reveal.purpose) == ("id_revealed", alice, head, "edit")
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.address != "东风村9组"


def test_the_edit_form_reveals_only_a_member_of_the_household_it_edits(client, alice, dongfeng_household):
    neighbour = HouseholdFactory(village=dongfeng_household.village).members.get()
    client.force_login(alice)
    data = {**edit_form_data(client, dongfeng_household), "reveal": str(neighbour.pk)}

    assert client.post(household_url("households:edit", dongfeng_household), data).status_code == 404
    assert not AccessEvent.objects.exists()


# ---------------------------------------------------------------- values other villages hold


def test_a_household_number_held_in_the_users_own_village_is_named(client, alice, dongfeng_household):
    other = HouseholdFactory(village=dongfeng_household.village)
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are compared in English
    data = {**edit_form_data(client, dongfeng_household), "number": other.number}

    response = client.post(household_url("households:edit", dongfeng_household), data)

    assert response.context["form"].errors["number"] == [
        f"Household {other.number} is already registered; open it from the list of households."
    ]
    assert not AccessEvent.objects.exists()


def test_a_household_number_held_in_another_village_is_only_said_to_be_unusable(
    client, alice, official, dongfeng_household, hongqi_household
):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are compared in English
    data = {**edit_form_data(client, dongfeng_household), "number": hongqi_household.number}

    response = client.post(household_url("households:edit", dongfeng_household), data)

    assert response.status_code == 200
    assert response.context["form"].errors["number"] == [
        "This household number cannot be used here: check it, or ask the town office."
    ]
    assert [t for t in (hongqi_household.village.name, "already", "exists") if t in response.text] == []
    assert Household.objects.get(pk=dongfeng_household.pk).number == dongfeng_household.number


def test_an_id_number_held_in_another_village_is_only_said_to_be_unusable(
    client, alice, dongfeng_household, hongqi_household
):
    theirs = hongqi_household.members.get()
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are compared in English
    data = {**edit_form_data(client, dongfeng_household), "members-0-id_number": theirs.id_number}

    response = client.post(household_url("households:edit", dongfeng_household), data)

    errors = response.context["members"].forms[0].errors["id_number"]
    assert errors == ["This ID number cannot be used here: check it, or ask the town office."]
    assert [t for t in (theirs.name, hongqi_household.number, "already") if t in response.text] == []


def test_an_id_number_of_another_village_typed_in_a_form_is_logged_and_told_to_its_towns_officials(
    client, alice, official, dongfeng_household, hongqi_household
):
    theirs = hongqi_household.members.get()
    client.force_login(alice)
    data = {**edit_form_data(client, dongfeng_household), "members-0-id_number": theirs.id_number}

    client.post(household_url("households:edit", dongfeng_household), data)

    event = AccessEvent.objects.get()
    assert (event.kind, event.user, event.household, event.purpose) == (
        "out_of_scope_value",
        alice,
        hongqi_household,
        "id_number",
    )
    (notice,) = official.notifications.all()
    assert hongqi_household.number in notice.subject
    assert notice.url == hongqi_household.get_absolute_url()
    assert alice.notifications.count() == 0


def test_an_id_number_held_in_the_users_own_village_names_its_holder(client, alice, dongfeng_household):
    other = HouseholdFactory(village=dongfeng_household.village).members.get()
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are compared in English
    data = {**edit_form_data(client, dongfeng_household), "members-0-id_number": other.id_number}

    response = client.post(household_url("households:edit", dongfeng_household), data)

    assert response.context["members"].forms[0].errors["id_number"] == [
        f"{other.name} of household {other.household.number} already has this ID number."
    ]


# ---------------------------------------------------------------- 2W3G and status


def assessment_post(**overrides):
    data = {"assessed_on": "2020-05-01"}
    for item in AssessmentItem:
        data[item.verdict_field] = "True"
        data[item.note_field] = ""
    data.update(overrides)
    return data


def test_recording_an_assessment_makes_it_the_latest(client, alice, dongfeng_household):
    client.force_login(alice)
    response = client.post(
        household_url("households:assess", dongfeng_household),
        assessment_post(water_ok="False", water_note="水井干涸"),
    )
    assert response.status_code == 302
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.latest_assessment.failing_items() == [AssessmentItem.WATER]
    assert dongfeng_household.latest_assessment.assessed_by == alice


def test_a_failed_item_needs_a_note(client, alice, dongfeng_household):
    client.force_login(alice)
    response = client.post(household_url("households:assess", dongfeng_household), assessment_post(food_ok="False"))
    assert "food_note" in response.context["form"].errors
    assert not Assessment.objects.exists()


def test_an_official_marks_a_passing_household_out_of_poverty(client, official, dongfeng_household):
    AssessmentFactory(household=dongfeng_household)
    dongfeng_household.latest_assessment = dongfeng_household.assessments.get()
    dongfeng_household.save()
    IncomeRecordFactory(household=dongfeng_household, year=2020, wage_income=5001, household_size=1)
    client.force_login(official)
    response = client.post(
        household_url("households:status", dongfeng_household),
        {"to_status": "exited", "changed_on": "2020-06-30", "reason": "达到脱贫标准"},
    )
    assert response.status_code == 302
    dongfeng_household.refresh_from_db()
    assert (dongfeng_household.status, dongfeng_household.exit_year) == (HouseholdStatus.EXITED, 2020)
    change = dongfeng_household.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == ("unexited", "exited", official)


def test_the_status_page_names_the_item_that_blocks_exit(client, official, dongfeng_household):
    dongfeng_household.latest_assessment = AssessmentFactory(
        household=dongfeng_household, housing_ok=False, housing_note="D级危房"
    )
    dongfeng_household.save()
    client.force_login(official)
    response = client.post(
        household_url("households:status", dongfeng_household),
        {"to_status": "exited", "changed_on": "2020-06-30", "reason": "x"},
    )
    assert response.status_code == 200
    assert str(AssessmentItem.HOUSING.label) in response.text
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.status == HouseholdStatus.UNEXITED
    assert not StatusChange.objects.exists()


# ---------------------------------------------------------------- searching by a whole ID number


def test_searching_by_a_whole_id_number_is_logged_with_the_number_masked(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    client.force_login(alice)

    response = client.get(reverse("households:list"), {"q": head.id_number.lower()})

    assert [h.pk for h in response.context["page"].object_list] == [dongfeng_household.pk]
    event = AccessEvent.objects.get()
    assert (event.kind, event.user, event.detail) == ("id_searched", alice, {"id_number": head.masked_id_number})


def test_searching_by_a_name_or_household_number_logs_nothing(client, alice, dongfeng_household):
    client.force_login(alice)
    client.get(reverse("households:list"), {"q": dongfeng_household.number})
    client.get(reverse("households:list"), {"q": dongfeng_household.members.get().name})
    assert not AccessEvent.objects.exists()


def test_an_identified_year_after_the_exit_year_is_a_form_error_not_a_crash(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    client.force_login(alice)
    data = {**edit_form_data(client, household), "identified_year": "2019"}

    response = client.post(household_url("households:edit", household), data)

    assert response.status_code == 200
    assert "identified_year" in response.context["form"].errors
