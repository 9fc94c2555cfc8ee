"""Dates and times as people read them: one format per language, in Stockholm time, on pages,
in messages and in mail; ISO 8601 only in exports and in the values of date fields."""

import re
from datetime import UTC, date, datetime

import pytest

from portal.evidence import services as evidence_services
from portal.extensions import db
from portal.ladder import services as ladder_services
from tests.fixtures.builders import make_document, make_factory, make_round

#: What must never reach a person: an ISO timestamp, a UTC offset, or an ISO date.
ISO = re.compile(r"\d{4}-\d\d-\d\dT|[+-]\d\d:\d\d\b|\b\d{4}-\d\d-\d\d\b")

#: 30 November 2026 at 22:59 UTC is 23:59 in Stockholm (winter time).
CLOSES_AT = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)

EXPECTED = {
    "en": {
        "closes": "30 Nov 2026, 23:59",
        "as_of": "15 Jan 2025",
        "entered": "1 Jun 2024",
        "valid_until": "31 May 2027",
        "marked_on": "1 Mar 2025",
        "left_on": "30 Jun 2025",
    },
    "sv": {
        "closes": "30 nov. 2026, 23:59",
        "as_of": "15 jan. 2025",
        "entered": "1 juni 2024",
        "valid_until": "31 maj 2027",
        "marked_on": "1 mars 2025",
        "left_on": "30 juni 2025",
    },
}


def _shown(html: str) -> str:
    """The page without the values of its fields and the addresses of its links: a date
    field's value stays ISO, which is what the browser's date input reads and sends, and so
    does a link that keeps that field's value in its query string."""
    return re.sub(r'\s(?:value|href)="[^"]*"', "", html)


def _page(client, url: str, lang: str) -> str:
    reply = client.get(url, headers={"Accept-Language": lang})
    assert reply.status_code == 200, url
    html = reply.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    return _shown(html)


@pytest.fixture
def dated(app, mini_v1, supplier_a, admin, reviewer, tmp_path, monkeypatch):
    """A round closing at a known moment, a factory list, a certificate and a ladder mark."""
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE_URL", f"file://{tmp_path / 'evidence'}")
    round_ = make_round(mini_v1, [supplier_a], opened_by=admin, title="Market dialogue 2027")
    round_.closes_at = CLOSES_AT
    factory = make_factory(supplier_a, name="Shenzhen Works", entered_on=date(2024, 6, 1))
    make_document(
        supplier_a,
        factory=factory,
        filename="iso45001.pdf",
        kind="iso45001_certificate",
        valid_until=date(2027, 5, 31),
    )
    ladder_services.publish(1)
    ladder_services.mark(
        supplier_a, "policy_communicated", "partly", date(2025, 3, 1), None, "Seen.", "", reviewer
    )
    db.session.commit()
    return round_


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_supplier_pages_show_dates_in_the_pages_language(client, dated, owner_a, lang):
    client.login(owner_a)
    expected = EXPECTED[lang]
    pages = {
        "/responses": [expected["closes"]],
        "/factories?on=2025-01-15": [expected["as_of"], expected["entered"]],
        "/evidence": [expected["valid_until"]],
        "/ladder": [expected["marked_on"]],
    }
    for url, dates in pages.items():
        html = _page(client, url, lang)
        for shown in dates:
            assert shown in html, (url, shown)
        assert not ISO.search(html), (url, ISO.search(html))


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_staff_pages_show_dates_in_the_pages_language(client, dated, admin, lang):
    client.login(admin)
    expected = EXPECTED[lang]
    ladder = _page(client, "/review/ladder", lang)
    assert expected["marked_on"] in ladder
    audit = _page(client, "/admin/audit", lang)
    assert expected["marked_on"] in audit  # the mark, in words, with its date
    for html in (ladder, audit):
        assert not ISO.search(html), ISO.search(html)
    rounds = _page(client, "/admin/rounds", lang)
    assert expected["closes"] in rounds
    assert not ISO.search(rounds)


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_a_confirmation_message_shows_the_date_in_the_pages_language(
    client, dated, owner_a, supplier_a, lang
):
    factory = make_factory(supplier_a, name="Leaving Works", entered_on=date(2024, 1, 1))
    client.login(owner_a)
    reply = client.submit(
        f"/factories/{factory.id}/end",
        {"left_on": "2025-06-30"},
        page=f"/factories/{factory.id}/edit",
        headers={"Accept-Language": lang},
        follow_redirects=True,
    )
    html = _shown(reply.get_data(as_text=True))
    left = EXPECTED[lang]["left_on"]
    said = "finns inte med i listan från och med" if lang == "sv" else "has left the list from"
    assert f"Leaving Works {said} {left}" in html
    assert not ISO.search(html)


def test_mail_shows_dates_in_each_of_its_languages(app_context, dated, owner_a, outbox):
    sent = evidence_services.remind(today=date(2027, 4, 15))
    assert sent == 1
    body = outbox[-1].get_content()
    swedish, english = body.split("— English below —")
    assert EXPECTED["sv"]["valid_until"] in swedish
    assert EXPECTED["en"]["valid_until"] in english
    assert not ISO.search(body)


def test_an_invitation_mail_gives_its_deadline_in_both_languages(client, owner_a, outbox):
    client.login(owner_a)
    client.submit(
        "/team/invite", {"email": "new@alfa.example", "role": "supplier_member"}, page="/team/"
    )
    body = outbox[-1].get_content()
    swedish, english = body.split("— English below —")
    assert re.search(r"\d{1,2} [a-zåäö]{3,4}\.? \d{4}, \d\d:\d\d", swedish)
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", english)
    assert not ISO.search(body)


def test_exports_keep_iso_dates(client, dated, owner_a):
    client.login(owner_a)
    csv_text = client.get("/factories/export.csv").get_data(as_text=True)
    assert "2024-06-01" in csv_text
