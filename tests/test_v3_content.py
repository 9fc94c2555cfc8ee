"""ict-social v3 on what ships: a supplier's accepted v2 answers carry over wherever v3 still
asks the same question, and TCO Certified generation 8 or later on every product stands for
the minerals questions, which are then credited in full once the certificate is attached."""

import re

import pytest

from portal.definitions import ROOT
from portal.extensions import db
from portal.questionnaires.definitions import Definition, load_file
from portal.questionnaires.models import Response
from portal.questionnaires.samples import sample_answers
from portal.questionnaires.services import (
    answers_of,
    compare,
    put_answer,
    start,
    submit,
    values_of,
)
from portal.review.models import Grade
from tests.fixtures.builders import (
    make_document,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
)
from tests.fixtures.review import accept_with_top_grades, answers_by_key

BRANDS = ["Lumenic", "Orbis"]
REVIEW = "/review/responses/{}"
TCO = "tco_certified_generation"
#: What TCO Certified generation 8 or later covers: the minerals policy, due diligence and
#: programme questions (those graded are credited in full).
MINERALS = [
    "minerals_policy_exists",
    "minerals_policy_url",
    "minerals_policy_content",
    "minerals_policy_practice",
    "oecd_steps_documented",
    "oecd_due_diligence_evidence",
    "oecd_step_documents",
    "minerals_programme_member",
    "minerals_programmes",
    "minerals_programme_other",
]


def test_v3_is_a_checked_revision_of_v2():
    content, problems = load_file(ROOT / "ict-social" / "v3.yaml")
    assert problems == []
    new = Definition(content)
    old = Definition(load_file(ROOT / "ict-social" / "v2.yaml")[0])
    assert content["format_version"] == 2
    assert sum(s["weight"] for s in new.sections) == 100
    assert {c.kind for c in compare(old, new)} >= {"added", "removed", "reworded"}
    for question in new.questions.values():
        if question.get("rubric"):  # "no" or "we do not know" can always be graded lowest
            assert question["rubric"][0]["points"] == 0, question["key"]
    # Contract-period topics belong to the follow-up report, not to the tender.
    assert "living_wage_activities" not in new.questions


@pytest.fixture
def register(supplier_a):
    """A factory register that answers the factory-list question for every brand."""
    for brand in BRANDS:
        make_factory(supplier_a, name=f"{brand} Assembly", role="final_assembly", brands=[brand])
        make_factory(supplier_a, name=f"{brand} Boards", role="main_component", brands=[brand])


def _answered(number, organisation, owner, admin, **overrides) -> Response:
    """A started response to ict-social vN with every visible question answered from the
    definition; `overrides` replace sample answers (questions they hide are left out)."""
    version = publish_shipped("ict-social", number)
    round_ = make_round(version, [organisation], opened_by=admin, title=f"Tender v{number}")
    response = response_of(round_, organisation)
    start(response, user=owner, carry_from=None)
    definition = version.definition
    values = sample_answers(definition, BRANDS) | overrides
    visible = definition.visible_keys(values)
    for key, value in values.items():
        if key in visible:
            put_answer(response, key, None, value, user=owner, kind="edit")
    db.session.commit()
    return response


def test_accepted_v2_answers_carry_into_v3_where_the_question_stayed(
    client, make_client, reviewer, admin, supplier_a, owner_a, register
):
    old = _answered(2, supplier_a, owner_a, admin)
    assert submit(old, user=owner_a) == []
    db.session.commit()
    accept_with_top_grades(client, reviewer, old)

    new = response_of(
        make_round(publish_shipped("ict-social", 3), [supplier_a], opened_by=admin), supplier_a
    )
    supplier = make_client()
    supplier.login(owner_a)
    page = f"/responses/{new.id}"
    assert "Start from the answers" in supplier.get(page).get_data(as_text=True)
    supplier.submit(f"{page}/start", {"carry_over": "y"}, page=page)

    v2, v3 = old.version.definition, new.version.definition
    before, after = answers_by_key(old), answers_by_key(new)
    stayed = {
        key
        for key in before
        if key in v3.questions and v3.questions[key]["type"] == v2.questions[key]["type"]
    }
    # v2's "generation 8" is no option of v3, which asks whether ALL products carry it.
    assert before[TCO].value == "gen8"
    assert set(after) == stayed - {TCO}
    for key in ("living_wage_activities", "iso37001_certificate", "tco_certificates"):
        assert key not in after  # removed in v3
    for key in set(after) - {"brands_covered"}:
        assert after[key].value == before[key].value, key
        reworded = v2.questions[key]["text"] != v3.questions[key]["text"]
        assert after[key].is_unconfirmed == reworded, key
    # The brand table keeps its rows and asks for the new per-brand columns.
    brands = after["brands_covered"]
    assert [row["brand_name"] for row in brands.value] == BRANDS
    assert brands.is_unconfirmed
    assert brands.problems


def test_tco_certified_on_every_product_credits_the_minerals_questions(
    client, make_client, reviewer, admin, supplier_a, owner_a, register
):
    response = _answered(3, supplier_a, owner_a, admin, **{TCO: "gen8_or_later_all"})
    definition = response.version.definition
    values = values_of(answers_of(response))
    assert set(definition.credits(values)) == set(MINERALS)

    supplier = make_client()
    supplier.login(owner_a)
    base = f"/responses/{response.id}"
    section = supplier.get(f"{base}/sections/responsible_minerals").get_data(as_text=True)
    assert _shown(section, TCO) is True
    for key in MINERALS:
        assert _shown(section, key) is False, key
    assert "Answered by TCO Certified" in section

    # Without the certificate the response cannot be submitted.
    supplier.submit(f"{base}/submit", page=base)
    assert db.session.get(Response, response.id).status == "draft"
    make_document(
        supplier_a,
        response=response,
        question_key=TCO,
        kind="tco_certified_certificate",
        filename="tco-certificates.pdf",
    )
    supplier.submit(f"{base}/submit", page=base)
    assert db.session.get(Response, response.id).status == "submitted"

    review = accept_with_top_grades(client, reviewer, response)
    minerals = next(s for s in review.scores["sections"] if s["key"] == "responsible_minerals")
    assert minerals["points"] == pytest.approx(minerals["maximum"])
    credited = {line["key"] for line in minerals["lines"] if line["state"] == "credited"}
    graded_minerals = {k for k in MINERALS if definition.questions[k].get("rubric")}
    assert credited == graded_minerals
    html = client.get(REVIEW.format(response.id)).get_data(as_text=True)
    assert html.count(f"credited by “{definition.questions[TCO]['text']['en']}”") == len(
        graded_minerals
    )


def test_a_conflict_free_claim_caps_the_policy_and_its_practice_below_their_top(
    client, reviewer, admin, supplier_a, owner_a, register
):
    claim = ["senior_management", "conflict_minerals", "conflict_free_claim"]
    response = _answered(
        3,
        supplier_a,
        owner_a,
        admin,
        **{TCO: "gen8_or_later_some", "minerals_policy_content": claim},
    )
    assert submit(response, user=owner_a) == []
    db.session.commit()
    definition = response.version.definition
    values = values_of(answers_of(response))
    client.login(reviewer)
    # The claim caps the practice the policy describes, and the policy itself.
    for key in ("minerals_policy_practice", "minerals_policy_content"):
        question = definition.questions[key]
        cap = definition.cap(question, values)
        assert cap is not None
        assert cap < question["rubric"][-1]["points"]
        field = f"points_{key}"
        top = f"{question['rubric'][-1]['points']:g}"
        reply = client.submit(REVIEW.format(response.id), {"action": "save", field: top})
        assert reply.status_code == 422
        assert f"This grade can be at most {cap:g}" in reply.get_data(as_text=True)
        assert _grade(response, key) is None
        client.submit(REVIEW.format(response.id), {"action": "save", field: f"{cap:g}"})
        assert _grade(response, key) == cap


def _shown(html: str, key: str) -> bool | None:
    """Whether the page shows the question's box (None when the page has no box for it)."""
    match = re.search(rf'<[^>]*\bid="question-{key}"[^>]*>', html)
    return None if match is None else not re.search(r"\shidden[\s>]", match.group(0))


def _grade(response, key):
    return db.session.scalar(
        db.select(Grade.points).where(Grade.response_id == response.id, Grade.question_key == key)
    )
