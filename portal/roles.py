"""The roles a user can hold: who works for the buyer and who for a supplier."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    BUYER_ADMIN = "buyer_admin"
    REVIEWER = "reviewer"
    SUPPLIER_OWNER = "supplier_owner"
    SUPPLIER_MEMBER = "supplier_member"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_buyer_staff(self) -> bool:
        return self in BUYER_ROLES


ROLE_LABELS = {
    Role.BUYER_ADMIN: _l("Buyer administrator"),
    Role.REVIEWER: _l("Reviewer"),
    Role.SUPPLIER_OWNER: _l("Supplier owner"),
    Role.SUPPLIER_MEMBER: _l("Supplier member"),
}
BUYER_ROLES = (Role.BUYER_ADMIN, Role.REVIEWER)
SUPPLIER_ROLES = (Role.SUPPLIER_OWNER, Role.SUPPLIER_MEMBER)
#: Roles that may never sign in without a second factor (the buyer can require it of
#: supplier users too: portal.auth.services.two_factor_required).
MFA_REQUIRED_ROLES = BUYER_ROLES


class HoldsRole:
    """What an account's role means, for anything with a `role` (the account itself, and
    the signed-in user as each request sees them)."""

    __slots__ = ()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_buyer_staff(self) -> bool:
        return self.role in BUYER_ROLES

    @property
    def is_supplier(self) -> bool:
        return self.role in SUPPLIER_ROLES

    @property
    def requires_mfa(self) -> bool:
        return self.role in MFA_REQUIRED_ROLES
