"""The questionnaire and factory pages list documents that the evidence feature keeps: they
ask for them through portal.signals, since those features may not import evidence."""

import pytest
from blinker import Namespace

from portal import signals
from portal.evidence import services as evidence_services
from tests.fixtures.builders import make_document, make_factory


@pytest.fixture(autouse=True)
def evidence_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE_URL", f"file://{tmp_path / 'evidence'}")


@pytest.fixture
def started(client, owner_a, response_a):
    client.login(owner_a)
    client.submit(f"/responses/{response_a.id}/start", page=f"/responses/{response_a.id}")
    return response_a


@pytest.fixture
def disconnected():
    """The evidence feature's receivers taken off their signals for one test."""
    pairs = [
        (signals.question_documents, evidence_services._question_documents),
        (signals.factory_documents, evidence_services._factory_documents),
    ]
    for signal, receiver in pairs:
        signal.disconnect(receiver)
    yield
    for signal, receiver in pairs:
        signal.connect(receiver)


def _pages(client, response, factory) -> list[str]:
    return [
        client.get(url).get_data(as_text=True)
        for url in (
            f"/responses/{response.id}/sections/details",
            f"/responses/{response.id}/answers",
            f"/factories/{factory.id}/edit",
        )
    ]


def _documents(supplier, response, factory):
    make_document(supplier, response=response, question_key="certificate", filename="slot-cert.pdf")
    make_document(
        supplier, factory=factory, filename="factory-audit.pdf", content=b"%PDF-1.4\n%audit\n"
    )


def test_the_section_answers_and_factory_pages_list_their_documents(client, started, supplier_a):
    factory = make_factory(supplier_a, name="Covered Works")
    _documents(supplier_a, started, factory)
    section, answers, factory_page = _pages(client, started, factory)
    assert "slot-cert.pdf" in section
    assert "slot-cert.pdf" in answers
    assert "factory-audit.pdf" in factory_page
    assert "slot-cert.pdf" not in factory_page


def test_without_the_evidence_receivers_the_pages_list_no_documents(
    client, started, supplier_a, disconnected
):
    factory = make_factory(supplier_a, name="Covered Works")
    _documents(supplier_a, started, factory)
    for page in _pages(client, started, factory):
        assert "slot-cert.pdf" not in page
        assert "factory-audit.pdf" not in page


def test_answers_of_several_receivers_are_joined():
    lists, mappings = Namespace().signal("lists"), Namespace().signal("mappings")
    assert signals.collect(lists, None) == []
    assert signals.collect_grouped(mappings, None) == {}
    with (
        lists.connected_to(lambda sender: [1, 2]),
        lists.connected_to(lambda sender: [3]),
        mappings.connected_to(lambda sender: {"a": [1]}),
        mappings.connected_to(lambda sender: {"a": [2], "b": [3]}),
    ):
        assert signals.collect(lists, None) == [1, 2, 3]
        assert signals.collect_grouped(mappings, None) == {"a": [1, 2], "b": [3]}
