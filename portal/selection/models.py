"""The country-risk table and the desktop audits planned from the risk ranking."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

#: The figures kept per country, each from 0 (no known risk) to 100 (the highest risk), with
#: the source it comes from and the year it describes.
FIGURES = ("freedom_of_association", "working_time", "gender_inequality", "overall")
#: The years a figure may describe.
FIRST_YEAR, LAST_YEAR = 1990, 2100
#: Longest source text.
SOURCE_LENGTH = 300


def _figure_checks() -> tuple:
    checks = []
    for name in FIGURES:
        checks.append(CheckConstraint(f"{name} BETWEEN 0 AND 100", name=f"{name}_range"))
        checks.append(
            CheckConstraint(
                f"{name}_year BETWEEN {FIRST_YEAR} AND {LAST_YEAR}", name=f"{name}_year_range"
            )
        )
    return tuple(checks)


class CountryRisk(db.Model):
    """How great the risks to workers are in one country, as four figures from 0 to 100
    (higher is riskier), each with its source and year."""

    __tablename__ = "country_risks"
    __table_args__ = (
        db.UniqueConstraint("country", name="uq_country_risks_country"),
        CheckConstraint("length(country) = 2", name="country_alpha2"),
        *_figure_checks(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 3166-1 alpha-2 code.
    country: Mapped[str] = mapped_column(String(2))
    freedom_of_association: Mapped[float] = mapped_column(Float)
    freedom_of_association_source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    freedom_of_association_year: Mapped[int] = mapped_column(Integer)
    working_time: Mapped[float] = mapped_column(Float)
    working_time_source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    working_time_year: Mapped[int] = mapped_column(Integer)
    gender_inequality: Mapped[float] = mapped_column(Float)
    gender_inequality_source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    gender_inequality_year: Mapped[int] = mapped_column(Integer)
    #: An overall figure for the country (a published index, or the region's own judgement).
    overall: Mapped[float] = mapped_column(Float)
    overall_source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    overall_year: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Incremented on every change; a stale edit form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def figures(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in FIGURES}

    def __repr__(self) -> str:
        return f"<CountryRisk {self.country}>"


class DesktopAudit(db.Model):
    """A desktop audit planned for a supplier: one per supplier per contract period, whatever
    the number of contracts the period holds."""

    __tablename__ = "desktop_audits"
    __table_args__ = (
        db.UniqueConstraint(
            "organisation_id", "period_starts_on", name="uq_desktop_audits_organisation_id"
        ),
        CheckConstraint("period_ends_on >= period_starts_on", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: The year of follow-up it was planned for.
    year: Mapped[int] = mapped_column(Integer)
    #: The contract period it covers, as it stood when the audit was planned.
    period_starts_on: Mapped[date] = mapped_column(Date)
    period_ends_on: Mapped[date] = mapped_column(Date)
    #: The ids of the contracts of that period.
    contract_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: The supplier's risk score and rank when it was planned.
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
