"""Buyer staff in the browser: from a list of suppliers to the latest response's review page,
an invitation that needs its role chosen, the audit log in words, and what changed between
two versions of the shipped questionnaire."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from portal.ladder import services as ladder_services
from portal.orgs.models import OrgKind
from portal.questionnaires.services import publish, start, submit
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, error_summary, sign_in, status
from tests.fixtures.builders import (
    make_answer,
    make_org,
    make_round,
    make_user,
    publish_version,
    response_of,
)

pytestmark = pytest.mark.browser


def test_from_the_lists_of_suppliers_to_the_review_page(page, live_server):
    tag = uuid.uuid4().hex[:6]
    name = f"Listed Supplier {tag} AB"
    with live_server.db():
        ladder_services.publish(1)
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Maria Lind")
        org = make_org(OrgKind.RESELLER, name=name)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        response = response_of(
            make_round(publish_version(1), [org], opened_by=admin, title=f"Dialogue {tag}"), org
        )
        start(response, user=owner, carry_from=None)
        make_answer(response, "has_policy", "no", user=owner)
        make_answer(response, "workers", 12, user=owner)
        make_answer(response, "methods", ["dialogue"], user=owner)
        assert submit(response, user=owner) == []
        ids = (admin.email, admin.totp_secret)

    sign_in(page, *ids, live_server=live_server)
    # The lists of organisations come a page at a time: the search finds the one wanted.
    page.goto("/admin/")
    search = page.get_by_label("Name contains")
    search.fill(tag)
    search.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"1 organisation's name contains “{tag}”.")
    assert f"q={tag}" in page.url
    for url in (page.url, f"/review?q={tag}", "/review/ladder"):
        page.goto(url)
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
        expect(row.last).to_contain_text(f"Dialogue {tag}")
        assert_accessible(page)
    page.goto("/review/ladder")
    link = page.get_by_role("link", name=f"Dialogue {tag} – {name}")
    link.click()
    expect(page).to_have_url(re.compile(r"/review/responses/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def test_an_invitation_needs_a_role_and_the_log_tells_it_in_words(page, live_server):
    tag = uuid.uuid4().hex[:6]
    name = f"Invited {tag} Oy"
    email = f"first-{tag}@example.com"
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Maria Lind")
        org = make_org(OrgKind.BRAND, name=name)
        ids = (admin.email, admin.totp_secret)
        org_id = org.id

    sign_in(page, *ids, live_server=live_server)
    page.goto(f"/admin/organisations/{org_id}")
    form = page.get_by_role("form", name="Invite a user")
    role = form.get_by_label("Role")
    expect(role).to_have_value("")  # nothing chosen for the inviter
    form.get_by_label("E-mail address of the person to invite").fill(email)
    form.get_by_role("button", name="Send invitation").click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Choose the role to invite as.")
    assert_accessible(page)
    summary.get_by_role("link", name="Choose the role to invite as.").click()
    expect(role).to_be_focused()
    role.select_option(label="Supplier owner")
    page.get_by_role("button", name="Send invitation").click()
    expect(status(page)).to_have_text(f"An invitation has been sent to {email}.")

    page.goto("/admin/audit?action=invitation.sent")
    log = page.get_by_role("table", name="Events, newest first")
    expect(log).to_contain_text(f"Maria Lind invited {email} to {name} as supplier owner.")
    assert_accessible(page)


def test_what_changed_in_the_shipped_questionnaire(page, live_server):
    with live_server.db():
        publish("ict-social", 1)
        publish("ict-social", 2)
        owner = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
        ids = (owner.email,)

    sign_in(page, *ids, live_server=live_server)
    page.goto("/questionnaires/ict-social/compare?from=1&to=2")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What changed from version 1 to version 2"
    )
    expect(page.get_by_role("heading", level=2, name="Risk assessment")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Also changed: help text, rubric")
    assert_accessible(page)
