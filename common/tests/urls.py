"""The project's URLs and handlers, plus views that fail on purpose, for the error pages and error reports."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from townaid.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

# What a careless error message could hold: a head of household's name, ID number and phone.
PERSONAL = "户主张三 身份证110101199003074514 电话13912345678 旧证110101900307451"


def failing(make_exception):
    @login_not_required
    def view(request):
        raise make_exception()

    return view


urlpatterns = [
    *urlpatterns,
    path("test-errors/400/", failing(lambda: SuspiciousOperation("bad")), name="test-400"),
    path("test-errors/403/", failing(PermissionDenied), name="test-403"),
    path("test-errors/404/", failing(lambda: Http404("Household 12 of 张三")), name="test-404"),
    path("test-errors/500/", failing(lambda: ValueError(PERSONAL)), name="test-500"),
]
