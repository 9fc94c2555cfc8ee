"""Accounts, their server-side sessions, invitations and two-factor recovery codes."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_types import EncryptedString, UTCDateTime
from portal.roles import HoldsRole, Role
from portal.timeutil import utcnow

if TYPE_CHECKING:  # accounts build on organisations; SQLAlchemy resolves the name
    from portal.orgs.models import Organisation

_ROLE_SQL = ", ".join(f"'{r.value}'" for r in Role)


class SignsIn:
    """Flask-Login's side of a signed-in user (the account, and the signed-in user as each
    request sees them: portal.auth.session_user). The session cookie carries the server-side
    session's token, never the user id, so revoking the session row ends the session
    whatever the cookie says."""

    __slots__ = ()

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token


class User(db.Model, SignsIn, HoldsRole):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_SQL})", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        db.UniqueConstraint("email", name="uq_users_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: Stored lower-case; the log-in form lower-cases what is typed.
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Base32 TOTP secret once two-factor sign-in is set up; encrypted in the database.
    totp_secret: Mapped[str | None] = mapped_column(
        EncryptedString(255, keys_setting="TOTP_ENCRYPTION_KEYS")
    )
    #: The secret shown while two-factor sign-in is being set up, until a code from it is
    #: confirmed: kept here (encrypted), never in the session cookie.
    totp_pending_secret: Mapped[str | None] = mapped_column(
        EncryptedString(255, keys_setting="TOTP_ENCRYPTION_KEYS")
    )
    #: The last TOTP time step accepted, so that a code can never be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: Preferred interface language ("sv" or "en"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped["Organisation"] = relationship(lazy="joined", innerjoin=True)

    #: Raised by edits in the admin area only (not by signing in, which also writes the row),
    #: so that a stale edit form is detected without false alarms.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    #: The raw token of the session this request runs in; set at log-in.
    session_token = None

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """A signed-in session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token in the cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class Invitation(db.Model, HoldsRole):
    """An e-mailed link that lets someone create an account in an organisation, or create a
    new supplier organisation (named by the inviter) and become its owner."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_SQL})", name="role_known"),
        CheckConstraint(
            "organisation_id IS NOT NULL OR (new_organisation_name IS NOT NULL "
            "AND new_organisation_kind IN ('reseller', 'brand') AND role = 'supplier_owner')",
            name="organisation_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None until an invitation to a new organisation is accepted and the organisation made.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: The name and kind of the organisation to create on acceptance (invitations to a new
    #: organisation only).
    new_organisation_name: Mapped[str | None] = mapped_column(String(200))
    new_organisation_kind: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the token in the link; the token itself is only ever in the e-mail.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped["Organisation | None"] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_for_new_organisation(self) -> bool:
        return self.organisation_id is None

    @property
    def organisation_name(self) -> str:
        """The organisation the invitee joins, whether it exists yet or not."""
        return self.organisation.name if self.organisation else self.new_organisation_name


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator app once; stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: argon2id hash of the code (lower-case, without the hyphen).
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
