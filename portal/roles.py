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
