"""Deployment settings and response headers: `check --deploy` is clean, every page carries the
security headers, nothing a signed-in user was shown is kept in a cache, and no template needs
an inline script or style that the Content-Security-Policy would refuse."""

import io
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from households.tests.factories import UserFactory
from infrastructure.models import ProjectDocument
from infrastructure.tests.factories import ProjectFactory
from visits.models import VisitPhoto
from visits.tests.factories import VisitFactory

# ---------------------------------------------------------------- check --deploy

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "townaid.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://townaid.example.cn",
    "SECURE_HSTS_SECONDS": str(365 * 24 * 60 * 60),
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_SSL_REDIRECT": "true",
}


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """`manage.py` on the real settings (not the test override) in its own process, with only `variables` set.

    Nothing is inherited from the developer's or CI's shell (an HTTPS variable, or the e2e tests'
    DJANGO_ALLOW_ASYNC_UNSAFE, would change what is checked).
    """
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "townaid.settings"} | variables,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", "--fail-level", "WARNING", **(PRODUCTION | overrides))


@pytest.mark.parametrize(
    "deployment",
    [
        pytest.param({}, id="serving-https-itself"),
        pytest.param({"BEHIND_PROXY": "true"}, id="behind-a-proxy-that-ends-tls"),
    ],
)
def test_the_deploy_check_reports_nothing_under_production_settings(deployment):
    result = check_deploy(**deployment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_fails_a_production_server_left_on_plain_http():
    result = check_deploy(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false")
    assert result.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


SHOW_SETTINGS = "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in %r}))"


def test_a_local_run_over_plain_http_is_neither_redirected_nor_pinned_to_https():
    # `make run` with no variable set: manage.py turns DEBUG on, and http://127.0.0.1:8000/ must work.
    names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE"]
    result = manage("shell", "-c", SHOW_SETTINGS % names)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": True,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": False,
    }


# ---------------------------------------------------------------- headers on every response

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


def assert_security_headers(response):
    assert policy(response) == CSP
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_login_page_carries_the_security_headers_and_is_never_cached(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]  # Django's never_cache on the login view


@pytest.mark.django_db
def test_a_household_page_carries_the_security_headers_and_is_not_stored(client, alice, dongfeng_household):
    client.force_login(alice)
    response = client.get(reverse("households:detail", args=[dongfeng_household.pk]))
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


@pytest.mark.django_db
def test_a_page_that_chose_its_own_cache_control_keeps_it(client, town):
    client.force_login(UserFactory(role=Role.ADMIN, town=town, is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    # never_cache's header, stricter than ours, untouched.
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert "Pragma" not in response


@pytest.mark.django_db
def test_an_anonymous_response_is_left_to_the_cache_rules_of_http(client):
    response = client.get(reverse("households:list"))
    assert response.status_code == 302  # to the login page: it shows nobody's data
    assert "Cache-Control" not in response
    assert "Pragma" not in response


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def excel_list(household):
    return reverse("households:list") + "?format=xlsx"


def card_pdf(household):
    return reverse("reports:card-pdf", args=[household.pk])


def visit_photo(household):
    photo = VisitPhoto.objects.create(visit=VisitFactory(household=household), image=ContentFile(jpeg(), "p.jpg"))
    return reverse("visits:photo", args=[photo.pk])


def project_document(household):
    document = ProjectDocument.objects.create(
        project=ProjectFactory(village=household.village),
        file=ContentFile(PDF, name="report.pdf"),
        name="验收报告.pdf",
        kind="pdf",
        size=len(PDF),
    )
    return reverse("infrastructure:document", args=[document.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("download", [excel_list, card_pdf, visit_photo, project_document])
def test_a_download_of_personal_data_is_not_stored(client, settings, tmp_path, alice, dongfeng_household, download):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    response = client.get(download(dongfeng_household))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_static_file_is_cached_as_usual_even_for_a_signed_in_user(client, settings, alice):
    # WhiteNoise serves static files before the session is read; in production from STATIC_ROOT,
    # here from the finders.
    settings.WHITENOISE_USE_FINDERS = True
    client.force_login(alice)
    response = client.get(static("css/townaid.css"))
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]
    assert "Pragma" not in response


# ---------------------------------------------------------------- nothing the policy would refuse

INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}
EVAL = re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['\"]")


def our_files(folder: str, suffix: str) -> list:
    files = sorted((settings.BASE_DIR / folder).rglob(f"*{suffix}"))
    assert files, f"no {suffix} files under {folder}/"
    return files


def test_no_template_holds_an_inline_script_style_or_event_handler():
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in our_files("templates", ".html")
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_no_script_of_ours_evaluates_a_string():
    scripts = our_files("static", ".js")
    found = [str(path.relative_to(settings.BASE_DIR)) for path in scripts if EVAL.search(path.read_text())]
    assert found == []


def test_the_inline_patterns_catch_what_they_should():
    samples = {
        "an inline script": '<script>alert(1)</script> <script src="/static/x.js"></script>',
        "an event-handler attribute": '<button onclick="go()">',
        "a style attribute": '<div class="x" style="max-height: 22rem">',
        "a style element": "<style>\n.x {}</style>",
        "a javascript: URL": '<a href="javascript:void(0)">',
    }
    assert {what: bool(INLINE[what].search(sample)) for what, sample in samples.items()} == dict.fromkeys(samples, True)
    assert not INLINE["an inline script"].search('<script src="/static/js/townaid.js"></script>')
    assert not INLINE["an event-handler attribute"].search('<select data-autosubmit aria-controls="x">')
    assert EVAL.search('eval("1")')
    assert EVAL.search("setTimeout('go()', 1)")
    assert not EVAL.search("setTimeout(function () {}, 1)")
