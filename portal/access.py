"""Who may use each endpoint.

Every view declares its audience with `@allow(...)`. A before-request hook enforces the
declaration, and a test walks the URL map so that no endpoint can be added without one.
Object-level checks (a supplier only ever reaches its own organisation's rows) live in the
services, which answer 404 for anything outside the user's organisation.
"""

from collections.abc import Callable

from flask import abort, current_app, request
from flask_login import current_user

from portal.extensions import login_manager
from portal.roles import BUYER_ROLES, SUPPLIER_ROLES, Role

#: Anyone, signed in or not.
ANONYMOUS = "anonymous"
#: Any signed-in user, whatever the role.
SIGNED_IN = "signed_in"

BUYER_STAFF = tuple(BUYER_ROLES)
SUPPLIERS = tuple(SUPPLIER_ROLES)
BUYER_ADMIN = (Role.BUYER_ADMIN,)
SUPPLIER_OWNER = (Role.SUPPLIER_OWNER,)

_VALID = {ANONYMOUS, SIGNED_IN, *(r.value for r in Role)}


def allow(*audiences) -> Callable:
    """Declare who may call the decorated view: ANONYMOUS, SIGNED_IN, or roles."""
    flat = set()
    for audience in audiences:
        if isinstance(audience, tuple | list):
            flat.update(str(a) for a in audience)
        else:
            flat.add(str(audience))
    unknown = flat - _VALID
    if unknown or not flat:
        raise ValueError(f"unknown audience {unknown or 'none'}")

    def decorate(view: Callable) -> Callable:
        view.access = frozenset(flat)
        return view

    return decorate


def declared_access(endpoint: str) -> frozenset | None:
    """The audience declared for an endpoint, or None when it declares nothing."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_access():
    """Before every request: refuse callers outside the endpoint's declared audience."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None  # routing failed (404/405 follow) or a static file
    audience = declared_access(endpoint)
    if audience is None:
        # Fail closed; tests/test_access.py makes sure this never happens in practice.
        abort(403)
    if ANONYMOUS in audience:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if SIGNED_IN in audience or current_user.role in audience:
        return None
    abort(403)
    return None
