"""An error report leaves the server with no ID number, phone number or name in it; nothing is sent anywhere."""

import json

import pytest
import sentry_sdk
from django.urls import reverse
from sentry_sdk.transport import Transport

from common import logs
from common.sentry import FILTERED, init_sentry, scrub_event
from common.tests.urls import PERSONAL

SECRETS = ["110101199003074514", "110101900307451", "13912345678", "张三", "alice", "Alice Zhang"]


def leaked(event) -> list[str]:
    text = json.dumps(event, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in text]


def crafted_event() -> dict:
    return {
        "message": f"lookup failed: {PERSONAL}",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": PERSONAL,
                    "stacktrace": {"frames": [{"function": "view", "vars": {"id_number": "110101199003074514"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT ... WHERE name = '张三'"},
                {"category": "townaid.audit.accounts", "message": "logged_in user=7 username='alice' ip=None"},
            ]
        },
        "extra": {"phone": "13912345678", "nested": [{"head": "户主张三"}]},
        "user": {"id": 7, "username": "alice", "name": "Alice Zhang", "ip_address": "10.0.0.1"},
        "request": {
            "method": "GET",
            "url": "https://townaid.example.cn/households/?q=110101199003074514",
            "query_string": "q=110101199003074514",
            "data": {"name": "张三"},
            "cookies": {"sessionid": "secret"},
            "headers": {"User-Agent": "Mozilla", "Cookie": "sessionid=secret", "Referer": "/?q=13912345678"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        },
    }


def test_the_scrubber_leaves_no_id_number_phone_or_name_in_an_event():
    event = scrub_event(crafted_event(), {})
    assert leaked(event) == []
    assert event["user"] == {"id": 7}
    assert event["request"] == {
        "method": "GET",
        "url": "https://townaid.example.cn/households/",
        "headers": {"User-Agent": "Mozilla"},
    }
    assert "vars" not in event["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert event["extra"]["phone"] == FILTERED


def test_the_scrubber_keeps_what_names_no_one():
    event = scrub_event({"message": "Household 12: income for 2020 is negative (order 2024-000123)"}, {})
    assert event["message"] == "Household 12: income for 2020 is negative (order 2024-000123)"


def test_the_scrubber_tags_the_event_with_the_request_id():
    token = logs.request_id.set("abc123")
    try:
        event = scrub_event({"message": "x"}, {})
    finally:
        logs.request_id.reset(token)
    assert event["tags"]["request_id"] == "abc123"


class KeptInMemory(Transport):
    """A transport that sends nothing: it keeps each envelope for the test to read."""

    envelopes: list = []

    def capture_envelope(self, envelope):
        KeptInMemory.envelopes.append(envelope)


@pytest.fixture
def sentry_events():
    KeptInMemory.envelopes = []
    init_sentry(dsn="https://public@sentry.invalid/1", environment="test", traces_sample_rate=0, transport=KeptInMemory)

    def events():
        sentry_sdk.flush()
        return [
            item.payload.json for envelope in KeptInMemory.envelopes for item in envelope.items if item.type == "event"
        ]

    yield events
    sentry_sdk.init()  # no DSN: the SDK is switched off again for the other tests


@pytest.mark.urls("common.tests.urls")
def test_a_view_that_fails_sends_sentry_an_event_with_no_personal_data(client, alice, sentry_events, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(alice)
    response = client.get(reverse("test-500"), {"q": "110101199003074514"}, headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    [event] = sentry_events()
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["tags"]["request_id"] == "req-42"
    assert leaked(event) == []
    assert set(event.get("user", {})) <= {"id"}
    assert "query_string" not in event["request"]
    assert "cookies" not in event["request"]
