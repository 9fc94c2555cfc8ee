"""The whole market dialogue in the browser: the buyer's administrator opens a market-dialogue
round on a questionnaire that asks the market questions, a supplier answers every section and
the market questions and submits, and the buyer reads the round's market maturity in English
and in Swedish; axe on every page on the way. It runs on every shipped version that asks the
market questions (what to enter is derived from the definition), and on the small fixture."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.definitions import ROOT, file_for
from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.questionnaires.definitions import Definition, load_file
from portal.questionnaires.labels import CRITERION_LABELS
from portal.questionnaires.models import Response
from portal.questionnaires.samples import sample_answers
from portal.roles import Role
from portal.timeutil import utcnow
from tests.e2e.conftest import assert_accessible, sign_in, sign_in_with_password, status
from tests.e2e.journeys import en, factory_list_file, fill_section, import_factories
from tests.fixtures.builders import (
    QUESTIONNAIRE_FIXTURES,
    make_org,
    make_user,
    publish_version,
    shipped_versions,
)

pytestmark = pytest.mark.browser

#: (key, number, folder) of each version the journey runs on.
VERSIONS = [
    ("market", 1, QUESTIONNAIRE_FIXTURES),
    *(
        (key, number, ROOT)
        for key, number in shipped_versions()
        if Definition(load_file(file_for(key, number, ROOT))[0]).asks_market_questions
    ),
]
BRANDS = ["Lumenic", "Orbis"]


@pytest.mark.parametrize(
    ("key", "number", "folder"), VERSIONS, ids=[f"{k}-v{n}" for k, n, _ in VERSIONS]
)
def test_a_market_dialogue_from_opening_to_the_maturity_figures(
    page, chromium, live_server, tmp_path, key, number, folder
):
    tag = uuid.uuid4().hex[:8]
    title = f"Dialogue on notebooks {tag}"
    with live_server.db():
        version = publish_version(number, key, root=folder)
        definition = version.definition
        admin = make_user(make_org(OrgKind.BUYER, name=f"Region {tag}"), Role.BUYER_ADMIN)
        supplier = make_org(OrgKind.RESELLER, name=f"Alfa {tag} AB")
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        admin_login = (admin.email, admin.totp_secret)
        owner_email, supplier_id = owner.email, supplier.id
        version_label = f"{version.title_en} (v{version.number})"

    # The administrator opens the round to the supplier.
    sign_in(page, *admin_login, live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name="Open a new round").click()
    page.get_by_label("Kind of round").select_option(label="Market dialogue")
    page.get_by_label("Title of the round").fill(title)
    page.get_by_label("Questionnaire version").select_option(label=version_label)
    page.get_by_label("Closing date").fill((utcnow().date() + timedelta(days=30)).isoformat())
    page.get_by_label("Closing time").fill("16:00")
    page.locator(f"input[name=organisations][value='{supplier_id}']").check()
    page.get_by_role("button", name="Open the round").click()
    expect(status(page)).to_have_text(f"The round {title} is open to 1 organisation.")
    assert_accessible(page)

    # The supplier answers every section and the market questions, and submits.
    supplier_page = chromium.new_context(base_url=live_server.url).new_page()
    sign_in_with_password(supplier_page, owner_email)
    import_factories(supplier_page, factory_list_file(tmp_path, BRANDS), len(BRANDS) + 1)
    supplier_page.get_by_role("navigation").get_by_role("link", name="Questionnaires").click()
    supplier_page.get_by_role("link", name=title).click()
    supplier_page.get_by_role("button", name="Start").click()
    answers = sample_answers(definition, BRANDS)
    supplier_page.get_by_role("link", name=en(definition.sections[0]["title"])).click()
    for index, section in enumerate(definition.sections):
        fill_section(supplier_page, definition, section, answers, check_a11y=index == 0)
        last = index + 1 == len(definition.sections)
        onward = "the market questions" if last else "the next section"
        supplier_page.get_by_role("button", name=f"Save and go to {onward}").click()
    expect(supplier_page.get_by_role("heading", level=1)).to_have_text("Market questions")
    assert_accessible(supplier_page)
    criteria = list(definition.criteria)
    for n, criterion in enumerate(criteria):
        part = supplier_page.locator(f"#market-{criterion}")
        part.get_by_label("Yes" if n % 2 == 0 else "No", exact=True).check()
        part.get_by_label("How many hours would it take you").fill(str(8 * (n + 1)))
    supplier_page.locator(f"#market-{criteria[1]}").get_by_label("Comment").fill(
        "Third-party audits would need a new budget."
    )
    supplier_page.get_by_role("button", name="Save and return to the overview").click()
    supplier_page.get_by_role("button", name="Submit the response").click()
    expect(status(supplier_page).first).to_contain_text("has been submitted")
    with live_server.db():
        submitted = db.session.scalars(
            db.select(Response.status).where(Response.organisation_id == supplier_id)
        ).all()
        assert submitted == ["submitted"]

    # The buyer reads the figures: every other criterion met by the one respondent.
    page.get_by_role("navigation").get_by_role("link", name="Market maturity").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Market maturity: {title}")
    table = page.get_by_role("table", name="Each criterion")
    for n, criterion in enumerate(criteria):
        expect(table.get_by_role("row", name=str(CRITERION_LABELS[criterion]))).to_contain_text(
            "Ready to be a mandatory requirement"
            if n % 2 == 0
            else "Milestone path and more dialogue"
        )
    expect(page.get_by_role("main")).to_contain_text("Third-party audits would need a new budget.")
    assert_accessible(page)
    page.get_by_role("button", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Marknadsmognad: {title}")
    expect(page.get_by_role("table", name="Varje kriterium")).to_be_visible()
    assert_accessible(page)
