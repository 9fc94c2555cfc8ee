"""Reviewing: the queue, grading against rubrics, scores with their arithmetic,
clarification rounds, acceptance, and exports."""

import csv
import io

import pytest

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.questionnaires.models import Answer, Response
from portal.review.models import Grade, Review
from tests.fixtures.builders import make_document

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
    """Hand-computed: basics (weight 60) 2 of 2; details (weight 40) 1 of 3.
    Total = 60 × 2/2 + 40 × 1/3 = 73.33 of 100, × 15/100 = 11.00 award points."""
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
    assert "2 / 2 × 60 = 60.00" in html
    assert "1 / 3 × 40 = 13.33" in html
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
    client, reviewer, submitted, count_queries
):
    client.login(reviewer)
    with count_queries() as counter:
        client.get("/review/queue")
    assert counter.count < 12
