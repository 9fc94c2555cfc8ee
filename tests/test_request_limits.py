"""Only uploads may send large bodies; every other request is refused before it is parsed.

A 25 MB body of 2.5 million fields took 8-13 s and 840 MB to parse, and the CSRF check parses
the form of any POST before it knows the token is missing. OWASP ASVS 5.0 V5.2.1 (size
limits), V2.4.1 (anti-automation).
"""

import io
import time

import pytest
import werkzeug.formparser
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.evidence.models import StoredFile
from portal.extensions import db
from portal.questionnaires.forms import field_name
from portal.questionnaires.models import Answer
from portal.request_limits import endpoint_takes_uploads
from tests.fixtures.builders import make_factory, make_round, publish_shipped, response_of
from tests.fixtures.web import csrf_token_from, hidden_inputs

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
MB = 1024 * 1024


@pytest.fixture
def parsed(monkeypatch):
    """The urlencoded bodies Werkzeug parsed, by their number of fields."""
    calls = []
    original = werkzeug.formparser.parse_qsl

    def spy(text, *args, **kwargs):
        calls.append(text.count("&") + 1)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(werkzeug.formparser, "parse_qsl", spy)
    return calls


def _post_raw(client, url, body: bytes, content_type="application/x-www-form-urlencoded"):
    started = time.perf_counter()
    reply = client.post(url, data=body, content_type=content_type)
    return reply, time.perf_counter() - started


BODIES = {
    "2 MB": b"description=" + b"x" * (2 * MB),
    "100,000 fields": b"&".join(b"f%d=" % n for n in range(100_000)),
}


@pytest.mark.parametrize("url", ["/language", "/login"])
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_large_or_many_field_body_is_refused_before_it_is_parsed(client, parsed, url, body):
    reply, seconds = _post_raw(client, url, body)
    assert reply.status_code == 413
    assert "larger than the portal accepts" in reply.get_data(as_text=True)
    assert seconds < 1
    assert parsed == []


def test_a_large_multipart_body_is_refused_before_it_is_parsed(client, monkeypatch):
    """2 MB in 4,000 small parts: within the limits on parts and on each part's size, so
    only the limit on the whole body refuses it."""
    parsed = []
    monkeypatch.setattr(
        werkzeug.formparser.MultiPartParser, "parse", lambda *args: parsed.append(args)
    )
    boundary, body = encode_multipart({f"f{n}": "x" * 500 for n in range(4000)})
    assert len(body) > 2 * MB
    reply, seconds = _post_raw(
        client, "/language", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert reply.status_code == 413
    assert seconds < 1
    assert parsed == []


def test_an_ordinary_form_still_works(client, parsed):
    token = csrf_token_from(client.get("/accessibility").get_data(as_text=True))
    reply = client.post("/language", data={"csrf_token": token, "language": "sv", "next": "/"})
    assert reply.status_code == 302
    assert parsed == [3]


def test_only_the_upload_views_take_large_bodies(app):
    with app.app_context():
        takes = {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if endpoint_takes_uploads(rule.endpoint)
        }
    assert takes == {
        "evidence.attach_to_question",
        "evidence.attach_to_factory",
        "factories.upload",
        "findings.new_at",
        "findings.submit",
        "selection.import_countries",
    }


def _upload(client, url: str, fields: dict, file: bytes, filename: str):
    """Post a form with a file as the upload page would, the body encoded up front (the
    test client would spool a large one to a temporary file it never closes)."""
    hidden = hidden_inputs(client.get(url).get_data(as_text=True), action=url, page=url)
    upload = FileStorage(
        io.BytesIO(file), filename=filename, content_type="application/octet-stream"
    )
    boundary, body = encode_multipart({**hidden, **fields, "file": upload})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_large_evidence_upload_still_works(client, owner_a, supplier_a, response_a):
    client.login(owner_a)
    client.submit(f"/responses/{response_a.id}/start", page=f"/responses/{response_a.id}")
    large = PDF + b"%" + b"x" * (5 * MB) + b"\n%%EOF\n"
    reply = _upload(
        client,
        f"/responses/{response_a.id}/evidence/certificate",
        {"kind": "iso45001_certificate", "valid_until": "2027-05-31"},
        large,
        "certificate.pdf",
    )
    assert reply.status_code == 302
    factory = make_factory(supplier_a)
    reply = _upload(
        client, f"/factories/{factory.id}/evidence", {"kind": "rba_vap_report"}, large, "a.pdf"
    )
    assert reply.status_code == 302
    assert db.session.scalar(db.select(db.func.count(StoredFile.id))) == 1  # the same file
    assert db.session.scalar(db.select(db.func.max(StoredFile.size))) == len(large)


def test_a_large_factory_list_still_uploads(client, owner_a):
    client.login(owner_a)
    address = "Building 7 Industrial Park Road Longhua District Guangdong Province"
    rows = "".join(
        f"Factory number {n},{address} {n},Shenzhen,CN,final_assembly\n" for n in range(15_000)
    )
    csv = ("name,address,city,country,role\n" + rows).encode()
    assert len(csv) > 1.5 * MB
    reply = _upload(client, "/factories/import", {}, csv, "factories.csv")
    assert reply.status_code == 302


def test_a_full_risks_table_of_the_shipped_questionnaire_still_saves(
    client, owner_a, supplier_a, admin
):
    """The largest form of the portal: the 150-row risks table, every text at its limit
    in Swedish, posted as the browser would."""
    version = publish_shipped("ict-social", 2)
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    client.login(owner_a)
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    question = version.definition.questions["prioritised_risks"]
    text = ("Åtgärd: löner höjs i fabrikens två skift. " * 10)[:300]
    data = {field_name("risk_assessment_by"): "supplier_and_brands"}
    for row in range(question["max_rows"]):
        prefix = f"{field_name('prioritised_risks')}-{row}"
        data[f"{prefix}-factory_name"] = text
        data[f"{prefix}-risk_category"] = "wages"
        data[f"{prefix}-severity"] = "3"
        data[f"{prefix}-likelihood"] = "4"
        data[f"{prefix}-mitigation"] = text
    reply = client.submit(f"/responses/{response.id}/sections/risk_assessment", data)
    assert reply.status_code == 302
    rows = db.session.scalar(
        db.select(Answer.value).where(
            Answer.response_id == response.id, Answer.question_key == "prioritised_risks"
        )
    )
    assert len(rows) == question["max_rows"]


def test_a_nul_byte_in_a_query_or_a_form_is_refused(client, reviewer, owner_a):
    """No browser sends one, and PostgreSQL cannot compare or store text that holds one."""
    client.login(reviewer)
    assert client.get("/review/queue?status=new").status_code == 200
    reply = client.get("/review/queue?status=%00new")
    assert reply.status_code == 400
    assert "The request could not be understood" in reply.get_data(as_text=True)
    client.logout()
    client.login(owner_a)
    reply = client.submit("/factories/new", {"name": "Works\x00", "country": "CN"})
    assert reply.status_code == 400
