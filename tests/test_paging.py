"""The shared pager: one COUNT and one LIMIT/OFFSET query, any page number made safe, and the
page numbers a pager links to."""

import pytest
from sqlalchemy import select

from portal.factories.models import Factory
from portal.paging import MAX_PER_PAGE, Page, page_of, page_of_list
from tests.fixtures.builders import make_org
from tests.fixtures.factory_lists import insert_factories


@pytest.fixture
def thirty(app_context):
    organisation = make_org()
    insert_factories(organisation, 30)
    return select(Factory.name).where(Factory.organisation_id == organisation.id)


def test_a_page_is_one_count_and_one_limited_query(thirty, count_queries):
    with count_queries() as queries:
        page = page_of(thirty.order_by(Factory.name, Factory.id), 2, 10)
    assert queries.count == 2
    assert "count(*)" in queries.statements[0].lower()
    assert "LIMIT" in queries.statements[1]
    assert "OFFSET" in queries.statements[1]
    assert page.items == [f"Factory {n:05d}" for n in range(10, 20)]
    assert (page.total, page.page, page.pages, page.first, page.last) == (30, 2, 3, 11, 20)
    assert (page.prev_num, page.next_num) == (1, 3)


@pytest.mark.parametrize(
    ("asked", "shown"), [(0, 1), (-5, 1), (3, 3), (4, 3), (2**31 - 1, 3), (10**20, 3)]
)
def test_any_page_number_gives_a_page_of_the_list(thirty, asked, shown):
    page = page_of(thirty.order_by(Factory.name, Factory.id), asked, 10)
    assert page.page == shown
    assert len(page.items) == 10


def test_a_page_never_holds_more_than_the_most_rows(thirty):
    page = page_of(thirty.order_by(Factory.name, Factory.id), 1, 10**9)
    assert page.per_page == MAX_PER_PAGE
    assert page.pages == 1
    assert len(page.items) == 30


def test_an_empty_list_is_one_page_and_one_query(app_context, count_queries):
    with count_queries() as queries:
        page = page_of(select(Factory).where(Factory.id < 0).order_by(Factory.id), 7, 10)
    assert queries.count == 1
    assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1)
    assert (page.first, page.last, page.has_prev, page.has_next) == (0, 0, False, False)


def test_a_known_total_saves_the_count(thirty, count_queries):
    with count_queries() as queries:
        page = page_of(thirty.order_by(Factory.name, Factory.id), 3, 10, total=30)
    assert queries.count == 1
    assert page.items[-1] == "Factory 00029"


@pytest.mark.parametrize(
    ("page", "pages", "numbers"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 400, [1, 2, 3, None, 400]),
        (5, 400, [1, 2, 3, 4, 5, 6, 7, None, 400]),
        (200, 400, [1, None, 198, 199, 200, 201, 202, None, 400]),
        (400, 400, [1, None, 398, 399, 400]),
    ],
)
def test_the_pager_links_the_ends_and_the_pages_near_this_one(page, pages, numbers):
    assert Page([None], total=pages * 10, page=page, per_page=10).numbers() == numbers


def test_rows_in_memory_are_paged_alike():
    page = page_of_list(list(range(250)), 9, 100)
    assert (page.page, page.pages, page.items[0], len(page.items)) == (3, 3, 200, 50)
