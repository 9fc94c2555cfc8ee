"""The check of `make load` (bench/load.py), on saves made through the real section pages as
its simulated suppliers make them: it passes when every acknowledged save is stored as it
was sent, and finds a lost update, a partly saved section, a submission and a document that
are not in the database once the database is tampered with, so that it cannot pass in
silence."""

import json

import pytest
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from bench.load import (
    Ledger,
    Save,
    acknowledged_otherwise,
    check,
    stale_keys,
    typed_into,
    with_fields,
)
from bench.serving import form_fields
from portal.extensions import db
from portal.questionnaires.models import Answer
from portal.questionnaires.services import digest

BASICS = {
    "has_policy": "yes",
    "policy_url": "https://example.com/policy",
    "workers": 120,
    "audited_on": "2026-03-31",
    "name": "Åsa Öberg",
}
DETAILS = {
    "methods": ["audits", "dialogue"],
    "audit_scheme": "rba",
    "risks": [{"factory": "Shenzhen One", "severity": 3}, {"factory": "Hanoi Två", "severity": 5}],
    "story": "Vi granskar fabrikerna varje år.",
    "certificate": {"note": "Certifikatet gäller till 2027."},
}


class Supplier:
    """Saves a section as the load test's simulated suppliers do, and records each save in
    the ledger with the values it carried, acknowledged when the portal acknowledged it."""

    def __init__(self, client, response):
        self.client = client
        self.response = response
        self.definition = response.version.definition
        self.ledger = Ledger()
        self.stored: dict = {}

    def save(self, section_key: str, changes: dict, *, autosave: bool = False) -> None:
        path = f"/responses/{self.response.id}/sections/{section_key}"
        fields = form_fields(self.client.get(path).get_data(as_text=True), None)
        questions = {q["key"]: q for q in with_fields(self.definition.section(section_key))}
        values = {key: self.stored.get(key) for key in questions}
        for key, value in changes.items():
            values[key] = value
            fields = typed_into(fields, questions[key], value)
        kind = "autosave" if autosave else "full save"
        save = self.ledger.record(Save(self.response.id, section_key, kind, values))
        if autosave:
            reply = self.client.post(
                f"{path}/autosave",
                data=MultiDict(fields),
                headers={"Accept": "application/json"},
            )
            assert reply.status_code == 200
            assert reply.json["conflicts"] == []
            sent_seen = next(value for name, value in fields if name == "seen")
            assert acknowledged_otherwise(values, sent_seen, reply.json["seen"]) == []
        else:
            reply = self.client.post(path, data=MultiDict([*fields, ("next", "")]))
            assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
        save.acknowledged = True
        self.stored.update(values)


@pytest.fixture
def supplier(client, owner_a, response_a):
    client.login(owner_a)
    overview = f"/responses/{response_a.id}"
    assert client.submit(f"{overview}/start", page=overview).status_code == 302
    supplier = Supplier(client, response_a)
    supplier.save("basics", BASICS)
    supplier.save("basics", {"workers": 121, "audited_on": "2026-04-30"}, autosave=True)
    supplier.save("basics", {"name": "Åsa Öberg-Lind"}, autosave=True)
    supplier.save("details", DETAILS)
    return supplier


def tamper(response, key: str, value) -> None:
    db.session.execute(
        update(Answer)
        .where(Answer.response_id == response.id, Answer.question_key == key)
        .values(value=value)
    )
    db.session.commit()


def test_every_acknowledged_save_stored_as_sent_passes(supplier):
    assert len(supplier.ledger.saves) == 4
    assert check(supplier.ledger) == []


def test_an_answer_back_at_its_earlier_value_is_a_lost_update(supplier):
    tamper(supplier.response, "name", "Åsa Öberg")

    findings = check(supplier.ledger)

    assert [(f.kind, f.where, f.keys) for f in findings] == [("lost update", "basics", ["name"])]
    assert "stored 'Åsa Öberg', saved 'Åsa Öberg-Lind'" in findings[0].detail


def test_one_of_two_answers_a_save_changed_missing_is_a_partial_section(supplier):
    tamper(supplier.response, "workers", 120)

    findings = check(supplier.ledger)

    assert [(f.kind, f.keys) for f in findings] == [("partial section", ["workers"])]


def test_a_table_row_missing_is_found(supplier):
    tamper(supplier.response, "risks", DETAILS["risks"][:1])

    assert [(f.kind, f.keys) for f in check(supplier.ledger)] == [("partial section", ["risks"])]


def test_a_save_never_answered_may_be_stored_but_nothing_else(supplier):
    """A save still in flight when the run ended may or may not be stored; an answer no save
    carried may not."""
    values = {**supplier.stored, "story": "Sent as the run ended."}
    supplier.ledger.record(Save(supplier.response.id, "details", "autosave", values))
    tamper(supplier.response, "story", "Sent as the run ended.")
    assert check(supplier.ledger) == []

    tamper(supplier.response, "story", "Never sent.")
    assert [f.keys for f in check(supplier.ledger)] == [["story"]]


def test_a_page_that_shows_other_than_was_acknowledged_is_stale(supplier):
    """What the simulated suppliers check on every section page they open."""
    path = f"/responses/{supplier.response.id}/sections/basics"
    questions = with_fields(supplier.definition.section("basics"))

    def page():
        return form_fields(supplier.client.get(path).get_data(as_text=True), None)

    assert stale_keys(page(), questions, supplier.stored) == []
    tamper(supplier.response, "workers", 120)
    assert stale_keys(page(), questions, supplier.stored) == ["workers"]


def test_an_autosave_reply_that_shows_another_value_is_caught():
    values = {"workers": 121, "name": "Åsa"}
    sent = json.dumps({"workers": [1, digest(120)], "name": [1, digest("Åsa")]})

    def reply(workers, name):
        return json.dumps({"workers": [2, digest(workers)], "name": [1, digest(name)]})

    assert acknowledged_otherwise(values, sent, reply(121, "Åsa")) == []
    assert acknowledged_otherwise(values, sent, reply(120, "Åsa")) == ["workers"]
    # An answer the autosave did not change, another save may have changed since.
    assert acknowledged_otherwise(values, sent, reply(121, "Åsa Berg")) == []


def test_a_submission_and_a_document_acknowledged_but_not_stored_are_found(supplier):
    ledger = supplier.ledger
    ledger.submit_attempts.append(supplier.response.id)
    ledger.submitted.append(supplier.response.id)
    ledger.uploaded(supplier.response.id, "certificate", acknowledged=False)
    ledger.uploaded(supplier.response.id, "certificate")

    findings = check(ledger)

    assert sorted((f.kind, f.where) for f in findings) == [
        ("documents", "certificate"),
        ("not submitted", "response"),
    ]


def test_the_ledger_reads_back_as_written(supplier, tmp_path):
    supplier.ledger.stale_pages.append(
        {"response_id": supplier.response.id, "section": "basics", "keys": ["name"]}
    )
    supplier.ledger.dump(tmp_path / "ledger.json")

    again = Ledger.load(tmp_path / "ledger.json")

    assert again == supplier.ledger
    assert json.loads((tmp_path / "ledger.json").read_text())["saves"][0]["values"] == BASICS
    assert [f.kind for f in check(again)] == ["stale page"]
