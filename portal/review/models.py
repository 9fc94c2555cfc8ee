"""Reviews of submitted responses: grades, evidence verdicts, clarification rounds.

The messages of a clarification thread are the questionnaires' (both sides write them)."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # the relationship finds the class by name at run time
    from portal.auth.models import User


class Review(db.Model):
    """The buyer's work on one response: who reviews it and where it stands."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_review', 'clarification', 'accepted')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="in_review")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The scores as computed when the response was accepted, with their arithmetic.
    scores: Mapped[dict | None] = mapped_column(JSON)

    assigned_to: Mapped["User | None"] = relationship(foreign_keys=[assigned_to_id], lazy="joined")


class Grade(db.Model):
    """A reviewer's grade of one answer against the question's rubric."""

    __tablename__ = "grades"
    __table_args__ = (
        db.UniqueConstraint("response_id", "question_key", name="uq_grades_response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(64))
    #: The rubric level's points; None while not graded.
    points: Mapped[float | None] = mapped_column(Float)
    #: Shown to the supplier.
    comment: Mapped[str] = mapped_column(Text, default="")
    #: Only for the buyer's staff.
    note: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvidenceVerdict(db.Model):
    """Whether a reviewer accepts an evidence document as proof, and why not."""

    __tablename__ = "evidence_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_documents.id", ondelete="CASCADE"), unique=True
    )
    is_accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClarificationRound(db.Model):
    """Questions sent back to the supplier; only these are open until it resubmits."""

    __tablename__ = "clarification_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_keys: Mapped[list] = mapped_column(JSON)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
