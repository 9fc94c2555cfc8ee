"""What every page does before its own work: who is signed in (one query, no writes), the
session cookie, the main menu and the layout's texts."""

import re

import itsdangerous.timed
import pytest
from flask import render_template_string
from flask_babel import force_locale

from portal.access import SIGNED_IN, declared_access
from portal.current import ACCOUNT_LINK, MENUS
from portal.extensions import db
from portal.roles import Role

COOKIE = "portal_session"


def _statements(count_queries, client, path):
    client.get(path)  # anything done once (a first CSRF token) is not counted
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.statements


def test_a_signed_in_page_asks_the_database_once_and_writes_nothing(client, owner_a, count_queries):
    """The session record, the user and the organisation the header names: one SELECT."""
    client.login(owner_a)
    statements = _statements(count_queries, client, "/accessibility")
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("SELECT")
    assert "user_sessions" in statements[0]


def test_an_anonymous_page_asks_the_database_nothing(client, count_queries):
    assert _statements(count_queries, client, "/accessibility") == []


def _sets_cookie(response) -> bool:
    return any(c.startswith(COOKIE + "=") for c in response.headers.getlist("Set-Cookie"))


def _later(monkeypatch, seconds):
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + seconds)


def test_the_session_cookie_is_sent_again_at_most_once_a_minute(client, owner_a, monkeypatch):
    client.login(owner_a)
    client.get("/account/")  # shows (and so removes from the session) any message
    again = client.get("/account/")
    assert again.status_code == 200
    assert not _sets_cookie(again)  # signed a moment ago
    _later(monkeypatch, 61)
    assert _sets_cookie(client.get("/account/"))


def test_an_idle_session_ends_at_the_latest_when_the_idle_time_has_passed(
    client, owner_a, monkeypatch, app
):
    """Requests within a minute of the cookie's signature do not restart the idle timer, so
    a session ends up to a minute before the idle time after the last request, never
    after it."""
    client.login(owner_a)
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    _later(monkeypatch, 30)
    assert client.get("/account/").status_code == 200
    _later(monkeypatch, idle + 1)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_changed_session_is_sent_at_once(client, owner_a):
    client.login(owner_a)
    response = client.submit("/language", {"lang": "sv", "next": "/account/"}, page="/account/")
    assert _sets_cookie(response)


@pytest.mark.parametrize("role", list(Role))
def test_each_menu_leads_only_to_pages_its_role_may_open(app, role):
    with app.app_context():
        for endpoint, _label in (*MENUS[role], ACCOUNT_LINK):
            audience = declared_access(endpoint)
            assert audience is not None, endpoint
            assert SIGNED_IN in audience or role.value in audience, endpoint


def _menu(html):
    nav = re.search(r'<nav class="wrapper main-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)


def test_the_menu_of_a_reviewer_marks_the_page_they_are_on(client, reviewer):
    client.login(reviewer)
    menu = _menu(client.get("/review/queue").get_data(as_text=True))
    assert [label for _href, _here, label in menu] == [
        "Review",
        "Suppliers",
        "Factories",
        "Expiring evidence",
        "Ladder",
        "Market maturity",
        "Contracts",
        "Findings",
        "Audit selection",
        "My account",
    ]
    assert [label for _href, here, label in menu if here] == ["Review"]
    assert {label: href for href, _here, label in menu}["My account"] == "/account/"


def test_the_menu_speaks_the_users_language(client, owner_a, app_context):
    owner_a.locale = "sv"
    db.session.commit()
    client.login(owner_a)
    menu = _menu(client.get("/account/").get_data(as_text=True))
    assert [label for _href, _here, label in menu][-1] == "Mitt konto"
    assert [label for _href, here, label in menu if here] == ["Mitt konto"]
    anonymous_page = client.get("/accessibility", headers={"Accept-Language": "en"})
    assert "Mitt konto" in anonymous_page.get_data(as_text=True)  # the account's choice wins


def test_texts_in_templates_follow_a_language_forced_during_the_request(app):
    """A mail in the recipient's language, from a page in another."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
        with force_locale("sv"):
            assert render_template_string("{{ _('Sign out') }}") == "Logga ut"
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"


def test_wtforms_own_messages_are_in_the_pages_language(client, admin, owner_a, app_context):
    admin.locale = "sv"
    db.session.commit()
    client.login(admin)
    page = f"/admin/users/{owner_a.id}"
    reply = client.submit(page, {"full_name": "Anna Owner", "role": "no_such_role"})
    assert "Inte ett giltigt val" in reply.get_data(as_text=True)


def test_the_layouts_links_follow_where_the_portal_is_served(client, owner_a):
    """Built once per process, but for each path the portal is served under."""
    client.login(owner_a)
    mounted = client.get("/account/", environ_overrides={"SCRIPT_NAME": "/portal"})
    html = mounted.get_data(as_text=True)
    assert 'href="/portal/static/css/portal.css"' in html
    assert ("/portal/account/", ' aria-current="page"', "My account") in _menu(html)
    html = client.get("/account/").get_data(as_text=True)
    assert 'href="/static/css/portal.css"' in html
    assert ("/account/", ' aria-current="page"', "My account") in _menu(html)
