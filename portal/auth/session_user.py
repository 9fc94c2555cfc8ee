"""Who is signed in, as each request sees them: what pages and services read of the account
and its organisation, from one row of plain columns. Building the ORM's objects for that row
on every signed-in request cost more than some pages' own work; what changes the account
itself (its password, second factor or language) loads the ORM object, only then
(`portal.auth.services.account_of`)."""

from dataclasses import dataclass

from portal.auth.models import SignsIn
from portal.orgs.services import OfKind
from portal.roles import HoldsRole


@dataclass(frozen=True, slots=True)
class SessionOrganisation(OfKind):
    """The signed-in user's organisation, as every page names it."""

    id: int
    kind: str
    name: str
    country: str
    is_mfa_required_for_suppliers: bool


@dataclass(frozen=True, slots=True)
class SessionUser(SignsIn, HoldsRole):
    """The signed-in user (Flask-Login's `current_user`)."""

    id: int
    organisation_id: int
    email: str
    full_name: str
    role: str
    #: Preferred interface language; None follows the browser.
    locale: str | None
    has_totp: bool
    organisation: SessionOrganisation
    #: The raw token of the session this request runs in.
    session_token: str

    @property
    def is_active(self) -> bool:
        return True  # only an active account's session is loaded
