"""Evidence documents: upload, check, store once, serve only to those allowed, expire.

OWASP ASVS 5.0: V5.2.1 (size limits), V5.2.2 (type from content, extension agreeing),
V5.2.3 (compressed files checked before unpacking), V5.3.1 (files served as attachments,
never run), V5.3.2 (server-made paths, never the user's file name), V8.2.2 (organisations
kept apart), V16.2.1 (downloads logged).
"""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from markupsafe import escape

from portal.audit.models import AuditEvent
from portal.evidence.models import EvidenceDocument, StoredFile
from portal.extensions import db
from portal.factories import services as factory_services
from portal.questionnaires.models import Answer, Response
from portal.timeutil import utcnow
from tests.fixtures.builders import (
    fill_with_samples,
    make_document,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
    shipped_versions,
)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def evidence_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE_URL", f"file://{tmp_path / 'evidence'}")
    return tmp_path / "evidence"


def _slot_url(response):
    return f"/responses/{response.id}/evidence/certificate"


def _attach(client, response, data=PDF, filename="ISO 45001 – Shenzhen.pdf", **meta):
    fields = {
        "file": (io.BytesIO(data), filename),
        "kind": "iso45001_certificate",
        "issuer": "DNV",
        "reference": "C-123",
        "valid_until": "2027-05-31",
        **meta,
    }
    return client.submit(_slot_url(response), fields)


@pytest.fixture
def started(client, owner_a, response_a):
    client.login(owner_a)
    client.submit(f"/responses/{response_a.id}/start", page=f"/responses/{response_a.id}")
    return response_a


def test_a_supplier_attaches_a_certificate_to_a_question(client, started, evidence_folder):
    reply = _attach(client, started)
    assert reply.status_code == 302
    [document] = db.session.scalars(db.select(EvidenceDocument)).all()
    assert document.filename == "ISO 45001 – Shenzhen.pdf"
    assert document.stored_file.content_type == "application/pdf"
    assert document.stored_file.size == len(PDF)
    stored = [p for p in evidence_folder.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert "Shenzhen" not in str(stored[0])  # the key is the server's, not the file name
    assert stored[0].read_bytes() == PDF
    answer = db.session.scalar(db.select(Answer).where(Answer.question_key == "certificate"))
    assert answer.value["files"] == 1  # the slot counts as answered
    page = client.get(f"/responses/{started.id}/sections/details").get_data(as_text=True)
    assert "ISO 45001 – Shenzhen.pdf" in page
    assert "valid until 31 May 2027" in page


def test_the_section_offers_to_attach_before_and_after_a_document_is_there(client, started):
    """The evidence slot, with no documents yet and with one, offers the attach link of its
    own question (and lists the document, which may be removed while the draft is open)."""
    slot = re.compile(r'<div class="evidence-slot">(.*?)</div>', re.S)
    section = f"/responses/{started.id}/sections/details"
    [empty] = slot.findall(client.get(section).get_data(as_text=True))
    assert f'href="{_slot_url(started)}"' in empty
    assert "Attach a document" in empty
    _attach(client, started)
    [listed] = slot.findall(client.get(section).get_data(as_text=True))
    assert "ISO 45001 – Shenzhen.pdf" in listed
    assert f'href="{_slot_url(started)}"' in listed
    assert ">Remove<" in listed


def test_the_same_content_is_stored_once(client, started, evidence_folder):
    _attach(client, started)
    _attach(client, started, filename="copy.pdf")
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 2
    assert db.session.scalar(db.select(db.func.count(StoredFile.id))) == 1
    assert len([p for p in evidence_folder.rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"<!doctype html><html><script>alert(1)</script></html>", "report.pdf", "HTML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.png", ""),
        (b"MZ" + b"\x00" * 200, "certificate.pdf", ""),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "certificate.pdf", ".pdf"),
    ],
)
def test_disguised_and_dangerous_files_are_refused(
    client, started, data, filename, message, evidence_folder
):
    reply = _attach(client, started, data=data, filename=filename)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "There is a problem" in html
    assert message in html
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 0
    assert [p for p in evidence_folder.rglob("*") if p.is_file()] == []  # nothing left behind


def test_a_zip_bomb_disguised_as_a_spreadsheet_is_refused(client, started):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/huge.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    reply = _attach(client, started, data=buffer.getvalue(), filename="factories.xlsx")
    assert "There is a problem" in reply.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 0


def test_too_large_a_file_is_refused_with_a_message(client, started, app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100)
    reply = _attach(client, started)
    assert "larger than" in reply.get_data(as_text=True)


def test_too_large_a_request_gets_the_friendly_413(client, started, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    reply = _attach(client, started, data=PDF * 100)
    assert reply.status_code == 413
    assert "The file is too large" in reply.get_data(as_text=True)


def _submit(client, response):
    """Answer the mini questionnaire's required questions and submit, as its supplier."""
    client.submit(
        f"/responses/{response.id}/sections/basics", {"q_has_policy": "no", "q_workers": "3"}
    )
    client.submit(f"/responses/{response.id}/sections/details", {"q_methods": ["dialogue"]})
    reply = client.submit(f"/responses/{response.id}/submit", page=f"/responses/{response.id}")
    assert reply.status_code == 302


def test_downloads_are_attachments_for_the_owner_and_for_staff_once_submitted(
    client, make_client, started, owner_b, reviewer
):
    _attach(client, started)
    document = db.session.scalar(db.select(EvidenceDocument))
    download = f"/evidence/{document.id}/download"
    reply = client.get(download)
    assert reply.get_data() == PDF
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''ISO%2045001%20%E2%80%93%20Shenzhen.pdf" in disposition
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in reply.headers["Content-Security-Policy"]
    staff = make_client()
    staff.login(reviewer)
    other = make_client()
    other.login(owner_b)
    # A draft's documents are the supplier's alone, as its answers are.
    assert staff.get(download).status_code == 404
    _submit(client, started)
    assert staff.get(download).status_code == 200
    assert client.get(download).status_code == 200
    for url in (download, f"/evidence/{document.id}/remove"):
        assert other.get(url).status_code == 404
    assert other.get(f"/evidence/{document.id + 1}/download").status_code == 404
    downloads = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
    ).all()
    assert len(downloads) == 3


def test_a_file_on_a_draft_can_be_removed(client, started):
    _attach(client, started)
    document = db.session.scalar(db.select(EvidenceDocument))
    reply = client.submit(f"/evidence/{document.id}/remove")
    assert reply.status_code == 302
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 0


def test_a_file_on_a_submitted_response_stays(client, started):
    _attach(client, started)
    _submit(client, started)
    document = db.session.scalar(db.select(EvidenceDocument))
    reply = client.get(f"/evidence/{document.id}/remove")
    assert reply.status_code == 302
    assert db.session.get(EvidenceDocument, document.id) is not None
    assert client.get(_slot_url(started)).status_code == 302  # no more uploads either


def _attach_to_factory(client, factory, covered: list):
    """An audit report attached from `factory`'s page, naming the factories it covers."""
    return client.submit(
        f"/factories/{factory.id}/evidence",
        {
            "file": (io.BytesIO(PDF), "audit.pdf"),
            "kind": "rba_vap_report",
            "factories": [str(f.id) for f in covered],
        },
    )


def test_documents_attach_to_factories_and_name_the_factories_they_cover(
    client, owner_a, supplier_a
):
    factory = make_factory(supplier_a, name="Covered Works")
    client.login(owner_a)
    reply = _attach_to_factory(client, factory, [factory])
    assert reply.status_code == 302
    document = db.session.scalar(db.select(EvidenceDocument))
    assert document.factory_id == factory.id
    assert [f.name for f in document.factories] == ["Covered Works"]
    assert "audit.pdf" in client.get(f"/factories/{factory.id}/edit").get_data(as_text=True)


def _long_register(supplier) -> list:
    """More factories than a form lists whole: "Works 00" to "Works 59", by name."""
    return [
        make_factory(supplier, name=f"Works {n:02d}")
        for n in range(factory_services.ALL_CHOICES_UP_TO + 10)
    ]


def _checkboxes(html: str) -> dict[str, bool]:
    """The factories a page offers to tick, by name, and whether each is ticked."""
    boxes = re.findall(r'<input( checked)?[^>]*type="checkbox"[^>]*>\s*<label[^>]*>([^<]*)<', html)
    return {name: bool(ticked) for ticked, name in boxes}


def test_a_long_register_is_searched_and_what_is_typed_and_ticked_stays(
    client, owner_a, supplier_a
):
    factories = _long_register(supplier_a)
    page = f"/factories/{factories[30].id}/evidence"
    client.login(owner_a)

    html = client.get(page).get_data(as_text=True)

    shown = _checkboxes(html)
    assert len(shown) == 26  # the factory the page is for, and a page of the register
    assert shown["Works 30"] is True
    assert "Works 59" not in shown
    assert "25 of 60 factories are shown." in html
    found = client.submit(
        page,
        {
            "action": "find",
            "find": "works 5",
            "factories": [str(factories[30].id)],
            "issuer": "Kept Certification AB",
        },
    ).get_data(as_text=True)
    assert _checkboxes(found) == {"Works 30": True, **{f"Works 5{n}": False for n in range(10)}}
    assert "10 of 10 factories are shown." in found
    assert 'value="Kept Certification AB"' in found
    assert 'id="find-count" tabindex="-1" data-focus-on-load' in found
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 0

    reply = _attach_to_factory(client, factories[30], [factories[30], factories[59]])

    assert reply.status_code == 302
    document = db.session.scalar(db.select(EvidenceDocument))
    assert sorted(f.name for f in document.factories) == ["Works 30", "Works 59"]


def test_a_long_registers_form_refuses_another_suppliers_factory(
    client, owner_a, supplier_a, supplier_b
):
    factories = _long_register(supplier_a)
    theirs = make_factory(supplier_b, name="Not Yours Works")
    client.login(owner_a)

    reply = _attach_to_factory(client, factories[0], [factories[0], theirs])

    assert reply.status_code == 200
    assert "Not Yours Works" not in reply.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(EvidenceDocument.id))) == 0


def test_expiring_certificates_are_flagged_and_reminded_once(
    app, client, make_client, started, reviewer, outbox, owner_a
):
    soon = (utcnow() + timedelta(days=30)).date().isoformat()
    _attach(client, started, valid_until=soon)
    assert "Expires within 60 days" in client.get("/evidence").get_data(as_text=True)
    staff = make_client()
    staff.login(reviewer)
    assert "ISO 45001" not in staff.get("/review/evidence").get_data(as_text=True)  # a draft's
    _submit(client, started)
    assert "ISO 45001" in staff.get("/review/evidence").get_data(as_text=True)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["evidence", "remind"])
    assert "1 reminder(s) sent." in first.output
    assert outbox[-1]["To"] == owner_a.email
    assert "ISO 45001 – Shenzhen.pdf" in outbox[-1].get_content()
    second = runner.invoke(args=["evidence", "remind"])
    assert "0 reminder(s) sent." in second.output


def test_a_section_with_evidence_slots_posts_within_the_form_limits(client, started):
    html = client.get(f"/responses/{started.id}/sections/details").get_data(as_text=True)
    assert "Attach a document" in html
    reply = client.submit(
        f"/responses/{started.id}/sections/details",
        {"q_methods": ["audits"], "q_audit_scheme": "rba"},
    )
    assert reply.status_code == 302


def test_an_evidence_slot_explains_its_note_and_saving_keeps_its_files(client, started):
    _attach(client, started)
    url = f"/responses/{started.id}/sections/details"
    html = client.get(url).get_data(as_text=True)
    label = '<label class="label" for="note-certificate">Note on the documents (optional)</label>'
    assert label in html
    assert 'aria-describedby="note-hint-certificate"' in html
    client.submit(url, {"q_methods": ["dialogue"], "q_certificate": "Page 2 shows the scope."})
    client.submit(url, {"q_methods": ["audits"], "q_audit_scheme": "rba"})  # note emptied
    answer = db.session.scalar(db.select(Answer).where(Answer.question_key == "certificate"))
    assert answer.value == {"files": 1}  # the document still counts after each save
    history = client.get(f"/responses/{started.id}/history").get_data(as_text=True)
    assert "<strong>Note on the documents:</strong> Page 2 shows the scope." in history
    assert "1 document attached" in history


@pytest.mark.parametrize(("key", "number"), shipped_versions())
def test_every_shipped_question_that_takes_documents_takes_one(
    client, owner_a, supplier_a, admin, key, number
):
    """Every shipped question that accepts documents takes one (the browser journeys attach
    one per section): an evidence slot counts it, and a question with an answer of its own
    besides (yes/no, a web address, a text...) keeps that answer. The pages that show
    answers still open for the supplier."""
    version = publish_shipped(key, number)
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    answers = fill_with_samples(response, owner_a)
    taking = [q for q in version.definition.questions.values() if q.get("evidence")]
    typed = [q for q in taking if q["type"] != "evidence" and q["key"] in answers]
    assert {q["type"] for q in typed} >= {"yes_no", "url"}
    client.login(owner_a)
    for question in taking:
        reply = client.submit(
            f"/responses/{response.id}/evidence/{question['key']}",
            {
                "file": (io.BytesIO(PDF), f"{question['key']}.pdf"),
                "kind": question["evidence"][-1],
            },
        )
        assert reply.status_code == 302, question["key"]
        assert reply.headers["Location"].endswith(f"#question-{question['key']}")
    stored = {
        a.question_key: a.value
        for a in db.session.scalars(db.select(Answer).where(Answer.response_id == response.id))
    }
    assert {q["key"]: stored[q["key"]] for q in typed} == {
        q["key"]: answers[q["key"]] for q in typed
    }
    documents = db.session.scalars(
        db.select(EvidenceDocument).where(EvidenceDocument.response_id == response.id)
    ).all()
    assert sorted((d.question_key, d.kind) for d in documents) == sorted(
        (q["key"], q["evidence"][-1]) for q in taking
    )
    for page in ("answers", "history"):
        assert client.get(f"/responses/{response.id}/{page}").status_code == 200


@pytest.mark.parametrize(
    ("sent", "stored", "disposition"),
    [
        (
            "policy\x00.exe.pdf",
            "policy.exe.pdf",
            "attachment; filename=\"policy.exe.pdf\"; filename*=UTF-8''policy.exe.pdf",
        ),
        (
            "../../etc/passwd.pdf",
            "passwd.pdf",
            "attachment; filename=\"passwd.pdf\"; filename*=UTF-8''passwd.pdf",
        ),
        (
            "x" * 396 + ".pdf",
            "x" * 251 + ".pdf",
            f"attachment; filename=\"{'x' * 251}.pdf\"; filename*=UTF-8''{'x' * 251}.pdf",
        ),
        (
            "invoice\u202efdp.exe\u202c.pdf",  # shown as "invoiceexe.pdf" by the override
            "invoicefdp.exe.pdf",
            "attachment; filename=\"invoicefdp.exe.pdf\"; filename*=UTF-8''invoicefdp.exe.pdf",
        ),
        (
            "  Rapport – fabriksrevision\t åäö.pdf ",
            "Rapport – fabriksrevision åäö.pdf",
            'attachment; filename="Rapport _ fabriksrevision aao.pdf"; '
            "filename*=UTF-8''Rapport%20%E2%80%93%20fabriksrevision%20%C3%A5%C3%A4%C3%B6.pdf",
        ),
        (
            "Re\u0301sume\u0301 100%.pdf",  # accents as separate marks (NFD)
            "Résumé 100%.pdf",
            'attachment; filename="Resume 100_.pdf"; '
            "filename*=UTF-8''R%C3%A9sum%C3%A9%20100%25.pdf",
        ),
        (
            "\x00\u200b.pdf",
            "document.pdf",
            "attachment; filename=\"document.pdf\"; filename*=UTF-8''document.pdf",
        ),
    ],
)
def test_upload_names_are_cleaned_and_offered_back_safely(
    client, started, sent, stored, disposition
):
    """Only the last part of a path, no control or invisible characters, NFC, at most 255
    characters with the extension kept; the download offers it in a header that nothing in a
    name can break (RFC 6266: an ASCII stand-in and the exact UTF-8 name)."""
    reply = _attach(client, started, filename=sent)
    assert reply.status_code == 302
    document = db.session.scalar(db.select(EvidenceDocument))
    assert document.filename == stored
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert escape(stored) in page  # the list on the question, and the message
    download = client.get(f"/evidence/{document.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == disposition


def test_a_name_stored_before_names_were_cleaned_is_sent_safely(client, owner_a, supplier_a):
    # Line breaks could be stored before; a NUL byte never could be on PostgreSQL (and the
    # SQLite-only case is covered by the upload test above).
    document = make_document(
        supplier_a, factory=make_factory(supplier_a), filename="a\r\nX-Injected: 1\t.pdf"
    )
    client.login(owner_a)
    reply = client.get(f"/evidence/{document.id}/download")
    assert reply.status_code == 200
    assert "X-Injected" not in reply.headers
    assert reply.headers["Content-Disposition"] == (
        "attachment; filename=\"a X-Injected: 1.pdf\"; filename*=UTF-8''a%20X-Injected%3A%201.pdf"
    )


def test_staff_lists_show_a_drafts_documents_only_once_it_is_submitted(
    client, make_client, started, supplier_a, reviewer
):
    """The review page, the answers page, the expiring list and the ladder's document choice
    follow the download's rule; factory documents belong to the register staff always see."""
    soon = (utcnow() + timedelta(days=30)).date().isoformat()
    _attach(client, started, filename="draft-certificate.pdf", valid_until=soon)
    factory = make_factory(supplier_a)
    register_document = make_document(
        supplier_a, factory=factory, filename="factory-audit.pdf", valid_until=utcnow().date()
    )
    staff = make_client()
    staff.login(reviewer)
    expiring = staff.get("/review/evidence").get_data(as_text=True)
    assert "draft-certificate.pdf" not in expiring
    assert "factory-audit.pdf" in expiring
    assert staff.get(f"/evidence/{register_document.id}/download").status_code == 200

    _submit(client, started)
    assert "draft-certificate.pdf" in staff.get("/review/evidence").get_data(as_text=True)
    for page in (f"/review/responses/{started.id}", f"/responses/{started.id}/answers"):
        assert "draft-certificate.pdf" in staff.get(page).get_data(as_text=True), page

    staff.submit(
        f"/review/responses/{started.id}",
        {"action": "clarify", "ask_has_policy": "y", "comment_has_policy": "Since when?"},
    )
    [document] = db.session.scalars(
        db.select(EvidenceDocument).where(EvidenceDocument.response_id == started.id)
    ).all()
    assert db.session.get(Response, started.id).status == "clarification"
    assert staff.get(f"/evidence/{document.id}/download").status_code == 200
    assert "draft-certificate.pdf" in staff.get(f"/review/responses/{started.id}").get_data(
        as_text=True
    )


def _expiring_documents(supplier, count: int) -> None:
    """`count` certificates of one factory (each its own file), expiring within 50 days."""
    factory = make_factory(supplier, name="Certified Works")
    for n in range(count):
        make_document(
            supplier,
            content=f"%PDF-1.4\n% {factory.id} {n}\n%%EOF\n".encode(),
            factory=factory,
            kind="certificate",
            filename=f"Certificate {n:02d}.pdf",
            valid_until=utcnow().date() + timedelta(days=n % 50),
        )
    db.session.commit()


@pytest.mark.parametrize("who", ["supplier", "staff"])
def test_the_lists_of_documents_come_a_page_at_a_time(
    client, owner_a, reviewer, supplier_a, count_queries, who
):
    """A supplier's documents and every supplier's expiring documents come 50 to a page,
    soonest expiry first, in as many queries for 60 documents as for 6."""
    url = "/evidence" if who == "supplier" else "/review/evidence"
    client.login(owner_a if who == "supplier" else reviewer)
    _expiring_documents(supplier_a, 6)
    with count_queries() as few:
        client.get(url)
    _expiring_documents(supplier_a, 54)

    with count_queries() as many:
        first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?page=2").get_data(as_text=True)

    assert many.count == few.count
    assert "Showing 1–50 of 60" in first
    assert first.count("download>Certificate ") == 50
    assert f'href="{url}?page=2"' in first
    assert "Showing 51–60 of 60" in second
    assert second.count("download>Certificate ") == 10
