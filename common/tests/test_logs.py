"""Every log line of a request carries its id; production lines are JSON; the access line names no one."""

import io
import json
import logging

import pytest
from django.conf import settings
from django.urls import reverse

from common.logs import JsonFormatter, RequestIdFilter


@pytest.fixture
def json_log():
    """The lines the console handler would write in production, parsed, from the root and the access logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(), logging.getLogger("townaid.requests"), logging.getLogger("townaid.audit")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_json_line_has_the_time_level_logger_message_and_extras():
    record = logging.LogRecord("townaid.audit", logging.INFO, __file__, 1, "revealed %s", ("an id",), None)
    record.household_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert set(line) == {"ts", "level", "logger", "message", "household_id"}
    assert (line["level"], line["logger"], line["message"], line["household_id"]) == (
        "INFO",
        "townaid.audit",
        "revealed an id",
        7,
    )


def test_production_logs_json_and_development_plain_text():
    # The test settings run with DEBUG off, as production does.
    assert settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_a_sane_request_id_sent_by_the_proxy_is_kept(client, db):
    response = client.get(reverse("login"), headers={"X-Request-ID": "nginx-3f2a.9_b"})
    assert response["X-Request-ID"] == "nginx-3f2a.9_b"


@pytest.mark.parametrize("sent", ["", "a" * 65, "with space", "semi;colon", "张三"])
def test_a_request_id_that_is_not_a_short_plain_token_is_replaced(client, db, sent):
    response = client.get(reverse("login"), headers={"X-Request-ID": sent})
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32


def test_every_line_logged_during_a_request_carries_its_id(client, alice, dongfeng_household, json_log):
    client.force_login(alice)
    member = dongfeng_household.members.first()
    before = len(json_log())  # the login's lines, written outside any request
    response = client.post(reverse("households:reveal-id", args=[dongfeng_household.pk, member.pk]))
    request_id = response["X-Request-ID"]
    lines = json_log()[before:]
    assert {line["logger"] for line in lines} >= {"townaid.audit", "townaid.requests"}
    assert {line.get("request_id") for line in lines} == {request_id}


def test_the_access_line_has_the_path_without_query_and_the_user_id_not_the_username(client, alice, json_log):
    client.force_login(alice)
    response = client.get(reverse("households:list"), {"q": "110101199003074514"})
    [access] = [line for line in json_log() if line["logger"] == "townaid.requests"]
    assert access["method"] == "GET"
    assert access["path"] == reverse("households:list")
    assert access["status"] == 200
    assert access["user_id"] == alice.pk
    assert access["request_id"] == response["X-Request-ID"]
    assert isinstance(access["duration_ms"], int)
    assert "110101199003074514" not in json.dumps(access)
    assert "alice" not in json.dumps(access)


def test_the_access_line_of_an_anonymous_request_names_no_user(client, db, json_log):
    client.get(reverse("login"))
    [access] = [line for line in json_log() if line["logger"] == "townaid.requests"]
    assert access["user_id"] is None
