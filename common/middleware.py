import logging
import re
import time
import uuid

from django.conf import settings
from django.db import connection
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.functional import empty

from common import logs
from common.errors import DATABASE_UNAVAILABLE, database_unavailable

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("townaid.requests")

ACCESS_LINE = "%(method)s %(path)s %(status)s %(duration_ms)s ms user %(user_id)s"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Give each request an id, on every log line written while it runs and in its X-Request-ID header.

    An id sent by the proxy in front (nginx's $request_id) is kept, so that its log and ours meet; one that
    is not a short plain token is replaced, as it would end up in our logs. Then one access line per request
    on `townaid.requests`: the path without its query string (a search can hold a name or an ID number)
    and the user's id, never the username. The user is named only when the request already loaded it:
    asking for it here would query the database for a static file or the 503 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request.id = sent if SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        token = logs.request_id.set(request.id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            duration_ms = round((time.monotonic() - started) * 1000)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": loaded_user_id(request),
            }
            access_logger.info(ACCESS_LINE, fields, extra=fields)
            return response
        finally:
            logs.request_id.reset(token)


def loaded_user_id(request) -> int | None:
    """The signed-in user's id if the request has already loaded its user, else None (never a query)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class CompressTextMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text only: pages, JSON, CSV, SVG (the types nginx compresses, gzip_types).

    A visit photo, a PDF card or an Excel workbook is compressed already: gzip would spend the CPU for
    nothing, and a streamed file would lose its Content-Length, by which a phone shows a download's progress.
    """

    COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language with the switch.

    The browser's Accept-Language is not consulted: phones handed round a
    village office are often set to English, and cadres expect Chinese.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


class DatabaseAvailableMiddleware:
    """Answer the 503 page at once when the database cannot be reached.

    A request that would have queried the database gets the same page from the 500 handler
    (common.errors.server_error), wherever the error is raised. This check is for the requests
    that would not have touched it (the login form, the redirect to it): they would show as
    normal and fail at the next step. It runs no query: Django's own health check of a reused
    connection (CONN_HEALTH_CHECKS) and the connection it would have opened for the first query
    are merely done first. It sits below the language middleware so that the page is translated,
    and below WhiteNoise so that static files, the page's own stylesheet included, still serve.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == reverse("healthz"):
            # The health check asks the database itself, and answers which part failed.
            return self.get_response(request)
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DATABASE_UNAVAILABLE as error:
            logger.error("database unavailable: %s", error)
            return database_unavailable(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` and `Pragma: no-cache` on every response to a signed-in user.

    Nearly every page behind the login shows personal data (names, ID numbers, incomes, photos),
    and phones are handed round a village office: a copy kept by the browser or a proxy on the
    way outlives the session that was allowed to see it. Marking each view would forget one, so
    this marks them all, downloads included (Excel, PDF, photos, documents). A response that has
    a Cache-Control of its own keeps it: a view that chose one knows its content (Django's
    never_cache on the login and admin pages already says no-store). Anonymous responses carry
    no personal data. Static files never get here: WhiteNoise, above, answers them with the
    long cache lifetimes they should have.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The header first: the 503 page has its own, and asking for the user would query the lost database.
        if "Cache-Control" not in response and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
