"""Signing in and out, server-side sessions, password changes and resets, invitations, and
managing accounts (roles, deactivation, colleagues)."""

import hashlib
import logging
import secrets
from datetime import timedelta
from functools import cache

from flask import abort, current_app, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from sqlalchemy.orm.exc import StaleDataError

from portal import mail, read_requests, signals
from portal.audit.services import record
from portal.auth import mfa, throttle
from portal.auth.models import Invitation, User, UserSession
from portal.auth.session_user import SessionOrganisation, SessionUser
from portal.extensions import db, limiter, login_manager
from portal.orgs.services import (
    SUPPLIER_KINDS,
    Organisation,
    OrgKind,
    StaleEditError,
    create_organisation,
    suppliers_select,
)
from portal.paging import Page, page_of
from portal.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from portal.roles import SUPPLIER_ROLES, Role
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.auth.mfa import (  # noqa: F401
    confirm_enrolment,
    enrolment_context,
    new_recovery_codes,
    pending_secret,
    remaining_recovery_codes,
    turn_off,
    use_recovery_code,
    verify_totp,
)
from portal.auth.throttle import RateLimitedError  # noqa: F401

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal with a message that can be shown to the user as it is."""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def check_password_again(user: User, password: str) -> bool:
    """Re-check the signed-in user's password before a sensitive change, counting failures
    like those of signing in (RateLimitedError when this address has had too many)."""
    throttle.check_address(user.email)
    if verify_password(user.password_hash, password):
        return True
    throttle.count_password_failure(user.email)
    return False


# Authentication -------------------------------------------------------------------------
def _password_matches(email: str, password: str) -> tuple[User | None, bool]:
    """The active user with this e-mail (or None) and whether the password is theirs; the
    same work either way, so timing does not tell whether an account exists."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        verify_password(dummy_hash(), password)
        return None, False
    return user, verify_password(user.password_hash, password)


def _failed(email: str, user: User | None) -> None:
    log.warning("failed sign-in for %r from %s", normalise_email(email)[:254], request.remote_addr)
    throttle.count_password_failure(email)
    record(
        "auth.login_failed",
        actor=user,
        organisation_id=user.organisation_id if user else None,
        details={"email": normalise_email(email)[:254]},
    )


def _signed_in_with(user: User, password: str) -> User:
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def check_credentials(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    RateLimitedError (before the password is tried) when this address has failed too often
    on the account, or when the account is slowed down and it is not this attempt's turn
    (see portal.auth.throttle).
    """
    throttle.check_password_attempt(email)
    user, ok = _password_matches(email, password)
    if not ok:
        _failed(email, user)
        return None
    return _signed_in_with(user, password)


def check_credentials_and_code(email: str, password: str, code: str) -> User | None:
    """The user when the password and a code from their authenticator app are both right,
    or None, whichever of the two was wrong (and for accounts without an app).

    Not held back by failures of others: the pair cannot be guessed, so the owner of an
    account under attack still gets in this way. RateLimitedError only when the account has
    had too many wrong codes after the right password lately. Recovery codes are not taken
    here: checking them takes long enough to tell that the password was right.
    """
    throttle.check_code_attempt(email)
    user, ok = _password_matches(email, password)
    if not ok or not user.has_totp:
        _failed(email, user)
        return None
    if not mfa.verify_totp(user, code):
        throttle.count_code_failure(email)
        record("auth.mfa_failed", actor=user, organisation_id=user.organisation_id)
        return None
    return _signed_in_with(user, password)


def check_second_factor(user: User, code: str) -> str | None:
    """After the right password: how the code signs the user in ("totp" or "recovery-code"),
    or None. RateLimitedError when the account has had too many wrong codes lately."""
    throttle.check_code_attempt(user.email)
    if mfa.verify_totp(user, code):
        return "totp"
    if mfa.use_recovery_code(user, code):
        record("auth.recovery_code_used", actor=user, organisation_id=user.organisation_id)
        return "recovery-code"
    throttle.count_code_failure(user.email)
    record("auth.mfa_failed", actor=user, organisation_id=user.organisation_id)
    return None


# Two-factor policy --------------------------------------------------------------------------
def two_factor_required(user: User) -> bool:
    """Whether the user may sign in only with a second factor: buyer staff always; supplier
    users when a buyer admin has required it of them all."""
    if user.requires_mfa:
        return True
    return user.is_supplier and bool(
        db.session.scalar(
            db.select(
                db.exists().where(
                    Organisation.kind == OrgKind.BUYER.value,
                    Organisation.is_mfa_required_for_suppliers.is_(True),
                )
            )
        )
    )


def set_supplier_two_factor(buyer: Organisation, required: bool, *, actor: User) -> bool:
    """Require (or stop requiring) a second factor of every supplier user; True when this
    changed the setting. Supplier users without one set it up at their next sign-in."""
    if buyer.is_mfa_required_for_suppliers == required:
        return False
    buyer.is_mfa_required_for_suppliers = required
    record(
        "organisation.supplier_mfa",
        actor=actor,
        organisation_id=buyer.id,
        target=buyer,
        details={"required": required},
    )
    db.session.flush()
    return True


def start_session(user: User, *, method: str = "password") -> None:
    """Sign the user in with a new server-side session; the old cookie's data is dropped."""
    _new_session(user)
    record(
        "auth.login", actor=user, organisation_id=user.organisation_id, details={"method": method}
    )


def renew_session(user: User) -> None:
    """After a change of password or second factor: end every session of the user, here and
    on other devices, and carry on in a fresh one."""
    revoke_all_sessions(user)
    _new_session(user)


def _new_session(user: User) -> None:
    session.clear()  # no fixation: nothing from before sign-in survives
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_sha256(token),
            ip=request.remote_addr,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    user.session_token = token
    session.permanent = True
    login_user(user)
    if user.locale:
        session["lang"] = user.locale


def init_app(app) -> None:
    """Who is signed in: Flask-Login reads the user from the server-side session, and sends
    anyone who is not to the sign-in page."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are revocable server-side instead
    login_manager.user_loader(load_session_user)


def load_session_user(token: str) -> SessionUser | None:
    """Flask-Login's loader: the user of a live, unrevoked, unexpired session, or None.

    One query on every signed-in request, which writes nothing: the user, found through the
    session record, with the organisation every page names in its header, as plain columns
    (see portal.auth.session_user)."""
    limit = utcnow() - timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    rows = read_requests.rows(
        _live_session_user(), {"token_hash": _sha256(token), "created_after": limit}
    )
    if not rows:
        return None
    (user_id, org_id, email, name, role, locale, has_totp, kind, org_name, country, mfa) = rows[0]
    organisation = SessionOrganisation(org_id, kind, org_name, country, mfa)
    return SessionUser(user_id, org_id, email, name, role, locale, has_totp, organisation, token)


@cache
def _live_session_user():
    # Built once: constructing the statement costs more than running it.
    return (
        db.select(
            User.id,
            User.organisation_id,
            User.email,
            User.full_name,
            User.role,
            User.locale,
            User.totp_secret.is_not(None),
            Organisation.kind,
            Organisation.name,
            Organisation.country,
            Organisation.is_mfa_required_for_suppliers,
        )
        .join(UserSession, UserSession.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(
            UserSession.token_hash == db.bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.created_at > db.bindparam("created_after"),
            User.is_active.is_(True),
        )
    )


def account_of(user: SessionUser) -> User:
    """The signed-in user's account as the ORM object, to change it: read once per request
    (the session remembers it), carrying the session's token."""
    account = db.session.get(User, user.id)
    account.session_token = user.session_token
    return account


def end_session(user: User) -> None:
    """Sign out: the session row is revoked, so a copied cookie is useless too."""
    if user.session_token:
        db.session.execute(
            db.update(UserSession)
            .where(UserSession.token_hash == _sha256(user.session_token))
            .values(revoked_at=utcnow())
        )
    record("auth.logout", actor=user, organisation_id=user.organisation_id)
    logout_user()
    session.clear()


def revoke_all_sessions(user: User) -> None:
    """End every session of the user, everywhere."""
    db.session.execute(
        db.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# Passwords --------------------------------------------------------------------------------
def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    revoke_all_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    """Change the password of the signed-in user and end all their other sessions."""
    if not check_password_again(user, current):
        raise ServiceError(_l("The current password is not correct."))
    set_password(user, new)
    record("auth.password_changed", actor=user, organisation_id=user.organisation_id)
    renew_session(user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every older link stops working.
    return _sha256(user.password_hash)[:16]


def request_password_reset(email: str) -> None:
    """E-mail a reset link if the address belongs to an active user; silent otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    # However many addresses ask, one inbox gets a few links an hour at most.
    item = parse(current_app.config["RESET_MAILS_PER_ADDRESS"])
    if not limiter.limiter.hit(
        item, current_app.config["RATELIMIT_KEY_PREFIX"], "reset-mail", _sha256(user.email)
    ):
        log.warning("password reset mail to %r held back: limit reached", user.email)
        return
    token = _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})
    hours = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600)
    mail.send_later(
        mail.compose(
            user.email,
            _l("Reset your password"),
            "password_reset",
            # The language the user chose, else the one they are using the site in now.
            locale=user.locale or str(get_locale()),
            user=user,
            link=external_url("auth.reset_password", token=token),
            hours=hours,
        )
    )
    record("auth.password_reset_requested", actor=user, organisation_id=user.organisation_id)


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link belongs to, if it is genuine, unexpired and unused."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds()
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("p") != _password_fingerprint(user):
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """Set the password chosen through a reset link. The account's failed sign-ins are
    forgotten, so its owner gets in at once even while someone else is guessing."""
    set_password(user, password)
    throttle.forget_failures(user.email)
    record("auth.password_reset", actor=user, organisation_id=user.organisation_id)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, always on PUBLIC_URL: never on the Host header a
    request claims, which an attacker could point at their own site."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


# Invitations --------------------------------------------------------------------------------
def roles_for(organisation: Organisation) -> tuple[Role, ...]:
    """The roles a user of this organisation can have."""
    if organisation.is_buyer:
        return (Role.BUYER_ADMIN, Role.REVIEWER)
    return (Role.SUPPLIER_OWNER, Role.SUPPLIER_MEMBER)


def invite(
    organisation: Organisation, email: str, role: Role, *, invited_by: User
) -> Invitation | None:
    """Create an invitation and queue its e-mail; roles must belong to the organisation.

    An address that already has an account is refused with a message when the account is
    in the same organisation (or the inviter is buyer staff). A supplier inviting an
    address registered elsewhere gets the ordinary answer and nothing is sent (None), so
    that suppliers cannot find out who has an account in the portal.
    """
    email = normalise_email(email)
    if role not in roles_for(organisation):
        raise ServiceError(_l("That role does not exist in this organisation."))
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.organisation_id == organisation.id or invited_by.is_buyer_staff:
            raise ServiceError(_l("An account with this e-mail address already exists."))
        return None
    now = utcnow()
    # A new invitation to the same address replaces a pending one of this organisation.
    db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.organisation_id == organisation.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    invitation = Invitation(organisation_id=organisation.id, email=email, role=role.value)
    _send(invitation, organisation.name, invited_by)
    return invitation


def invite_new_organisation(name: str, kind: str, email: str, *, invited_by: User) -> Invitation:
    """Invite someone to create a new supplier organisation of this name and kind and become
    its owner; the organisation is made when the invitation is accepted.

    Refused with a message when the address already has an account (its organisation exists:
    choose that one instead) or the kind is not a supplier's.
    """
    email = normalise_email(email)
    if kind not in SUPPLIER_KINDS:
        raise ServiceError(_l("Choose whether the organisation is a reseller or a brand."))
    if find_user_by_email(email) is not None:
        raise ServiceError(_l("An account with this e-mail address already exists."))
    invitation = Invitation(
        organisation_id=None,
        new_organisation_name=" ".join(name.split()),
        new_organisation_kind=str(kind),
        email=email,
        role=Role.SUPPLIER_OWNER.value,
    )
    _send(invitation, invitation.new_organisation_name, invited_by)
    return invitation


def _send(invitation: Invitation, organisation_name: str, invited_by: User) -> None:
    """Give the invitation its secret link and time limit, store it, queue its e-mail."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _sha256(token)
    invitation.invited_by_id = invited_by.id
    invitation.expires_at = utcnow() + current_app.config["INVITATION_MAX_AGE"]
    db.session.add(invitation)
    db.session.flush()
    mail.send_later(
        mail.compose(
            invitation.email,
            _l("Invitation to the fair ICT supplier portal"),
            "invitation",
            locale=None,  # the invitee's language is not known yet: both
            invitation=invitation,
            organisation_name=organisation_name,
            inviter=invited_by,
            link=external_url("auth.accept_invitation", token=token),
            expires_at=invitation.expires_at,
        )
    )
    details = {"email": invitation.email, "role": invitation.role}
    if invitation.is_for_new_organisation:
        details["new_organisation"] = organisation_name
    record(
        "invitation.sent",
        actor=invited_by,
        organisation_id=invitation.organisation_id,
        target=invitation,
        details=details,
    )


def pending_invitation(token: str) -> Invitation | None:
    """The open, unexpired invitation a link points to, or None."""
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == _sha256(token))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        return None
    return invitation


def accept_invitation(
    invitation: Invitation, full_name: str, password: str, *, country: str = "SE"
) -> User:
    """Create the invited account, and first its organisation when the invitation is for a
    new one (registered in `country`). The invitation can be used only once; the features
    that wait for it hear of it through `signals.invitation_accepted`."""
    if find_user_by_email(invitation.email) is not None:
        raise ServiceError(_l("An account with this e-mail address already exists."))
    if invitation.is_for_new_organisation:
        organisation = create_organisation(
            kind=invitation.new_organisation_kind,
            name=invitation.new_organisation_name,
            org_number=None,
            country=country,
            contact_email=invitation.email,
            actor=invitation.invited_by,
        )
        invitation.organisation_id = organisation.id
    user = User(
        organisation_id=invitation.organisation_id,
        email=invitation.email,
        full_name=full_name.strip(),
        role=invitation.role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    invitation.accepted_at = utcnow()
    db.session.flush()
    record(
        "invitation.accepted",
        actor=user,
        organisation_id=invitation.organisation_id,
        target=invitation,
    )
    signals.invitation_accepted.send(invitation, user=user)
    return user


def revoke_invitation(invitation: Invitation, *, by: User) -> None:
    invitation.revoked_at = utcnow()
    record(
        "invitation.revoked",
        actor=by,
        organisation_id=invitation.organisation_id,
        target=invitation,
        details={"email": invitation.email},
    )


def open_invitations(organisation_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            db.select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at)
        )
    )


# Managing accounts: roles, deactivation and reactivation, colleagues -----------------------------


def get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def colleague_or_404(owner: User, user_id: int) -> User:
    """A user of the owner's own organisation; 404 for anyone else's, so ids reveal nothing."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != owner.organisation_id:
        abort(404)
    return user


def organisation_users(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            db.select(User)
            .where(User.organisation_id == organisation_id)
            .order_by(User.is_active.desc(), db.func.lower(User.full_name))
        )
    )


def active_supplier_users(organisation_id: int) -> list[User]:
    """The organisation's active owners and members, oldest account first: who is told what
    the region sends the organisation (reminders, notices, review outcomes)."""
    return list(
        db.session.scalars(
            db.select(User)
            .where(
                User.organisation_id == organisation_id,
                User.role.in_([role.value for role in SUPPLIER_ROLES]),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _active_owners(organisation_id: int, role: Role) -> int:
    return db.session.scalar(
        db.select(db.func.count(User.id)).where(
            User.organisation_id == organisation_id,
            User.role == role.value,
            User.is_active.is_(True),
        )
    )


def _keeps_someone_in_charge(user: User) -> None:
    """Refuse to leave an organisation without an active owner or buyer admin.

    Two owners removing each other at the same moment would each count two owners and both
    go ahead, so the organisation's row is locked first (SELECT … FOR UPDATE on PostgreSQL;
    SQLite's transactions already run one at a time, see portal/security.py): the second
    waits until the first has committed, then counts again and is refused.
    """
    if user.role not in (Role.SUPPLIER_OWNER, Role.BUYER_ADMIN) or not user.is_active:
        return
    db.session.execute(
        db.select(Organisation.id).where(Organisation.id == user.organisation_id).with_for_update()
    )
    if _active_owners(user.organisation_id, Role(user.role)) <= 1:
        raise ServiceError(
            _l(
                "The organisation must keep at least one active %(role)s.",
                role=Role(user.role).label.lower(),
            )
        )


def update_user(
    user: User, *, full_name: str, role: Role, expected_version: int, actor: User
) -> None:
    """Rename a user or change their role, refusing stale forms and impossible roles."""
    if user.version != expected_version:
        raise StaleEditError
    if role not in roles_for(user.organisation):
        raise ServiceError(_l("That role does not exist in this organisation."))
    name = full_name.strip()
    if role.value == user.role and name == user.full_name:
        return
    if role.value != user.role:
        _keeps_someone_in_charge(user)
        record(
            "user.role_changed",
            actor=actor,
            organisation_id=user.organisation_id,
            target=user,
            details={"from": user.role, "to": role.value, "email": user.email},
        )
        user.role = role.value
        # A role change takes effect everywhere at once: old sessions carried the old role.
        revoke_all_sessions(user)
    if name != user.full_name:
        record(
            "user.updated",
            actor=actor,
            organisation_id=user.organisation_id,
            target=user,
            details={"full_name": [user.full_name, name]},
        )
        user.full_name = name
    user.version += 1
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEditError from error


def deactivate(user: User, *, actor: User) -> None:
    """Block the account and end all its sessions at once."""
    if user.id == actor.id:
        raise ServiceError(_l("You cannot deactivate your own account."))
    if not user.is_active:
        return
    _keeps_someone_in_charge(user)
    user.is_active = False
    user.deactivated_at = utcnow()
    user.version += 1
    revoke_all_sessions(user)
    # Someone removed must not come back through an invitation they sent.
    db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.invited_by_id == user.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    record(
        "user.deactivated",
        actor=actor,
        organisation_id=user.organisation_id,
        target=user,
        details={"email": user.email},
    )


def reactivate(user: User, *, actor: User) -> None:
    if user.is_active:
        return
    user.is_active = True
    user.deactivated_at = None
    user.version += 1
    record(
        "user.reactivated",
        actor=actor,
        organisation_id=user.organisation_id,
        target=user,
        details={"email": user.email},
    )


#: Supplier organisations on a page of the buyer's lists of them.
ORGANISATIONS_PER_PAGE = 50


def supplier_organisations_page(page: int, search: str = "") -> Page:
    """A page of the supplier organisations whose name contains `search` (all when empty),
    by name, each with its number of active users (two queries, however many there are)."""
    active_users = (
        db.select(db.func.count(User.id))
        .where(User.organisation_id == Organisation.id, User.is_active.is_(True))
        .correlate(Organisation)
        .scalar_subquery()
    )
    statement = suppliers_select(active_users.label("user_count"))
    if search:
        statement = statement.where(
            db.func.lower(Organisation.name).contains(search.lower(), autoescape=True)
        )
    return page_of(statement, page, ORGANISATIONS_PER_PAGE)
