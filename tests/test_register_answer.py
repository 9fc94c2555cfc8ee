"""The factory-list question of every shipped questionnaire is answered by the register."""

from datetime import date

import pytest

from portal import read_requests
from portal.extensions import db
from portal.factories import services as factory_services
from portal.questionnaires.models import Response
from portal.questionnaires.services import answers_of
from tests.fixtures.builders import (
    factory_question,
    fill_with_samples,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
    shipped_versions,
)

SHIPPED = shipped_versions()


@pytest.fixture(params=SHIPPED, ids=[f"{k}-v{n}" for k, n in SHIPPED])
def shipped(request, app_context, supplier_a, owner_a, admin):
    version = publish_shipped(*request.param)
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    fill_with_samples(response, owner_a, brands=["Lumenic", "Orbis"])
    return version, response


def _submit(client, response):
    return client.submit(f"/responses/{response.id}/submit", page=f"/responses/{response.id}")


def test_shipped_versions_are_found():
    assert ("ict-social", 1) in SHIPPED
    assert ("ict-social", 2) in SHIPPED
    assert not any("ladder" in key for key, _ in SHIPPED)


def test_an_empty_register_stops_submission_and_says_what_to_do(client, owner_a, shipped):
    version, response = shipped
    question = factory_question(version)
    section = version.definition.section_of[question["key"]]
    client.login(owner_a)

    refused = _submit(client, response)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "no current final-assembly factory yet" in html
    assert f'href="/responses/{response.id}/sections/{section}#q_{question["key"]}"' in html
    assert "Answer this question." not in html
    page = client.get(f"/responses/{response.id}/sections/{section}").get_data(as_text=True)
    assert "It now holds 0 final-assembly and 0 main-component factories." in page
    assert 'href="/factories"' in page
    assert db.session.get(Response, response.id).status == "draft"


def test_every_brand_of_the_brand_table_needs_an_assembly_factory(
    client, owner_a, supplier_a, shipped
):
    _, response = shipped
    make_factory(supplier_a, role="final_assembly", brands=["Lumenic"])
    make_factory(supplier_a, role="main_component", brands=["Orbis"])  # not assembly
    make_factory(
        supplier_a, role="final_assembly", brands=["Orbis"], left_on=date(2025, 1, 1)
    )  # no longer in the supply chain
    client.login(owner_a)

    refused = _submit(client, response)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "makes Orbis." in html
    assert "Lumenic." not in html


def test_the_register_answers_the_question_and_is_frozen_on_submission(
    client, owner_a, supplier_a, shipped
):
    version, response = shipped
    question = factory_question(version)
    make_factory(supplier_a, name="Kunshan Assembly", role="final_assembly", brands=["LUMENIC"])
    make_factory(supplier_a, name="Bac Ninh Works", role="final_assembly", brands=[" orbis "])
    make_factory(supplier_a, name="Huanan Boards", role="main_component", brands=["Lumenic"])
    client.login(owner_a)

    accepted = _submit(client, response)

    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    frozen = answers_of(db.session.get(Response, response.id))[question["key"]].value
    assert sorted(f["name"] for f in frozen) == [
        "Bac Ninh Works",
        "Huanan Boards",
        "Kunshan Assembly",
    ]
    section = version.definition.section_of[question["key"]]
    page = client.get(f"/responses/{response.id}/sections/{section}").get_data(as_text=True)
    assert "3 factories, as the register stood when the response was submitted" in page
    assert "Huanan Boards" in page


def test_a_large_register_is_summed_up_by_the_database(
    client, owner_a, supplier_a, shipped, monkeypatch
):
    """However many factories a register holds, the page reads a row per role and per list
    of brands of its final-assembly factories, and still counts every factory and brand."""
    version, response = shipped
    for n in range(30):
        make_factory(supplier_a, name=f"Assembly {n}", role="final_assembly", brands=["Lumenic"])
    for n in range(20):
        make_factory(supplier_a, name=f"Boards {n}", role="main_component", brands=["Orbis"])
    make_factory(supplier_a, name="Bac Ninh Works", role="final_assembly", brands=["Orbis"])
    fetched = []
    real_rows = read_requests.rows

    def counted(statement, params=None):
        found = real_rows(statement, params)
        if statement is factory_services._coverage_statement():
            fetched.append(len(found))
        return found

    monkeypatch.setattr(read_requests, "rows", counted)
    question = factory_question(version)
    section = version.definition.section_of[question["key"]]
    client.login(owner_a)

    page = client.get(f"/responses/{response.id}/sections/{section}").get_data(as_text=True)

    assert "It now holds 31 final-assembly and 20 main-component factories." in page
    assert "makes Orbis" not in page
    assert "makes Lumenic" not in page
    assert fetched == [3]
    assert _submit(client, response).status_code == 302
