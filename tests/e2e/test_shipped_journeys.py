"""Every shipped questionnaire version, all the way through in the browser: a supplier imports
its factory list, answers every visible question (what to enter is derived from the
definition, so a new version needs no new test code), attaches evidence and submits; a
reviewer grades every gradable answer and asks about two; the supplier finds the questions
and answers them; the reviewer accepts and the score appears; the reviewer marks ladder
milestones and the supplier sees its step."""

import pytest
from playwright.sync_api import expect

from portal.definitions import ROOT
from portal.extensions import db
from portal.ladder import services as ladder_services
from portal.orgs.models import OrgKind
from portal.questionnaires.models import Response
from portal.questionnaires.samples import sample_answers
from portal.review import scoring
from portal.review.models import Review
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in, sign_in_with_password, status
from tests.e2e.journeys import en, factory_list_file, fill_section, import_factories
from tests.fixtures.builders import (
    make_org,
    make_round,
    make_user,
    publish_shipped,
    response_of,
    shipped_versions,
)

pytestmark = pytest.mark.browser

SHIPPED = shipped_versions()
LADDER_NUMBERS = sorted(
    int(path.stem[1:]) for path in (ROOT / ladder_services.LADDER_KEY).glob("v*.yaml")
)
BRANDS = ["Lumenic", "Orbis"]


@pytest.fixture(params=SHIPPED, ids=[f"{k}-v{n}" for k, n in SHIPPED])
def shipped_round(request, live_server):
    key, number = request.param
    with live_server.db():
        # Every shipped ladder version in order: the newest is the one marked.
        for ladder_number in LADDER_NUMBERS:
            ladder, _ = ladder_services.publish(ladder_number)
        version = publish_shipped(key, number)
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN)
        reviewer = make_user(buyer, Role.REVIEWER, full_name="Rut Granskare")
        supplier = make_org(OrgKind.RESELLER, name=f"Journey {key} v{number} AB")
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        title = f"Tender {key} v{number}"
        response = response_of(
            make_round(version, [supplier], opened_by=admin, title=title), supplier
        )
        return {
            "definition": version.definition,
            "milestones": [m for m in ladder.ladder.milestones if m["step"] in (1, 2)],
            "ladder_top": ladder.ladder.top,
            "title": title,
            "supplier": supplier.name,
            "owner": owner.email,
            "reviewer": (reviewer.email, reviewer.totp_secret),
            "response_id": response.id,
        }


def test_supplier_and_reviewer_all_the_way(page, chromium, live_server, tmp_path, shipped_round):
    journey = shipped_round
    definition = journey["definition"]
    answers = sample_answers(definition, BRANDS)

    # The supplier imports its factory list and answers every section.
    sign_in_with_password(page, journey["owner"])
    import_factories(page, factory_list_file(tmp_path, BRANDS), expected=len(BRANDS) + 1)
    page.get_by_role("navigation").get_by_role("link", name="Questionnaires").click()
    page.get_by_role("link", name=journey["title"]).click()
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name=en(definition.sections[0]["title"])).click()
    for index, section in enumerate(definition.sections):
        # Sections are checked with axe while they differ; the page to attach a document is
        # the same for every question, and is checked once.
        fill_section(
            page, definition, section, answers, check_a11y=index < 3, check_upload=index == 0
        )
        last = index + 1 == len(definition.sections)
        name = "Save and return to the overview" if last else "Save and go to the next section"
        page.get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(journey["title"])
    page.get_by_role("button", name="Submit the response").click()
    expect(status(page).first).to_contain_text("has been submitted")
    assert_accessible(page)
    with live_server.db():
        assert db.session.get(Response, journey["response_id"]).status == "submitted"

    # The reviewer grades every gradable answer with its best level and asks about two.
    gradable = [q for q in definition.questions.values() if q.get("rubric") and q["key"] in answers]
    asked = gradable[:2]
    staff_context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    staff = staff_context.new_page()
    sign_in(staff, *journey["reviewer"], live_server=live_server)
    staff.get_by_role("navigation").get_by_role("link", name="Review").click()
    # The queue holds the other tests' responses too, 50 to a page: narrowed to the round.
    staff.get_by_label("Round").select_option(label=journey["title"])
    staff.get_by_role("button", name="Filter").click()
    staff.get_by_role("link", name=journey["supplier"]).click()
    # The reviewer's page is checked with axe once, accepted (below): the same grading
    # markup, and the score besides. Its axe run is the longest of a journey.
    for question in gradable:
        best = question["rubric"][-1]
        grade = staff.locator(f"#review-{question['key']}").get_by_role(
            "group", name=f"Grade – {en(question['text'])}", exact=True
        )
        grade.get_by_role(
            "radio", name=f"{best['points']:g} – {en(best['description'])}", exact=True
        ).check()
    for question in asked:
        block = staff.locator(f"#review-{question['key']}")
        block.get_by_label("Comment to the supplier").fill(f"Please explain: {question['key']}?")
        block.get_by_label("Ask the supplier about this answer").check()
    staff.get_by_role("button", name="Ask for clarification on the ticked answers").click()
    expect(status(staff).first).to_contain_text("The questions have been sent")

    # The supplier finds the questions on its home page and answers them.
    page.get_by_role("navigation").get_by_role("link", name="Overview").click()
    questions = page.get_by_role("region", name="Questions from the region")
    for question in asked:
        expect(questions.get_by_role("link", name=en(question["text"]))).to_be_visible()
    for question in asked:
        page.get_by_role("navigation").get_by_role("link", name="Overview").click()
        page.get_by_role("region", name="Questions from the region").get_by_role(
            "link", name=en(question["text"])
        ).click()
        box = page.locator(f"#question-{question['key']}")
        expect(box.get_by_text(f"Please explain: {question['key']}?")).to_be_visible()
        box.get_by_label("Your reply to the region").fill(f"Our answer on {question['key']}.")
        page.get_by_role("button", name="Save and return to the overview").click()
    page.get_by_role("button", name="Submit the response").click()
    expect(status(page).first).to_contain_text("has been submitted")

    # The reviewer reads the replies and accepts: the best grades make the award points the
    # scoring rule gives these answers (a question the answers leave unasked counts 0).
    staff.reload()
    for question in asked:
        expect(staff.get_by_text(f"Our answer on {question['key']}.")).to_be_visible()
    staff.get_by_role("button", name="Accept the response").click()
    best = {q["key"]: q["rubric"][-1]["points"] for q in gradable}
    award = scoring.compute(definition, answers, best, "en", 15).award_points
    expect(status(staff).first).to_contain_text(f"{award:.2f} of 15 award points")
    expect(staff.get_by_role("table", name="Score")).to_be_visible()
    assert_accessible(staff)
    with live_server.db():
        review = db.session.scalar(
            db.select(Review).where(Review.response_id == journey["response_id"])
        )
        assert review.status == "accepted"

    # The reviewer marks the first two ladder milestones; the supplier sees its step.
    staff.get_by_role("navigation").get_by_role("link", name="Ladder").click()
    staff.get_by_role("link", name=journey["supplier"], exact=True).click()
    for milestone in journey["milestones"]:
        step = staff.get_by_role(
            "group", name=f"Step {milestone['step']}: {en(milestone['title'])}"
        )
        step.get_by_label("Status").select_option("achieved")
        step.get_by_label("Holds from").fill("2026-03-01")
        step.get_by_label("Evidence in words").fill("Seen in the submitted response.")
    staff.get_by_role("button", name="Record the marks").click()
    expect(staff.get_by_role("status")).to_have_text("Marks recorded: 2.")
    staff_context.close()
    page.get_by_role("navigation").get_by_role("link", name="Ladder").click()
    expect(page.get_by_text(f"Step 2 of {journey['ladder_top']}:")).to_be_visible()
    assert_accessible(page)

    # The same pages in Swedish: the accepted response with the reviewer's comments, and the
    # section with the frozen factory list.
    page.get_by_role("button", name="På svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.goto(f"/responses/{journey['response_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(journey["title"])
    assert_accessible(page)
    page.goto(f"/responses/{journey['response_id']}/answers")
    assert_accessible(page)
    section = definition.section_of[
        next(k for k, q in definition.questions.items() if q["type"] == "factory_list")
    ]
    page.goto(f"/responses/{journey['response_id']}/sections/{section}")
    expect(
        page.get_by_text("3 fabriker, så som registret såg ut när svaret skickades in")
    ).to_be_visible()
    assert_accessible(page)
