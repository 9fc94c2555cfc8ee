"""Format 2 of the questionnaire definitions: question weights, an answer that satisfies later
questions (`satisfies`) and capped rubrics (`rubric_cap`): what the check refuses, what the
supplier's pages ask, what submission needs, and what the reviewer's page counts and allows."""

import io
import re
from html import unescape
from pathlib import Path

import pytest

from portal.extensions import db
from portal.questionnaires.models import Response
from portal.review.models import Grade
from tests.fixtures.builders import make_round, publish_version, response_of

FORMAT_CHECKS = Path(__file__).parent / "fixtures" / "format-checks"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


# The check ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def check_output(app):
    result = app.test_cli_runner().invoke(
        args=["questionnaires", "check", "--folder", str(FORMAT_CHECKS)]
    )
    assert result.exit_code == 1
    return result.output


@pytest.mark.parametrize(
    "line",
    [
        "format-one/v1.yaml: sections[0].questions[0](certified).satisfies: satisfies needs "
        "format_version: 2 at the top of the file.",
        "format-one/v1.yaml: sections[0].questions[1](policy).weight: weight needs "
        "format_version: 2 at the top of the file.",
        "format-one/v1.yaml: sections[0].questions[1](policy).rubric_cap: rubric_cap needs "
        "format_version: 2 at the top of the file.",
    ],
)
def test_a_format_one_file_cannot_use_the_keys_of_format_two(check_output, line):
    assert line in check_output


@pytest.mark.parametrize(
    "line",
    [
        "(earlier).weight: Only a question with a rubric has a weight.",
        "(certified).satisfies.when: 'gen9' is not a value of 'certified'.",
        "(certified).satisfies.questions[0]: A question cannot satisfy itself.",
        "(certified).satisfies.questions[1]: 'earlier' must come after the question that "
        "satisfies it.",
        "(certified).satisfies.questions[2]: 'missing' is not a question of this file.",
        "(certified).satisfies.questions[3]: 'note_text' is guidance text: there is nothing "
        "to credit.",
        "(certified).satisfies.evidence: List 'tco_certified_certificate' in this question's "
        "evidence too, so that the document can be attached to it.",
        "(name).satisfies: Only a yes_no, single_choice or multiple_choice answer satisfies "
        "others.",
    ],
)
def test_a_wrong_satisfies_is_refused_with_its_reason(check_output, line):
    assert "bad-satisfies/v1.yaml: sections[0].questions[" in check_output
    assert line in check_output


@pytest.mark.parametrize(
    "line",
    [
        "(at_top).rubric_cap.points: Must be one of the rubric's levels below its top: 0, 2.",
        "(no_level).rubric_cap.points: Must be one of the rubric's levels below its top: 0.",
        "(no_level).rubric_cap.when: 'other_value' is not a value of 'claim'.",
        "(on_later).rubric_cap.when.question: 'last' is not an earlier question.",
        "(no_rubric).rubric_cap: A rubric_cap needs a rubric to cap.",
    ],
)
def test_a_wrong_rubric_cap_is_refused_with_its_reason(check_output, line):
    assert line in check_output


def test_an_unknown_kind_and_a_zero_weight_are_refused(check_output):
    assert "unknown-kind/v1.yaml: sections[0].questions[0].weight: Must be greater than 0." in (
        check_output
    )
    assert "unknown-kind/v1.yaml: sections[0].questions[0].satisfies.evidence: Must be one of:" in (
        check_output
    )
    assert "23 problem(s) in 7 file(s)." in check_output


def test_the_format_two_fixture_passes_the_check(app):
    result = app.test_cli_runner().invoke(
        args=[
            "questionnaires",
            "check",
            "--folder",
            str(Path(__file__).parent / "fixtures" / "questionnaires"),
        ]
    )
    assert result.exit_code == 0, result.output


# The supplier's pages and submission -------------------------------------------------------
@pytest.fixture
def credit_response(app_context, supplier_a, admin):
    version = publish_version(1, "credit")
    return response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)


def _answer(client, response, *, tco: str, **minerals):
    base = f"/responses/{response.id}"
    client.submit(f"{base}/start", page=base)
    client.submit(f"{base}/sections/minerals", {"q_tco": tco, **minerals})
    client.submit(f"{base}/sections/diligence", {"q_grievance": "yes", "q_due_diligence": "yes"})


def _submit(client, response):
    return client.submit(f"/responses/{response.id}/submit", page=f"/responses/{response.id}")


def _box(html: str, key: str) -> str:
    return re.search(rf'<div class="question[^"]*" id="question-{key}"[^>]*>', html).group(0)


def test_a_satisfying_answer_hides_the_credited_questions_and_needs_its_document(
    client, owner_a, credit_response
):
    client.login(owner_a)
    _answer(client, credit_response, tco="gen8_or_later")
    minerals = client.get(f"/responses/{credit_response.id}/sections/minerals").get_data(
        as_text=True
    )
    for key in ("policy_exists", "policy_content", "policy_practice"):
        assert " hidden" in _box(minerals, key), key
    assert "TCO Certified covers the minerals questions." in minerals
    assert re.search(r'data-credit-note="[^"]*"><p>TCO Certified covers', minerals)  # shown
    diligence = client.get(f"/responses/{credit_response.id}/sections/diligence").get_data(
        as_text=True
    )
    assert " hidden" in _box(diligence, "due_diligence")
    assert " hidden" not in _box(diligence, "grievance")

    refused = _submit(client, credit_response)
    assert refused.status_code == 422
    assert (
        "attach a document of the kind “TCO Certified certificate”: with this answer"
        in unescape(refused.get_data(as_text=True))
    )
    other = client.submit(
        f"/responses/{credit_response.id}/evidence/tco",
        {"file": (io.BytesIO(PDF), "other.pdf"), "kind": "other"},
    )
    assert other.status_code == 302
    assert _submit(client, credit_response).status_code == 422  # another kind does not do

    attached = client.submit(
        f"/responses/{credit_response.id}/evidence/tco",
        {"file": (io.BytesIO(PDF), "tco.pdf"), "kind": "tco_certified_certificate"},
    )
    assert attached.status_code == 302
    assert _submit(client, credit_response).status_code == 302
    assert db.session.get(Response, credit_response.id).status == "submitted"


def test_without_the_satisfying_answer_every_question_is_asked(client, owner_a, credit_response):
    client.login(owner_a)
    _answer(client, credit_response, tco="gen7")
    minerals = client.get(f"/responses/{credit_response.id}/sections/minerals").get_data(
        as_text=True
    )
    assert " hidden" not in _box(minerals, "policy_exists")
    assert re.search(r'data-credit-note="[^"]*" hidden>', minerals)
    refused = unescape(_submit(client, credit_response).get_data(as_text=True))
    assert "document of the kind" not in refused
    assert "#q_policy_exists" in refused  # asked, required and not answered


# The review --------------------------------------------------------------------------------
REVIEW = "/review/responses/{}"


def test_the_review_page_counts_credited_questions_in_full(
    client, make_client, owner_a, reviewer, credit_response
):
    """Hand-computed. Minerals (weight 50): tco graded 1 of 1 × weight 1 = 1; policy_exists
    (1), policy_content (1) and policy_practice (weight 2) credited in full = 4; 5 of 5.
    Due diligence (weight 50): due_diligence (weight 3) and smelters (1) credited = 4,
    grievance graded 0 of 1 = 0; 4 of 5. Total = 50 × 5/5 + 50 × 4/5 = 90 of 100,
    × 15/100 = 13.50 award points."""
    supplier = make_client()
    supplier.login(owner_a)
    _answer(supplier, credit_response, tco="gen8_or_later")
    supplier.submit(
        f"/responses/{credit_response.id}/evidence/tco",
        {"file": (io.BytesIO(PDF), "tco.pdf"), "kind": "tco_certified_certificate"},
    )
    assert _submit(supplier, credit_response).status_code == 302

    client.login(reviewer)
    client.submit(
        REVIEW.format(credit_response.id),
        {"action": "save", "points_tco": "1", "points_grievance": "0"},
    )
    html = unescape(client.get(REVIEW.format(credit_response.id)).get_data(as_text=True))
    assert "5 / 5 × 50 = 50.00" in html
    assert "4 / 5 × 50 = 40.00" in html
    assert "90.00 / 100 × 15 = <strong>13.50</strong>" in html
    credit = re.escape("credited by “Which TCO Certified generation?”")
    assert re.search(rf"How is the policy applied\?:\s+{credit}: 2 / 2\s+× 2 = 2.00", html)
    assert re.search(rf"Do you carry out due diligence\?:\s+{credit}: 4 / 4\s+× 3 = 3.00", html)
    assert 'name="points_policy_exists"' not in html  # not asked, so not graded
    assert "answers are not graded yet" not in html


def test_a_grade_above_the_cap_is_refused_with_the_reason(
    client, make_client, owner_a, reviewer, credit_response
):
    supplier = make_client()
    supplier.login(owner_a)
    _answer(
        supplier,
        credit_response,
        tco="none",
        q_policy_exists="yes",
        q_policy_content=["oecd", "conflict_free_claim"],
        q_policy_practice="We ask our suppliers.",
    )
    assert _submit(supplier, credit_response).status_code == 302

    client.login(reviewer)
    page = unescape(client.get(REVIEW.format(credit_response.id)).get_data(as_text=True))
    why = "This grade can be at most 1: the answer to “What does the policy say?” limits it."
    assert why in page
    refused = client.submit(
        REVIEW.format(credit_response.id), {"action": "save", "points_policy_practice": "2"}
    )
    assert refused.status_code == 422
    assert unescape(refused.get_data(as_text=True)).count(why) >= 2  # summary and question
    assert (
        db.session.scalar(db.select(Grade).where(Grade.question_key == "policy_practice")) is None
    )
    accepted = client.submit(
        REVIEW.format(credit_response.id), {"action": "save", "points_policy_practice": "1"}
    )
    assert accepted.status_code == 302
    grade = db.session.scalar(db.select(Grade).where(Grade.question_key == "policy_practice"))
    assert grade.points == 1.0


def test_the_grades_export_lists_credited_questions_and_weights(
    client, make_client, owner_a, reviewer, credit_response
):
    supplier = make_client()
    supplier.login(owner_a)
    _answer(supplier, credit_response, tco="gen8_or_later")
    supplier.submit(
        f"/responses/{credit_response.id}/evidence/tco",
        {"file": (io.BytesIO(PDF), "tco.pdf"), "kind": "tco_certified_certificate"},
    )
    assert _submit(supplier, credit_response).status_code == 302
    client.login(reviewer)
    client.submit(REVIEW.format(credit_response.id), {"action": "save", "points_tco": "1"})
    text = client.get("/review/export/grades.csv").get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].endswith(",weight,credited_by")
    assert any(",policy_practice,minerals_policy,2.0,2.0,,2.0,tco" in line for line in lines)
    assert any(",tco,certification,1.0,1.0,,1.0," in line for line in lines)
