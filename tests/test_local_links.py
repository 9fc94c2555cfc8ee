"""Values a request names as where to go next (`back`, `next`) are rendered and followed only
when they are a path on this site; anything else gives way to the page's own default.

OWASP ASVS 5.0: V3.7.2 (redirects only to allowed destinations), V1.2.1 (output encoding of
URLs).
"""

import io
import re
from urllib.parse import urlencode

import pyotp
import pytest

from portal.auth.models import User
from portal.evidence.models import EvidenceDocument
from portal.extensions import db
from portal.urls import is_local
from tests.fixtures.web import DEFAULT_PASSWORD

PDF = b"%PDF-1.4\n%%EOF\n"

#: As the view receives them (after the query string is decoded) ...
HOSTILE = [
    "/\\evil.example",  # GET ...?back=/%5Cevil.example
    "//evil.example",
    "/\\\\evil",
    "https://evil.example",
    "javascript:alert(1)",
    "/\r\nX",  # ...?next=/%0D%0AX
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "\\\\evil.example",
    " //evil.example",
    # ... and encoded once more, as a link might carry them.
    "/%5Cevil.example",
    "/%0D%0AX",
    "%2F%2Fevil",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/" + "a" * 5000,
]


def _query(name: str, value: str) -> str:
    return urlencode({name: value})


@pytest.fixture
def draft_document(client, owner_a, response_a):
    """A document on a draft (so it may be removed), the owner signed in."""
    client.login(owner_a)
    client.submit(f"/responses/{response_a.id}/start", page=f"/responses/{response_a.id}")
    reply = client.submit(
        f"/responses/{response_a.id}/evidence/certificate",
        {"file": (io.BytesIO(PDF), "certificate.pdf"), "kind": "iso45001_certificate"},
    )
    assert reply.status_code == 302
    return db.session.scalar(db.select(EvidenceDocument))


@pytest.mark.parametrize("target", HOSTILE)
def test_the_remove_page_links_back_only_within_the_site(client, draft_document, target):
    url = f"/evidence/{draft_document.id}/remove?{_query('back', target)}"
    html = client.get(url).get_data(as_text=True)
    links = re.findall(r'href="([^"]*)"', html)
    assert [link for link in links if "evil" in link or "\\" in link] == []
    cancel = re.search(r'href="([^"]*)">Cancel</a>', html).group(1)
    assert cancel == "/evidence"
    reply = client.submit(url)
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/evidence"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_document_that_must_stay_sends_back_only_within_the_site(client, draft_document, target):
    response_id = draft_document.response_id
    client.submit(
        f"/responses/{response_id}/sections/basics", {"q_has_policy": "no", "q_workers": "3"}
    )
    client.submit(f"/responses/{response_id}/sections/details", {"q_methods": ["dialogue"]})
    client.submit(f"/responses/{response_id}/submit", page=f"/responses/{response_id}")
    reply = client.get(f"/evidence/{draft_document.id}/remove?{_query('back', target)}")
    assert reply.status_code == 302  # refused: a submitted response's documents stay
    assert reply.headers["Location"] == "/evidence"


@pytest.mark.parametrize("target", HOSTILE)
def test_signing_in_follows_next_only_within_the_site(client, owner_a, target):
    reply = client.submit(
        f"/login?{_query('next', target)}",
        {"email": owner_a.email, "password": DEFAULT_PASSWORD},
        page="/login",
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_second_step_of_signing_in_follows_next_only_within_the_site(client, reviewer, target):
    reply = client.submit(
        f"/login?{_query('next', target)}",
        {"email": reviewer.email, "password": DEFAULT_PASSWORD},
        page="/login",
    )
    assert reply.headers["Location"] == "/login/code"
    db.session.execute(db.update(User).where(User.id == reviewer.id).values(totp_last_step=None))
    db.session.commit()
    reply = client.submit("/login/code", {"code": pyotp.TOTP(reviewer.totp_secret).now()})
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_follows_next_only_within_the_site(client, target):
    reply = client.submit("/language", {"lang": "sv", "next": target}, page="/login")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


def test_paths_on_the_site_are_still_followed(client, make_client, owner_a, draft_document):
    back = f"/responses/{draft_document.response_id}/sections/details?x=%C3%A5#question-a"
    url = f"/evidence/{draft_document.id}/remove?{_query('back', back)}"
    assert f'href="{back}"' in client.get(url).get_data(as_text=True)
    assert client.submit(url).headers["Location"] == back
    other = make_client()
    reply = other.submit(
        "/login?next=/team/", {"email": owner_a.email, "password": DEFAULT_PASSWORD}
    )
    assert reply.headers["Location"] == "/team/"
    reply = other.submit("/language", {"lang": "sv", "next": "/team/?page=2"}, page="/team/")
    assert reply.headers["Location"] == "/team/?page=2"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_one_check_refuses_every_hostile_value(target):
    assert not is_local(target)
