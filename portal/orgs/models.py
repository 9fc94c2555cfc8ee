"""Organisations: the buyer, and the supplier organisations (resellers and brands)."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow


class OrgKind(StrEnum):
    BUYER = "buyer"
    RESELLER = "reseller"
    BRAND = "brand"


SUPPLIER_KINDS = (OrgKind.RESELLER, OrgKind.BRAND)

KIND_LABELS = {
    OrgKind.BUYER: _l("Buyer"),
    OrgKind.RESELLER: _l("Reseller"),
    OrgKind.BRAND: _l("Brand"),
}


class OfKind:
    """What an organisation's kind means, for anything with a `kind` (the organisation
    itself, and the signed-in user's as each request sees it)."""

    __slots__ = ()

    @property
    def is_buyer(self) -> bool:
        return self.kind == OrgKind.BUYER

    @property
    def is_supplier(self) -> bool:
        return self.kind in SUPPLIER_KINDS


class Organisation(db.Model, OfKind):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('buyer', 'reseller', 'brand')", name="kind_known"),
        CheckConstraint("length(country) = 2", name="country_alpha2"),
        CheckConstraint(
            "kind = 'buyer' OR NOT is_mfa_required_for_suppliers", name="mfa_policy_buyer_only"
        ),
        db.UniqueConstraint("org_number", name="uq_organisations_org_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    #: Swedish organisation number, normalised as NNNNNN-NNNN; empty for foreign companies.
    org_number: Mapped[str | None] = mapped_column(String(11))
    #: ISO 3166-1 alpha-2 code of the country of registration.
    country: Mapped[str] = mapped_column(String(2))
    contact_email: Mapped[str] = mapped_column(String(254))
    #: Set by a buyer admin on the buyer organisation: every supplier user must sign in with
    #: a second factor (off by default; see README, "Two-factor sign-in").
    is_mfa_required_for_suppliers: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Incremented on every update; a stale edit form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
