"""A reviewer grades in the browser, asks for clarification, the supplier finds the question
on its home page and answers, the reviewer accepts, and the score is shown. On the shipped
questionnaire the reviewer moves by the contents, saves one section, and accepts with answers
left ungraded only after being told how many."""

import re

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.questionnaires.services import answers_of, start, submit, values_of
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import (
    make_answer,
    make_org,
    make_round,
    make_user,
    publish_version,
    response_of,
)
from tests.fixtures.review import submitted_shipped_response

pytestmark = pytest.mark.browser


def test_grade_clarify_answer_accept(page, chromium, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        reviewer = make_user(buyer, Role.REVIEWER)
        org = make_org(OrgKind.RESELLER, name="Review Journey AB")
        owner = make_user(org, Role.SUPPLIER_OWNER)
        response = response_of(
            make_round(publish_version(1), [org], opened_by=reviewer, title="Tender 2027"), org
        )
        start(response, user=owner, carry_from=None)
        make_answer(response, "has_policy", "yes", user=owner)
        make_answer(response, "policy_url", "https://example.com/p.pdf", user=owner)
        make_answer(response, "workers", 12, user=owner)
        make_answer(response, "methods", ["dialogue"], user=owner)
        assert submit(response, user=owner) == []
        ids = {
            "reviewer": (reviewer.email, reviewer.totp_secret),
            "owner": owner.email,
            "response": response.id,
        }

    sign_in(page, *ids["reviewer"], live_server=live_server)
    page.get_by_role("navigation").get_by_role("link", name="Review").click()
    page.get_by_role("link", name="Review Journey AB").click()
    assert_accessible(page)
    # The points of a question are a group named after the question.
    page.get_by_role("group", name="Grade – Do you have a policy?").get_by_role(
        "radio", name="2 – Yes"
    ).check()
    policy = page.locator("#review-has_policy")
    policy.get_by_label("Comment to the supplier").fill("Who adopted the policy, and when?")
    policy.get_by_label("Ask the supplier about this answer").check()
    page.get_by_role("button", name="Ask for clarification on the ticked answers").click()
    expect(page.get_by_role("status").first).to_contain_text("The questions have been sent")

    supplier_context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    supplier = supplier_context.new_page()
    sign_in(supplier, ids["owner"])
    questions = supplier.get_by_role("region", name="Questions from the region")
    expect(questions).to_contain_text("Who adopted the policy, and when?")
    assert_accessible(supplier)
    questions.get_by_role("link", name="Do you have a policy?").click()
    expect(supplier).to_have_url(
        re.compile(rf"/responses/{ids['response']}/sections/basics#question-has_policy$")
    )
    question = supplier.locator("#question-has_policy")
    expect(question).to_be_in_viewport()
    expect(question).to_contain_text("Who adopted the policy, and when?")
    question.get_by_label("Your reply to the region").fill("The board, on 3 March 2026.")
    supplier.get_by_role("button", name="Save and return to the overview").click()
    assert_accessible(supplier)
    supplier.get_by_role("button", name="Submit the response").click()
    expect(supplier.get_by_role("status").first).to_contain_text("has been submitted")
    supplier_context.close()

    page.reload()
    expect(page.get_by_text("The board, on 3 March 2026.")).to_be_visible()
    page.get_by_role("group", name="Grade – Methods").get_by_role(
        "radio", name="1 – Dialogue only"
    ).check()
    page.get_by_role("button", name="Accept the response").click()  # all graded: no question
    expect(page.get_by_role("status").first).to_contain_text("award points")
    expect(page.get_by_role("table", name="Score")).to_contain_text("11.00")
    assert_accessible(page)


def _top_level(question) -> str:
    level = question["rubric"][-1]
    return f"{level['points']:g} – {level['description']['en']}"


def test_a_long_response_by_section_and_accepting_with_ungraded_answers(page, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        reviewer = make_user(buyer, Role.REVIEWER)
        org = make_org(OrgKind.BRAND, name="Shipped Questionnaire Ltd")
        owner = make_user(org, Role.SUPPLIER_OWNER)
        response = submitted_shipped_response(org, owner, opened_by=reviewer, title="ICT 2027")
        definition = response.version.definition
        visible = definition.visible_keys(values_of(answers_of(response)))
        gradable = [
            q for q in definition.questions.values() if q.get("rubric") and q["key"] in visible
        ]
        minerals = definition.section("responsible_minerals")
        in_minerals = [q for q in gradable if q in minerals["questions"]]
        ids = {
            "reviewer": (reviewer.email, reviewer.totp_secret),
            "title": minerals["title"]["en"],
            "first": in_minerals[0],
            "count": len(in_minerals),
            "ungraded": len(gradable) - 1,
        }

    sign_in(page, *ids["reviewer"], live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Review").click()
    expect(page.get_by_role("row", name=re.compile("Shipped Questionnaire Ltd"))).to_contain_text(
        "Social responsibility in ICT supply chains, version 1"
    )
    page.get_by_role("link", name="Shipped Questionnaire Ltd").click()
    assert_accessible(page)

    contents = page.get_by_role("navigation", name="Sections")
    entry = contents.get_by_role("listitem").filter(has_text=ids["title"])
    expect(entry).to_contain_text(f"0 of {ids['count']} graded")
    entry.get_by_role("link", name=ids["title"]).click()
    expect(page.get_by_role("heading", name=ids["title"], level=2)).to_be_in_viewport()

    first = ids["first"]
    page.get_by_role("group", name=f"Grade – {first['text']['en']}").get_by_role(
        "radio", name=_top_level(first)
    ).check()
    page.get_by_role("button", name=f"Save grades for this section – {ids['title']}").click()
    expect(page).to_have_url(re.compile(r"#section-responsible_minerals$"))
    saved = page.get_by_role("status").filter(has_text="The grades in this section are saved.")
    expect(saved).to_be_in_viewport()
    expect(entry).to_contain_text(f"1 of {ids['count']} graded")
    assert_accessible(page)

    page.get_by_role("button", name="Accept the response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Accept the response of Shipped Questionnaire Ltd"
    )
    expect(page.get_by_role("main")).to_contain_text(
        f"{ids['ungraded']} answers have no grade. Accept anyway?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Accept anyway").click()
    expect(page.get_by_role("status").first).to_contain_text("The response has been accepted")
    expect(page.get_by_role("main")).to_contain_text(
        "ICT 2027 · Social responsibility in ICT supply chains v1 · Accepted"
    )
