"""Paging for list pages: the page of rows and the query string to keep the filters across pages."""

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(request, queryset, per_page: int | None = None) -> tuple[Page, str]:
    page = Paginator(queryset, per_page or settings.HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    return page, query_without_page(request)


def query_without_page(request) -> str:
    """The request's query string without its page number, to build the links to other pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
