"""The navigation menu, kept once per language and set of permissions, still shows each user their own links."""

from django.urls import reverse

from accounts.models import Role
from households.tests.factories import UserFactory


def test_a_cadre_is_offered_the_exit_register_but_not_the_roster_import(client, alice):
    client.force_login(alice)
    page = client.get(reverse("households:list")).text
    assert reverse("households:exits") in page
    assert reverse("households:import") not in page


def test_an_administrator_after_a_cadre_is_offered_the_roster_import(client, alice, db):
    client.force_login(alice)
    client.get(reverse("households:list"))
    client.force_login(UserFactory(username="admin", role=Role.ADMIN))
    assert reverse("households:import") in client.get(reverse("households:list")).text


def test_a_responsible_person_is_offered_neither(client, helper):
    client.force_login(helper)
    page = client.get(reverse("visits:due")).text
    assert reverse("households:exits") not in page
    assert reverse("households:import") not in page


def test_the_menu_speaks_the_language_chosen_after_another_was_shown(client, alice, settings):
    client.force_login(alice)
    assert "全部贫困户" in client.get(reverse("households:list")).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "All households" in client.get(reverse("households:list")).text
