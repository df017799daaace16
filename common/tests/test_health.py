"""The health check answers which of the database, the cache and the broker works, quickly, and nothing else."""

import json
import socket
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from kombu.exceptions import OperationalError

from common import health
from common.tests.test_database_down import WEB_BOUND_SECONDS, app_served_with, closed_port, get

ALL_OK = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


def failing(*args):
    raise ConnectionError("Error 111 connecting to redis.internal.example.cn:6379")


def hanging():
    time.sleep(5)


@pytest.mark.django_db(transaction=True)  # the database check runs on its own connection, in its own thread
def test_healthz_answers_ok_for_an_anonymous_visitor_without_a_session_or_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):  # the request's own connection is never used
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == ALL_OK
    assert response["Cache-Control"] == "no-store"
    assert response.cookies == {}  # no session, no CSRF cookie


@pytest.mark.django_db(transaction=True)
def test_healthz_leaves_a_signed_in_users_session_untouched(client, alice):
    client.force_login(alice)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


@pytest.mark.django_db(transaction=True)
def test_healthz_names_the_check_that_failed_and_not_its_error(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "broker", failing)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": "ok", "cache": "ok", "broker": "fail"}}
    assert "example.cn" not in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_check_that_hangs_fails_once_the_timeout_is_over(settings, monkeypatch):
    settings.HEALTH_TIMEOUT_SECONDS = 0.3
    monkeypatch.setitem(health.CHECKS, "database", lambda: None)
    monkeypatch.setitem(health.CHECKS, "cache", hanging)
    started = time.monotonic()
    assert health.run_checks() == {"database": "ok", "cache": "fail", "broker": "ok"}
    assert time.monotonic() - started < 1


def test_the_filesystem_broker_fails_when_its_folder_cannot_be_written(settings, tmp_path):
    missing = str(tmp_path / "gone")
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    folders = ["data_folder_in", "data_folder_out", "control_folder"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = dict.fromkeys(folders, missing)
    with pytest.raises(FileNotFoundError):
        health.check_broker()


def test_a_redis_broker_that_refuses_fails_at_once(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"[Cc]onnection refused"):
        health.check_broker()
    assert time.monotonic() - started < 1


def test_a_silent_redis_broker_is_given_up_within_the_timeout(settings):
    settings.HEALTH_TIMEOUT_SECONDS = 0.5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts, never answers the PING
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        checks = health.run_checks()
    assert checks["broker"] == "fail"
    assert time.monotonic() - started < 1.5


@pytest.mark.django_db(transaction=True)
def test_the_healthcheck_command_prints_each_check_and_exits_0_when_all_answer(capsys):
    call_command("healthcheck")
    assert capsys.readouterr().out.splitlines() == ["database: ok", "cache: ok", "broker: ok"]


@pytest.mark.django_db(transaction=True)
def test_the_healthcheck_command_exits_1_naming_what_failed(capsys, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "cache", failing)
    with pytest.raises(CommandError) as raised:
        call_command("healthcheck")
    assert raised.value.returncode == 1
    assert "cache: fail" in capsys.readouterr().out
    assert "example.cn" not in str(raised.value)


def test_with_the_database_down_healthz_answers_json_at_once_instead_of_the_503_page(tmp_path):
    with app_served_with(f"postgres://postgres@127.0.0.1:{closed_port()}/townaid", tmp_path) as port:
        response, body, took = get(port, "/healthz")
    assert response.status == 503
    assert json.loads(body) == {"status": "fail", "checks": {"database": "fail", "cache": "ok", "broker": "ok"}}
    assert "127.0.0.1" not in body
    assert response.getheader("Cache-Control") == "no-store"
    assert took < WEB_BOUND_SECONDS
