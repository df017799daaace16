"""The phone app on the server: the service worker, the manifest, the kept pages, the config in every page."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from households.tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def precached(response) -> dict[str, str]:
    body = response.content.decode()
    entries = json.loads(re.search(r"precacheAndRoute\((\[.*?\])\);", body).group(1))
    return {entry["url"]: entry["revision"] for entry in entries}


def offline_config(response) -> dict:
    found = re.search(r'<script id="townaid-offline" type="application/json">(.*?)</script>', response.text)
    return json.loads(found.group(1))


def test_the_service_worker_is_served_from_the_root_to_anyone_as_javascript(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert "importScripts(" in response.text


def test_the_service_worker_keeps_every_static_file_a_signed_in_page_links(client, alice):
    client.force_login(alice)
    page = client.get(reverse("visits:due")).text + client.get(reverse("visits:log-offline")).text
    linked = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))

    kept = precached(client.get("/sw.js"))

    assert linked
    assert linked <= set(kept)
    assert reverse("offline") in kept


def test_a_precached_file_gets_a_new_revision_when_its_content_changes_under_a_development_server(
    client, settings, tmp_path
):
    settings.DEBUG = True
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "townaid.css").write_text("body { color: red; }")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    first = precached(client.get("/sw.js"))["/static/css/townaid.css"]

    (tmp_path / "css" / "townaid.css").write_text("body { color: blue; }")
    second = precached(client.get("/sw.js"))["/static/css/townaid.css"]

    finders.get_finder.cache_clear()
    assert first != second


def test_the_manifest_makes_the_app_installable_in_the_users_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    manifest = json.loads(client.get("/manifest.webmanifest").content)

    assert (manifest["name"], manifest["start_url"], manifest["display"]) == ("TownAid", "/", "standalone")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL))


def test_the_offline_page_needs_no_login_and_leads_to_the_due_list_and_the_outbox(client):
    response = client.get(reverse("offline"))

    assert response.status_code == 200
    assert reverse("visits:due") in response.text
    assert reverse("visits:outbox") in response.text


def test_the_visit_forms_shell_names_no_household(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    client.force_login(alice)

    response = client.get(reverse("visits:log-offline"))

    assert response.status_code == 200
    assert 'data-shell="1"' in response.text
    assert household.number not in response.text


def test_the_kept_pages_need_a_login(client):
    for name in ("visits:log-offline", "visits:outbox"):
        assert client.get(reverse(name)).status_code == 302


def test_a_signed_in_page_tells_the_phone_who_is_signed_in_and_which_pages_to_keep(client, alice):
    client.force_login(alice)

    config = offline_config(client.get(reverse("visits:outbox")))

    assert config["user"] == alice.pk
    assert set(config["pages"]) == {reverse("visits:due"), reverse("visits:log-offline"), reverse("visits:outbox")}
    assert config["max_photos"] == settings.VISIT_PHOTOS_PER_VISIT


def test_the_login_page_loads_none_of_the_phone_apps_scripts(client):
    page = client.get(reverse("login")).text

    assert "townaid-offline" not in page
    assert "js/outbox.js" not in page


def test_the_visit_form_carries_the_households_village_for_the_draft(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    client.force_login(alice)

    response = client.get(f"{reverse('visits:log')}?household={household.pk}")

    assert f'data-household="{household.pk}"' in response.text
    assert f'data-village="{dongfeng.pk}"' in response.text
