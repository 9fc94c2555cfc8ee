"""A round's life: its kind, opening and closing in Swedish time, organisations invited by
e-mail, the supplier's list of rounds, and the closing time with per-organisation extensions.
Time is frozen where a deadline matters."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.audit.models import AuditEvent
from portal.auth.models import Invitation, User
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.questionnaires.models import Answer, Response, Round
from tests.fixtures.builders import make_org, response_of
from tests.fixtures.web import link_in

PASSWORD = "orchard silver kettle"
#: 1 June 2026, 10:00 in Stockholm (summer time, UTC+2).
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the clock at NOW; returns a function that moves it."""

    def move_to(moment: datetime) -> None:
        for module in (
            "portal.timeutil",
            "portal.questionnaires.models",
            "portal.questionnaires.services",
            "portal.questionnaires.forms",
        ):
            monkeypatch.setattr(f"{module}.utcnow", lambda: moment)

    move_to(NOW)
    return move_to


def _new_round(client, version, organisations, **fields):
    data = {
        "kind": "market_dialogue",
        "title": "Market dialogue PCs 2027",
        "version": str(version.id),
        "opens_on": "2026-06-10",
        "opens_time": "09:00",
        "closes_on": "2026-06-30",
        "closes_time": "16:00",
        "organisations": [str(o.id) for o in organisations],
        "reminder_days": "10, 3",
        **fields,
    }
    return client.submit("/admin/rounds/new", data)


def _round(title="Market dialogue PCs 2027") -> Round:
    return db.session.scalar(db.select(Round).where(Round.title == title))


def test_admin_opens_a_market_dialogue_in_swedish_time_inviting_a_new_organisation(
    client, admin, mini_v1, supplier_a, frozen, outbox
):
    client.login(admin)
    reply = _new_round(
        client,
        mini_v1,
        [supplier_a],
        **{
            "new-0-name": "Gamma Tech AB",
            "new-0-kind": "brand",
            "new-0-email": "Gia@Gamma.example",
        },
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)
    round_ = _round()
    assert round_.kind == "market_dialogue"
    # Entered on a Swedish clock in summer: two hours ahead of UTC.
    assert round_.opens_at == datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2026, 6, 30, 14, 0, tzinfo=UTC)
    assert round_.reminder_days == [10, 3]
    assert [
        r.organisation_id
        for r in db.session.scalars(db.select(Response).where(Response.round_id == round_.id))
    ] == [supplier_a.id]
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.email == "gia@gamma.example")
    )
    assert (invitation.organisation_id, invitation.new_organisation_name) == (None, "Gamma Tech AB")
    assert invitation.role == "supplier_owner"
    assert "Gamma Tech AB" in outbox[0].get_content()
    page = client.get(f"/admin/rounds/{round_.id}").get_data(as_text=True)
    assert "Market dialogue" in page
    assert "gia@gamma.example" in page
    assert "10, 3" in page


def test_the_reminder_days_default_to_14_7_1_and_must_be_days(client, admin, mini_v1, supplier_a):
    client.login(admin)
    form = client.get("/admin/rounds/new").get_data(as_text=True)
    assert 'value="14, 7, 1"' in form
    reply = _new_round(client, mini_v1, [supplier_a], reminder_days="7, 400", opens_on="")
    assert reply.status_code == 200
    assert "Write whole numbers of days from 1 to 365" in reply.get_data(as_text=True)
    assert _round() is None


def test_an_address_that_has_an_account_is_refused_and_nothing_is_made(
    client, admin, mini_v1, supplier_a, owner_a, outbox
):
    client.login(admin)
    reply = _new_round(
        client,
        mini_v1,
        [],
        opens_on="",
        closes_on="2099-06-30",
        **{"new-0-name": "Alfa again", "new-0-email": owner_a.email},
    )
    assert reply.status_code == 422
    assert "already has an account" in reply.get_data(as_text=True)
    assert _round() is None
    assert outbox == []


def test_no_more_organisations_are_invited_than_the_form_has_rows(client, admin, mini_v1, outbox):
    client.login(admin)
    rows = {}
    for n in range(0, 40, 4):  # a hand-made request: ten rows, numbered as it likes
        rows |= {f"new-{n}-name": f"Org {n} AB", f"new-{n}-email": f"org{n}@example.com"}
    reply = _new_round(client, mini_v1, [], opens_on="", closes_on="2099-06-30", **rows)
    assert reply.status_code == 302
    assert len(db.session.scalars(db.select(Invitation)).all()) == 3
    assert len(outbox) == 3


def test_a_new_row_needs_both_name_and_address(client, admin, mini_v1):
    client.login(admin)
    reply = _new_round(client, mini_v1, [], closes_on="2099-06-30", **{"new-1-name": "Delta AB"})
    html = reply.get_data(as_text=True)
    assert "Enter an e-mail address." in html
    assert 'href="#new-1-email"' in html


def test_the_invited_person_creates_the_organisation_and_sees_the_round(
    client, make_client, admin, mini_v1, supplier_a, outbox
):
    client.login(admin)
    _new_round(
        client,
        mini_v1,
        [],
        opens_on="",
        closes_on="2099-06-30",
        **{
            "new-0-name": "Gamma Tech AB",
            "new-0-kind": "brand",
            "new-0-email": "gia@gamma.example",
        },
    )
    newcomer = make_client()
    link = link_in(outbox[0], "/invitation/")
    page = newcomer.get(link).get_data(as_text=True)
    assert "Gamma Tech AB" in page
    assert "Country of registration" in page
    reply = newcomer.submit(
        link, {"full_name": "Gia Gamma", "password": PASSWORD, "confirm": PASSWORD, "country": "DK"}
    )
    assert reply.headers["Location"] == "/login"
    user = db.session.scalar(db.select(User).where(User.email == "gia@gamma.example"))
    organisation = db.session.get(Organisation, user.organisation_id)
    assert (organisation.name, organisation.kind, organisation.country) == (
        "Gamma Tech AB",
        "brand",
        "DK",
    )
    assert user.role == "supplier_owner"
    assert response_of(_round(), organisation) is not None
    newcomer.login(user, password=PASSWORD)
    home = newcomer.get("/supplier").get_data(as_text=True)
    assert "Market dialogue PCs 2027" in home
    assert "Market dialogue" in home
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert {
        "round.opened",
        "invitation.sent",
        "organisation.created",
        "invitation.accepted",
    } <= set(actions)


def test_an_address_invited_to_two_rounds_joins_both_by_accepting_either(
    client, make_client, admin, mini_v1, supplier_a, outbox
):
    gamma = {
        "new-0-name": "Gamma Tech AB",
        "new-0-kind": "brand",
        "new-0-email": "gia@gamma.example",
    }
    client.login(admin)
    _new_round(client, mini_v1, [], opens_on="", closes_on="2099-06-30", **gamma)
    _new_round(
        client, mini_v1, [supplier_a], opens_on="", closes_on="2099-06-30", title="Laptops 2028"
    )
    first, second = _round(), _round("Laptops 2028")
    page = f"/admin/rounds/{second.id}"
    client.submit(f"{page}/join", gamma, page=page)
    assert len(outbox) == 2  # each round invites the address
    newcomer = make_client()
    link = link_in(outbox[0], "/invitation/")
    newcomer.submit(
        link, {"full_name": "Gia Gamma", "password": PASSWORD, "confirm": PASSWORD, "country": "DK"}
    )
    user = db.session.scalar(db.select(User).where(User.email == "gia@gamma.example"))
    organisation = db.session.get(Organisation, user.organisation_id)
    assert response_of(first, organisation) is not None
    assert response_of(second, organisation) is not None
    # The second round's page lists the organisation, no longer an invitation waiting.
    html = client.get(page).get_data(as_text=True)
    assert "Gamma Tech AB" in html
    assert "Invited, not yet in the portal" not in html


def test_before_opening_a_round_is_upcoming_and_cannot_be_started(
    client, make_client, admin, mini_v1, supplier_a, owner_a, frozen
):
    client.login(admin)
    _new_round(client, mini_v1, [supplier_a])
    response = response_of(_round(), supplier_a)
    supplier = make_client()
    supplier.login(owner_a)
    listed = supplier.get("/responses").get_data(as_text=True)
    assert "Upcoming" in listed
    assert "Market dialogue" in listed
    overview = supplier.get(f"/responses/{response.id}").get_data(as_text=True)
    assert "You can start answering then" in overview
    assert f'action="/responses/{response.id}/start"' not in overview
    reply = supplier.submit(
        f"/responses/{response.id}/start", page=f"/responses/{response.id}", follow_redirects=True
    )
    assert "The round opens on 10 Jun 2026, 09:00" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "not_started"
    frozen(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    supplier.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "draft"


@pytest.fixture
def closed(client, make_client, admin, mini_v1, supplier_a, supplier_b, owner_a, frozen):
    """A started response in a round that closed a minute ago, for supplier A."""
    client.login(admin)
    _new_round(client, mini_v1, [supplier_a, supplier_b], opens_on="")
    round_ = _round()
    response = response_of(round_, supplier_a)
    supplier = make_client()
    supplier.login(owner_a)
    supplier.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    frozen(round_.closes_at + timedelta(minutes=1))
    return round_, response, supplier


def _section(response):
    return f"/responses/{response.id}/sections/basics"


def test_after_closing_saving_autosaving_and_submitting_are_refused_clearly(closed):
    _, response, supplier = closed
    said = "The round closed on 30 Jun 2026, 16:00: answers can no longer be saved or submitted."
    saved = supplier.submit(_section(response), {"q_workers": "3"}, follow_redirects=True)
    assert said in saved.get_data(as_text=True)
    autosaved = supplier.submit(
        _section(response) + "/autosave", {"q_workers": "4"}, page=_section(response)
    )
    assert autosaved.status_code == 409
    assert said in autosaved.get_json()["error"]
    submitted = supplier.submit(
        f"/responses/{response.id}/submit", page=f"/responses/{response.id}", follow_redirects=True
    )
    assert said in submitted.get_data(as_text=True)
    assert db.session.scalar(db.select(Answer).where(Answer.response_id == response.id)) is None
    assert "(closed)" in supplier.get("/responses").get_data(as_text=True)


def test_an_admin_extends_the_deadline_for_one_organisation_with_a_reason(
    closed, client, make_client, owner_b, supplier_a, supplier_b
):
    round_, response, supplier = closed
    page = f"/admin/rounds/{round_.id}"
    missing = client.submit(
        f"/admin/rounds/{round_.id}/extend",
        {"organisation": str(supplier_a.id), "closes_on": "2026-07-07"},
        page=page,
    )
    assert missing.status_code == 422
    assert "Give the reason for the extension." in missing.get_data(as_text=True)
    reply = client.submit(
        f"/admin/rounds/{round_.id}/extend",
        {
            "organisation": str(supplier_a.id),
            "closes_on": "2026-07-07",
            "reason": "Their sustainability lead is on leave.",
        },
        page=page,
        follow_redirects=True,
    )
    assert "Alfa Data AB may now answer until 7 Jul 2026, 23:59." in reply.get_data(as_text=True)
    assert "Their sustainability lead is on leave." in reply.get_data(as_text=True)
    saved = supplier.submit(_section(response), {"q_workers": "3"})
    assert saved.status_code == 302
    assert db.session.scalar(db.select(Answer.value).where(Answer.response_id == response.id)) == 3
    listed = supplier.get("/responses").get_data(as_text=True)
    assert "7 Jul 2026, 23:59 (extended)" in listed
    # The other organisation keeps the round's closing time.
    other = make_client()
    other.login(owner_b)
    other_response = response_of(round_, supplier_b)
    assert "(closed)" in other.get("/responses").get_data(as_text=True)
    refused = other.submit(
        f"/responses/{other_response.id}/start", page=f"/responses/{other_response.id}"
    )
    assert refused.status_code == 302
    log = client.get("/admin/audit?action=round.extended").get_data(as_text=True)
    assert (
        "Ada Admin gave Alfa Data AB until 7 Jul 2026, 23:59 to answer in the round "
        "Market dialogue PCs 2027, because: Their sustainability lead is on leave."
    ) in log


def test_the_round_page_is_the_admins_only(client, owner_a, response_a):
    client.login(owner_a)
    assert client.get(f"/admin/rounds/{response_a.round_id}").status_code == 403


def _responses_in(round_) -> int:
    return db.session.scalar(
        db.select(db.func.count(Response.id)).where(Response.round_id == round_.id)
    )


def _offered(html: str, organisation) -> bool:
    """Whether the page offers the organisation to add to the round (a box to tick)."""
    return (
        re.search(rf'name="organisations" type="checkbox" value="{organisation.id}"', html)
        is not None
    )


def test_an_admin_adds_an_organisation_and_invites_a_new_one_to_an_open_round(
    client, make_client, admin, mini_v1, supplier_a, supplier_b, owner_b, frozen, outbox
):
    client.login(admin)
    _new_round(client, mini_v1, [supplier_a], opens_on="")
    round_ = _round()
    page = f"/admin/rounds/{round_.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Add organisations" in html
    # Only organisations not in the round yet are offered.
    assert _offered(html, supplier_b)
    assert not _offered(html, supplier_a)
    nothing = client.submit(f"{page}/join", {}, page=page)
    assert nothing.status_code == 422
    assert "Choose at least one organisation." in nothing.get_data(as_text=True)
    reply = client.submit(
        f"{page}/join",
        {
            "organisations": [str(supplier_b.id)],
            "new-0-name": "Gamma Tech AB",
            "new-0-kind": "brand",
            "new-0-email": "gia@gamma.example",
        },
        page=page,
        follow_redirects=True,
    )
    html = reply.get_data(as_text=True)
    assert "1 organisation was added to the round." in html
    assert "1 new organisation was invited; it joins the round when its person accepts." in html
    assert "gia@gamma.example" in html
    assert response_of(round_, supplier_b).status == "not_started"
    assert "Gamma Tech AB" in outbox[-1].get_content()
    # The organisation added finds the round as those it was opened to do.
    other = make_client()
    other.login(owner_b)
    assert "Market dialogue PCs 2027" in other.get("/responses").get_data(as_text=True)
    # Added once: offered no more, and a hand-made second time is refused.
    assert not _offered(client.get(page).get_data(as_text=True), supplier_b)
    again = client.submit(f"{page}/join", {"organisations": [str(supplier_b.id)]}, page=page)
    assert again.status_code == 422
    assert "An organisation you chose can no longer be chosen" in again.get_data(as_text=True)
    assert _responses_in(round_) == 2
    log = client.get("/admin/audit?action=round.joined").get_data(as_text=True)
    assert (
        "Ada Admin added 1 organisation and invited 1 new organisation to the round "
        "Market dialogue PCs 2027."
    ) in log


def test_no_organisation_joins_a_round_that_has_closed(closed, client):
    round_, _, _ = closed
    late = make_org(name="Late Comer AB")
    db.session.commit()
    page = f"/admin/rounds/{round_.id}"
    assert "Add organisations" not in client.get(page).get_data(as_text=True)
    reply = client.submit(f"{page}/join", {"organisations": [str(late.id)]}, page=page)
    assert reply.status_code == 422
    assert "The round has closed, so no organisation can join it." in reply.get_data(as_text=True)
    assert _responses_in(round_) == 2
