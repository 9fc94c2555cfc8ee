"""Reflow (WCAG 1.4.10): at 320 CSS pixels wide no page scrolls sideways. Only a data
table may, inside its own region, which has a name and takes the keyboard's focus so that
it can be scrolled without a mouse. Checked on the real questionnaire's pages."""

import pytest
from playwright.sync_api import expect

from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires.services import publish
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in, sign_in_with_password
from tests.fixtures.builders import make_factory, make_org, make_round, make_user, response_of
from tests.fixtures.review import SHIPPED, submitted_shipped_response

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

#: Everything wider than the page outside a scroll region, and every region that scrolls.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const wide = [];
  const regions = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (scrolls(el) && el.scrollWidth > el.clientWidth) {
      regions.push({
        tabindex: el.getAttribute("tabindex"),
        named: el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby"),
        role: el.getAttribute("role"),
      });
    }
    let parent = el.parentElement, inside = false;
    while (parent) { if (scrolls(parent)) { inside = true; break; } parent = parent.parentElement; }
    if (!inside && el.getBoundingClientRect().right > width + 0.5) {
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string" ? "." + el.className : ""));
    }
  }
  return {
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    wide: wide.slice(0, 12),
    regions,
  };
}"""


def assert_reflows(page) -> None:
    """Nothing but a table's own named, focusable region scrolls sideways at 320 px."""
    # Measured once the style sheet applies: text can be on the page before it has loaded.
    page.wait_for_load_state("load")
    measured = page.evaluate(MEASURE)
    assert measured["document"] <= NARROW["width"], measured
    assert measured["body"] <= NARROW["width"], measured
    for region in measured["regions"]:
        assert region == {"tabindex": "0", "named": True, "role": "region"}, measured


@pytest.fixture
def narrow(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB", viewport=NARROW)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def people(live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN)
        org = make_org(OrgKind.BRAND, name="Narrow Screens Manufacturing International AB")
        owner = make_user(org, Role.SUPPLIER_OWNER, full_name="Margareta Johansson-Lindqvist")
        for name, components in (
            ("Shenzhen Longwei Precision Electronics Manufacturing Co., Ltd.", ["mainboard_pcb"]),
            ("Kunshan Assembly Plant 2", []),
            ("Chongqing Display Panel Works", ["display_panel"]),
        ):
            make_factory(
                org,
                name=name,
                city="Shenzhen",
                role="main_component" if components else "final_assembly",
                component_categories=components,
                brands=["Lumenic"],
            )
        return {
            "admin": (admin.email, admin.totp_secret),
            "owner": owner.email,
            "org_id": org.id,
            "admin_id": admin.id,
        }


def test_the_section_with_the_brand_table_reflows(narrow, live_server, people):
    with live_server.db():
        version, _ = publish(*SHIPPED)
        db.session.flush()
        org = db.session.get(Organisation, people["org_id"])
        admin = db.session.get(User, people["admin_id"])
        response_id = response_of(make_round(version, [org], opened_by=admin), org).id
    page = narrow
    sign_in_with_password(page, people["owner"])
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_reflows(page)  # the header and its menu wrap
    page.goto(f"/responses/{response_id}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Supply-chain transparency").click()

    brands = page.get_by_role("region", name="Which brands do you sell under the contract")
    expect(brands).to_have_attribute("tabindex", "0")
    brands.get_by_label("Brand name, row 1", exact=True).fill("Lumenic")
    brands.get_by_label("Product category, row 1", exact=True).select_option(label="PCs")
    brands.get_by_label("Share of contract volume, row 1", exact=True).fill("120")
    page.get_by_role("button", name="Save and go to the next section").click()
    expect(page.get_by_role("alert")).to_contain_text("Your answers are saved, but 1 needs")
    assert_reflows(page)
    assert_accessible(page)


def test_the_factory_list_reflows(narrow, people):
    sign_in_with_password(narrow, people["owner"])
    narrow.goto("/factories")
    expect(narrow.get_by_role("cell", name="Kunshan Assembly Plant 2")).to_be_attached()
    assert_reflows(narrow)
    assert_accessible(narrow)


def test_the_reviewers_page_and_the_answers_reflow(narrow, live_server, people):
    with live_server.db():
        org = db.session.get(Organisation, people["org_id"])
        owner = db.session.scalar(db.select(User).where(User.email == people["owner"]))
        admin = db.session.get(User, people["admin_id"])
        response_id = submitted_shipped_response(org, owner, opened_by=admin).id
    sign_in(narrow, *people["admin"], live_server=live_server)
    assert_reflows(narrow)  # the longest menu, the buyer administrator's, wraps
    narrow.goto(f"/review/responses/{response_id}")
    expect(
        narrow.get_by_role("region", name="Which brands do you sell under the contract")
    ).to_contain_text("Lumenic")
    assert_reflows(narrow)
    assert_accessible(narrow)
    for page in ("answers", "history"):
        narrow.goto(f"/responses/{response_id}/{page}")
        assert_reflows(narrow)
        assert_accessible(narrow)
