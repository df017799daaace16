"""The error pages, and the 503 shown when the database cannot be reached, which the 500 handler chooses.

400, 403 and 404 are pages of the site's layout (the menu, the language switch) with a way back to the
user's landing page. 404 is what a household out of the user's scope answers too, so that page says
nothing of whether the thing exists. The 500 and 503 pages stand alone, rendered from a plain context:
the failure may be the database, and the layout's menu asks it for the user. The 500 page shows the
request's id, which is in its X-Request-ID header and on every log line of the request, so that a
cadre can quote it to the administrator.

A middleware cannot catch what the layers inside it raise: Django turns every exception into a
response at the layer that raised it, through `handler500`. So the handler is where a database
that went away, in a view or in the session and authentication middleware alike, becomes a 503;
common.middleware.DatabaseAvailableMiddleware answers the same page before a request that would
not have touched the database (the login form) pretends all is well.

A form refused by the CSRF check (CSRF_FAILURE_VIEW) is nearly always an honest one: a page left open
past a login or logout in another tab, a cookie cleared, a phone that slept. Its page says so in plain
words, that nothing was saved, and how to send it again; a script that asked for JSON (the phone's
outbox) gets {"status": "csrf"} instead, to tell "fetch a new token and send again" from a refusal.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Errors that mean "the database is not there", as opposed to a bug in a query.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page, rendered from a plain context: no session, no user, so no query.

    The language is the one ChosenLanguageMiddleware activated from the cookie.
    """
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # An outage must not be cached in place of the page it stands for.
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form came without a valid token, so nothing was done.

    Django's reason ("CSRF cookie not set.", an Origin refused) is in its django.security.csrf log line
    for the administrator; the user is told what to do, not why the check failed.
    """
    if wants_json(request):
        message = _("This form has expired and nothing was saved. Reload the page and send it again.")
        return JsonResponse({"status": "csrf", "message": message}, status=403)
    referer = request.headers.get("Referer", "")
    # The form's own page, to open it again with a fresh token: only a page of this site, never another.
    same_site = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    return render(request, "403_csrf.html", {"form_url": referer if same_site else ""}, status=403)


def wants_json(request: HttpRequest) -> bool:
    """A script's request: it prefers JSON to HTML, or says it is XMLHttpRequest. A browser's */* means HTML."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # The exception's text is never shown: it can name what was looked for.
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 500 page with the request's id, or the 503 when the database is unavailable."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    request_id = getattr(request, "id", None)
    return HttpResponse(loader.render_to_string("500.html", {"request_id": request_id}), status=500)
