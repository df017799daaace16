"""Error reports to Sentry, with the personal data taken out before an event leaves the server.

The registry holds names, ID numbers and phone numbers of poor households; an error report goes to a
service outside the town's control, so nothing that could name a person may be in it. The SDK is told
not to send what it knows is personal (send_default_pii=False, no local variables, no request bodies),
and `scrub_event` then goes over whatever is left, whichever integration put it there:
- the request keeps its method, URL without query string and a few harmless headers;
- the user keeps only an id, and the audit log's lines are never breadcrumbs;
- every string anywhere in the event (messages, exception values, breadcrumbs with their SQL, extra,
  tags, contexts) loses what looks like an ID number or a mobile number, and every run of Chinese
  characters. A person's name cannot be told from other Chinese text by its shape, and the code's own
  messages are English, so Chinese in an event came from the data (a name, an address) or a page.
"""

import re
from typing import Any

import sentry_sdk

from common import logs

FILTERED = "[Filtered]"
# 18-digit resident ID (17 digits and a digit or X check character) and the old 15-digit one.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
# A username written out in a message (the login's log line says username='...').
USERNAME = re.compile(r"(?<=username=)(?:'[^']*'|\"[^\"]*\"|[^\s,;)]+)")
PATTERNS = (ID_NUMBER, MOBILE, CHINESE, USERNAME)
# Headers that say how a request came, never who sent it nor what it asked for.
ALLOWED_HEADERS = {"accept", "accept-language", "content-length", "content-type", "user-agent", "x-request-id"}


def scrub_string(value: str) -> str:
    for pattern in PATTERNS:
        value = pattern.sub(FILTERED, value)
    return value


def scrub(value: Any) -> Any:
    """Every string inside `value` (keys included), scrubbed; containers copied, other values kept."""
    if isinstance(value, str):
        return scrub_string(value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def scrub_request(request: dict) -> dict:
    kept = {key: request[key] for key in ("method", "url") if key in request}
    if "url" in kept:
        kept["url"] = kept["url"].split("?", 1)[0]
    headers = request.get("headers") or {}
    kept["headers"] = {name: value for name, value in headers.items() if name.lower() in ALLOWED_HEADERS}
    return kept


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: the event with no personal data left, tagged with the request's id."""
    if "request" in event:
        event["request"] = scrub_request(event["request"])
    if "user" in event:
        event["user"] = {"id": event["user"]["id"]} if event["user"].get("id") is not None else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    if request_id := logs.request_id.get():
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub(event)


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float, transport=None) -> None:
    """Start the SDK with the settings' values (and, in tests, a transport that keeps events in memory)."""
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import ignore_logger

    # The audit lines say who saw whose data: never a breadcrumb, whatever the scrubber would leave of them.
    ignore_logger("townaid.audit*")

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        integrations=[DjangoIntegration()],
        transport=transport,
    )
