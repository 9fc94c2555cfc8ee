"""Evidence in the browser: a real PDF is attached, a disguised file is refused, another
supplier cannot fetch the file by its id, and a long list of documents comes a page at a
time."""

import pytest
from playwright.sync_api import expect

from portal.evidence.models import EvidenceDocument
from portal.extensions import db
from portal.factories import services as factory_services
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import make_document, make_factory, make_org, make_user

pytestmark = pytest.mark.browser


def test_attach_a_real_pdf_refuse_a_disguised_file(page, chromium, live_server, tmp_path):
    with live_server.db():
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        factory = make_factory(org, name="Evidence Works")
        other = make_user(make_org(OrgKind.BRAND), Role.SUPPLIER_OWNER)
        emails, factory_id = (owner.email, other.email), factory.id

    # A real PDF, as Chromium prints one.
    page.goto("/accessibility")
    pdf = tmp_path / "Rapport – fabriksrevision.pdf"
    pdf.write_bytes(page.pdf())
    disguised = tmp_path / "certificate.pdf"
    disguised.write_text("<!doctype html><html><script>alert(1)</script></html>")

    sign_in(page, emails[0])
    page.goto(f"/factories/{factory_id}/edit")
    page.get_by_role("link", name="Attach a document").click()
    assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(disguised)
    page.get_by_label("What the document is").select_option(label="RBA VAP audit report")
    page.get_by_role("button", name="Upload").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("HTML")
    assert_accessible(page)

    page.get_by_label("File", exact=True).set_input_files(pdf)
    page.get_by_label("What the document is").select_option(label="RBA VAP audit report")
    page.get_by_label("Valid until").fill("2027-12-31")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status").first).to_contain_text("is attached")
    link = page.get_by_role("link", name="Rapport – fabriksrevision.pdf", exact=True)
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "Rapport – fabriksrevision.pdf"
    assert download.value.path().read_bytes() == pdf.read_bytes()

    with live_server.db() as session:
        document_id = session.scalar(
            db.select(EvidenceDocument.id).where(EvidenceDocument.factory_id == factory_id)
        )

    # Another supplier, signed in, asks for the file by its id, and for its neighbours.
    stranger_context = chromium.new_context(base_url=live_server.url)
    stranger = stranger_context.new_page()
    sign_in(stranger, emails[1])
    for candidate in (document_id, document_id - 1, document_id + 1):
        reply = stranger.request.get(f"/evidence/{candidate}/download")
        assert reply.status == 404
        assert b"%PDF" not in reply.body()
    stranger_context.close()


def test_a_long_register_is_searched_and_ticked_with_the_keyboard(page, live_server, tmp_path):
    with live_server.db():
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        factories = [
            make_factory(org, name=f"Works {n:02d}")
            for n in range(factory_services.ALL_CHOICES_UP_TO + 10)
        ]
        email, first_id = owner.email, factories[0].id
    page.goto("/accessibility")
    pdf = tmp_path / "audit.pdf"
    pdf.write_bytes(page.pdf())

    sign_in(page, email)
    page.goto(f"/factories/{first_id}/evidence")
    count = page.locator("#factories [role=status]")
    expect(count).to_have_text("25 of 60 factories are shown.")
    assert_accessible(page)
    page.get_by_label("Issued by").fill("Kept Certification AB")
    search = page.get_by_label("Find factories by name or city")
    search.fill("works 59")
    search.press("Enter")  # the form's first button: Find

    expect(count).to_have_text("1 of 1 factory is shown.")
    expect(count).to_be_focused()
    expect(page.get_by_label("Works 00")).to_be_checked()
    expect(page.get_by_label("Issued by")).to_have_value("Kept Certification AB")
    page.get_by_label("Works 59").focus()
    page.keyboard.press("Space")
    assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(pdf)
    page.get_by_label("What the document is").select_option(label="RBA VAP audit report")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("status").first).to_contain_text("is attached")
    with live_server.db() as session:
        document = session.scalar(
            db.select(EvidenceDocument).where(EvidenceDocument.factory_id == first_id)
        )
        assert sorted(f.name for f in document.factories) == ["Works 00", "Works 59"]
        assert document.issuer == "Kept Certification AB"


def test_a_long_list_of_documents_is_paged_with_the_keyboard(page, live_server):
    with live_server.db():
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        factory = make_factory(org, name="Certified Works")
        for n in range(55):
            make_document(
                org,
                content=f"%PDF-1.4\n% {org.id} {n}\n%%EOF\n".encode(),
                factory=factory,
                filename=f"Certificate {n:02d}.pdf",
            )
        email = owner.email
    sign_in(page, email)
    page.goto("/evidence")
    expect(page.get_by_text("Showing 1–50 of 55")).to_be_visible()
    assert_accessible(page)

    next_page = page.get_by_role("navigation", name="Pages of documents").get_by_role(
        "link", name="Next page"
    )
    next_page.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Showing 51–55 of 55")).to_be_visible()
    expect(page.get_by_role("link", name="Certificate", exact=False)).to_have_count(5)
