"""Invitations: the buyer admin invites a supplier's first user; owners invite colleagues.

OWASP ASVS 5.0: V6.4.1 (activation links random, single use, expiring), V8.2.2 (owners
act only on their own organisation), V16.3.x (invitations and role changes logged).
"""

import re
from datetime import timedelta

from portal.audit.models import AuditEvent
from portal.auth.models import Invitation, User
from portal.extensions import db
from portal.roles import Role
from portal.timeutil import utcnow
from tests.fixtures.web import link_in

PASSWORD = "orchard silver kettle"


def _accept(client, link, name="New Person", password=PASSWORD):
    return client.submit(link, {"full_name": name, "password": password, "confirm": password})


def test_admin_invites_a_suppliers_first_user(client, make_client, admin, supplier_b, outbox):
    client.login(admin)
    response = client.submit(
        f"/admin/organisations/{supplier_b.id}/invite",
        {"email": "First@Beta.example", "role": "supplier_owner"},
        page=f"/admin/organisations/{supplier_b.id}",
    )
    assert response.status_code == 302
    assert outbox[0]["To"] == "first@beta.example"
    body = outbox[0].get_content()
    assert supplier_b.name in body
    assert admin.full_name in body
    newcomer = make_client()
    link = link_in(outbox[0], "/invitation/")
    page = newcomer.get(link).get_data(as_text=True)
    assert "first@beta.example" in page
    assert supplier_b.name in page
    assert _accept(newcomer, link, "Fia First").headers["Location"] == "/login"
    user = db.session.scalar(db.select(User).where(User.email == "first@beta.example"))
    assert (user.role, user.organisation_id, user.full_name) == (
        "supplier_owner",
        supplier_b.id,
        "Fia First",
    )
    newcomer.login(user, password=PASSWORD)
    assert newcomer.get("/", follow_redirects=True).request.path == "/supplier"
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "invitation.sent" in actions
    assert "invitation.accepted" in actions


def test_an_invitation_works_once(client, make_client, admin, supplier_b, outbox):
    client.login(admin)
    client.submit(
        f"/admin/organisations/{supplier_b.id}/invite",
        {"email": "once@beta.example", "role": "supplier_member"},
        page=f"/admin/organisations/{supplier_b.id}",
    )
    link = link_in(outbox[0], "/invitation/")
    _accept(make_client(), link)
    again = make_client().get(link)
    assert again.status_code == 404
    assert "The link does not work" in again.get_data(as_text=True)


def test_an_expired_invitation_does_not_work(client, make_client, admin, supplier_b, outbox):
    client.login(admin)
    client.submit(
        f"/admin/organisations/{supplier_b.id}/invite",
        {"email": "late@beta.example", "role": "supplier_member"},
        page=f"/admin/organisations/{supplier_b.id}",
    )
    db.session.execute(db.update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert make_client().get(link_in(outbox[0], "/invitation/")).status_code == 404


def test_a_withdrawn_invitation_does_not_work(client, make_client, owner_a, outbox):
    client.login(owner_a)
    client.submit(
        "/team/invite", {"email": "gone@alfa.example", "role": "supplier_member"}, page="/team/"
    )
    invitation = db.session.scalar(db.select(Invitation))
    client.submit(f"/team/invitations/{invitation.id}/revoke", page="/team/")
    assert make_client().get(link_in(outbox[0], "/invitation/")).status_code == 404


def test_owner_invites_a_colleague(client, make_client, owner_a, outbox):
    client.login(owner_a)
    response = client.submit(
        "/team/invite",
        {"email": "colleague@alfa.example", "role": "supplier_member"},
        page="/team/",
    )
    assert response.status_code == 302
    assert "colleague@alfa.example" in client.get("/team/").get_data(as_text=True)
    _accept(make_client(), link_in(outbox[0], "/invitation/"), "Cole League")
    user = db.session.scalar(db.select(User).where(User.email == "colleague@alfa.example"))
    assert user.organisation_id == owner_a.organisation_id
    assert user.role == Role.SUPPLIER_MEMBER


def test_members_cannot_invite(client, member_a):
    client.login(member_a)
    page = client.get("/team/").get_data(as_text=True)
    assert "Invite a colleague" not in page
    response = client.submit(
        "/team/invite", {"email": "x@alfa.example", "role": "supplier_member"}, page="/team/"
    )
    assert response.status_code == 403


def test_owner_cannot_invite_buyer_roles(client, owner_a, outbox):
    client.login(owner_a)
    response = client.submit(
        "/team/invite", {"email": "boss@alfa.example", "role": "buyer_admin"}, page="/team/"
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert outbox == []


def test_an_address_with_an_account_cannot_be_invited_again(client, owner_a, member_a, outbox):
    client.login(owner_a)
    response = client.submit(
        "/team/invite", {"email": member_a.email, "role": "supplier_member"}, page="/team/"
    )
    assert "already exists" in response.get_data(as_text=True)
    assert outbox == []


def test_owner_removes_a_colleague_who_is_signed_out_at_once(
    client, make_client, owner_a, member_a
):
    colleague = make_client()
    colleague.login(member_a)
    client.login(owner_a)
    client.submit(f"/team/members/{member_a.id}/remove", page="/team/")
    assert db.session.get(User, member_a.id).is_active is False
    assert colleague.get("/supplier").headers["Location"].startswith("/login")


def test_the_last_owner_cannot_be_removed(client, make_client, owner_a, admin):
    client.login(admin)
    response = client.submit(
        f"/admin/users/{owner_a.id}/deactivate",
        page=f"/admin/users/{owner_a.id}",
        follow_redirects=True,
    )
    assert "must keep at least one active" in response.get_data(as_text=True)
    assert db.session.get(User, owner_a.id).is_active


def test_owner_b_cannot_touch_supplier_as_people(client, owner_b, member_a, owner_a, outbox):
    client.login(owner_b)
    assert client.submit(f"/team/members/{member_a.id}/remove", page="/team/").status_code == 404
    assert db.session.get(User, member_a.id).is_active
    assert member_a.email not in client.get("/team/").get_data(as_text=True)


def _role_select(html: str) -> str:
    return re.search(r'<select[^>]*name="role"[^>]*>.*?</select>', html, re.DOTALL).group(0)


def test_the_inviter_must_choose_a_role(client, make_client, owner_a, admin, supplier_b, outbox):
    """An owner or administrator invited by a slip of the mouse would have rights nobody
    meant to give: the role starts empty, and sending without one is refused."""
    client.login(owner_a)
    select = _role_select(client.get("/team/").get_data(as_text=True))
    assert 'id="role" name="role" required><option value="">Choose a role</option>' in select
    assert "selected" not in select  # the browser shows the first option: "Choose a role"
    reply = client.submit("/team/invite", {"email": "new@alfa.example"}, page="/team/")
    html = reply.get_data(as_text=True)
    assert "There is a problem" in html
    assert '<a href="#role">Choose the role to invite as.</a>' in html
    assert 'value="new@alfa.example"' in html  # what was typed stays
    assert outbox == []
    assert db.session.scalar(db.select(Invitation)) is None

    staff = make_client()
    staff.login(admin)
    page = f"/admin/organisations/{supplier_b.id}"
    select = _role_select(staff.get(page).get_data(as_text=True))
    assert 'name="role" required><option value="">Choose a role</option>' in select
    assert "selected" not in select
    refused = staff.submit(
        f"/admin/organisations/{supplier_b.id}/invite",
        {"email": "first@beta.example", "role": ""},
        page=page,
    )
    assert "Choose the role to invite as." in refused.get_data(as_text=True)
    assert outbox == []
