"""Published questionnaire versions, rounds, responses, answers and their history, and the
clarification threads on answers."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.questionnaires.definitions import Definition
from portal.timeutil import utcnow

if TYPE_CHECKING:  # relationships find these classes by name at run time
    from portal.auth.models import User
    from portal.orgs.models import Organisation


class QuestionnaireVersion(db.Model):
    """One published version of a questionnaire; its content never changes once answered."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("key", "number", name="uq_questionnaire_versions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    title_sv: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: The checked definition, exactly as published: old responses render from this.
    content: Mapped[dict] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of `content`.
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def definition(self) -> Definition:
        cached = self.__dict__.get("_definition")
        if cached is None:
            cached = Definition(self.content)
            self.__dict__["_definition"] = cached
        return cached

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_sv

    @property
    def label(self) -> str:
        return f"{self.key} v{self.number}"


class Round(db.Model):
    """A questionnaire version opened to chosen supplier organisations until a closing time."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version: Mapped[QuestionnaireVersion] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_open(self) -> bool:
        return utcnow() < self.closes_at


class ResponseStatus(StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    #: Sent back by a reviewer with some questions open; it was submitted before.
    CLARIFICATION = "clarification"


STATUS_LABELS = {
    ResponseStatus.NOT_STARTED: _l("Not started"),
    ResponseStatus.DRAFT: _l("In progress"),
    ResponseStatus.SUBMITTED: _l("Submitted"),
    ResponseStatus.CLARIFICATION: _l("Clarification requested"),
}

#: The states in which buyer staff see a response, its answers and its documents: submitted,
#: and sent back for clarification after that. Until then the response is the supplier's alone.
STAFF_VISIBLE = (ResponseStatus.SUBMITTED.value, ResponseStatus.CLARIFICATION.value)


class Response(db.Model):
    """One organisation's answers in one round, pinned to the round's questionnaire version."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", name="uq_responses_round_id"),
        CheckConstraint(
            "status IN ('not_started', 'draft', 'submitted', 'clarification')",
            name="status_known",
        ),
        CheckConstraint(
            "(status IN ('submitted', 'clarification')) = (submitted_at IS NOT NULL)",
            name="submitted_has_time",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Equal to the round's version; kept here so a response is self-describing.
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.NOT_STARTED.value)
    #: The earlier response whose answers were carried over into this one, if any.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When a section was last saved; writing it first serialises concurrent saves.
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round: Mapped[Round] = relationship(lazy="joined", innerjoin=True)
    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)
    version: Mapped[QuestionnaireVersion] = relationship(lazy="joined", innerjoin=True)

    #: The questions a reviewer reopened, while the status is "clarification".
    open_questions: Mapped[list | None] = mapped_column(JSON)

    @property
    def is_editable(self) -> bool:
        """A draft until the round closes; during clarification, whatever the date."""
        if self.status == ResponseStatus.CLARIFICATION:
            return True
        return self.status == ResponseStatus.DRAFT and self.round.is_open

    def is_open_question(self, key: str) -> bool:
        """Whether the supplier may change this answer now."""
        if self.status == ResponseStatus.CLARIFICATION:
            return key in (self.open_questions or [])
        return self.is_editable

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[ResponseStatus(self.status)])


class Answer(db.Model):
    """The current answer to one question of a response."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_key", name="uq_answers_response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(64))
    #: The answer in its type's stored shape; may hold what was typed when it is not valid.
    value: Mapped[object | None] = mapped_column(JSON)
    #: Why the stored value cannot be submitted as it is (empty when it can).
    problems: Mapped[list] = mapped_column(JSON, default=list)
    #: Carried over to a reworded question: the supplier must confirm it still holds.
    is_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Incremented on every change; a save based on an older version is a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped["User | None"] = relationship(lazy="joined")


class AnswerChange(db.Model):
    """Every change to an answer: who, when, from what, to what."""

    __tablename__ = "answer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[object | None] = mapped_column(JSON)
    new_value: Mapped[object | None] = mapped_column(JSON)
    #: "edit", "carry-over", "confirm" or "snapshot" (the factory register frozen at submission).
    kind: Mapped[str] = mapped_column(String(16), default="edit")
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    changed_by: Mapped["User | None"] = relationship(lazy="joined")


class ClarificationMessage(db.Model):
    """One message in the thread on a question of a response: the region asks, the supplier
    replies."""

    __tablename__ = "clarification_messages"
    __table_args__ = (CheckConstraint("side IN ('buyer', 'supplier')", name="side_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(64))
    #: "buyer" (the region's reviewer) or "supplier".
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped["User | None"] = relationship(lazy="joined")
