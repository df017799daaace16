"""The page shown when the database cannot be reached, and the 500 handler that chooses it.

A middleware cannot catch what the layers inside it raise: Django turns every exception into a
response at the layer that raised it, through `handler500`. So the handler is where a database
that went away, in a view or in the session and authentication middleware alike, becomes a 503;
common.middleware.DatabaseAvailableMiddleware answers the same page before a request that would
not have touched the database (the login form) pretends all is well.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

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


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the exception being handled says the database is unavailable."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return defaults.server_error(request)
