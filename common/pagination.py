"""Paging for list pages: the page of rows and the query string to keep the filters across pages.

A list of the county holds 100,000 households or a million visits. Django's Paginator counts every row of the
filter on every page (a COUNT over the whole scope) and lets any page number through (an OFFSET that reads every
row before it). Here the count stops at LIST_COUNT_BOUND rows: a list with more says "10000+" and offers the
pages up to the bound, which is more than anyone pages through; the filters narrow it to the rest. Both the count
and the deepest page then cost the same whatever the size of the county.
"""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property


class BoundedPaginator(Paginator):
    """A Paginator that counts at most `bound` rows; `more` says whether there were more than it counted."""

    def __init__(self, object_list, per_page, *, bound: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.bound = bound if bound is not None else settings.LIST_COUNT_BOUND

    @cached_property
    def counted(self) -> int:
        """Up to bound + 1 rows: one more than the bound is how "more" is known without counting the rest."""
        rows = self.object_list
        if hasattr(rows, "order_by"):  # a queryset: COUNT(*) over a subquery that stops at bound + 1 rows
            if not rows.query.combinator:
                rows = rows.values("pk")  # the rows, not their annotations (a subquery per row for nothing)
            return rows.order_by()[: self.bound + 1].count()
        return len(rows)

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.bound)

    @cached_property
    def more(self) -> bool:
        return self.counted > self.bound


def paginate(request, queryset, per_page: int | None = None) -> tuple[Page, str]:
    paginator = BoundedPaginator(queryset, per_page or settings.HOUSEHOLDS_PER_PAGE)
    return paginator.get_page(request.GET.get("page")), query_without_page(request)


def query_without_page(request) -> str:
    """The request's query string without its page number, to build the links to other pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
