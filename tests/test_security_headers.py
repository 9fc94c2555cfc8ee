"""Response headers, CSRF, and error pages that never show a stack trace.

OWASP ASVS 5.0: V3.4.1 (HSTS), V3.4.3 (CSP), V3.4.4 (nosniff), V3.4.5 (Referrer-Policy),
V3.4.6 (frame-ancestors), V3.5.1 (anti-forgery tokens), V14.3.2 (no caching of pages
behind the log-in), V16.5.1 (generic error messages, no internals).
"""

import pytest
from flask import abort

from portal.security import CSP
from tests.fixtures.database import make_app
from tests.fixtures.web import csrf_token_from


def test_every_page_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # development and tests


def test_a_view_cannot_loosen_the_headers_and_each_is_sent_once(app):
    """A view that sets a header the portal sets gets the portal's, once; one that brings
    its own Content-Security-Policy (as downloads do) keeps it."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def loose():
        return "x", 200, {"Cache-Control": "public, max-age=600", "X-Frame-Options": "ALLOW"}

    def sandboxed():
        return "x", 200, {"Content-Security-Policy": "sandbox"}

    for view in (loose, sandboxed):
        view.access = frozenset({"anonymous"})
        other.add_url_rule(f"/{view.__name__}", view.__name__, view)
    response = other.test_client().get("/loose")
    assert response.headers.getlist("Cache-Control") == ["no-store"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert response.headers.getlist("Content-Security-Policy") == [CSP]
    response = other.test_client().get("/sandboxed")
    assert response.headers.getlist("Content-Security-Policy") == ["sandbox"]
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_behind_the_login_are_not_cached(client, owner_a):
    client.login(owner_a)
    assert client.get("/account/").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_hsts_outside_development(app):
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], HSTS=True)
    response = other.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_inline_script_in_pages(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html
    assert "onclick" not in html
    assert "style=" not in html


def test_a_post_without_csrf_token_is_refused(client, owner_a):
    client.login(owner_a)
    response = client.post(
        "/team/invite", data={"email": "x@example.com", "role": "supplier_member"}
    )
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_a_token_from_another_session_is_refused(client, make_client, owner_a):
    other = make_client()
    token_page = other.get("/login").get_data(as_text=True)
    client.login(owner_a)
    response = client.post(
        "/team/invite",
        data={
            "csrf_token": csrf_token_from(token_page),
            "email": "x@example.com",
            "role": "supplier_member",
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "method", "status", "title"),
    [
        ("/no-such-page", "get", 404, "Page not found"),
        ("/logout", "get", 405, "That action is not possible here"),
        ("/admin/organisations/abc", "get", 404, "Page not found"),
    ],
)
def test_friendly_error_pages(client, path, method, status, title):
    response = getattr(client, method)(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in html
    assert 'href="#main"' in html  # the normal layout, with its skip link


def test_forbidden_page(client, owner_a):
    client.login(owner_a)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_too_large_a_request_gets_a_friendly_413(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_MAX_BYTES", 1000)
    response = client.post("/accessibility", data={"description": "x" * 5000})
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_too_many_requests_gets_a_friendly_429(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_RATE_LIMIT", "2 per minute")
    for _ in range(2):
        client.submit("/password/forgot", {"email": "a@example.com"})
    response = client.submit("/password/forgot", {"email": "a@example.com"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_no_internals(app, caplog):
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    explode.access = frozenset({"anonymous"})
    other.add_url_rule("/explode", "explode", explode)
    response = other.test_client().get("/explode", headers={"Accept-Language": "sv"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "hunter2" not in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    assert "Error code 500" in html or "Felkod 500" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CSP
    assert "secret internals" in caplog.text  # logged for the operator


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (409, "This has changed in the meantime"),
        (410, "The request could not be understood"),  # no texts of its own: a client's error
        (503, "Something went wrong on our side"),
    ],
)
def test_an_error_keeps_its_code_and_says_what_it_is(app, status, title):
    """A refusal the portal has no texts for is still the client's error it is, not a
    server error: the code is kept and the page says what kind it is."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def refuse():
        abort(status)

    refuse.access = frozenset({"anonymous"})
    other.add_url_rule("/refuse", "refuse", refuse)
    response = other.test_client().get("/refuse", headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in response.get_data(as_text=True)


def test_error_pages_in_swedish(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "sv"})
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "Page not found" not in html
