import logging

from django.conf import settings
from django.db import connection
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from common.errors import DATABASE_UNAVAILABLE, database_unavailable

logger = logging.getLogger(__name__)


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
