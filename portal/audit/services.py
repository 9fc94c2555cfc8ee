"""Recording audit events. Every feature that changes state calls `record`."""

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.audit.models import AuditEvent
from portal.extensions import db

#: Every action the log knows, with the label shown to buyer admins.
ACTIONS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "auth.mfa_failed": _l("Failed two-factor code"),
    "auth.mfa_enabled": _l("Two-factor sign-in set up"),
    "auth.mfa_disabled": _l("Two-factor sign-in turned off"),
    "auth.recovery_code_used": _l("Recovery code used"),
    "auth.recovery_codes_renewed": _l("Recovery codes renewed"),
    "auth.password_changed": _l("Password changed"),
    "auth.password_reset_requested": _l("Password reset requested"),
    "auth.password_reset": _l("Password reset by e-mail link"),
    "invitation.sent": _l("Invitation sent"),
    "invitation.accepted": _l("Invitation accepted"),
    "invitation.revoked": _l("Invitation withdrawn"),
    "user.updated": _l("User details changed"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("User deactivated"),
    "user.reactivated": _l("User reactivated"),
    "organisation.created": _l("Organisation created"),
    "organisation.updated": _l("Organisation changed"),
    "organisation.supplier_mfa": _l("Two-factor sign-in for suppliers changed"),
    "accessibility.reported": _l("Accessibility problem reported"),
    "round.opened": _l("Round opened"),
    "round.joined": _l("Organisations added to a round"),
    "round.extended": _l("Closing time extended for an organisation"),
    "round.thresholds_changed": _l("Market maturity thresholds changed"),
    "contract.created": _l("Contract added"),
    "contract.changed": _l("Contract changed"),
    "contract.report_requested": _l("Contract report requested"),
    "review.assigned": _l("Response assigned to a reviewer"),
    "review.graded": _l("Answers graded"),
    "review.evidence_verdict": _l("Evidence accepted or rejected"),
    "review.clarification_requested": _l("Clarification requested"),
    "review.clarification_answered": _l("Clarification answered"),
    "review.accepted": _l("Response accepted"),
    "ladder.marked": _l("Ladder milestone marked"),
    "evidence.uploaded": _l("Evidence uploaded"),
    "evidence.downloaded": _l("Evidence downloaded"),
    "evidence.removed": _l("Evidence removed"),
    "factory.added": _l("Factory added"),
    "factory.changed": _l("Factory changed"),
    "factory.left": _l("Factory left the supply chain"),
    "factory.brand_confirmed": _l("Factory list confirmed with a brand"),
    "factory.imported": _l("Factory list imported"),
    "factory.columns_matched": _l("Columns of a factory list matched"),
    "factory.risk_added": _l("Factory risk added"),
    "factory.risk_removed": _l("Factory risk removed"),
    "factory.risk_scale": _l("Risk scale changed"),
    "response.started": _l("Response started"),
    "response.submitted": _l("Response submitted"),
    "finding.recorded": _l("Finding recorded"),
    "finding.submitted": _l("Corrective action plan or proof sent"),
    "finding.decided": _l("Corrective action plan or proof accepted or returned"),
    "finding.extended": _l("Corrective action deadline extended"),
    "country_risks.imported": _l("Country-risk table imported"),
    "country_risk.changed": _l("Country risk changed"),
    "selection.audit_planned": _l("Desktop audit planned"),
    "selection.audit_cancelled": _l("Planned desktop audit removed"),
}


def record(
    action: str,
    *,
    actor=None,
    organisation_id: int | None = None,
    target=None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records).

    `actor` defaults to the signed-in user; `target` is any model row with an `id`.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        organisation_id=organisation_id,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        ip=request.remote_addr if has_request_context() else None,
        details=details or {},
    )
    db.session.add(event)
    return event


def action_label(action: str) -> str:
    """The translated label of an action, or the raw name for one no longer defined."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


def events_page(*, action: str | None, organisation_id: int | None, page: int, per_page: int):
    """One page of the log, newest first, narrowed to an action and an organisation when given;
    each event's organisation comes with it (one query for the page, one for the names)."""
    query = db.select(AuditEvent).options(selectinload(AuditEvent.organisation))
    if action:
        query = query.where(AuditEvent.action == action)
    if organisation_id:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
