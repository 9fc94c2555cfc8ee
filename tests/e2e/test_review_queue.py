"""The review queue in the browser: a long queue paged with the keyboard alone, the chosen
order kept from page to page, in English and in Swedish, axe clean."""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import make_org, make_round, make_user, publish_version
from tests.fixtures.queue import delete_inserted, insert_submitted

pytestmark = pytest.mark.browser

RESPONSES = 120  # three pages of 50


def _tab_to_next_page(page) -> None:
    """From the queue's last row, press Tab until the link to the next page has the focus,
    as a keyboard user goes on from the list to the pages."""
    page.get_by_role("table").get_by_role("rowheader").get_by_role("link").last.focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('rel')") == "next":
            return
    raise AssertionError("Tab never reached the link to the next page")


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _suppliers(page) -> list[str]:
    return page.get_by_role("table").get_by_role("rowheader").get_by_role("link").all_inner_texts()


def test_paging_the_queue_with_the_keyboard(page, live_server):
    tag = uuid.uuid4().hex[:6]
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        reviewer = make_user(buyer, Role.REVIEWER, full_name="Kim Keyboard")
        round_ = make_round(publish_version(1), [], opened_by=reviewer, title=f"Queue {tag}")
        inserted = insert_submitted(round_, RESPONSES, prefix=f"Queue {tag}", reviewers=[reviewer])
        ids, round_id = (reviewer.email, reviewer.totp_secret), round_.id
    try:
        _page_through(page, live_server, ids, round_id, tag)
    finally:  # the other browser tests share the database and its queue
        with live_server.db():
            delete_inserted(inserted)


def _page_through(page, live_server, ids, round_id, tag) -> None:
    sign_in(page, *ids, live_server=live_server)
    page.goto(f"/review/queue?round={round_id}")
    expect(page.get_by_text(f"{RESPONSES} responses match.")).to_be_visible()
    expect(page.get_by_text(f"Showing 1–50 of {RESPONSES}")).to_be_visible()
    assert _suppliers(page)[0] == f"Queue {tag} 0000 AB"
    assert_accessible(page)

    _tab_to_next_page(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    assert _query(page) == {"round": [str(round_id)], "page": ["2"]}
    expect(page.get_by_text(f"Showing 51–100 of {RESPONSES}")).to_be_visible()
    assert _suppliers(page)[0] == f"Queue {tag} 0050 AB"
    pages = page.get_by_role("navigation", name="Pages of the review queue")
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")

    # The newest first: the order chosen stays while paging on.
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page).to_have_url(re.compile(r"order=desc"))
    assert _suppliers(page)[0] == f"Queue {tag} {RESPONSES - 1:04d} AB"
    _tab_to_next_page(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    assert _query(page)["order"] == ["desc"]
    assert _suppliers(page)[0] == f"Queue {tag} {RESPONSES - 51:04d} AB"
    assert_accessible(page)

    page.get_by_role("button", name="På svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_text(f"Urvalet ger {RESPONSES} svar.")).to_be_visible()
    assert_accessible(page)
    _tab_to_next_page(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]page=3(&|$)"))
    assert _query(page)["order"] == ["desc"]
    assert _suppliers(page) == [f"Queue {tag} {n:04d} AB" for n in range(19, -1, -1)]
    assert_accessible(page)
