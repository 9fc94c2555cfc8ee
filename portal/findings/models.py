"""Findings (non-compliance with a contract's social clauses) and their corrective actions."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
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
from portal.findings.deadlines import Stage, State
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # findings build on these features; SQLAlchemy resolves the names
    from portal.auth.services import User
    from portal.contracts.services import Contract
    from portal.evidence.services import EvidenceDocument
    from portal.factories.services import Factory
    from portal.orgs.services import Organisation

SOURCES = ("supplier_report", "desktop_audit", "factory_audit", "independent_monitoring")
CLAUSES = (
    "freedom_of_association",
    "working_hours",
    "wages",
    "health_and_safety",
    "child_labour",
    "forced_labour",
    "discrimination",
    "chemicals",
    "minerals",
    "transparency",
    "other",
)
SEVERITIES = ("minor", "major", "critical")
STEP_KINDS = ("submitted", "accepted", "returned", "extended")


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Finding(db.Model):
    """A non-compliance a reviewer found at a supplier, with where it came from."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(_one_of("source", SOURCES), name="source_known"),
        CheckConstraint(_one_of("clause", CLAUSES), name="clause_known"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity_known"),
        CheckConstraint("length(title) > 0", name="title_given"),
        CheckConstraint("length(description) > 0", name="description_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The supplier the finding is addressed to.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: One of the supplier's contracts, when the finding concerns one.
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="SET NULL"), index=True
    )
    #: A factory of the supplier's register, when the finding concerns one.
    factory_id: Mapped[int | None] = mapped_column(
        ForeignKey("factories.id", ondelete="SET NULL"), index=True
    )
    #: One of SOURCES: where the non-compliance came to light.
    source: Mapped[str] = mapped_column(String(30))
    #: One of CLAUSES: the contract clause breached.
    clause: Mapped[str] = mapped_column(String(40))
    #: The clause as the contract numbers it ("Annex 3, 4.2"), free text.
    clause_reference: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: The day of the audit, report or monitoring visit that found it.
    found_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)
    contract: Mapped["Contract | None"] = relationship()
    factory: Mapped["Factory | None"] = relationship()
    recorded_by: Mapped["User | None"] = relationship()
    action: Mapped["CorrectiveAction"] = relationship(
        back_populates="finding", lazy="joined", innerjoin=True
    )


class CorrectiveAction(db.Model):
    """The supplier's answer to a finding: a plan, then the correction with its proof, each
    due on a day (see portal.findings.deadlines for the states and the clock)."""

    __tablename__ = "corrective_actions"
    __table_args__ = (
        CheckConstraint(_one_of("state", State), name="state_known"),
        CheckConstraint("plan_due_on >= opened_on", name="plan_due_after_opening"),
        CheckConstraint("correction_due_on >= opened_on", name="correction_due_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), unique=True
    )
    #: One of deadlines.State.
    state: Mapped[str] = mapped_column(String(20), default=State.PLAN_DUE.value, index=True)
    #: The day the supplier was told (the finding was recorded): the deadlines count from it.
    opened_on: Mapped[date] = mapped_column(Date)
    #: The last day for the plan, and for the correction with its proof (extensions move them).
    plan_due_on: Mapped[date] = mapped_column(Date)
    correction_due_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Incremented on every change: a decision or submission made on a page that shows an
    #: older state is refused instead of overwriting what happened since.
    version: Mapped[int] = mapped_column(Integer, default=1)

    finding: Mapped[Finding] = relationship(back_populates="action")
    steps: Mapped[list["ActionStep"]] = relationship(
        order_by="ActionStep.id", back_populates="action", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ActionStep(db.Model):
    """One step in an action's history: a plan or proof submitted, accepted or returned, or a
    deadline extended. Submissions carry their text, returns and extensions their reason."""

    __tablename__ = "corrective_action_steps"
    __table_args__ = (
        CheckConstraint(_one_of("kind", STEP_KINDS), name="kind_known"),
        CheckConstraint(_one_of("stage", Stage), name="stage_known"),
        CheckConstraint(
            "kind NOT IN ('submitted', 'returned', 'extended') OR length(text) > 0",
            name="text_given",
        ),
        CheckConstraint(
            "kind <> 'extended' OR new_due_on > old_due_on", name="extension_moves_later"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True
    )
    #: One of STEP_KINDS.
    kind: Mapped[str] = mapped_column(String(12))
    #: deadlines.Stage: the plan, or the correction (whose submission is the proof).
    stage: Mapped[str] = mapped_column(String(12))
    #: The plan or proof as the supplier wrote it, or the reviewer's reason or note.
    text: Mapped[str | None] = mapped_column(Text)
    #: An extension's deadline before and after.
    old_due_on: Mapped[date | None] = mapped_column(Date)
    new_due_on: Mapped[date | None] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    action: Mapped[CorrectiveAction] = relationship(back_populates="steps")
    by: Mapped["User | None"] = relationship()


class FindingDocument(db.Model):
    """An evidence document kept with a finding: the reviewer's evidence of the finding
    (no step), or a document sent with a plan or proof (its step)."""

    __tablename__ = "finding_documents"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_documents.id", ondelete="CASCADE"), primary_key=True
    )
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("corrective_action_steps.id", ondelete="CASCADE"), index=True
    )

    document: Mapped["EvidenceDocument"] = relationship(lazy="joined", innerjoin=True)


class ActionReminder(db.Model):
    """An overdue notice sent for an action's stage and deadline: once per deadline, so an
    extended deadline that passes in its turn is told again."""

    __tablename__ = "corrective_action_reminders"
    __table_args__ = (
        # The claim: a second run (or a second cron job at the same time) cannot insert it again.
        UniqueConstraint(
            "action_id", "stage", "due_on", name="uq_corrective_action_reminders_action_id"
        ),
        CheckConstraint(_one_of("stage", Stage), name="stage_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(12))
    #: The deadline that had passed.
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The notice's Message-ID; each recipient's copy carries it with the user's id added.
    message_id: Mapped[str] = mapped_column(String(200))
