"""Rounds in the browser: a buyer administrator opens a market-dialogue round to a supplier
already in the portal and to a new organisation invited by e-mail, and adds a late one to the
open round with the keyboard (the page in Swedish too); the invited person creates the
organisation (in Swedish) and finds the round on the home page."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.questionnaires import services
from portal.roles import Role
from portal.timeutil import utcnow
from tests.e2e.conftest import assert_accessible, sign_in
from tests.e2e.conftest import status as _status
from tests.fixtures.builders import make_org, make_user, publish_version
from tests.fixtures.web import link_in

pytestmark = pytest.mark.browser


@pytest.fixture
def swedish_browser(chromium, live_server):
    """A page in a browser of its own that asks for Swedish."""
    context = chromium.new_context(base_url=live_server.url, locale="sv-SE")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_admin_opens_a_market_dialogue_to_an_existing_and_a_new_organisation(
    page, swedish_browser, live_server, monkeypatch
):
    # The browser tests share one database: however many organisations the others have
    # made, this one lists them whole (a longer list is searched: the test below).
    monkeypatch.setattr(services, "ALL_ORGANISATIONS_UP_TO", 100_000)
    tag = uuid.uuid4().hex[:8]
    title = f"Market dialogue PCs {tag}"
    existing_name, new_name, late_name = f"Alfa {tag} AB", f"Gamma {tag} AB", f"Late {tag} AB"
    new_email = f"gia-{tag}@gamma.example.com"
    password = "violet kettle under moonlight"
    closes_on = utcnow().date() + timedelta(days=30)
    with live_server.db():
        version = publish_version(1)
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Ada Admin")
        existing = make_org(OrgKind.RESELLER, name=existing_name)
        make_org(OrgKind.BRAND, name=late_name)
        for n in range(9):  # enough organisations for the list to offer its filter
            make_org(OrgKind.RESELLER, name=f"Filler {tag} {n} AB")
        admin_email, secret, existing_id = admin.email, admin.totp_secret, existing.id
        version_label = f"{version.title_en} (v{version.number})"

    sign_in(page, admin_email, secret, live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name="Open a new round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a new round")
    expect(page.get_by_label("Reminders, in days before closing")).to_have_value("14, 7, 1")
    assert_accessible(page)

    page.get_by_label("Kind of round").select_option(label="Market dialogue")
    page.get_by_label("Title of the round").fill(title)
    page.get_by_label("Questionnaire version").select_option(label=version_label)
    page.get_by_label("Closing date").fill(closes_on.isoformat())
    page.get_by_label("Closing time").fill("16:00")
    page.locator(f"input[name=organisations][value='{existing_id}']").check()
    first_new = page.get_by_role("group", name="New organisation 1")
    first_new.get_by_label("Name of the organisation").fill(new_name)
    first_new.get_by_label("Kind").select_option(label="Brand")
    first_new.get_by_label("E-mail address of the person to invite").fill(new_email)
    page.get_by_role("button", name="Open the round").click()
    expect(_status(page)).to_have_text(f"The round {title} is open to 2 organisations.")
    assert_accessible(page)

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("table")).to_contain_text(existing_name)
    expect(page.get_by_role("main")).to_contain_text(new_email)
    assert_accessible(page)

    # A late organisation joins the open round from its page, with the keyboard; choosing
    # none is explained. Then the page in Swedish.
    adding = page.get_by_role("form", name="Add organisations")
    expect(adding.get_by_label(existing_name)).to_have_count(0)
    adding.get_by_role("button", name="Add to the round").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one organisation.")
    assert_accessible(page)
    # The long list is filtered by typing part of a name; Enter there sends nothing.
    adding = page.get_by_role("form", name="Add organisations")
    name_filter = adding.get_by_label("Show only the organisations whose name contains")
    name_filter.fill(f"late {tag}")
    expect(adding.get_by_role("checkbox")).to_have_count(1)
    expect(adding.get_by_role("checkbox")).to_have_accessible_name(late_name)
    expect(adding.locator("#organisations-filter-count")).to_have_text(
        re.compile(r"^1 of \d+ organisations shown$")
    )
    name_filter.press("Enter")
    expect(name_filter).to_have_value(f"late {tag}")
    assert_accessible(page)
    adding.get_by_label(late_name).focus()
    page.keyboard.press("Space")
    name_filter.fill(f"Filler {tag} 3")
    # A ticked organisation stays in sight whatever the filter.
    expect(adding.get_by_role("checkbox")).to_have_count(2)
    expect(adding.get_by_label(late_name)).to_be_checked()
    page.get_by_role("button", name="Add to the round").focus()
    page.keyboard.press("Enter")
    expect(_status(page)).to_have_text("1 organisation was added to the round.")
    expect(page.get_by_role("table")).to_contain_text(late_name)
    page.get_by_role("button", name="På svenska").click()
    adding = page.get_by_role("form", name="Lägg till organisationer")
    expect(adding.get_by_role("button", name="Lägg till i omgången")).to_be_visible()
    adding.get_by_label("Visa bara de organisationer vars namn innehåller").fill(f"filler {tag}")
    expect(adding.locator("#organisations-filter-count")).to_have_text(
        re.compile(r"^9 av \d+ organisationer visas$")
    )
    assert_accessible(page)
    page.get_by_role("button", name="In English").click()

    # The invited person opens the e-mailed link in a Swedish browser and creates the
    # organisation with the account.
    messages = live_server.mail_to(new_email)
    newcomer = swedish_browser
    newcomer.goto(link_in(messages[0], "/invitation/"))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Skapa ditt konto")
    expect(newcomer.get_by_role("definition").filter(has_text=new_name)).to_contain_text(
        "ny organisation: varumärke"
    )
    assert_accessible(newcomer)
    newcomer.locator("#full_name").fill("Gia Gamma")
    newcomer.locator("#country").select_option("DK")
    newcomer.locator("#password").fill(password)
    newcomer.locator("#confirm").fill(password)
    newcomer.get_by_role("button", name="Skapa konto").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Logga in")

    newcomer.locator("#email").fill(new_email)
    newcomer.locator("#password").fill(password)
    newcomer.get_by_role("button", name="Logga in", exact=True).click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(new_name)
    rounds = newcomer.get_by_role("table", name="Omgångar med frågeformulär för din organisation")
    row = rounds.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("Marknadsdialog")
    expect(row).to_contain_text("16:00")
    assert_accessible(newcomer)


def test_with_many_organisations_the_admin_finds_them_by_name_with_the_keyboard(
    page, live_server, monkeypatch
):
    # Searched from more than 5, and a round's page lists one organisation at a time, so
    # that the test needs no thousands of organisations.
    monkeypatch.setattr(services, "ALL_ORGANISATIONS_UP_TO", 5)
    monkeypatch.setattr(services, "ROUND_ORGANISATIONS_PER_PAGE", 1)
    tag = uuid.uuid4().hex[:8]
    title = f"Tender laptops {tag}"
    with live_server.db():
        version = publish_version(1)
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Ada Admin")
        for n in range(8):
            make_org(OrgKind.RESELLER, name=f"Many {tag} {n} AB")
        admin_email, secret = admin.email, admin.totp_secret
        version_label = f"{version.title_en} (v{version.number})"

    sign_in(page, admin_email, secret, live_server=live_server)
    page.goto("/admin/rounds/new")
    page.get_by_label("Title of the round").fill(title)
    page.get_by_label("Questionnaire version").select_option(label=version_label)
    page.get_by_label("Closing date").fill((utcnow().date() + timedelta(days=30)).isoformat())
    count = page.locator("#find-count")
    expect(count).to_have_text(re.compile(r"^\d+ of [\d,]+ organisations are shown\.$"))
    assert_accessible(page)

    # Enter in the search finds; the page comes back with what was typed, and focus on
    # how many organisations it shows.
    find = page.get_by_label("Find organisations by name")
    find.fill(f"many {tag} 6")
    find.press("Enter")
    expect(count).to_have_text("1 of 1 organisation is shown.")
    expect(count).to_be_focused()
    expect(page.get_by_label("Title of the round")).to_have_value(title)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label(f"Many {tag} 6 AB")).to_be_checked()
    assert_accessible(page)

    # A second search: the ticked organisation stays ticked, at the top.
    find.fill(f"many {tag} 2")
    page.get_by_role("button", name="Find").press("Enter")
    boxes = page.get_by_role("group", name="Supplier organisations").get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_have_accessible_name(f"Many {tag} 6 AB")
    expect(boxes.first).to_be_checked()
    boxes.nth(1).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Open the round").focus()
    page.keyboard.press("Enter")
    expect(_status(page)).to_have_text(f"The round {title} is open to 2 organisations.")

    # The round's page lists its organisations a page at a time; the list is searched by
    # name, and the organisation to give more time is one of those listed.
    page.get_by_role("link", name=title).click()
    expect(page.get_by_text("Showing 1–1 of 2")).to_be_visible()
    table = page.get_by_role("table", name="Organisations in the round")
    expect(table.get_by_role("rowheader")).to_have_text([f"Many {tag} 2 AB"])
    page.get_by_role("navigation", name="Pages of organisations in the round").get_by_role(
        "link", name="Next page"
    ).press("Enter")
    expect(table.get_by_role("rowheader")).to_have_text([f"Many {tag} 6 AB"])
    search = page.get_by_role("search", name="Find a supplier organisation").get_by_label(
        "Name contains"
    )
    search.fill(f"{tag} 2")
    search.press("Enter")
    expect(table.get_by_role("rowheader")).to_have_text([f"Many {tag} 2 AB"])
    extending = page.get_by_role("form", name="Give an organisation more time")
    expect(extending.get_by_label("Organisation")).to_have_value(re.compile(r"^\d+$"))
    expect(extending.get_by_label("Organisation").locator("option")).to_have_text(
        [f"Many {tag} 2 AB"]
    )
    assert_accessible(page)

    # The round's own list of organisations to add is searched the same way, in Swedish.
    page.get_by_role("button", name="På svenska").click()
    adding = page.get_by_role("form", name="Lägg till organisationer")
    adding.get_by_label("Hitta organisationer efter namn").fill(f"many {tag} 6")
    adding.get_by_role("button", name="Sök").click()
    expect(page.locator("#find-count")).to_have_text("Inga organisationer matchar.")
    assert_accessible(page)
    page.get_by_role("button", name="In English").click()
