"""Which supplier organisations a round is opened to, when there are too many to list: the
round form and a round's "Add organisations" list the ticked ones and those a search finds,
keep what was typed and ticked through each search, and stay small with 10,000. A round of
10,000 organisations lists them a page at a time, searched by name, and any of them can be
given more time."""

import re

import pytest
from sqlalchemy import insert

from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires import services
from portal.questionnaires.models import Response, Round, RoundExtension
from tests.fixtures.builders import make_org

MAX_PAGE_BYTES = 300_000
TITLE = "Market dialogue PCs 2027"


def _offered(html: str) -> list[str]:
    """The names of the organisations the page offers to tick, in order."""
    return re.findall(
        r'name="organisations" type="checkbox" value="\d+"> <label[^>]*>([^<]+)<', html
    )


def _ticked(html: str) -> list[str]:
    return re.findall(r'checked id="organisations-\d+" name="organisations"', html)


def _round_fields(version, organisations, **fields) -> dict:
    """The round form's fields, the organisations ticked (their ids as sent) included."""
    return {
        "kind": "market_dialogue",
        "title": TITLE,
        "version": str(version.id),
        "closes_on": "2099-06-30",
        "organisations": [o if isinstance(o, str) else str(o.id) for o in organisations],
        "reminder_days": "10, 3",
        **fields,
    }


@pytest.fixture
def few_listed(monkeypatch):
    """Lists of up to 3 organisations in whole; a search shows 2."""
    monkeypatch.setattr(services, "ALL_ORGANISATIONS_UP_TO", 3)
    monkeypatch.setattr(services, "ORGANISATIONS_FOUND", 2)


@pytest.fixture
def five(app):
    names = ["Alfa AB", "Bravo AB", "Charlie AB", "Delta 50% AB", "Echo AB"]
    made = {name.split()[0].lower(): make_org(OrgKind.RESELLER, name=name) for name in names}
    db.session.commit()
    return made


def test_up_to_the_limit_every_organisation_is_listed_without_a_search(
    client, admin, mini_v1, five
):
    client.login(admin)
    html = client.get("/admin/rounds/new").get_data(as_text=True)
    assert _offered(html) == ["Alfa AB", "Bravo AB", "Charlie AB", "Delta 50% AB", "Echo AB"]
    assert 'name="find"' not in html


def test_a_long_list_is_searched_and_keeps_what_was_typed_and_ticked(
    client, admin, mini_v1, five, few_listed
):
    client.login(admin)
    html = client.get("/admin/rounds/new").get_data(as_text=True)
    assert _offered(html) == ["Alfa AB", "Bravo AB"]
    assert "2 of 5 organisations are shown." in html
    assert "Find organisations by name" in html

    # Alfa ticked, the title typed, then a search: nothing is saved and nothing is lost.
    fields = _round_fields(mini_v1, [five["alfa"]], action="find", find=" 50% ")
    found = client.submit("/admin/rounds/new", fields)
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert _offered(html) == ["Alfa AB", "Delta 50% AB"]
    assert len(_ticked(html)) == 1
    assert "1 of 1 organisation is shown." in html
    assert f'value="{TITLE}"' in html
    assert 'value="50%"' in html
    assert "There is a problem" not in html
    assert db.session.scalar(db.select(db.func.count(Round.id))) == 0

    nothing = client.submit(
        "/admin/rounds/new", _round_fields(mini_v1, [], action="find", find="zulu")
    )
    assert "No organisations match." in nothing.get_data(as_text=True)

    opened = client.submit(
        "/admin/rounds/new", _round_fields(mini_v1, [five["alfa"], five["delta"]])
    )
    assert opened.status_code == 302
    round_ = db.session.scalar(db.select(Round).where(Round.title == TITLE))
    invited = db.session.scalars(
        db.select(Organisation.name)
        .join(Response, Response.organisation_id == Organisation.id)
        .where(Response.round_id == round_.id)
        .order_by(Organisation.name)
    ).all()
    assert invited == ["Alfa AB", "Delta 50% AB"]


def test_an_organisation_that_cannot_be_chosen_is_refused_whatever_the_search(
    client, admin, mini_v1, five, few_listed
):
    client.login(admin)
    for ticked in (
        [str(admin.organisation_id)],
        ["x"],
        ["99999999999"],
        ["0"],
        [five["echo"], "-1"],
    ):
        reply = client.submit("/admin/rounds/new", _round_fields(mini_v1, ticked))
        assert reply.status_code == 200, ticked
        assert "An organisation you chose can no longer be chosen" in reply.get_data(as_text=True)
    assert "An organisation you chose can no longer be chosen" in reply.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Round.id))) == 0


def test_adding_to_a_round_searches_only_the_organisations_not_in_it(
    client, admin, mini_v1, five, few_listed, monkeypatch
):
    monkeypatch.setattr(services, "ALL_ORGANISATIONS_UP_TO", 2)
    client.login(admin)
    client.submit("/admin/rounds/new", _round_fields(mini_v1, [five["alfa"], five["bravo"]]))
    round_ = db.session.scalar(db.select(Round).where(Round.title == TITLE))
    page = f"/admin/rounds/{round_.id}"
    html = client.get(page).get_data(as_text=True)
    assert _offered(html) == ["Charlie AB", "Delta 50% AB"]
    assert "2 of 3 organisations are shown." in html

    found = client.submit(f"{page}/join", {"action": "find", "find": "ECHO"}, page=page)
    assert found.status_code == 200
    assert _offered(found.get_data(as_text=True)) == ["Echo AB"]
    inside = client.submit(f"{page}/join", {"action": "find", "find": "alfa"}, page=page)
    assert "No organisations match." in inside.get_data(as_text=True)

    added = client.submit(
        f"{page}/join", {"organisations": [str(five["echo"].id)]}, page=page, follow_redirects=True
    )
    assert "1 organisation was added to the round." in added.get_data(as_text=True)
    assert (
        db.session.scalar(
            db.select(db.func.count(Response.id)).where(Response.round_id == round_.id)
        )
        == 3
    )


def test_with_10000_organisations_the_round_pages_stay_small_in_a_fixed_number_of_queries(
    client, admin, mini_v1, five, count_queries
):
    client.login(admin)
    client.submit("/admin/rounds/new", _round_fields(mini_v1, [five["alfa"]]))
    round_ = db.session.scalar(db.select(Round).where(Round.title == TITLE))
    pages = ["/admin/rounds/new", f"/admin/rounds/{round_.id}"]
    few = {}
    for url in pages:
        with count_queries() as counter:
            client.get(url)
        few[url] = counter.count
    db.session.execute(
        insert(Organisation),
        [
            {
                "kind": OrgKind.BRAND.value,
                "name": f"Supplier {n:05d} AB",
                "country": "SE",
                "contact_email": f"info{n}@supplier.example",
            }
            for n in range(10_000)
        ],
    )
    db.session.commit()
    for url in pages:
        with count_queries() as counter:
            reply = client.get(url)
        html = reply.get_data(as_text=True)
        assert reply.status_code == 200
        assert len(reply.data) < MAX_PAGE_BYTES, (url, len(reply.data))
        assert len(_offered(html)) == services.ORGANISATIONS_FOUND
        # Counting the organisations is one more query than listing a short list whole.
        assert counter.count <= few[url] + 2, (url, counter.statements)
    found = client.submit(
        "/admin/rounds/new",
        _round_fields(mini_v1, [five["echo"]], action="find", find="supplier 0999"),
    )
    html = found.get_data(as_text=True)
    assert _offered(html)[0] == "Echo AB"
    assert _offered(html)[1:] == [f"Supplier {n:05d} AB" for n in range(9990, 10_000)]


def _insert_suppliers(count: int) -> list[int]:
    db.session.execute(
        insert(Organisation),
        [
            {
                "kind": OrgKind.RESELLER.value,
                "name": f"Member {n:05d} AB",
                "country": "SE",
                "contact_email": f"info{n}@member.example",
            }
            for n in range(count)
        ],
    )
    return list(
        db.session.scalars(
            db.select(Organisation.id)
            .where(Organisation.name.like("Member %"))
            .order_by(Organisation.name)
        )
    )


def test_a_round_of_10000_organisations_is_listed_a_page_at_a_time_and_any_gets_more_time(
    client, admin, mini_v1, five, count_queries
):
    client.login(admin)
    client.submit("/admin/rounds/new", _round_fields(mini_v1, [five["alfa"]]))
    round_ = db.session.scalar(db.select(Round).where(Round.title == TITLE))
    page = f"/admin/rounds/{round_.id}"
    with count_queries() as counter:
        client.get(page)
    few = counter.count
    members = _insert_suppliers(10_000)
    db.session.execute(
        insert(Response),
        [{"round_id": round_.id, "organisation_id": i, "version_id": mini_v1.id} for i in members],
    )
    db.session.commit()

    with count_queries() as counter:
        reply = client.get(page)
    html = reply.get_data(as_text=True)
    assert len(reply.data) < MAX_PAGE_BYTES, len(reply.data)
    assert counter.count <= few + 1, counter.statements
    assert "Showing 1–50 of 10,001" in html
    assert html.count('<th scope="row">') == services.ROUND_ORGANISATIONS_PER_PAGE
    assert "One of those listed above: search or page the list to choose another." in html
    later = client.get(f"{page}?page=3").get_data(as_text=True)
    assert '<th scope="row">Member 00099 AB</th>' in later
    found = client.get(f"{page}?q=member+0999").get_data(as_text=True)
    assert re.findall(r'<th scope="row">([^<]+)</th>', found) == [
        f"Member {n:05d} AB" for n in range(9990, 10_000)
    ]
    assert f'<option value="{members[9990]}">Member 09990 AB</option>' in found

    # An organisation on no page shown can be given more time; one outside the round not.
    outside = five["bravo"].id
    refused = client.submit(
        f"{page}/extend",
        {"organisation": str(outside), "closes_on": "2027-07-07", "reason": "Asked."},
        page=page,
    )
    assert refused.status_code == 422
    given = client.submit(
        f"{page}/extend",
        {"organisation": str(members[7_000]), "closes_on": "2027-07-07", "reason": "Asked."},
        page=page,
        follow_redirects=True,
    )
    assert "Member 07000 AB may now answer until 7 Jul 2027, 23:59." in given.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(RoundExtension.id))) == 1
