"""Reviewing: the queue, grading against rubrics, scores with their arithmetic,
clarification rounds, acceptance, and exports."""

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.questionnaires.models import Answer, Response
from portal.questionnaires.services import answers_of, start, submit, values_of
from portal.review.models import Grade, Review
from tests.fixtures.builders import (
    make_answer,
    make_document,
    make_org,
    make_round,
    make_user,
    response_of,
)
from tests.fixtures.review import submitted_shipped_response
from tests.fixtures.web import link_in

REVIEW = "/review/responses/{}"


def _fill_and_submit(client, response, policy="yes", methods=("dialogue",)):
    base = f"/responses/{response.id}"
    client.submit(f"{base}/start", page=base)
    data = {"q_has_policy": policy, "q_workers": "40"}
    if policy == "yes":
        data["q_policy_url"] = "https://example.com/policy"
    client.submit(f"{base}/sections/basics", data)
    client.submit(f"{base}/sections/details", {"q_methods": list(methods)})
    assert client.submit(f"{base}/submit", page=base).status_code == 302


@pytest.fixture
def submitted(client, make_client, owner_a, response_a):
    supplier = make_client()
    supplier.login(owner_a)
    _fill_and_submit(supplier, response_a)
    return response_a


def test_the_queue_lists_submitted_responses_for_staff_only(
    client, make_client, reviewer, owner_a, submitted, supplier_a
):
    client.login(reviewer)
    html = client.get("/review/queue").get_data(as_text=True)
    assert supplier_a.name in html
    assert "To review" in html
    assert supplier_a.name not in client.get("/review/queue?kind=brand").get_data(as_text=True)
    supplier = make_client()
    supplier.login(owner_a)
    assert supplier.get("/review/queue").status_code == 403


def test_grades_give_scores_with_their_arithmetic(client, reviewer, submitted):
    """Hand-computed: basics (weight 60) has one gradable question, 2 of 2, so 1 of its one
    share; details (weight 40) one question, 1 of 3, so 0.33 of one share.
    Total = 60 × 1/1 + 40 × 0.33/1 = 73.33 of 100, × 15/100 = 11.00 award points."""
    client.login(reviewer)
    reply = client.submit(
        REVIEW.format(submitted.id),
        {
            "action": "save",
            "points_has_policy": "2",
            "comment_has_policy": "Clear policy.",
            "note_has_policy": "Checked the PDF.",
            "points_methods": "1",
        },
    )
    assert reply.status_code == 302
    html = client.get(REVIEW.format(submitted.id)).get_data(as_text=True)
    assert "1 / 1 × 60 = 60.00" in html
    assert "0.33 / 1 × 40 = 13.33" in html
    assert "Do you have a policy?: 2 / 2 × 1 = 1.00" in html  # has_policy's line
    assert "Methods: 1 / 3 × 1 = 0.33" in html  # methods' line
    assert "73.33 / 100 × 15 = <strong>11.00</strong>" in html
    grade = db.session.scalar(db.select(Grade).where(Grade.question_key == "has_policy"))
    assert (grade.points, grade.comment, grade.note) == (2.0, "Clear policy.", "Checked the PDF.")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "review.graded"))


def test_ungraded_answers_count_zero_and_are_flagged(client, reviewer, submitted):
    client.login(reviewer)
    html = client.get(REVIEW.format(submitted.id)).get_data(as_text=True)
    assert "2 answers are not graded yet" in html
    assert "<strong>0.00</strong>" in html


def test_a_rejected_document_needs_a_reason(client, reviewer, submitted, supplier_a):
    document = make_document(supplier_a, response=submitted, question_key="certificate")
    client.login(reviewer)
    refused = client.submit(
        REVIEW.format(submitted.id), {"action": "save", f"verdict_{document.id}": "rejected"}
    )
    assert "Say why the document is rejected." in refused.get_data(as_text=True)
    client.submit(
        REVIEW.format(submitted.id),
        {
            "action": "save",
            f"verdict_{document.id}": "rejected",
            f"reason_{document.id}": "Expired certificate.",
        },
    )
    action = db.session.scalar(
        db.select(AuditEvent.details).where(AuditEvent.action == "review.evidence_verdict")
    )
    assert action == {"accepted": False, "reason": "Expired certificate."}


def test_clarification_round_trip(client, make_client, reviewer, owner_a, submitted, outbox):
    client.login(reviewer)
    reply = client.submit(
        REVIEW.format(submitted.id),
        {
            "action": "clarify",
            "ask_has_policy": "y",
            "comment_has_policy": "Which senior manager adopted the policy, and when?",
        },
    )
    assert reply.status_code == 302
    response = db.session.get(Response, submitted.id)
    assert response.status == "clarification"
    assert response.open_questions == ["has_policy"]
    assert owner_a.email in [m["To"] for m in outbox]

    supplier = make_client()
    supplier.login(owner_a)
    section = f"/responses/{submitted.id}/sections/basics"
    page = supplier.get(section).get_data(as_text=True)
    assert "Which senior manager adopted the policy" in page
    assert 'name="q_has_policy"' in page
    assert 'name="q_workers"' not in page
    supplier.submit(
        section,
        {
            "q_has_policy": "yes",
            "q_workers": "999",
            "q_policy_url": "https://example.com/policy",
            "reply_has_policy": "The CEO, on 3 March 2026.",
        },
    )
    answers = {
        a.question_key: a.value
        for a in db.session.scalars(db.select(Answer).where(Answer.response_id == submitted.id))
    }
    assert answers["workers"] == 40  # not reopened, not changed
    outbox.clear()
    assert (
        supplier.submit(
            f"/responses/{submitted.id}/submit", page=f"/responses/{submitted.id}"
        ).status_code
        == 302
    )
    assert db.session.get(Response, submitted.id).status == "submitted"
    assert db.session.scalar(db.select(Review.status)) == "in_review"
    assert reviewer.email in [m["To"] for m in outbox]
    html = client.get(REVIEW.format(submitted.id)).get_data(as_text=True)
    assert "The CEO, on 3 March 2026." in html
    assert "Which senior manager adopted the policy" in html
    assert "The CEO, on 3 March 2026." in supplier.get(section).get_data(as_text=True)


def test_asking_needs_a_ticked_answer_and_a_question(client, reviewer, submitted):
    client.login(reviewer)
    reply = client.submit(REVIEW.format(submitted.id), {"action": "clarify", "ask_has_policy": "y"})
    assert "write your question" in reply.get_data(as_text=True)
    assert db.session.get(Response, submitted.id).status == "submitted"


def test_accepting_stores_the_scores_and_tells_the_supplier(
    client, reviewer, owner_a, submitted, outbox
):
    client.login(reviewer)
    client.submit(
        REVIEW.format(submitted.id),
        {"action": "accept", "points_has_policy": "2", "points_methods": "3"},
    )
    review = db.session.scalar(db.select(Review))
    assert review.status == "accepted"
    assert review.scores["award_points"] == pytest.approx(15.0)
    assert owner_a.email in [m["To"] for m in outbox]


def test_the_supplier_reads_comments_once_accepted(
    client, make_client, reviewer, owner_a, submitted
):
    client.login(reviewer)
    client.submit(
        REVIEW.format(submitted.id),
        {
            "action": "save",
            "points_has_policy": "2",
            "comment_has_policy": "Well documented.",
            "note_has_policy": "Internal only.",
        },
    )
    supplier = make_client()
    supplier.login(owner_a)
    page = f"/responses/{submitted.id}/answers"
    assert "Well documented." not in supplier.get(page).get_data(as_text=True)
    client.submit(
        REVIEW.format(submitted.id),
        {
            "action": "accept",
            "points_has_policy": "2",
            "comment_has_policy": "Well documented.",
            "note_has_policy": "Internal only.",
        },
    )
    accept_anyway = f"/review/responses/{submitted.id}/accept"
    assert client.submit(accept_anyway).status_code == 302  # one answer was left ungraded
    html = supplier.get(page).get_data(as_text=True)
    assert "Well documented." in html
    assert "Internal only." not in html


def test_assigning_and_filtering_by_reviewer(client, reviewer, admin, submitted, supplier_a):
    client.login(admin)
    client.submit(
        f"/review/responses/{submitted.id}/assign",
        {"reviewer": str(reviewer.id)},
        page=REVIEW.format(submitted.id),
    )
    assert db.session.scalar(db.select(Review.assigned_to_id)) == reviewer.id
    mine = client.get(f"/review/queue?reviewer={reviewer.id}").get_data(as_text=True)
    assert supplier_a.name in mine
    assert supplier_a.name not in client.get(f"/review/queue?reviewer={admin.id}").get_data(
        as_text=True
    )


def test_grades_export(client, reviewer, submitted, supplier_a):
    client.login(reviewer)
    client.submit(
        REVIEW.format(submitted.id),
        {"action": "save", "points_has_policy": "2", "comment_has_policy": "=cmd|' /C calc'!A0"},
    )
    reply = client.get("/review/export/grades.csv")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    row = next(r for r in rows if r[4] == "has_policy")
    assert row[0] == supplier_a.name
    assert row[6] == "2.0"
    assert row[7] == "2.0"
    assert row[8].startswith("'=")  # never a formula in a spreadsheet
    assert client.get("/review/export/grades.xlsx").status_code == 200


def test_the_queue_takes_the_same_queries_for_few_or_many(
    client, reviewer, submitted, mini_v1, count_queries
):
    client.login(reviewer)
    with count_queries() as one:
        client.get("/review/queue")
    assert one.count < 12
    others = [make_org(name=f"Other {n} AB") for n in range(3)]
    round_ = make_round(mini_v1, others, opened_by=reviewer)
    for org in others:
        owner = make_user(org)
        response = response_of(round_, org)
        start(response, user=owner, carry_from=None)
        make_answer(response, "has_policy", "no", user=owner)
        make_answer(response, "workers", 40, user=owner)
        make_answer(response, "methods", ["dialogue"], user=owner)
        assert submit(response, user=owner) == []
    db.session.commit()
    with count_queries() as many:
        html = client.get("/review/queue").get_data(as_text=True)
    assert html.count("Mini questionnaire, version 1") == 4
    assert many.count == one.count


# The review page on the shipped questionnaire ---------------------------------------------------
@pytest.fixture
def shipped(reviewer, supplier_a, owner_a):
    """A submitted response to ict-social v1, every question its conditions show answered."""
    return submitted_shipped_response(supplier_a, owner_a, opened_by=reviewer)


def _gradable(response):
    definition = response.version.definition
    visible = definition.visible_keys(values_of(answers_of(response)))
    return [q for q in definition.questions.values() if q.get("rubric") and q["key"] in visible]


def _contents(html: str) -> dict[str, str]:
    """The contents list: each section's link target and the text beside it."""
    nav = html.split('aria-labelledby="contents-title"', 1)[1].split("</nav>", 1)[0]
    return {
        target: " ".join(re.sub(r"<[^>]+>", " ", status).split())
        for target, status in re.findall(
            r'<a href="#(section-[a-z_]+)">.*?</a>\s*<span[^>]*>(.*?)</span>', nav, re.S
        )
    }


def test_the_contents_count_graded_answers_per_section_and_link_to_them(client, reviewer, shipped):
    client.login(reviewer)
    html = client.get(REVIEW.format(shipped.id)).get_data(as_text=True)
    contents = _contents(html)
    sections = shipped.version.definition.sections
    assert list(contents) == [f"section-{s['key']}" for s in sections]
    for section in sections:
        assert f'id="section-{section["key"]}"' in html  # every link has its target
    gradable = _gradable(shipped)
    minerals = [q for q in gradable if q["key"] in {x["key"] for x in sections[-1]["questions"]}]
    assert contents["section-responsible_minerals"] == (
        f"0 of {len(minerals)} graded · {len(minerals)} not graded"
    )

    client.submit(
        REVIEW.format(shipped.id),
        {"action": "save"}
        | {f"points_{q['key']}": str(q["rubric"][-1]["points"]) for q in minerals},
    )
    contents = _contents(client.get(REVIEW.format(shipped.id)).get_data(as_text=True))
    assert contents["section-responsible_minerals"] == f"{len(minerals)} of {len(minerals)} graded"
    assert "0 of" in contents["section-transparency"]


def test_saving_one_section_saves_everything_posted_and_returns_to_it(client, reviewer, shipped):
    client.login(reviewer)
    gradable = _gradable(shipped)
    first, last = gradable[0], gradable[-1]
    section = shipped.version.definition.section_of[last["key"]]
    reply = client.submit(
        REVIEW.format(shipped.id),
        {
            "section": section,
            f"points_{first['key']}": str(first["rubric"][0]["points"]),
            f"points_{last['key']}": str(last["rubric"][-1]["points"]),
            f"note_{last['key']}": "Checked against the RMI list.",
        },
    )
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(f"?saved={section}#section-{section}")
    grades = {g.question_key: g for g in db.session.scalars(db.select(Grade))}
    assert grades[first["key"]].points == first["rubric"][0]["points"]  # another section's too
    assert grades[last["key"]].note == "Checked against the RMI list."
    html = client.get(reply.headers["Location"]).get_data(as_text=True)
    saved_in = html.split(f'id="section-{section}"', 1)[1].split("<h2", 1)[0]
    assert "The grades in this section are saved." in saved_in
    assert html.count("The grades in this section are saved.") == 1


def test_each_grade_group_is_named_after_its_question(client, reviewer, shipped):
    client.login(reviewer)
    html = client.get(REVIEW.format(shipped.id)).get_data(as_text=True)
    legends = re.findall(r"<legend[^>]*>(.*?)</legend>", html, re.S)
    texts = [q["text"]["en"] for q in _gradable(shipped)]
    assert [" ".join(unescape(re.sub(r"<[^>]+>", "", legend)).split()) for legend in legends] == [
        " ".join(f"Grade – {text}".split()) for text in texts
    ]
    buttons = re.findall(r'<button[^>]*name="section" value="([a-z_]+)"', html)
    assert buttons == [s["key"] for s in shipped.version.definition.sections]
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id is repeated"


def test_accepting_with_ungraded_answers_says_how_many_and_asks_again(
    client, reviewer, shipped, outbox
):
    client.login(reviewer)
    gradable = _gradable(shipped)
    graded = gradable[:-12]
    reply = client.submit(
        REVIEW.format(shipped.id),
        {"action": "accept"}
        | {f"points_{q['key']}": str(q["rubric"][-1]["points"]) for q in graded},
    )
    confirm = f"/review/responses/{shipped.id}/accept"
    assert reply.headers["Location"] == confirm
    assert db.session.scalar(db.select(db.func.count(Grade.id))) == len(graded)  # kept
    assert db.session.scalar(db.select(Review.status)) == "in_review"
    assert outbox == []
    html = client.get(confirm).get_data(as_text=True)
    assert "12 answers have no grade. Accept anyway?" in html
    for question in gradable[-12:]:
        assert f'href="/review/responses/{shipped.id}#review-{question["key"]}"' in html

    reply = client.submit(confirm)
    assert reply.status_code == 302
    review = db.session.scalar(db.select(Review))
    assert review.status == "accepted"
    assert len(review.scores["ungraded"]) == 12
    assert len(outbox) == 1


def test_a_confirmation_shown_before_grades_changed_is_asked_again(client, reviewer, submitted):
    client.login(reviewer)
    confirm = f"/review/responses/{submitted.id}/accept"
    page = client.get(confirm).get_data(as_text=True)
    assert "2 answers have no grade. Accept anyway?" in page
    client.submit(REVIEW.format(submitted.id), {"action": "save", "points_methods": "1"})
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    reply = client.post(confirm, data={"csrf_token": token, "ungraded": "2"})
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "The grades have changed since you asked to accept." in html
    assert "1 answer has no grade. Accept anyway?" in html
    assert db.session.scalar(db.select(Review.status)) == "in_review"


def test_accepting_with_every_answer_graded_asks_nothing(client, reviewer, submitted):
    client.login(reviewer)
    reply = client.submit(
        REVIEW.format(submitted.id),
        {"action": "accept", "points_has_policy": "0", "points_methods": "1"},
    )
    assert reply.headers["Location"] == REVIEW.format(submitted.id)
    assert db.session.scalar(db.select(Review.status)) == "accepted"


def test_the_review_page_of_the_shipped_questionnaire_takes_few_queries(
    client, reviewer, shipped, supplier_a, count_queries
):
    client.login(reviewer)
    for n, question in enumerate(_gradable(shipped)[:10]):
        make_document(
            supplier_a,
            response=shipped,
            question_key=question["key"],
            content=b"%PDF-1.4\n%%" + str(n).encode() + b"\n%%EOF\n",
        )
    with count_queries() as counter:
        reply = client.get(REVIEW.format(shipped.id))
    assert reply.status_code == 200
    assert counter.count < 16, counter.count  # 42 gradable answers, 10 documents


def test_each_row_of_the_queue_links_its_response_and_says_when_it_came_in(
    client, reviewer, submitted
):
    """Each row leads to the response's review page and gives the moment it was submitted in
    Stockholm time, in the page's language."""
    late = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)  # 23:59 in Stockholm
    db.session.execute(
        db.update(Response).where(Response.id == submitted.id).values(submitted_at=late)
    )
    db.session.commit()
    client.login(reviewer)
    html = client.get("/review/queue").get_data(as_text=True)
    row = re.search(r"<tr><th scope=\"row\">.*?</tr>", html, re.S).group(0)
    link = re.search(r'href="([^"]+)"', row).group(1)
    assert link == REVIEW.format(submitted.id)
    assert client.get(link).status_code == 200
    assert "<td>30 Nov 2026, 23:59</td>" in row
    sv = client.get("/review/queue", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "<td>30 nov. 2026, 23:59</td>" in sv


def test_the_queue_names_the_questionnaire_and_its_version(client, reviewer, submitted):
    client.login(reviewer)
    html = client.get("/review/queue").get_data(as_text=True)
    assert "Mini questionnaire, version 1" in html
    assert '<option value="mini">Mini questionnaire</option>' in html
    sv = client.get("/review/queue", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Miniformulär, version 1" in sv


# Questions from the region, as the supplier finds them -------------------------------------------
def _ask(client, response, questions: dict[str, str]):
    data = {"action": "clarify"}
    for key, text in questions.items():
        data[f"ask_{key}"] = "y"
        data[f"comment_{key}"] = text
    assert client.submit(REVIEW.format(response.id), data).status_code == 302


def test_the_supplier_finds_the_regions_questions_on_its_home_and_overview(
    client, make_client, reviewer, owner_a, submitted, outbox
):
    client.login(reviewer)
    _ask(
        client,
        submitted,
        {"methods": "Which dialogue, with whom?", "has_policy": "Who adopted it, and when?"},
    )
    supplier = make_client()
    supplier.login(owner_a)
    for page in ("/supplier", f"/responses/{submitted.id}"):
        html = supplier.get(page).get_data(as_text=True)
        block = html.split('id="region-questions-title"', 1)[1].split("</section>", 1)[0]
        links = re.findall(r'<a href="([^"]+#question-[a-z_]+)">([^<]+)</a>', block)
        assert links == [
            (
                f"/responses/{submitted.id}/sections/basics#question-has_policy",
                "Do you have a policy?",
            ),
            (f"/responses/{submitted.id}/sections/details#question-methods", "Methods"),
        ]
        assert block.index("Who adopted it, and when?") < block.index("Which dialogue, with whom?")
    target = supplier.get(f"/responses/{submitted.id}/sections/basics").get_data(as_text=True)
    assert 'id="question-has_policy"' in target

    (mail,) = [m for m in outbox if m["To"] == owner_a.email]
    assert link_in(mail, "/responses/") == (
        f"/responses/{submitted.id}/sections/basics#question-has_policy"
    )
    assert "first of the 2 questions" in mail.get_content()


def test_nothing_is_listed_when_nothing_is_asked(client, owner_a, submitted):
    client.login(owner_a)
    assert "Questions from the region" not in client.get("/supplier").get_data(as_text=True)
    overview = client.get(f"/responses/{submitted.id}").get_data(as_text=True)
    assert "Questions from the region" not in overview


def test_the_supplier_home_takes_the_same_queries_for_one_question_or_many(
    client, make_client, reviewer, owner_a, supplier_a, submitted, count_queries
):
    reviewing = make_client()
    reviewing.login(reviewer)
    _ask(reviewing, submitted, {"has_policy": "Who?"})
    client.login(owner_a)
    with count_queries() as one:
        client.get("/supplier")
    second = submitted_shipped_response(supplier_a, owner_a, opened_by=reviewer, title="Next")
    _ask(reviewing, second, {q["key"]: f"Why {q['key']}?" for q in _gradable(second)[:8]})
    with count_queries() as many:
        html = client.get("/supplier").get_data(as_text=True)
    assert html.count("#question-") == 9
    assert many.count == one.count
