"""The buyer's lists of supplier organisations (the administrator's and the reviewers' home
pages) come a page at a time, searched by name, in a fixed number of queries."""

import re

import pytest

from portal.auth.services import ORGANISATIONS_PER_PAGE
from portal.orgs.models import OrgKind
from tests.fixtures.builders import make_org

PAGES = ["/admin/", "/review"]


def _names(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row"><a href="/(?:admin/organisations|review/suppliers)/\d+">([^<]+)', html
    )


@pytest.fixture
def many(app_context, supplier_a, supplier_b):
    """Two suppliers of the fixtures and 118 more: 120 in all."""
    for n in range(118):
        make_org(OrgKind.BRAND if n % 2 else OrgKind.RESELLER, name=f"Listed {n:03d} AB")


@pytest.mark.parametrize("url", PAGES)
def test_a_long_list_of_organisations_comes_a_page_at_a_time(client, admin, many, url):
    client.login(admin)

    first = client.get(url).get_data(as_text=True)
    last = client.get(f"{url}?page=3").get_data(as_text=True)

    assert "(120)" in first
    assert "Showing 1–50 of 120" in first
    assert len(_names(first)) == ORGANISATIONS_PER_PAGE
    assert _names(first)[:2] == ["Alfa Data AB", "Beta Devices Ltd"]
    assert f'href="{url}?page=2"' in first
    assert "Showing 101–120 of 120" in last
    assert _names(last)[-1] == "Listed 117 AB"


@pytest.mark.parametrize("url", PAGES)
def test_the_list_is_searched_by_name_and_the_page_links_keep_the_search(client, admin, many, url):
    client.login(admin)

    found = client.get(f"{url}?q=listed+1").get_data(as_text=True)
    literal = client.get(f"{url}?q=%25").get_data(as_text=True)
    nothing = client.get(f"{url}?q=zzz").get_data(as_text=True)

    assert "18 organisations' names contain “listed 1”." in found
    assert _names(found) == [f"Listed {n:03d} AB" for n in range(100, 118)]
    assert "No organisation matches the search." in literal  # % is a character, not a wildcard
    assert "No organisation matches the search." in nothing
    many_found = client.get(f"{url}?q=listed").get_data(as_text=True)
    assert f'href="{url}?page=2&amp;q=listed"' in many_found


@pytest.mark.parametrize("url", PAGES)
def test_the_list_takes_as_many_queries_for_many_organisations(
    client, admin, supplier_a, count_queries, url
):
    client.login(admin)
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for n in range(120):
        make_org(name=f"More {n:03d} AB")

    with count_queries() as more:
        client.get(url)

    assert more.count == few.count
