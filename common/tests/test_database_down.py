"""With the database gone the app answers a clean 503 page, quickly, without a traceback.

The real thing runs in a subprocess: the WSGI application served by wsgiref, its DATABASE_URL
pointing at a closed port, at a port that accepts connections and never answers, or at an
empty SQLite file (so that the error is raised by the session lookup inside the middleware).
"""

import http.client
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from common.errors import RETRY_AFTER_SECONDS, database_unavailable, server_error

# A fault-injection bound, not a speed benchmark (as in test_celery.py).
WEB_BOUND_SECONDS = 2
HEADLINE = "TownAid is temporarily unavailable"

# ---------------------------------------------------------------- the page and the handler


def test_the_503_page_is_rendered_without_touching_the_database():
    # No django_db mark: pytest-django makes any query, or even a connection, raise here.
    with translation.override("en"):
        response = database_unavailable(RequestFactory().get("/households/"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    assert HEADLINE in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("connection refused"), 503),
        (InterfaceError("connection already closed"), 503),
        (ProgrammingError('relation "x" does not exist'), 500),  # a bug, not an outage
        (DatabaseError("something else"), 500),
        (ValueError("a bug"), 500),
    ],
)
def test_the_500_handler_answers_503_only_for_a_database_that_cannot_be_reached(error, status):
    try:
        raise error
    except Exception:  # Django calls the handler while handling any exception
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == status


# ---------------------------------------------------------------- a real server without its database

SERVE = """
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings

settings.WHITENOISE_USE_FINDERS = True  # the test settings have no collected static tree
from townaid.wsgi import application


class Handler(WSGIRequestHandler):
    def log_message(self, *args):  # the app's own log says what happened
        pass


server = make_server("127.0.0.1", 0, application, handler_class=Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def app_served_with(database_url: str, tmp_path, **env: str):
    """The WSGI application in its own process, as a web server runs it, DEBUG off."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "townaid.settings_test",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        **env,
    }
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        if not port:
            process.wait(timeout=10)
            log.seek(0)
            pytest.fail(f"the server did not start (exit {process.returncode}):\n{log.read()}")
        yield int(port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.seek(0)
        print(log.read())  # shown by pytest when the test fails
        log.close()


def get(port: int, path: str, cookies: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, str, float]:
    """One GET, its response, body and how long it took; a hung request fails the test instead of stalling it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5 * WEB_BOUND_SECONDS)
    headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())} if cookies else {}
    started = time.monotonic()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    return response, body, time.monotonic() - started


def headline(language: str) -> str:
    with translation.override(language):
        return gettext(HEADLINE)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the with block ends


ENGLISH = {settings.LANGUAGE_COOKIE_NAME: "en"}
SIGNED_IN = {settings.SESSION_COOKIE_NAME: secrets.token_hex(16), **ENGLISH}  # a session cookie, as a browser sends


def test_with_postgresql_at_a_closed_port_every_page_answers_503_at_once(tmp_path):
    with app_served_with(f"postgres://postgres@127.0.0.1:{closed_port()}/townaid", tmp_path) as port:
        pages = [
            ("/", {}, "zh-hans"),  # anonymous, in the town's language: would have redirected to the login page
            ("/accounts/login/", {}, "zh-hans"),  # would have shown a form that cannot work
            ("/accounts/login/", ENGLISH, "en"),
            ("/households/", SIGNED_IN, "en"),  # a signed-in user's list
        ]
        for path, cookies, language in pages:
            response, body, took = get(port, path, cookies)
            assert (path, language, response.status) == (path, language, 503)
            assert headline(language) in body
            assert response.getheader("Retry-After") == str(RETRY_AFTER_SECONDS)
            assert "no-store" in response.getheader("Cache-Control")
            assert "script-src 'self'" in response.getheader("Content-Security-Policy")
            assert "Traceback" not in body
            assert took < WEB_BOUND_SECONDS, f"{path} took {took:.1f} s"

        # The page's own stylesheet still serves: static files never wait on the database.
        response, body, _ = get(port, "/static/css/townaid.css")
        assert response.status == 200
        assert ".scroll-box" in body


def test_a_database_error_raised_inside_the_session_middleware_still_answers_503(tmp_path):
    # An empty SQLite file opens, and the first query (the session of the signed-in request) fails
    # with OperationalError: no such table. It is raised in the middleware, not in a view.
    with app_served_with(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path) as port:
        response, body, took = get(port, "/households/", SIGNED_IN)
    assert response.status == 503
    assert HEADLINE in body
    assert took < WEB_BOUND_SECONDS


def test_with_postgresql_gone_silent_a_page_gives_up_after_the_connect_timeout(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes the handshake; nobody ever answers
        database_url = f"postgres://postgres@127.0.0.1:{silent.getsockname()[1]}/townaid"
        with app_served_with(database_url, tmp_path, DATABASE_CONNECT_TIMEOUT="2") as port:
            response, body, took = get(port, "/households/", SIGNED_IN)
    assert response.status == 503
    assert HEADLINE in body
    assert took < 2 + WEB_BOUND_SECONDS, f"the page took {took:.1f} s"
