"""Evidence documents: stored files and what each proves."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import UTCDateTime
from portal.timeutil import utcnow

if TYPE_CHECKING:  # documents build on accounts and factories; SQLAlchemy resolves the names
    from portal.auth.services import User
    from portal.factories.services import Factory


class StoredFile(db.Model):
    """File content, stored once per organisation however often it is uploaded."""

    __tablename__ = "stored_files"
    __table_args__ = (
        UniqueConstraint("organisation_id", "sha256", name="uq_stored_files_organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Made by the server; the storage backend's name for the content. Never a user's name.
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    #: Decided from the content (portal.evidence.checks), never from the browser.
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


document_factories = Table(
    "document_factories",
    db.metadata,
    Column(
        "document_id", ForeignKey("evidence_documents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("factory_id", ForeignKey("factories.id", ondelete="CASCADE"), primary_key=True),
)


class EvidenceDocument(db.Model):
    """One uploaded document, attached to an evidence slot of a response or to a factory."""

    __tablename__ = "evidence_documents"
    __table_args__ = (
        CheckConstraint(
            "(response_id IS NOT NULL AND question_key IS NOT NULL) OR factory_id IS NOT NULL"
            " OR is_attached_elsewhere",
            name="attached",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    #: As the browser sent it: shown and used in the download's name, never as a path.
    filename: Mapped[str] = mapped_column(String(255))
    #: One of portal.evidence.labels.KIND_LABELS.
    kind: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str | None] = mapped_column(String(64))
    factory_id: Mapped[int | None] = mapped_column(
        ForeignKey("factories.id", ondelete="CASCADE"), index=True
    )
    #: Kept by a feature above through its own table (a finding, a corrective action's plan
    #: or proof): attached to no question or factory, and never removed on its own.
    is_attached_elsewhere: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the owners were told that the document expires soon / has expired.
    reminded_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    stored_file: Mapped[StoredFile] = relationship(lazy="joined", innerjoin=True)
    uploaded_by: Mapped["User | None"] = relationship()
    factories: Mapped[list["Factory"]] = relationship(secondary=document_factories)
