"""Published questionnaire versions, rounds, responses, answers and their history, and the
clarification threads on answers."""

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.questionnaires.definitions import Definition, definition_for
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
    #: The checked definition, exactly as published: old responses render from this. Read
    #: through `content` or `definition`: loaded only when this process has not read the
    #: content with this hash yet.
    stored_content: Mapped[dict] = mapped_column("content", JSON, deferred=True)
    #: SHA-256 of the canonical JSON of `content`.
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def definition(self) -> Definition:
        """The version's definition, shared by every request (the content never changes;
        corrected content has another hash), and kept by this row once it has asked."""
        found = self.__dict__.get("_definition")
        if found is None:
            found = definition_for(self.content_hash, lambda: self.stored_content)
            self.__dict__["_definition"] = found
        return found

    @property
    def content(self) -> dict:
        return self.definition.content

    @content.setter
    def content(self, value: dict) -> None:
        self.stored_content = value
        self.__dict__.pop("_definition", None)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_sv

    @property
    def label(self) -> str:
        return f"{self.key} v{self.number}"


class RoundKind(StrEnum):
    """What a round is for, from asking the market before a tender to following a contract."""

    RFI = "rfi"
    MARKET_DIALOGUE = "market_dialogue"
    TENDER = "tender"
    FOLLOW_UP = "follow_up"


ROUND_KIND_LABELS = {
    RoundKind.RFI: _l("Request for information"),
    RoundKind.MARKET_DIALOGUE: _l("Market dialogue"),
    RoundKind.TENDER: _l("Tender"),
    RoundKind.FOLLOW_UP: _l("Contract follow-up report"),
}

#: Days before closing on which suppliers that have not submitted are reminded.
DEFAULT_REMINDER_DAYS = (14, 7, 1)

_KIND_SQL = ", ".join(f"'{k.value}'" for k in RoundKind)


class Round(db.Model):
    """A questionnaire version opened to chosen supplier organisations from an opening time
    until a closing time."""

    __tablename__ = "rounds"
    __table_args__ = (CheckConstraint(f"kind IN ({_KIND_SQL})", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One of RoundKind: RFI, market dialogue, tender or contract follow-up.
    kind: Mapped[str] = mapped_column(String(20), default=RoundKind.TENDER.value)
    title: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    #: Before this moment the round is listed as upcoming and cannot be started.
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The closing time for every organisation without an extension (see RoundExtension).
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Whole days before closing on which reminders are due, latest first: [14, 7, 1].
    reminder_days: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_REMINDER_DAYS))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Percentages for the market-maturity verdicts, {"requirement": 50, "award": 20};
    #: null means those defaults.
    maturity_thresholds: Mapped[dict | None] = mapped_column(JSON)

    version: Mapped[QuestionnaireVersion] = relationship(lazy="joined", innerjoin=True)

    @property
    def has_opened(self) -> bool:
        return self.opens_at <= utcnow()

    @property
    def is_open(self) -> bool:
        """Opened and not yet closed (for organisations without an extension)."""
        return self.has_opened and not self.has_closed

    @property
    def has_closed(self) -> bool:
        """Past its closing time (for organisations without an extension)."""
        return self.closes_at <= utcnow()

    @property
    def kind_label(self) -> str:
        return str(ROUND_KIND_LABELS[RoundKind(self.kind)])


class RoundExtension(db.Model):
    """A later closing time for one organisation in a round, granted by a buyer admin with a
    reason; a new extension for the same organisation replaces the row (the audit log keeps
    every one)."""

    __tablename__ = "round_extensions"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", name="uq_round_extensions_round_id"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    extended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoundInvitation(db.Model):
    """An invitation of a new organisation sent with a round: when it is accepted, the new
    organisation joins the round."""

    __tablename__ = "round_invitations"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


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
    #: Indexed: the review queue is read in this order, a page at a time.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When a section was last saved; writing it first serialises concurrent saves.
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round: Mapped[Round] = relationship(lazy="joined", innerjoin=True)
    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)
    version: Mapped[QuestionnaireVersion] = relationship(lazy="joined", innerjoin=True)
    #: The organisation's own later closing time in this round, if it was given one.
    extension: Mapped[RoundExtension | None] = relationship(
        primaryjoin="and_(Response.round_id == foreign(RoundExtension.round_id), "
        "Response.organisation_id == foreign(RoundExtension.organisation_id))",
        viewonly=True,
        uselist=False,
        lazy="joined",
    )

    #: The questions a reviewer reopened, while the status is "clarification".
    open_questions: Mapped[list | None] = mapped_column(JSON)

    @property
    def closes_at(self) -> datetime:
        """When this organisation's time to answer ends: its extension, else the round's."""
        return self.extension.closes_at if self.extension else self.round.closes_at

    @property
    def is_upcoming(self) -> bool:
        return not self.round.has_opened

    @property
    def is_closed(self) -> bool:
        """The organisation's closing time has passed (a clarification is answered anyway)."""
        return utcnow() >= self.closes_at

    @property
    def can_start(self) -> bool:
        return self.round.has_opened and not self.is_closed

    @property
    def is_editable(self) -> bool:
        """A draft until the organisation's closing time; during clarification, whatever the
        date."""
        if self.status == ResponseStatus.CLARIFICATION:
            return True
        return self.status == ResponseStatus.DRAFT and self.can_start

    def is_open_question(self, key: str) -> bool:
        """Whether the supplier may change this answer now."""
        if self.status == ResponseStatus.CLARIFICATION:
            return key in (self.open_questions or [])
        return self.is_editable

    def open_question_test(self) -> Callable[[str], bool]:
        """`is_open_question` for the questions of one page: the dates are read once."""
        if self.status == ResponseStatus.CLARIFICATION:
            return set(self.open_questions or []).__contains__
        editable = self.is_editable
        return lambda key: editable

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


#: What a supplier can say about meeting a criterion today (market questions).
MARKET_MEETS = ("yes", "partly", "no", "planned")
#: The most hours of effort a market answer may report, and the longest comment.
MAX_EFFORT_HOURS = 10_000
MAX_MARKET_COMMENT = 2_000


class MarketAnswer(db.Model):
    """A supplier's answer to the market questions about one criterion, in an RFI or
    market-dialogue round: whether it meets the criterion today, the hours proving it would
    take, and a comment. Unanswered parts are null until the supplier fills them in."""

    __tablename__ = "market_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "criterion", name="uq_market_answers_response_id"),
        CheckConstraint(
            "meets IS NULL OR meets IN ('yes', 'partly', 'no', 'planned')", name="meets_known"
        ),
        CheckConstraint("(meets = 'planned') = (planned_by IS NOT NULL)", name="planned_has_date"),
        CheckConstraint(
            "effort_hours IS NULL OR (effort_hours >= 0 AND effort_hours <= 10000)",
            name="effort_bounded",
        ),
        CheckConstraint("comment IS NULL OR length(comment) <= 2000", name="comment_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    #: A criterion key of the definition (see its `criteria:`).
    criterion: Mapped[str] = mapped_column(String(40))
    #: One of MARKET_MEETS.
    meets: Mapped[str | None] = mapped_column(String(10))
    #: The day by which it will be met, when `meets` is "planned".
    planned_by: Mapped[date | None] = mapped_column(Date)
    #: The hours it would take the supplier to provide the verification.
    effort_hours: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    #: Incremented on every change; a save based on an older version is a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped["User | None"] = relationship(lazy="joined")

    @property
    def is_complete(self) -> bool:
        """Whether both required parts are answered (the comment is optional)."""
        return self.meets is not None and self.effort_hours is not None


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
