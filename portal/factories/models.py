"""The factory register: the factories behind the products a supplier sells to the buyer."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # the register builds on organisations and accounts; SQLAlchemy finds them
    from portal.auth.services import User
    from portal.orgs.services import Organisation


class Factory(db.Model):
    __tablename__ = "factories"
    __table_args__ = (
        CheckConstraint("role IN ('final_assembly', 'main_component')", name="role_known"),
        CheckConstraint("length(country) = 2", name="country_alpha2"),
        CheckConstraint("left_on IS NULL OR left_on >= entered_on", name="left_after_entered"),
        CheckConstraint(
            "workers_max IS NULL OR workers_min IS NULL OR workers_max >= workers_min",
            name="workers_range",
        ),
        CheckConstraint("women_percent BETWEEN 0 AND 100", name="women_percent_range"),
        CheckConstraint("migrant_percent BETWEEN 0 AND 100", name="migrant_percent_range"),
        CheckConstraint("agency_percent BETWEEN 0 AND 100", name="agency_percent_range"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        # Only a main-component factory supplies another factory or a brand.
        CheckConstraint(
            "role = 'main_component' OR (supplies_factory_id IS NULL AND supplies_brand IS NULL)",
            name="supplies_main_component",
        ),
        # The lists read a page in the order of these instead of sorting every factory first
        # (lists.factory_table, lists.register_page), and count current factories per country
        # from the first alone. Names sort by lower(name): within a role and country the few
        # factories are sorted; within a country, PostgreSQL reads them in order (below).
        *(
            Index(
                f"ix_factories_current_{name}",
                *columns,
                sqlite_where=text("left_on IS NULL"),
                postgresql_where=text("left_on IS NULL"),
            )
            for name, columns in (
                ("country", ("country",)),
                ("updated_at", ("updated_at",)),
                ("workers_min", ("workers_min",)),
                ("role_country", ("role", "country")),
            )
        ),
        Index("ix_factories_organisation_role_country", "organisation_id", "role", "country"),
        # On PostgreSQL, the buyer's table in its first order (country, then name) reads its
        # page straight from this index: a country may have thousands of factories, which
        # would otherwise all be sorted by name to show the first 25.
        Index(
            "ix_factories_current_country_name",
            "country",
            text("lower(name)"),
            "id",
            postgresql_where=text("left_on IS NULL"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    #: The name in the local language and script, when it differs.
    name_local: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(40))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2), index=True)
    role: Mapped[str] = mapped_column(String(20))
    #: Codes from portal.factories.importing.COMPONENTS.
    component_categories: Mapped[list] = mapped_column(JSON, default=list)
    #: Codes from portal.factories.importing.PRODUCTS (the buyer's eight ICT categories).
    product_categories: Mapped[list] = mapped_column(JSON, default=list)
    brands: Mapped[list] = mapped_column(JSON, default=list)
    #: Number of workers as a range; a single figure has min = max.
    workers_min: Mapped[int | None] = mapped_column(Integer)
    workers_max: Mapped[int | None] = mapped_column(Integer)
    #: The product models it makes for the contract, as the supplier names them.
    product_models: Mapped[str | None] = mapped_column(String(500))
    #: For a main-component factory: the final-assembly factory of the same register it supplies.
    supplies_factory_id: Mapped[int | None] = mapped_column(
        ForeignKey("factories.id", ondelete="SET NULL")
    )
    #: For a main-component factory: the brand it supplies, when not a factory of the register.
    supplies_brand: Mapped[str | None] = mapped_column(String(200))
    #: Workforce make-up: whole percentages of the workers who are women, migrant workers and
    #: agency workers; None when not given.
    women_percent: Mapped[int | None] = mapped_column(Integer)
    migrant_percent: Mapped[int | None] = mapped_column(Integer)
    agency_percent: Mapped[int | None] = mapped_column(Integer)
    #: The group that owns the factory (Open Supply Hub's parent_company), not its brands.
    parent_company: Mapped[str | None] = mapped_column(String(200))
    #: Where the factory lies, in degrees (WGS 84), when known.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: The factory's OS ID on Open Supply Hub.
    os_hub_id: Mapped[str | None] = mapped_column(String(20))
    rba_id: Mapped[str | None] = mapped_column(String(30))
    #: When the factory entered and left the supply chain behind the buyer's products.
    entered_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    #: Normalised name|address|country, to find duplicates.
    match_key: Mapped[str] = mapped_column(String(900))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)
    #: Loaded with the factory (one join), as the register shows it on every row.
    supplies_factory: Mapped["Factory | None"] = relationship(remote_side=[id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def workers_label(self) -> str:
        return workers_label(self.workers_min, self.workers_max)

    @property
    def supplies_label(self) -> str:
        """What a main-component factory supplies: the factory's name, else the brand."""
        if self.supplies_factory is not None:
            return self.supplies_factory.name
        return self.supplies_brand or ""

    def active_on(self, day: date) -> bool:
        return self.entered_on <= day and (self.left_on is None or self.left_on > day)


def workers_label(low: int | None, high: int | None) -> str:
    """The number of workers as a number or a range, "" when not given."""
    if low is None:
        return ""
    if high in (None, low):
        return str(low)
    return f"{low}–{high}"


class FactoryDetailsVersion(db.Model):
    """A factory's details as they were before an edit, so that the register as of a past date
    shows them as they were then. The factory row holds the current details; its versions hold
    each earlier state with the days it was current, [valid_from, valid_to)."""

    __tablename__ = "factory_details_versions"
    __table_args__ = (CheckConstraint("valid_to >= valid_from", name="valid_to_after_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    factory_id: Mapped[int] = mapped_column(
        ForeignKey("factories.id", ondelete="CASCADE"), index=True
    )
    #: The first day these details were current.
    valid_from: Mapped[date] = mapped_column(Date)
    #: The day they were replaced (the edit's day): no longer current on it.
    valid_to: Mapped[date] = mapped_column(Date)
    #: The details as they were: the factory's fields of VERSIONED_FIELDS (services).
    details: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BrandConfirmation(db.Model):
    """The day a supplier last confirmed its factory list with one of its brands."""

    __tablename__ = "factory_brand_confirmations"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id", "brand", name="uq_factory_brand_confirmations_organisation_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: As named on the register's factories.
    brand: Mapped[str] = mapped_column(String(200))
    confirmed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RiskScale(db.Model):
    """How a supplier rates risks: its own scale and method, declared once."""

    __tablename__ = "risk_scales"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    severity_max: Mapped[int] = mapped_column(Integer, default=5)
    likelihood_max: Mapped[int] = mapped_column(Integer, default=5)
    #: What the levels mean and how risks are prioritised.
    method: Mapped[str] = mapped_column(Text, default="")


class FactoryRisk(db.Model):
    """A prioritised risk at one factory."""

    __tablename__ = "factory_risks"
    __table_args__ = (
        CheckConstraint("severity >= 1 AND likelihood >= 1", name="levels_positive"),
        CheckConstraint(
            "status IN ('identified', 'mitigating', 'mitigated', 'accepted')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    factory_id: Mapped[int] = mapped_column(
        ForeignKey("factories.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int] = mapped_column(Integer)
    likelihood: Mapped[int] = mapped_column(Integer)
    mitigation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="identified")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped["User | None"] = relationship()

    @property
    def priority(self) -> int:
        return self.severity * self.likelihood


class FactoryImport(db.Model):
    """An uploaded factory list waiting in preview: nothing reaches the register until the
    user confirms, and then every row or none."""

    __tablename__ = "factory_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: As the browser sent it; shown to the user, never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    #: The parsed rows with their values, problems and duplicate flags; empty while the
    #: columns wait to be matched.
    rows: Mapped[list] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The file's headings and cells as read (importing.Table.to_json), so that its columns
    #: can be matched again; None for imports staged before matching existed.
    cells: Mapped[dict | None] = mapped_column(JSON)
    #: The field each heading of `cells` is read as (None: not imported), in the file's
    #: order; None while the user has yet to match the columns.
    matching: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def awaits_matching(self) -> bool:
        return self.cells is not None and self.matching is None


class ColumnMatching(db.Model):
    """How an organisation matched the columns of a file with these headings, so that its
    next file with the same headings is read the same way."""

    __tablename__ = "factory_column_matchings"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id", "headings_key", name="uq_factory_column_matchings_organisation_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: importing.headings_key of the headings: alike when they read alike, in the same order.
    headings_key: Mapped[str] = mapped_column(String(64))
    #: The headings as written in the file it was made for.
    headings: Mapped[list] = mapped_column(JSON)
    #: The field of importing.MATCHABLE each heading holds (None: not imported), in order.
    fields: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
