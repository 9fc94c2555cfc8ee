"""What the rounds feature stores besides the rounds themselves (portal.questionnaires keeps
those, their responses and extensions)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_types import UTCDateTime


class RoundReminder(db.Model):
    """A reminder of a round's closing time sent to one organisation's people."""

    __tablename__ = "round_reminders"
    __table_args__ = (
        # The claim: a second run (or a second cron job at the same time) cannot insert it again.
        UniqueConstraint(
            "round_id", "organisation_id", "days_before", name="uq_round_reminders_round_id"
        ),
        CheckConstraint("days_before >= 0", name="days_before_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Which of the round's reminder days this was (days before the organisation's closing).
    days_before: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The reminder's Message-ID; each recipient's copy carries it with the user's id added
    #: (see DueReminder.message_id_for), the same on every attempt.
    message_id: Mapped[str] = mapped_column(String(200))
