"""Log a visit for a household not on one's list: found by the head's name or the number's last digits, in scope."""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory, VillagerGroupFactory
from visits.views import CHOICES_SHOWN

pytestmark = pytest.mark.django_db

CHOOSE = reverse("visits:log")


def visit_form_of(household) -> str:
    return f"{CHOOSE}?household={household.pk}"


def find(client, text):
    return client.get(CHOOSE, {"q": text})


@pytest.fixture
def zhang(dongfeng):
    return HouseholdFactory(village=dongfeng, number="3403210012340012", head__name="张三丰")


@pytest.fixture
def far_away(hongqi):
    """红旗村's household, whose head's name and number look like 张三丰's."""
    return HouseholdFactory(village=hongqi, number="3403210099990012", head__name="张三")


@pytest.mark.parametrize("text", ["3403210012340012", "0012", "40012", "3403 2100 1234 0012", " 张三丰 ", "三丰", "张"])
def test_one_household_matching_opens_its_visit_form(client, alice, zhang, far_away, text):
    client.force_login(alice)
    response = find(client, text)
    assert response.status_code == 302
    assert response["Location"] == visit_form_of(zhang)


def test_the_whole_number_opens_its_household_even_when_longer_numbers_end_with_it(client, alice, dongfeng):
    short = HouseholdFactory(village=dongfeng, number="12340012")
    HouseholdFactory(village=dongfeng, number="3403210012340012")
    client.force_login(alice)
    assert find(client, "12340012")["Location"] == visit_form_of(short)


def test_several_matches_are_listed_with_head_number_village_and_group_each_opening_its_form(client, alice, dongfeng):
    group = VillagerGroupFactory(village=dongfeng, name="第三组")
    first = HouseholdFactory(village=dongfeng, group=group, number="3403210011110077", head__name="王大")
    second = HouseholdFactory(village=dongfeng, number="3403210022220077", head__name="李二")
    third = HouseholdFactory(village=dongfeng, number="3403210033330078", head__name="王三")
    client.force_login(alice)

    response = find(client, "0077")

    assert response.status_code == 200
    assert response.context["matches"] == [first, second]
    page = response.text
    for household, name in ((first, "王大"), (second, "李二")):
        link = re.search(
            rf'<a class="list-group-item[^"]*" href="{re.escape(visit_form_of(household))}">(.*?)</a>', page, re.S
        )
        assert link, f"no link to the visit form of {household.number}"
        assert name in link.group(1)
        assert household.number in link.group(1)
        assert "东风村" in link.group(1)
    assert "第三组" in page
    assert find(client, "王").context["matches"] == [first, third]  # by the head's name, not 李二


def test_no_match_says_so_beside_the_field(client, alice, zhang):
    client.force_login(alice)
    response = find(client, "欧阳")
    assert response.status_code == 200
    assert response.context["matches"] == []
    assert response.context["form"].errors["q"] == ["没有您可查看的户与此相符。"]
    assert 'aria-describedby="id_q_error id_q_helptext"' in response.text
    assert "is-invalid" in response.text


@pytest.mark.parametrize("text", ["1", "012", "3 1"])
def test_fewer_than_four_digits_ask_for_more(client, alice, zhang, text):
    client.force_login(alice)
    response = find(client, text)
    assert response.status_code == 200
    assert response.context["matches"] == []
    assert response.context["form"].errors["q"] == ["请至少输入户编号的后4位。"]


def page_without(response, text: str) -> str:
    """The page less what was typed (as typed and in its URL) and the CSRF tokens, masked afresh in every response."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)
    return page.replace(quote(text), "").replace(text, "")


@pytest.mark.parametrize(
    ("theirs", "nobodys"), [("张三", "赵六"), ("99990012", "88880012"), ("3403210099990012", "3403210088880012")]
)
def test_another_villages_household_never_matches_and_the_page_cannot_tell_it_is_there(
    client, alice, far_away, theirs, nobodys
):
    client.force_login(alice)
    answer = find(client, theirs)
    assert answer.status_code == 200
    assert answer.context["matches"] == []
    assert far_away.number not in answer.text or far_away.number == theirs
    # The same page, word for word, as for a household that exists nowhere.
    assert page_without(answer, theirs) == page_without(find(client, nobodys), nobodys)


def test_a_responsible_person_finds_only_the_households_assigned_to_them(client, helper, dongfeng):
    mine = HouseholdFactory(village=dongfeng, head__name="张一")
    AssignmentFactory(household=mine, person=helper, role=AssignmentRole.RESPONSIBLE)
    HouseholdFactory(village=dongfeng, head__name="张二")  # same village, not theirs
    client.force_login(helper)
    assert find(client, "张")["Location"] == visit_form_of(mine)


def test_a_user_without_scope_finds_nothing(client, charlie, zhang):
    client.force_login(charlie)
    assert find(client, zhang.number).context["matches"] == []


def test_the_list_stops_at_twenty_and_asks_for_more_of_the_name_or_number(client, alice, dongfeng):
    for _ in range(CHOICES_SHOWN + 1):
        HouseholdFactory(village=dongfeng, head__name="王五")
    client.force_login(alice)
    response = find(client, "王五")
    assert len(response.context["matches"]) == CHOICES_SHOWN == 20
    assert response.context["more"]
    assert "只列出前20户" in response.text


def test_the_search_runs_a_fixed_number_of_queries(client, alice, dongfeng, django_assert_num_queries):
    HouseholdFactory(village=dongfeng, head__name="王五")
    HouseholdFactory(village=dongfeng, head__name="王六")
    client.force_login(alice)
    find(client, "王")
    # 1 session, 2 user, 3 cadre's villages, 4 up to 21 matching households in scope with village, group and
    # head's name
    with django_assert_num_queries(4):
        assert len(find(client, "王").context["matches"]) == 2
    for _ in range(5):
        HouseholdFactory(village=dongfeng, head__name="王七")
    with django_assert_num_queries(4):
        assert len(find(client, "王").context["matches"]) == 7


def test_the_search_field_is_made_for_one_thumb(client, alice, zhang):
    client.force_login(alice)
    page = client.get(CHOOSE).text
    field = re.search(r"<input [^>]*name=\"q\"[^>]*>", page).group(0)
    for attribute in (
        'type="search"',
        'inputmode="search"',
        'enterkeyhint="search"',
        'autocomplete="off"',
        "autofocus",
    ):
        assert attribute in field
    assert "form-control-lg" in field
    # With a list of matches shown, the keyboard stays down so that the list is not hidden under it.
    HouseholdFactory(village=zhang.village, head__name="张三")
    listed = find(client, "张")
    assert len(listed.context["matches"]) == 2
    assert "autofocus" not in re.search(r"<input [^>]*name=\"q\"[^>]*>", listed.text).group(0)
