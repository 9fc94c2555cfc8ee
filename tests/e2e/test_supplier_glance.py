"""A reviewer opens one supplier at a glance from the list of suppliers: its contract, its
accepted response with the score, its ladder step and climb, its factories by country, its
findings with an overdue corrective action plan flagged, and its place in the audit
selection; then reads the same page in Swedish. axe finds nothing on either."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.contracts.services import add_months
from portal.extensions import db
from portal.findings import services as findings
from portal.ladder import services as ladder
from portal.orgs.models import OrgKind
from portal.questionnaires.models import ResponseStatus
from portal.review import services as review
from portal.review.models import Grade
from portal.roles import Role
from portal.timeutil import utcnow
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import (
    make_answer,
    make_factory,
    make_org,
    make_round,
    make_user,
    publish_version,
    response_of,
)
from tests.fixtures.contracts import make_contract
from tests.fixtures.findings import make_finding

pytestmark = pytest.mark.browser


def _accepted_response(supplier, *, admin, reviewer, title: str) -> None:
    """A response to the mini questionnaire, submitted, graded in full and accepted."""
    version = publish_version(1)
    response = response_of(make_round(version, [supplier], opened_by=admin, title=title), supplier)
    make_answer(response, "has_policy", "yes")
    make_answer(response, "methods", ["audits"])
    db.session.add_all(
        Grade(response_id=response.id, question_key=key, points=points)
        for key, points in (("has_policy", 2), ("methods", 3))
    )
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow()
    review.accept(response, actor=reviewer, lang="en")


def test_a_reviewer_reads_a_supplier_at_a_glance_in_both_languages(page, live_server):
    tag = uuid.uuid4().hex[:6]
    name = f"Glimt {tag} AB"
    with live_server.db():
        ladder.publish(1)
        ladder.publish(2)
        buyer = make_org(OrgKind.BUYER, name=f"Region {tag}")
        admin = make_user(buyer, Role.BUYER_ADMIN)
        reviewer = make_user(buyer, Role.REVIEWER)
        login = (reviewer.email, reviewer.totp_secret)
        supplier = make_org(OrgKind.RESELLER, name=name)
        make_user(supplier, Role.SUPPLIER_OWNER)
        today = findings.today()
        contract = make_contract(
            supplier,
            publish_version(1),
            by=admin,
            reference=f"RN-{tag}",
            title="Laptops for the hospitals",
            starts_on=today - timedelta(days=60),
            ends_on=today + timedelta(days=500),
        )
        _accepted_response(supplier, admin=admin, reviewer=reviewer, title=f"Tender {tag}")
        assembly = make_factory(supplier, name="Shenzhen Assembly", country="CN")
        make_factory(supplier, country="CN", role="main_component")
        make_factory(supplier, country="VN", role="main_component")
        ladder.mark(
            supplier,
            "rights_policy_communicated",
            "achieved",
            today - timedelta(days=100),
            None,
            "Policy on the notice boards.",
            "",
            reviewer,
        )
        opened = today - timedelta(days=45)
        make_finding(
            supplier,
            reviewer,
            on=opened,
            title="Overtime above 60 hours",
            contract_id=contract.id,
            factory_id=assembly.id,
        )
        late_by = (today - add_months(opened, 1)).days

    sign_in(page, *login, live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Suppliers").click()
    organisations = page.get_by_role("table", name="Supplier organisations")
    organisations.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    contracts = page.get_by_role("table", name=f"Contracts of {name}")
    expect(contracts.get_by_role("row", name=f"RN-{tag}")).to_contain_text("Not yet due")
    responses = page.get_by_role("table", name=f"The rounds {name} was asked to answer")
    expect(responses.get_by_role("row", name=f"Tender {tag}")).to_contain_text(
        "15.00 of 15 award points"
    )
    expect(page.get_by_text("Step 1 of 8:")).to_be_visible()
    expect(page.get_by_role("img", name="Ladder step of each supplier over time")).to_be_visible()
    by_country = page.get_by_role("table", name=f"Factories in the supply chain of {name}")
    expect(by_country.get_by_role("row", name="China").get_by_role("cell")).to_have_text(
        ["1", "1", "2"]
    )
    found = page.get_by_role("table", name=f"Findings at {name}")
    expect(found.get_by_role("row", name="Overtime above 60 hours")).to_contain_text(
        f"Overdue by {late_by} days"
    )
    expect(page.locator("#selection ~ p").first).to_contain_text("suppliers with a contract")
    assert_accessible(page)

    found.get_by_role("link", name="Overtime above 60 hours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overtime above 60 hours")
    page.go_back()

    page.get_by_role("button", name="På svenska").click()
    expect(page.get_by_role("heading", name="Avvikelser och åtgärder")).to_be_visible()
    avvikelser = page.get_by_role("table", name=f"Avvikelser hos {name}")
    expect(avvikelser.get_by_role("row", name="Overtime above 60 hours")).to_contain_text(
        f"Försenad med {late_by} dagar"
    )
    expect(page.get_by_role("heading", name="Fabriker per land")).to_be_visible()
    assert_accessible(page)
