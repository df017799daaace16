"""The Content-Security-Policy holds in a real browser: our pages, their scripts and the Django admin
run under it without a single violation (the `phone` fixture fails on any console error, and
Chromium reports every refused script or style as one)."""

import datetime as dt

import pytest

from accounts.models import Role
from e2e.conftest import PHONE, log_in
from households.models import WorkTeam
from households.tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_under_the_policy(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    return response


def test_a_cadre_works_through_dashboard_list_and_household_form_without_a_policy_violation(phone, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    log_in(phone, "alice")

    open_under_the_policy(phone, "/")
    phone.wait_for_url(f"**/dashboard/villages/{dongfeng.pk}/")
    phone.click(".navbar-toggler")  # Bootstrap's collapse: our own script file, no inline handler
    phone.wait_for_selector("#main-nav.show")

    open_under_the_policy(phone, f"/households/{household.pk}/")
    open_under_the_policy(phone, "/households/new/")
    members = phone.locator("[data-formset-list] > *").count()
    phone.click("[data-formset-add]")  # the formset script clones the empty form
    assert phone.locator("[data-formset-list] > *").count() == members + 1


def test_an_admin_uses_the_dashboard_and_the_django_admin_without_a_policy_violation(phone, town, dongfeng):
    UserFactory(username="admin", role=Role.ADMIN, town=town, is_staff=True, is_superuser=True)
    household = HouseholdFactory(village=dongfeng)
    team = WorkTeam.objects.create(village=dongfeng, name="驻村工作队", start_date=dt.date(2020, 1, 1))
    log_in(phone, "admin")

    open_under_the_policy(phone, "/dashboard/")
    open_under_the_policy(phone, "/admin/")
    open_under_the_policy(phone, "/admin/households/household/")
    open_under_the_policy(phone, f"/admin/households/household/{household.pk}/change/")
    phone.click(".add-row a")  # the admin's inline formset script adds a member row
    phone.locator(".datetimeshortcuts a").first.click()  # the "Today" shortcut of a date field
    open_under_the_policy(phone, f"/admin/households/workteam/{team.pk}/change/")
    phone.wait_for_selector(".selector-available")  # filter_horizontal, drawn by SelectFilter2.js


def test_a_page_breaking_the_policy_shows_up_as_a_console_error(browser, live_server):
    # The check the journeys above rely on: a refused inline style reaches the console.
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        open_under_the_policy(page, "/accounts/login/")
        page.evaluate(
            "() => { const s = document.createElement('style'); s.textContent = 'p {}'; document.head.append(s); }"
        )
        page.wait_for_timeout(200)
    finally:
        context.close()
    assert any("Content Security Policy" in error for error in errors), errors
