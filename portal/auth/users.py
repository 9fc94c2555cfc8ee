"""Managing accounts: roles, deactivation and reactivation, and colleagues."""

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.auth.models import Invitation, Role, User
from portal.auth.services import ServiceError, revoke_all_sessions, roles_for
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.orgs.services import StaleEditError
from portal.timeutil import utcnow


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
