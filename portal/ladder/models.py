"""Published ladder versions and the reviewers' marks, kept as history."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.ladder.definition import Ladder
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # marks build on accounts and documents; SQLAlchemy resolves the names
    from portal.auth.services import User
    from portal.evidence.services import EvidenceDocument

STATUSES = ("achieved", "partly", "not_yet")


class LadderVersion(db.Model):
    """One published version of a ladder; its content never changes once marked."""

    __tablename__ = "ladder_versions"
    __table_args__ = (UniqueConstraint("key", "number", name="uq_ladder_versions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    #: The checked definition, exactly as published.
    content: Mapped[dict] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of `content`.
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def ladder(self) -> Ladder:
        cached = self.__dict__.get("_ladder")
        if cached is None:
            cached = Ladder(self.content)
            self.__dict__["_ladder"] = cached
        return cached

    @property
    def label(self) -> str:
        return f"{self.key} v{self.number}"


class MilestoneMark(db.Model):
    """A reviewer's verdict on one milestone of one supplier organisation, or of one of its
    brands.

    Rows are only ever added: the latest mark per milestone and brand (by `marked_on`, then by
    when it was recorded) is the current one, and the earlier ones are the climb's history.
    """

    __tablename__ = "milestone_marks"
    __table_args__ = (
        CheckConstraint("status IN ('achieved', 'partly', 'not_yet')", name="status_known"),
        CheckConstraint("brand IS NULL OR brand <> ''", name="brand_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: The version the reviewer marked against; milestone keys stay stable across versions.
    ladder_version_id: Mapped[int] = mapped_column(ForeignKey("ladder_versions.id"), index=True)
    milestone_key: Mapped[str] = mapped_column(String(64))
    #: One of the supplier's brands, as the supplier writes it; None: the whole organisation,
    #: which holds for every brand.
    brand: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    #: The day the verdict holds from (the evidence's day), not when it was typed in.
    marked_on: Mapped[date] = mapped_column(Date)
    evidence_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_documents.id", ondelete="SET NULL")
    )
    #: Evidence seen outside the portal (an audit visit, a link), described in words.
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evidence_document: Mapped["EvidenceDocument | None"] = relationship()
    marked_by: Mapped["User | None"] = relationship()
