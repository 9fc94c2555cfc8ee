"""Every endpoint declares who may use it, and the declaration holds for every role.

OWASP ASVS 5.0 V8.2.1 (function-level access), V8.2.2 (data-specific access: supplier B
asking for supplier A's objects gets 404), V8.3.1 (enforced on the server).
"""

import pytest

from portal.access import ANONYMOUS, SIGNED_IN, declared_access
from tests.fixtures.database import make_app
from tests.fixtures.web import csrf_token_from
from tests.fixtures.world import ROLES, SUPPLIER_A_OBJECTS


def _endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule


def test_every_endpoint_declares_its_audience(app):
    with app.test_request_context():
        missing = [
            rule.endpoint for rule in _endpoints(app) if declared_access(rule.endpoint) is None
        ]
    assert missing == [], f"endpoints without @allow(...): {missing}"


def test_an_undeclared_endpoint_is_refused(app, client):
    """Fail closed: a route added without a declaration answers 403, even to anonymous."""
    # A throwaway app shares the access hook, so add a rule to a fresh one.
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    other.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = other.test_client().get("/undeclared")
    assert response.status_code == 403
    assert b"secret" not in response.data


def _role_of(who: str, world) -> str | None:
    return None if who == "anonymous" else world.users[who].role


def _expectation(audience: frozenset, role: str | None, has_object: bool, who: str) -> str:
    if ANONYMOUS in audience:
        return "allowed"
    if role is None:
        return "login"
    if SIGNED_IN in audience or role in audience:
        # Supplier B reaching supplier A's objects must learn nothing: 404.
        if who == "other_supplier" and has_object:
            return "not found"
        return "allowed"
    return "forbidden"


@pytest.mark.parametrize("who", ROLES)
def test_each_role_gets_what_each_endpoint_declares(app, make_client, world, who):
    failures = []
    for rule in _endpoints(app):
        client = make_client()
        if who != "anonymous":
            client.login(world.users[who])
        token = csrf_token_from(client.get("/accessibility").get_data(as_text=True))
        args = world.args_for(rule.endpoint)
        url = rule.build({arg: args[arg] for arg in rule.arguments}, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        with app.test_request_context():
            audience = declared_access(rule.endpoint)
        expected = _expectation(
            audience, _role_of(who, world), bool(SUPPLIER_A_OBJECTS & set(rule.arguments)), who
        )
        status, location = response.status_code, response.headers.get("Location", "")
        to_login = status == 302 and location.startswith("/login")
        ok = {
            "login": to_login,
            "forbidden": status == 403,
            "not found": status == 404,
            # Public pages may redirect to the log-in page (the start page does), and so
            # does signing out.
            "allowed": status < 500
            and status not in (401, 403)
            and (ANONYMOUS in audience or rule.endpoint == "auth.logout" or not to_login),
        }[expected]
        if not ok:
            failures.append(
                f"{method} {url} ({rule.endpoint}): expected {expected}, got {status} {location}"
            )
    assert failures == [], "\n".join(failures)
