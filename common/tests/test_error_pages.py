"""Errors answer a page of the site, in the user's language, with a way back to their start page."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from common.tests.test_logs import json_log  # noqa: F401 (a fixture)

pytestmark = pytest.mark.urls("common.tests.urls")

HEADLINES = {400: "Bad request", 403: "Not allowed", 404: "Page not found", 500: "Something went wrong"}
CHINESE = {settings.LANGUAGE_COOKIE_NAME: "zh-hans"}
ENGLISH = {settings.LANGUAGE_COOKIE_NAME: "en"}


@pytest.fixture
def production(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.mark.parametrize("status", [400, 403, 404, 500])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_error_answers_its_page_in_the_users_language_with_a_way_home(production, alice, status, language):
    production.force_login(alice)
    production.cookies.load({settings.LANGUAGE_COOKIE_NAME: language})
    response = production.get(reverse(f"test-{status}"))
    body = response.content.decode()
    assert response.status_code == status
    assert f'<html lang="{language}">' in body
    assert in_language(language, HEADLINES[status]) in body
    assert f'href="{reverse("home")}"' in body
    assert in_language(language, "Back to my start page") in body
    assert "Traceback" not in body


@pytest.mark.parametrize("status", [400, 403, 404])
def test_the_4xx_pages_are_in_the_sites_layout_with_its_menu(production, alice, status):
    production.force_login(alice)
    production.cookies.load(ENGLISH)
    body = production.get(reverse(f"test-{status}")).content.decode()
    assert reverse("households:list") in body  # the menu
    assert reverse("set_language") in body  # the language switch


def test_the_404_page_never_shows_what_was_looked_for(production, alice):
    production.force_login(alice)
    assert "张三" not in production.get(reverse("test-404")).content.decode()


def test_the_500_page_shows_the_request_id_of_its_header_and_its_log_line(production, alice, json_log):  # noqa: F811
    production.force_login(alice)
    production.cookies.load(CHINESE)
    response = production.get(reverse("test-500"), {"q": "110101199003074514"})
    request_id = response["X-Request-ID"]
    assert "请向管理员提供此编号：" in response.content.decode()
    assert f'<code class="request-id">{request_id}</code>' in response.content.decode()
    [error] = [line for line in json_log() if line["logger"] == "django.request"]
    assert error["request_id"] == request_id
    assert error["level"] == "ERROR"
    assert "110101199003074514" not in error["message"]
    assert "request" not in error  # Django's extra, whose repr holds the query string


def test_the_500_page_is_rendered_without_touching_the_database(rf):
    # No django_db mark: any query raises. The handler is called as Django calls it, during an exception.
    from common.errors import server_error

    request = rf.get("/")
    request.id = "abc123"
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert "abc123" in response.content.decode()


def main_part(body: str) -> str:
    """The page's <main>: the rest differs by the path itself (the language switch comes back to it)."""
    return re.search(r"<main.*</main>", body, re.DOTALL).group()


def test_a_missing_household_and_one_out_of_scope_give_the_same_page(production, alice, hongqi_household):
    production.force_login(alice)
    production.cookies.load(ENGLISH)
    out_of_scope = production.get(reverse("households:detail", args=[hongqi_household.pk]))
    missing = production.get(reverse("households:detail", args=[hongqi_household.pk + 1000]))
    assert out_of_scope.status_code == missing.status_code == 404
    assert main_part(out_of_scope.content.decode()) == main_part(missing.content.decode())
    assert gettext("Page not found") in missing.content.decode()


# ---------------------------------------------------------------- a form refused by the CSRF check


@pytest.fixture
def unread(alice):
    from accounts.models import Notification

    return Notification.objects.create(recipient=alice, subject="Visits to log", body="")


@pytest.fixture
def strict(settings, alice):
    """A browser whose forms Django checks for their CSRF token (the test client skips the check by default)."""
    settings.DEBUG = False
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    return browser


def is_read(notification) -> bool:
    notification.refresh_from_db()
    return notification.read_at is not None


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_form_sent_without_its_token_says_it_expired_that_nothing_was_saved_and_the_way_back(
    strict, unread, language
):
    strict.cookies.load({settings.LANGUAGE_COOKIE_NAME: language})
    inbox = reverse("inbox")
    response = strict.post(reverse("inbox-read"), headers={"Referer": f"http://testserver{inbox}"})
    body = response.content.decode()
    assert response.status_code == 403
    assert not is_read(unread)
    assert f'<html lang="{language}">' in body
    assert in_language(language, "This form has expired") in body
    assert in_language(language, "Nothing was saved.") in body
    assert f'href="http://testserver{inbox}"' in body  # the form's page, to open it again
    assert in_language(language, "Reload the form") in body
    assert f'href="{reverse("home")}"' in body
    assert reverse("households:list") in body  # in the layout, with the menu


def test_the_same_form_with_its_token_is_saved(strict, unread):
    token = strict.get(reverse("inbox")).context["csrf_token"]
    assert strict.post(reverse("inbox-read"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert is_read(unread)


def test_the_way_back_never_leads_to_another_site(strict):
    strict.cookies.load(ENGLISH)
    body = strict.post(reverse("inbox-read"), headers={"Referer": "https://evil.example/inbox/"}).content.decode()
    assert "evil.example" not in body
    assert gettext("Reload the form") not in body
    assert f'href="{reverse("home")}"' in body


@pytest.mark.parametrize(
    "headers",
    [{"Accept": "application/json"}, {"X-Requested-With": "XMLHttpRequest"}],
    ids=["accepts-json", "xmlhttprequest"],
)
def test_a_script_is_told_in_json_that_its_token_expired(strict, unread, headers):
    strict.cookies.load(CHINESE)
    response = strict.post(reverse("inbox-read"), headers=headers)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "csrf",
        "message": in_language(
            "zh-hans", "This form has expired and nothing was saved. Reload the page and send it again."
        ),
    }
    assert not is_read(unread)


def test_a_browser_that_accepts_anything_gets_the_page(strict):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in (browser_accept, "*/*"):
        response = strict.post(reverse("inbox-read"), headers={"Accept": accept})
        assert response.status_code == 403
        assert response["Content-Type"].startswith("text/html")


def test_any_other_refusal_of_a_script_is_not_a_csrf_answer(production, alice):
    production.force_login(alice)
    response = production.get(reverse("test-403"), headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert b'"csrf"' not in response.content
