"""ict-social-report v2 on what ships: the contract report asks, brand by brand, where each
brand stands on wages, working hours, freedom of association and health and safety, and
a supplier's accepted v1 report carries over whole, since v2 only adds that question."""

import pytest

from portal.definitions import ROOT
from portal.extensions import db
from portal.questionnaires.definitions import Definition, load_file
from portal.questionnaires.services import compare, submit
from tests.fixtures.builders import (
    fill_with_samples,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
)
from tests.fixtures.review import accept_with_top_grades, answers_by_key

KEY = "ict-social-report"
BRANDS = ["Lumenic", "Orbis"]
CONDITIONS = ["wages", "working_hours", "freedom_of_association", "health_safety"]


def test_v2_adds_the_brands_standing_on_each_condition_and_nothing_else():
    content, problems = load_file(ROOT / KEY / "v2.yaml")
    assert problems == []
    new = Definition(content)
    old = Definition(load_file(ROOT / KEY / "v1.yaml")[0])
    assert sum(s["weight"] for s in new.sections) == 100
    assert [(c.kind, c.key) for c in compare(old, new)] == [("added", "brand_conditions")]
    table = new.questions["brand_conditions"]
    assert new.section_of["brand_conditions"] == "conditions"
    assert [c["key"] for c in table["columns"]] == ["brand_name", *CONDITIONS]
    stages = [c["options"] for c in table["columns"][1:]]
    assert all(options == stages[0] for options in stages)  # one scale for every condition
    for text in (table["text"], *(c["label"] for c in table["columns"])):
        assert set(text) == {"sv", "en"}
        assert all(text.values())
    assert table["rubric"][0]["points"] == 0


@pytest.fixture
def register(supplier_a):
    """A factory register that answers the factory-list question for every brand."""
    for brand in BRANDS:
        make_factory(supplier_a, name=f"{brand} Assembly", role="final_assembly", brands=[brand])


def test_an_accepted_v1_report_carries_into_v2_and_only_the_new_question_is_left(
    client, make_client, reviewer, admin, supplier_a, owner_a, register
):
    old = response_of(
        make_round(publish_shipped(KEY, 1), [supplier_a], opened_by=admin, title="Report on RN-1"),
        supplier_a,
    )
    fill_with_samples(old, owner_a, BRANDS)
    assert submit(old, user=owner_a) == []
    db.session.commit()
    accept_with_top_grades(client, reviewer, old)

    new = response_of(
        make_round(publish_shipped(KEY, 2), [supplier_a], opened_by=admin, title="Report on RN-2"),
        supplier_a,
    )
    supplier = make_client()
    supplier.login(owner_a)
    page = f"/responses/{new.id}"
    assert "Start from the answers" in supplier.get(page).get_data(as_text=True)
    supplier.submit(f"{page}/start", {"carry_over": "y"}, page=page)

    before, after = answers_by_key(old), answers_by_key(new)
    assert set(after) == set(before)
    for key, answer in after.items():
        assert answer.value == before[key].value, key
        assert not answer.is_unconfirmed, key
    # What is left to answer is the new question, on the page that asks it.
    section = supplier.get(f"{page}/sections/conditions").get_data(as_text=True)
    assert "How far has each brand come on wages, working hours" in section
    assert "brand_conditions" not in after
