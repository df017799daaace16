"""Accounts under attack and over time: login throttling, password length, sessions that end, the login log."""

import datetime as dt
import runpy

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User, UserSession
from accounts.services import user_set_active
from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
WRONG = "not-the-password-at-all"
AUDIT_LOGGER = "townaid.audit.accounts"
SETTINGS_FILE = str(settings.BASE_DIR / "townaid" / "settings.py")


@pytest.fixture
def root(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def log_in(client, username, password=PASSWORD, **extra):
    """Post the login form, as a browser would (extra: REMOTE_ADDR, headers...)."""
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    return [log_in(client, username, WRONG, **extra).status_code for _ in range(times)]


def audit_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == AUDIT_LOGGER]


def sessions_of(user) -> int:
    return Session.objects.filter(pk__in=UserSession.objects.filter(user=user).values("session_id")).count()


def logged_in_client(user) -> Client:
    """Another browser (a phone, a laptop) where this user is logged in."""
    other = Client()
    other.force_login(user)
    return other


# ---------------------------------------------------------------- throttling


def test_the_fifth_wrong_password_locks_the_username_at_that_address(client, alice):
    assert fail(client, "alice", 5) == [200, 200, 200, 200, 429]
    response = log_in(client, "alice")  # the right password no longer opens the door
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_in_the_towns_time_when_to_try_again(client, alice):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(client, "alice", 4)
    response = log_in(client, "alice", WRONG)
    attempt = AccessAttempt.objects.get(username="alice")
    retry_at = timezone.localtime(attempt.attempt_time + dt.timedelta(minutes=15))
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert f"You can try again in 15 minutes, at {retry_at:%H:%M}." in response.text
    assert '<html lang="en">' in response.text


def test_the_lock_holds_one_username_at_one_address_only(client, alice, bob):
    fail(client, "alice", 5, REMOTE_ADDR="10.0.0.1")
    assert log_in(Client(), "alice", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert log_in(Client(), "alice", REMOTE_ADDR="10.0.0.2").status_code == 302
    assert log_in(Client(), "bob", REMOTE_ADDR="10.0.0.1").status_code == 302


def test_the_lock_ends_when_the_cool_off_has_passed(client, alice):
    fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=15, seconds=1))
    assert log_in(client, "alice").status_code == 302


def test_a_successful_login_forgets_the_failures_before_it(client, alice):
    fail(client, "alice", 4)
    assert log_in(client, "alice").status_code == 302
    client.post(reverse("logout"))
    assert fail(client, "alice", 4) == [200, 200, 200, 200]


def test_the_admins_login_page_is_throttled_too(client, root):
    url = reverse("admin:login")
    codes = [client.post(url, {"username": "root", "password": WRONG}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_without_a_proxy_a_forwarded_address_is_ignored(client, alice):
    for n in range(5):  # a client cannot dodge the lock by inventing addresses
        log_in(client, "alice", WRONG, headers={"x-forwarded-for": f"198.51.100.{n}"})
    assert log_in(Client(), "alice", headers={"x-forwarded-for": "198.51.100.99"}).status_code == 429


def test_behind_a_proxy_each_client_address_is_locked_apart(settings, alice):
    settings.AXES_CLIENT_IP_CALLABLE = "accounts.security.forwarded_client_ip"
    via_proxy = {"REMOTE_ADDR": "10.0.0.9"}
    fail(Client(), "alice", 5, headers={"x-forwarded-for": "203.0.113.5"}, **via_proxy)
    forged = {"x-forwarded-for": "198.51.100.7, 203.0.113.5"}  # the proxy appends the address it saw
    assert log_in(Client(), "alice", headers=forged, **via_proxy).status_code == 429
    assert log_in(Client(), "alice", headers={"x-forwarded-for": "203.0.113.6"}, **via_proxy).status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_a_forwarded_header_that_is_no_address_counts_as_the_connecting_address(client, settings, alice):
    settings.AXES_CLIENT_IP_CALLABLE = "accounts.security.forwarded_client_ip"
    log_in(client, "alice", WRONG, REMOTE_ADDR="10.0.0.9", headers={"x-forwarded-for": "'; drop table"})
    assert AccessAttempt.objects.get().ip_address == "10.0.0.9"


def test_the_environment_sets_the_limit_the_cool_off_and_the_proxy(monkeypatch):
    monkeypatch.setenv("LOGIN_FAILURE_LIMIT", "3")
    monkeypatch.setenv("LOGIN_COOLOFF_MINUTES", "30")
    monkeypatch.setenv("BEHIND_PROXY", "true")
    configured = runpy.run_path(SETTINGS_FILE)
    assert configured["AXES_FAILURE_LIMIT"] == 3
    assert configured["AXES_COOLOFF_TIME"] == dt.timedelta(minutes=30)
    assert configured["AXES_CLIENT_IP_CALLABLE"] == "accounts.security.forwarded_client_ip"
    monkeypatch.delenv("BEHIND_PROXY")
    assert runpy.run_path(SETTINGS_FILE)["AXES_CLIENT_IP_CALLABLE"] is None


# ---------------------------------------------------------------- passwords


def test_a_password_needs_ten_characters():
    with pytest.raises(ValidationError, match="at least 10 characters"):
        validate_password("lantern42")
    assert validate_password("lanterns42") is None


def add_user(client, password):
    data = {"username": "newcadre", "usable_password": "true", "password1": password, "password2": password}
    return client.post(reverse("admin:accounts_user_add"), {**data, "role": Role.CADRE})


def test_the_admin_refuses_a_new_user_with_a_nine_character_password(root_client):
    response = add_user(root_client, "lantern42")
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newcadre").exists()


def test_the_admin_creates_a_user_with_a_ten_character_password(root_client):
    assert add_user(root_client, "lanterns42").status_code == 302
    assert User.objects.get(username="newcadre").check_password("lanterns42")


def set_password(client, user, password):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return client.post(url, {"usable_password": "true", "password1": password, "password2": password})


def test_the_admin_refuses_a_nine_character_password_change(root_client, alice):
    response = set_password(root_client, alice, "lantern42")
    assert response.status_code == 200
    assert response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_admin_changes_a_password_to_ten_characters(root_client, alice):
    assert set_password(root_client, alice, "lanterns42").status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("lanterns42")


# ---------------------------------------------------------------- sessions


def test_a_session_ends_twelve_hours_after_login_however_busy(client, alice):
    before = timezone.now()
    log_in(client, "alice")
    session = Session.objects.get(pk=client.session.session_key)
    assert dt.timedelta(0) <= session.expire_date - (before + dt.timedelta(hours=12)) < dt.timedelta(minutes=1)
    busy = client.session
    busy["seen_inbox"] = True
    busy.save()  # a later save keeps the deadline the login set
    assert Session.objects.get(pk=session.pk).expire_date == session.expire_date


def test_a_session_past_its_expiry_is_sent_to_the_login_page(client, alice):
    log_in(client, "alice")
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("households:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_each_login_is_bound_to_its_user(client, alice, bob):
    log_in(client, "alice")
    logged_in_client(alice)
    logged_in_client(bob)
    assert sessions_of(alice) == 2
    assert sessions_of(bob) == 1
    assert UserSession.objects.get(session_id=client.session.session_key).user == alice


def change_form(user, **changes) -> dict:
    """The admin's change form for a user, every field filled from the user; a change to None leaves a box unticked."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "town": user.town_id or "",
        "villages": [village.pk for village in user.villages.all()],
        "phone": user.phone,
        "date_joined_0": f"{timezone.localtime(user.date_joined):%Y-%m-%d}",
        "date_joined_1": f"{timezone.localtime(user.date_joined):%H:%M:%S}",
    }
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def test_a_user_disabled_in_the_admin_is_logged_out_at_once(root_client, caplog, root, alice, bob):
    phone, laptop = logged_in_client(alice), logged_in_client(alice)
    colleague = logged_in_client(bob)
    response = root_client.post(
        reverse("admin:accounts_user_change", args=[alice.pk]), change_form(alice, is_active=None)
    )
    assert response.status_code == 302
    assert phone.get(reverse("households:list")).url.startswith(reverse("login"))
    assert laptop.get(reverse("households:list")).url.startswith(reverse("login"))
    assert colleague.get(reverse("households:list")).status_code == 200
    assert not Session.objects.filter(pk__in=[phone.session.session_key, laptop.session.session_key]).exists()
    assert sessions_of(alice) == 0
    assert f"user_disabled user={alice.pk} by={root.pk} sessions_ended=2" in audit_lines(caplog)


def test_saving_an_active_user_in_the_admin_leaves_their_sessions(root_client, alice):
    logged_in_client(alice)
    response = root_client.post(reverse("admin:accounts_user_change", args=[alice.pk]), change_form(alice, phone="1"))
    assert response.status_code == 302
    assert sessions_of(alice) == 1


def test_the_disable_action_ends_the_sessions_of_the_selected_users(root_client, root, alice, bob, charlie):
    for user in (alice, bob, charlie):
        logged_in_client(user)
    selected = [alice.pk, bob.pk, root.pk]
    root_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = root_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable_users", "_selected_action": selected},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Your own account stays active.",
        "2 users disabled; their sessions have ended.",
    ]
    assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) == {"alice", "bob"}
    assert (sessions_of(alice), sessions_of(bob), sessions_of(charlie), sessions_of(root)) == (0, 0, 1, 1)


def test_a_disabled_user_enabled_again_must_log_in_again(client, alice, root):
    client.force_login(alice)
    user_set_active(user=alice, active=False, by=root)
    user_set_active(user=alice, active=True, by=root)
    response = client.get(reverse("households:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("sessions", [1, 4])
def test_ending_a_users_sessions_costs_the_same_queries_however_many_they_have(
    django_assert_num_queries, alice, root, sessions
):
    for _ in range(sessions):
        logged_in_client(alice)
    # savepoint, update the user, select their sessions (joined to UserSession), delete the UserSession rows,
    # delete the session rows, release the savepoint
    with django_assert_num_queries(6):
        user_set_active(user=alice, active=False, by=root)
    assert sessions_of(alice) == 0


# ---------------------------------------------------------------- the login log


def test_a_login_is_logged_with_the_user_the_address_and_the_browser(client, caplog, alice):
    log_in(client, "alice", REMOTE_ADDR="10.0.0.7", headers={"user-agent": "Mozilla/5.0 " + "x" * 500})
    (line,) = [line for line in audit_lines(caplog) if line.startswith("logged_in")]
    assert line == f"logged_in user={alice.pk} username='alice' ip=10.0.0.7 agent='Mozilla/5.0 {'x' * 188}'"


def test_a_failed_login_logs_the_username_tried_and_never_the_password(client, caplog, alice):
    log_in(client, "alice", "a-secret-nobody-should-read", REMOTE_ADDR="10.0.0.7")
    assert audit_lines(caplog) == ["login_failed username='alice' ip=10.0.0.7 agent=''"]
    assert not [record for record in caplog.records if "a-secret-nobody-should-read" in record.getMessage()]


def test_a_username_typed_with_a_line_break_stays_on_one_log_line(client, caplog, alice):
    log_in(client, "alice\nlogged_in user=1", WRONG)
    (line,) = audit_lines(caplog)
    assert "\n" not in line
    assert line.startswith("login_failed username='alice\\nlogged_in user=1'")


def test_a_logout_is_logged(client, caplog, alice):
    client.force_login(alice)
    caplog.clear()
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.7")
    assert audit_lines(caplog) == [f"logged_out user={alice.pk} username='alice' ip=10.0.0.7 agent=''"]


def test_a_lockout_is_logged(client, caplog, alice):
    fail(client, "alice", 4, REMOTE_ADDR="10.0.0.7")
    assert not [line for line in audit_lines(caplog) if line.startswith("login_locked_out")]
    fail(client, "alice", 1, REMOTE_ADDR="10.0.0.7")
    assert "login_locked_out username='alice' ip=10.0.0.7" in audit_lines(caplog)


# ---------------------------------------------------------------- axes's records in the admin


def test_an_admin_reads_the_login_records(root_client, client, alice):
    log_in(client, "alice", WRONG)
    assert root_client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    assert root_client.get(reverse("admin:axes_accesslog_changelist")).status_code == 200


def test_nobody_deletes_a_login_log_row(root_client, root):
    entry = AccessLog.objects.create(
        username="alice", ip_address="10.0.0.7", user_agent="", attempt_time=timezone.now()
    )
    response = root_client.post(reverse("admin:axes_accesslog_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_an_admin_lifts_a_lockout_by_deleting_it(root_client, alice):
    fail(Client(), "alice", 5)
    attempt = AccessAttempt.objects.get()
    response = root_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert log_in(Client(), "alice").status_code == 302


def test_an_official_with_admin_access_cannot_see_the_login_records(client, official):
    official.is_staff = True
    official.save()
    client.force_login(official)
    assert client.get(reverse("admin:axes_accesslog_changelist")).status_code == 403
