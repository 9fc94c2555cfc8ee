"""Contracts the region has signed with suppliers, with social clauses and a report to follow
them up."""

import calendar
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # relationships find these classes by name at run time
    from portal.orgs.services import Organisation
    from portal.questionnaires.services import QuestionnaireVersion, Round

#: The buyer's eight ICT categories, as stable keys (the same keys as the factory register's
#: product categories).
CATEGORIES = (
    "pcs",
    "monitors",
    "thin_clients",
    "medical_panel_pcs",
    "network_security",
    "servers_storage",
    "desktop_equipment",
    "small_printers",
)
_CATEGORY_SQL = ", ".join(f"'{key}'" for key in CATEGORIES)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later; the month's last day when it is shorter
    (31 August + 6 months is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _configured_report_months() -> int:
    return current_app.config["CONTRACT_REPORT_MONTHS"]


class Contract(db.Model):
    """A contract with one supplier organisation in one category, from its start to its end
    date; its report is due `report_months` after the start."""

    __tablename__ = "contracts"
    __table_args__ = (
        db.UniqueConstraint("reference", name="uq_contracts_reference"),
        CheckConstraint(f"category IN ({_CATEGORY_SQL})", name="category_known"),
        CheckConstraint("value_sek >= 0", name="value_not_negative"),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("report_months BETWEEN 1 AND 120", name="report_months_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The supplier that holds the contract.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: The region's own contract number.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    #: One of CATEGORIES.
    category: Mapped[str] = mapped_column(String(30))
    #: The contract's estimated total value in whole Swedish kronor.
    value_sek: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    #: The last day of the contract.
    ends_on: Mapped[date] = mapped_column(Date)
    #: The brands delivered under the contract, as names.
    brands: Mapped[list] = mapped_column(JSON, default=list)
    #: The questionnaire version the supplier's report answers.
    report_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: The report falls due this many calendar months after the start.
    report_months: Mapped[int] = mapped_column(Integer, default=_configured_report_months)
    #: The follow-up round that requested the report; empty until it is requested.
    report_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Incremented on every update; a stale edit form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)
    report_version: Mapped["QuestionnaireVersion"] = relationship()
    report_round: Mapped["Round | None"] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def report_due_on(self) -> date:
        """The day the report falls due: `report_months` calendar months after the start."""
        return add_months(self.starts_on, self.report_months)

    def is_running_on(self, day: date) -> bool:
        """Whether the contract runs on `day` (its start and end days included)."""
        return self.starts_on <= day <= self.ends_on

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.reference!r}>"
