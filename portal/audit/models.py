"""The audit log: who did what, to what, and when."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # the log sits below every feature; SQLAlchemy resolves the name
    from portal.orgs.models import Organisation


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: The acting user, if any; kept as a snapshot too so that the log outlives renames.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str | None] = mapped_column(String(254))
    #: The organisation the event concerns (the target's, not necessarily the actor's).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    #: Dotted event name such as "auth.login" (see portal.audit.services.ACTIONS).
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    organisation: Mapped["Organisation | None"] = relationship()
