"""Lists count up to LIST_COUNT_BOUND rows and page within them, whatever the size of the county."""

import pytest
from django.test import RequestFactory

from common.pagination import BoundedPaginator, paginate
from households.models import Household
from households.tests.factories import HouseholdFactory


@pytest.fixture
def five_households(dongfeng):
    return [HouseholdFactory(village=dongfeng, head=False) for _ in range(5)]


def test_a_list_longer_than_the_bound_counts_up_to_it_and_says_there_are_more(five_households):
    paginator = BoundedPaginator(Household.objects.order_by("pk"), 2, bound=3)
    assert (paginator.count, paginator.more, paginator.num_pages) == (3, True, 2)


def test_a_list_as_long_as_the_bound_is_counted_exactly(five_households):
    paginator = BoundedPaginator(Household.objects.order_by("pk"), 2, bound=5)
    assert (paginator.count, paginator.more, paginator.num_pages) == (5, False, 3)


def test_the_last_page_within_the_bound_ends_at_the_bound(five_households):
    paginator = BoundedPaginator(Household.objects.order_by("pk"), 2, bound=3)
    assert [h.pk for h in paginator.page(2).object_list] == [five_households[2].pk]


def test_a_page_number_past_the_bound_gives_the_last_page_within_it(five_households, settings):
    settings.LIST_COUNT_BOUND = 3
    page, _query = paginate(RequestFactory().get("/", {"page": "99"}), Household.objects.order_by("pk"), 2)
    assert page.number == 2
    assert not page.has_next()


def test_the_count_reads_at_most_one_row_past_the_bound(five_households, django_assert_num_queries):
    paginator = BoundedPaginator(Household.objects.order_by("pk"), 2, bound=3)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 3
    assert "LIMIT 4" in captured.captured_queries[0]["sql"]


def test_a_plain_list_is_counted_by_its_length():
    paginator = BoundedPaginator(list(range(7)), 2, bound=5)
    assert (paginator.count, paginator.more) == (5, True)
