"""Long factory lists in the browser, by keyboard: a filter and an order chosen in the form stay
while the pager's links are followed, in the buyer's table (in English) and in the supplier's
own list (in Swedish)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.factory_lists import insert_factories
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

#: 60 factories: main components are those whose number is not a multiple of three.
MAIN_COMPONENTS = sorted((n for n in range(60) if n % 3), reverse=True)


def _tab_to(page, name: str) -> None:
    """Move the focus forward with Tab until it is on the link or button called `name`."""
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        text = page.evaluate("document.activeElement.textContent.trim()")
        if name in (focused, text):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def _choose(page, label: str, typed: str) -> None:
    """Choose an option of a select by typing its first letters, as a keyboard user does."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(typed)


def _first_factory(page, table_name: str):
    return page.get_by_role("table", name=table_name).get_by_role("rowheader").first


def test_the_buyer_pages_through_one_suppliers_factories_by_name(page, live_server):
    tag = uuid.uuid4().hex[:6]
    supplier_name = f"Pagelist{tag} AB"
    with live_server.db():
        reviewer = make_user(make_org(OrgKind.BUYER), Role.REVIEWER)
        insert_factories(make_org(OrgKind.RESELLER, name=supplier_name), 60)
        make_org(OrgKind.RESELLER, name=f"Pagelist{tag} Empty AB")  # no factory: not offered
        ids = (reviewer.email, reviewer.totp_secret)

    sign_in(page, *ids, live_server=live_server)
    page.goto("/review/factories")
    assert_accessible(page)
    suppliers = page.get_by_label("Supplier", exact=True)
    expect(suppliers.locator("option", has_text=f"Pagelist{tag}")).to_have_text([supplier_name])
    _choose(page, "Supplier", f"Pagelist{tag}")
    _choose(page, "Sort by", "Name")
    _choose(page, "Order", "Desc")
    _tab_to(page, "Filter")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"sort=name&order=desc"))
    table = "Factories matching the filter"
    expect(_first_factory(page, table)).to_contain_text("Factory 00059")
    expect(page.get_by_text("Showing 1–25 of 60")).to_be_visible()
    pager = page.get_by_role("navigation", name="Pages of factories")
    expect(pager.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
    _tab_to(page, "Next page")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?page=2&supplier=\d+&sort=name&order=desc$"))
    expect(_first_factory(page, table)).to_contain_text("Factory 00034")
    expect(pager.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Supplier", exact=True)).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Sort by")).to_have_value("name")
    assert_accessible(page)


def test_the_supplier_pages_through_its_own_list_in_swedish(page_sv, live_server):
    page = page_sv
    with live_server.db():
        owner = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
        insert_factories(owner.organisation, 60)
        email = owner.email

    page.goto("/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Logga in").click()
    page.goto("/factories")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert_accessible(page)
    _choose(page, "Roll", "Huvud")
    _choose(page, "Sortera efter", "Namn")
    _choose(page, "Ordning", "Fall")
    _tab_to(page, "Visa")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="I leveranskedjan i dag (40)")).to_be_visible()
    expect(_first_factory(page, "Fabriker")).to_contain_text("Factory 00059")
    expect(page.get_by_text("Visar 1–25 av 40")).to_be_visible()
    _tab_to(page, "Nästa sida")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?page=2&.*role=main_component&sort=name&order=desc"))
    second = f"Factory {MAIN_COMPONENTS[25]:05d}"
    expect(_first_factory(page, "Fabriker")).to_contain_text(second)
    pager = page.get_by_role("navigation", name="Sidor i fabrikslistan")
    expect(pager.get_by_role("link", name="Sida 2")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Roll", exact=True)).to_have_value("main_component")
    assert_accessible(page)
