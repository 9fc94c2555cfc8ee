"""Time-based one-time passwords (RFC 6238) and one-time recovery codes."""

import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa

from portal import encryption
from portal.auth.models import RecoveryCode, User
from portal.extensions import db
from portal.passwords import hash_password, verify_password
from portal.timeutil import utcnow

RECOVERY_CODE_COUNT = 10
_STEP = 30
#: Codes from one step either side of now are accepted: phones' clocks drift, and a code
#: typed in the last seconds of its step arrives in the next (RFC 6238 section 5.2; ASVS 5.0
#: V6.5.5 allows such a small window). A code still works only once (`totp_last_step`), and
#: one two steps away is refused, so a code lives at most 90 seconds.
_WINDOW = 1
#: The configuration setting whose keys encrypt the secrets in the database.
KEYS_SETTING = "TOTP_ENCRYPTION_KEYS"


def new_secret() -> str:
    """A fresh 160-bit base32 secret for an authenticator app."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code image (SVG data URI, allowed by the CSP)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code equals `code` within the window, or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // _STEP)
    for step in range(current - _WINDOW, current + _WINDOW + 1):
        if hmac.compare_digest(totp.at(step * _STEP), code):
            return step
    return None


def verify_totp(user: User, code: str, *, secret: str | None = None) -> bool:
    """Check a code for the user (or for a secret being set up) and burn its time step.

    A step already used cannot be used again, so an observed code cannot be replayed.
    """
    secret = secret or user.totp_secret
    if not secret:
        return False
    step = matching_step(secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def looks_like_totp(code: str) -> bool:
    """Six digits: an authenticator code, never a recovery code (those have letters)."""
    compact = "".join(code.split())
    return compact.isdigit() and len(compact) == 6


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; returns the new ones, shown only this once."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    # About 50 bits each, so they are stored like passwords: argon2id, salted.
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_password(_normalise_code(c))) for c in codes
    )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; False when it does not match one."""
    candidate = _normalise_code(code)
    if looks_like_totp(code) or not 8 <= len(candidate) <= 16:
        return False
    unused = db.session.scalars(
        db.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    for row in unused:
        if verify_password(row.code_hash, candidate):
            row.used_at = utcnow()
            return True
    return False


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def pending_secret(user: User) -> str:
    """The secret being set up for the user: made on first use and kept, encrypted, in their
    row until a code from it is confirmed, so that reloading the page shows the same QR code
    and the secret never travels in the (readable) session cookie."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = new_secret()
    return user.totp_pending_secret


def confirm_enrolment(user: User, code: str) -> bool:
    """Turn two-factor sign-in on when `code` comes from the pending secret."""
    secret = user.totp_pending_secret
    if secret is None or not verify_totp(user, code, secret=secret):
        return False
    user.totp_secret = secret
    user.totp_pending_secret = None
    return True


def turn_off(user: User) -> None:
    """Remove the user's authenticator secret and every recovery code."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def enrolment_context(user: User, secret: str, issuer: str) -> dict:
    """What the set-up page shows: the QR code and the secret grouped for typing."""
    uri = provisioning_uri(secret, user.email, issuer)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": qr_data_uri(uri), "secret": grouped}


def reencrypt_secrets() -> int:
    """Encrypt every stored secret (set up or pending) with the newest key of
    TOTP_ENCRYPTION_KEYS; returns how many values were rewritten. Afterwards the older keys
    can be removed from the setting."""
    # The columns as stored (Fernet tokens), not through the model's decrypting type.
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("totp_secret", sa.String),
        sa.column("totp_pending_secret", sa.String),
    )
    count = 0
    rows = db.session.execute(
        sa.select(users).where(
            sa.or_(users.c.totp_secret.is_not(None), users.c.totp_pending_secret.is_not(None))
        )
    ).all()
    for row in rows:
        values = {
            name: encryption.rotate(getattr(row, name), KEYS_SETTING)
            for name in ("totp_secret", "totp_pending_secret")
            if getattr(row, name) is not None
        }
        db.session.execute(sa.update(users).where(users.c.id == row.id).values(**values))
        count += len(values)
    return count
