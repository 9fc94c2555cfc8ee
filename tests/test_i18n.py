"""Swedish and English: every string translated, the language chosen and remembered."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from portal.auth.models import User
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def test_the_swedish_catalogue_has_every_string(tmp_path):
    """Extracts the strings the code marks today and checks each has a Swedish translation."""
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with CATALOGUE.open("rb") as handle:
        swedish = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in swedish
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(wanted - translated)
    assert missing == [], "not translated to Swedish:\n" + "\n".join(missing)
    assert len(wanted) > 200


def test_the_browser_language_is_used(client):
    sv = client.get("/login", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert '<html lang="sv">' in sv.get_data(as_text=True)
    assert "Logga in" in sv.get_data(as_text=True)
    en = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in en.get_data(as_text=True)


def test_swedish_is_the_default(client):
    response = client.get("/login", headers={"Accept-Language": "de"})
    assert '<html lang="sv">' in response.get_data(as_text=True)


def test_the_switch_is_remembered_for_anonymous_visitors(client):
    response = client.submit("/language", {"lang": "sv", "next": "/accessibility"}, page="/login")
    assert response.headers["Location"] == "/accessibility"
    assert "lang=sv" in response.headers["Set-Cookie"]
    assert '<html lang="sv">' in client.get("/login").get_data(as_text=True)


def test_the_switch_is_saved_on_the_account(client, make_client, owner_a):
    client.login(owner_a)
    client.submit("/language", {"lang": "sv", "next": "/account/"}, page="/account/")
    assert db.session.get(User, owner_a.id).locale == "sv"
    elsewhere = make_client()  # another browser that asks for English
    elsewhere.login(owner_a)
    assert '<html lang="sv">' in elsewhere.get("/account/").get_data(as_text=True)


def test_the_switch_never_redirects_off_site(client):
    response = client.submit(
        "/language", {"lang": "en", "next": "https://evil.example/"}, page="/login"
    )
    assert response.headers["Location"] == "/"


def test_mail_goes_out_in_the_recipients_language(client, owner_a, outbox, app_context):
    owner_a.locale = "sv"
    db.session.commit()
    client.submit("/password/forgot", {"email": owner_a.email})
    assert "lösenord" in outbox[0]["Subject"].lower()


def test_an_invitation_is_written_in_both_languages(client, owner_a, outbox):
    client.login(owner_a)
    client.submit(
        "/team/invite", {"email": "new@alfa.example", "role": "supplier_member"}, page="/team/"
    )
    body = outbox[0].get_content()
    assert "Skapa ditt konto" in body or "har bjudit in dig" in body
    assert "has invited you" in body
    assert " / " in outbox[0]["Subject"]


def test_a_reset_mail_follows_the_language_in_use_when_none_was_chosen(client, owner_a, outbox):
    client.submit("/password/forgot", {"email": owner_a.email}, headers={"Accept-Language": "en"})
    assert "Reset your password" in outbox[0]["Subject"]
