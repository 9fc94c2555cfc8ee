"""The buyer-admin area: organisations, users, conflicts, and the audit log."""

from portal.audit.models import AuditEvent
from portal.audit.services import record
from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.roles import Role
from tests.fixtures.builders import make_org, make_user

NEW_ORG = {
    "kind": "brand",
    "name": "Gamma Screens Oy",
    "org_number": "",
    "country": "FI",
    "contact_email": "csr@gamma.example",
}


def _org_form(org):
    return {
        "kind": org.kind,
        "name": org.name,
        "org_number": org.org_number or "",
        "country": org.country,
        "contact_email": org.contact_email,
        "version": str(org.version),
    }


def test_admin_creates_a_supplier_organisation(client, admin):
    client.login(admin)
    response = client.submit("/admin/organisations/new", NEW_ORG)
    org = db.session.scalar(db.select(Organisation).where(Organisation.name == "Gamma Screens Oy"))
    assert response.headers["Location"] == f"/admin/organisations/{org.id}"
    assert (org.kind, org.country, org.org_number) == ("brand", "FI", None)
    assert "Gamma Screens Oy" in client.get("/admin/").get_data(as_text=True)
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "organisation.created")
    )
    assert event.actor_id == admin.id
    assert event.organisation_id == org.id


def test_swedish_organisation_numbers_are_checked_and_normalised(client, admin):
    client.login(admin)
    bad = client.submit("/admin/organisations/new", {**NEW_ORG, "org_number": "556677-8890"})
    assert "not a valid Swedish organisation number" in bad.get_data(as_text=True)
    ok = client.submit("/admin/organisations/new", {**NEW_ORG, "org_number": "5566778899"})
    assert ok.status_code == 302
    org = db.session.scalar(db.select(Organisation).where(Organisation.name == "Gamma Screens Oy"))
    assert org.org_number == "556677-8899"
    dup = client.submit(
        "/admin/organisations/new", {**NEW_ORG, "name": "Copy AB", "org_number": "556677-8899"}
    )
    assert "Another organisation has this number." in dup.get_data(as_text=True)


def test_every_bad_field_gets_its_own_linked_error(client, admin):
    client.login(admin)
    response = client.submit(
        "/admin/organisations/new",
        {
            "kind": "buyer",
            "name": "",
            "org_number": "12",
            "country": "XX",
            "contact_email": "not-an-address",
        },
    )
    html = response.get_data(as_text=True)
    for field in ("kind", "name", "org_number", "country", "contact_email"):
        assert f'<a href="#{field}">' in html
        assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert "<title>Error:" in html
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 1  # the buyer


def test_a_stale_edit_is_refused_and_both_versions_shown(client, make_client, admin, supplier_a):
    client.login(admin)
    opened = _org_form(supplier_a)
    other = make_client()
    other.login(admin)
    other.submit(
        f"/admin/organisations/{supplier_a.id}/edit", {**opened, "name": "Alfa Data Sverige AB"}
    )
    response = client.submit(
        f"/admin/organisations/{supplier_a.id}/edit", {**opened, "name": "Alfa Data Nordic AB"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Alfa Data Sverige AB" in html
    assert 'value="Alfa Data Nordic AB"' in html
    assert db.session.get(Organisation, supplier_a.id).name == "Alfa Data Sverige AB"
    # Saving again, knowingly, replaces the other version.
    token_version = db.session.get(Organisation, supplier_a.id).version
    again = client.submit(
        f"/admin/organisations/{supplier_a.id}/edit",
        {**opened, "name": "Alfa Data Nordic AB", "version": str(token_version)},
    )
    assert again.status_code == 302
    assert db.session.get(Organisation, supplier_a.id).name == "Alfa Data Nordic AB"


def test_admin_changes_a_role_and_the_user_is_signed_out(
    client, make_client, admin, owner_a, member_a
):
    member = make_client()
    member.login(member_a)
    client.login(admin)
    response = client.submit(
        f"/admin/users/{member_a.id}",
        {"full_name": "Adam Member", "role": "supplier_owner", "version": "1"},
    )
    assert response.status_code == 302
    assert db.session.get(User, member_a.id).role == Role.SUPPLIER_OWNER
    assert member.get("/team/").headers["Location"].startswith("/login")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.details == {
        "from": "supplier_member",
        "to": "supplier_owner",
        "email": member_a.email,
    }


def test_a_supplier_user_cannot_be_made_a_reviewer(client, admin, member_a):
    client.login(admin)
    response = client.submit(
        f"/admin/users/{member_a.id}",
        {"full_name": "Adam Member", "role": "reviewer", "version": "1"},
    )
    assert response.status_code == 200
    assert db.session.get(User, member_a.id).role == Role.SUPPLIER_MEMBER


def test_admin_cannot_deactivate_themselves(client, admin, buyer):
    make_user(buyer, Role.BUYER_ADMIN)
    client.login(admin)
    response = client.submit(
        f"/admin/users/{admin.id}/deactivate",
        page=f"/admin/users/{admin.id}",
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)


def test_deactivated_users_can_be_reactivated(client, admin, owner_a, member_a):
    client.login(admin)
    client.submit(f"/admin/users/{member_a.id}/deactivate", page=f"/admin/users/{member_a.id}")
    assert not db.session.get(User, member_a.id).is_active
    client.submit(f"/admin/users/{member_a.id}/reactivate", page=f"/admin/users/{member_a.id}")
    assert db.session.get(User, member_a.id).is_active
    actions = db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["user.deactivated", "user.reactivated"]


def test_audit_log_shows_who_did_what_and_filters(client, admin, owner_a):
    client.submit("/login", {"email": owner_a.email, "password": "wrong password"})
    client.login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Failed sign-in" in html
    assert "Signed in" in html
    assert admin.email in html
    only_failed = client.get("/admin/audit?action=auth.login_failed").get_data(as_text=True)
    assert "Failed sign-in" in only_failed
    assert admin.email not in only_failed


def test_organisation_list_takes_the_same_queries_for_3_or_30_suppliers(
    client, admin, count_queries
):
    client.login(admin)

    def queries_for_list():
        with count_queries() as counter:
            assert client.get("/admin/").status_code == 200
        return counter.count

    for _ in range(3):
        make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_MEMBER)
    few = queries_for_list()
    for _ in range(27):
        make_user(make_org(OrgKind.BRAND), Role.SUPPLIER_MEMBER)
    assert queries_for_list() == few


def test_audit_log_takes_the_same_queries_for_few_or_many_events(
    client, admin, count_queries, supplier_a
):
    client.login(admin)

    def queries_for_log():
        with count_queries() as counter:
            client.get("/admin/audit")
        return counter.count

    few = queries_for_log()
    for _ in range(40):
        record("organisation.updated", actor=admin, organisation_id=supplier_a.id)
    db.session.commit()
    assert queries_for_log() == few
