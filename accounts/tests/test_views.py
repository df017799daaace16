import pytest
from django.urls import reverse

from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_cadre_lands_on_their_village_dashboard(client, alice, dongfeng):
    client.force_login(alice)
    assert client.get("/").url == reverse("reports:village", args=[dongfeng.pk])


def test_an_official_lands_on_the_town_dashboard(client, official):
    client.force_login(official)
    assert client.get("/").url == reverse("reports:town")


def test_an_admin_lands_on_the_town_dashboard(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get("/").url == reverse("reports:town")


def test_a_user_without_scope_lands_on_the_empty_household_list(client, charlie):
    client.force_login(charlie)
    assert client.get("/").url == reverse("households:list")


def test_the_home_page_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_logs_in_with_username_and_password(client, db):
    UserFactory(username="wang", password="a-long-enough-password")
    response = client.post(reverse("login"), {"username": "wang", "password": "a-long-enough-password"})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_a_wrong_password_is_refused_with_a_message(client, db):
    UserFactory(username="wang", password="a-long-enough-password")
    response = client.post(reverse("login"), {"username": "wang", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_logging_out_takes_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("households:list")).status_code == 302


def test_pages_are_in_chinese_by_default(client, alice):
    client.force_login(alice)
    response = client.get(reverse("households:list"))
    assert '<html lang="zh-hans">' in response.text
    assert "贫困户" in response.text


def test_english_can_be_chosen_from_any_page(client, alice):
    client.force_login(alice)
    list_url = reverse("households:list")
    response = client.post(reverse("set_language"), {"language": "en", "next": list_url})
    assert response.url == list_url
    page = client.get(list_url).text
    assert '<html lang="en">' in page
    assert "Households" in page


def test_pages_stay_chinese_for_a_browser_that_prefers_english(client, alice):
    client.force_login(alice)
    response = client.get(reverse("households:list"), headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="zh-hans">' in response.text


def test_a_responsible_person_lands_on_the_households_they_answer_for(client, helper):
    client.force_login(helper)
    assert client.get("/").url == reverse("reports:mine")


def test_a_visitor_can_switch_the_login_page_to_english_before_logging_in(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.url == reverse("login")
    assert '<html lang="en">' in client.get(reverse("login")).text
