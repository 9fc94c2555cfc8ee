"""The audit log in words: a sentence per event, naming the people, organisations,
responses and documents it concerns.

`describe(events)` looks every referenced row up once per kind (users, reviews, responses,
documents), whatever the number of events, so a page of the log takes the same queries for
few or many rows. Every action in `ACTIONS` has a sentence here (a test holds it so); an
action this code does not know falls back to its label and its details.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from portal.audit.services import AuditEvent, action_label
from portal.auth.services import User
from portal.evidence.services import EvidenceDocument
from portal.extensions import db
from portal.factories.services import RISK_LABELS
from portal.findings.services import SEVERITY_LABELS as FINDING_SEVERITY_LABELS
from portal.ladder.services import STATUS_LABELS as MARK_STATUS_LABELS
from portal.orgs.services import KIND_LABELS, OrgKind, country_name
from portal.questionnaires.services import Response
from portal.review.services import Review
from portal.roles import ROLE_LABELS, Role
from portal.timeutil import show_date, show_datetime

#: What the organisation fields are called when an edit is told (organisation.updated).
ORGANISATION_FIELDS = {
    "kind": _l("kind"),
    "name": _l("name"),
    "org_number": _l("organisation number"),
    "country": _l("country"),
    "contact_email": _l("contact e-mail address"),
}


@dataclass
class Names:
    """The rows a page of events refers to, each kind fetched in one query."""

    users: dict[int, User] = field(default_factory=dict)
    users_by_email: dict[str, User] = field(default_factory=dict)
    responses: dict[int, Response] = field(default_factory=dict)
    #: Review id -> response id (review.assigned targets the review).
    reviews: dict[int, int] = field(default_factory=dict)
    documents: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, events: list[AuditEvent]) -> "Names":
        names = cls()
        user_ids = {e.actor_id for e in events if e.actor_id}
        user_ids |= _targets(events, "users")
        emails = {
            e.details.get("reviewer")
            for e in events
            if e.action == "review.assigned" and e.details.get("reviewer")
        }
        if user_ids or emails:
            for user in db.session.scalars(
                db.select(User).where(or_(User.id.in_(user_ids), User.email.in_(emails)))
            ):
                names.users[user.id] = user
                names.users_by_email[user.email] = user
        review_ids = _targets(events, "reviews")
        if review_ids:
            names.reviews = dict(
                db.session.execute(
                    db.select(Review.id, Review.response_id).where(Review.id.in_(review_ids))
                ).all()
            )
        response_ids = _targets(events, "responses") | set(names.reviews.values())
        if response_ids:
            names.responses = {
                r.id: r
                for r in db.session.scalars(
                    db.select(Response).where(Response.id.in_(response_ids))
                )
            }
        document_ids = _targets(events, "evidence_documents")
        if document_ids:
            names.documents = dict(
                db.session.execute(
                    db.select(EvidenceDocument.id, EvidenceDocument.filename).where(
                        EvidenceDocument.id.in_(document_ids)
                    )
                ).all()
            )
        return names


def _targets(events: Iterable[AuditEvent], table: str) -> set[int]:
    return {e.target_id for e in events if e.target_type == table and e.target_id}


@dataclass
class Event:
    """One event with the names it needs, as the sentences read them."""

    row: AuditEvent
    names: Names

    @property
    def details(self) -> dict:
        return self.row.details or {}

    @property
    def actor(self) -> str:
        user = self.names.users.get(self.row.actor_id) if self.row.actor_id else None
        if user is not None:
            return user.full_name
        return self.row.actor_email or gettext("Someone")

    @property
    def response(self) -> Response | None:
        if self.row.target_type == "reviews":
            return self.names.responses.get(self.names.reviews.get(self.row.target_id))
        if self.row.target_type == "responses":
            return self.names.responses.get(self.row.target_id)
        return None

    @property
    def organisation(self) -> str:
        if self.row.organisation is not None:
            return self.row.organisation.name
        response = self.response
        if response is not None:
            return response.organisation.name
        return gettext("an organisation")

    @property
    def round(self) -> str:
        response = self.response
        return response.round.title if response is not None else gettext("a round")

    @property
    def target_user(self) -> str:
        user = self.names.users.get(self.row.target_id) if self.row.target_type == "users" else None
        return user.full_name if user is not None else self.details.get("email", "?")

    @property
    def document(self) -> str:
        name = self.details.get("file") or self.names.documents.get(self.row.target_id)
        return name or gettext("a document")

    def count(self, key: str) -> int:
        value = self.details.get(key)
        return len(value) if isinstance(value, list | dict) else int(value or 0)


def _role(value) -> str:
    try:
        return str(ROLE_LABELS[Role(value)]).lower()
    except ValueError:
        return str(value)


def _moment(value) -> str:
    try:
        return show_datetime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value or "")


# The sentences ----------------------------------------------------------------------------------
def _login(e: Event) -> str:
    method = e.details.get("method")
    if method == "recovery-code":
        return gettext("%(actor)s signed in with a recovery code.", actor=e.actor)
    if method in ("totp", "totp-setup"):
        return gettext("%(actor)s signed in with a two-factor code.", actor=e.actor)
    return gettext("%(actor)s signed in.", actor=e.actor)


def _organisation_updated(e: Event) -> str:
    changed = [str(ORGANISATION_FIELDS[k]) for k in e.details if k in ORGANISATION_FIELDS]
    if not changed:
        return gettext(
            "%(actor)s changed the details of %(organisation)s.",
            actor=e.actor,
            organisation=e.organisation,
        )
    return gettext(
        "%(actor)s changed the details of %(organisation)s: %(fields)s.",
        actor=e.actor,
        organisation=e.organisation,
        fields=", ".join(changed),
    )


def _review_assigned(e: Event) -> str:
    email = e.details.get("reviewer")
    if not email:
        return gettext(
            "%(actor)s took the reviewer off %(organisation)s's response.",
            actor=e.actor,
            organisation=e.organisation,
        )
    reviewer = e.names.users_by_email.get(email)
    return gettext(
        "%(actor)s assigned %(organisation)s's response to %(reviewer)s.",
        actor=e.actor,
        organisation=e.organisation,
        reviewer=reviewer.full_name if reviewer else email,
    )


def _evidence_verdict(e: Event) -> str:
    if e.details.get("accepted"):
        return gettext(
            "%(actor)s accepted the document %(file)s from %(organisation)s.",
            actor=e.actor,
            file=e.document,
            organisation=e.organisation,
        )
    return gettext(
        "%(actor)s rejected the document %(file)s from %(organisation)s: %(reason)s",
        actor=e.actor,
        file=e.document,
        organisation=e.organisation,
        reason=e.details.get("reason") or "–",
    )


def _ladder_marked(e: Event) -> str:
    values = {
        "actor": e.actor,
        "step": e.details.get("step", "?"),
        "status": str(MARK_STATUS_LABELS.get(e.details.get("status"), e.details.get("status"))),
        "organisation": e.organisation,
        "date": show_date(e.details.get("marked_on")),
    }
    if e.details.get("brand"):
        return gettext(
            "%(actor)s marked step %(step)s of the ladder as “%(status)s” for %(organisation)s's "
            "brand %(brand)s, holding from %(date)s.",
            brand=e.details["brand"],
            **values,
        )
    return gettext(
        "%(actor)s marked step %(step)s of the ladder as “%(status)s” for %(organisation)s, "
        "holding from %(date)s.",
        **values,
    )


def _response_started(e: Event) -> str:
    if e.details.get("from"):
        return ngettext(
            "%(actor)s started %(organisation)s's response in %(round)s, carrying over "
            "%(num)d answer.",
            "%(actor)s started %(organisation)s's response in %(round)s, carrying over "
            "%(num)d answers.",
            e.count("carried_over"),
            actor=e.actor,
            organisation=e.organisation,
            round=e.round,
        )
    return gettext(
        "%(actor)s started %(organisation)s's response in %(round)s.",
        actor=e.actor,
        organisation=e.organisation,
        round=e.round,
    )


def _response_submitted(e: Event) -> str:
    if e.details.get("resubmission"):
        return gettext(
            "%(actor)s submitted %(organisation)s's response in %(round)s again.",
            actor=e.actor,
            organisation=e.organisation,
            round=e.round,
        )
    return gettext(
        "%(actor)s submitted %(organisation)s's response in %(round)s.",
        actor=e.actor,
        organisation=e.organisation,
        round=e.round,
    )


def _finding_recorded(e: Event) -> str:
    return gettext(
        "%(actor)s recorded the finding “%(title)s” (%(severity)s) at %(organisation)s: the "
        "plan is due on %(plan)s, the correction on %(correction)s.",
        actor=e.actor,
        title=e.details.get("title", "?"),
        severity=str(FINDING_SEVERITY_LABELS.get(e.details.get("severity"), "?")).lower(),
        organisation=e.organisation,
        plan=show_date(e.details.get("plan_due_on")),
        correction=show_date(e.details.get("correction_due_on")),
    )


def _finding_submitted(e: Event) -> str:
    values = {
        "actor": e.actor,
        "title": e.details.get("title", "?"),
        "organisation": e.organisation,
    }
    if e.details.get("stage") == "plan":
        return gettext(
            "%(actor)s sent %(organisation)s's corrective action plan for the finding “%(title)s”.",
            **values,
        )
    return gettext(
        "%(actor)s sent %(organisation)s's proof of the correction of the finding “%(title)s”.",
        **values,
    )


def _finding_decided(e: Event) -> str:
    values = {
        "actor": e.actor,
        "title": e.details.get("title", "?"),
        "organisation": e.organisation,
    }
    plan = e.details.get("stage") == "plan"
    if e.details.get("accepted"):
        if plan:
            return gettext(
                "%(actor)s accepted %(organisation)s's plan for the finding “%(title)s”.", **values
            )
        return gettext(
            "%(actor)s accepted %(organisation)s's proof and closed the finding “%(title)s”.",
            **values,
        )
    values["reason"] = e.details.get("reason") or "–"
    if plan:
        return gettext(
            "%(actor)s returned %(organisation)s's plan for the finding “%(title)s”: %(reason)s",
            **values,
        )
    return gettext(
        "%(actor)s returned %(organisation)s's proof for the finding “%(title)s”: %(reason)s",
        **values,
    )


def _finding_extended(e: Event) -> str:
    values = {
        "actor": e.actor,
        "title": e.details.get("title", "?"),
        "organisation": e.organisation,
        "old": show_date(e.details.get("from")),
        "new": show_date(e.details.get("to")),
        "reason": e.details.get("reason") or "–",
    }
    if e.details.get("stage") == "plan":
        return gettext(
            "%(actor)s moved the last day for %(organisation)s's plan for the finding "
            "“%(title)s” from %(old)s to %(new)s, because: %(reason)s",
            **values,
        )
    return gettext(
        "%(actor)s moved the last day for %(organisation)s's correction of the finding "
        "“%(title)s” from %(old)s to %(new)s, because: %(reason)s",
        **values,
    )


def _simple(text) -> Callable[[Event], str]:
    """A sentence that names only the actor (`text` marked with _l)."""
    return lambda e: str(text) % {"actor": e.actor}


SENTENCES: dict[str, Callable[[Event], str]] = {
    "auth.login": _login,
    "auth.login_failed": lambda e: gettext(
        "A sign-in as %(email)s failed.", email=e.details.get("email", "?")
    ),
    "auth.logout": _simple(_l("%(actor)s signed out.")),
    "auth.mfa_failed": _simple(_l("%(actor)s entered a wrong two-factor code.")),
    "auth.mfa_enabled": _simple(_l("%(actor)s set up two-factor sign-in.")),
    "auth.mfa_disabled": _simple(_l("%(actor)s turned off two-factor sign-in.")),
    "auth.recovery_code_used": _simple(_l("%(actor)s used a recovery code.")),
    "auth.recovery_codes_renewed": _simple(_l("%(actor)s made new recovery codes.")),
    "auth.password_changed": _simple(_l("%(actor)s changed their password.")),
    "auth.password_reset_requested": lambda e: gettext(
        "A link to reset the password of %(actor)s was asked for.", actor=e.actor
    ),
    "auth.password_reset": _simple(_l("%(actor)s chose a new password through a reset link.")),
    "invitation.sent": lambda e: (
        gettext(
            "%(actor)s invited %(email)s to create the organisation %(organisation)s.",
            actor=e.actor,
            email=e.details.get("email", "?"),
            organisation=e.details["new_organisation"],
        )
        if e.details.get("new_organisation")
        else gettext(
            "%(actor)s invited %(email)s to %(organisation)s as %(role)s.",
            actor=e.actor,
            email=e.details.get("email", "?"),
            organisation=e.organisation,
            role=_role(e.details.get("role")),
        )
    ),
    "invitation.accepted": lambda e: gettext(
        "%(actor)s accepted the invitation to %(organisation)s.",
        actor=e.actor,
        organisation=e.organisation,
    ),
    "invitation.revoked": lambda e: gettext(
        "%(actor)s withdrew the invitation of %(email)s to %(organisation)s.",
        actor=e.actor,
        email=e.details.get("email", "?"),
        organisation=e.organisation,
    ),
    "user.updated": lambda e: gettext(
        "%(actor)s changed the name %(old)s to %(new)s.",
        actor=e.actor,
        old=(e.details.get("full_name") or ["?", "?"])[0],
        new=(e.details.get("full_name") or ["?", "?"])[-1],
    ),
    "user.role_changed": lambda e: gettext(
        "%(actor)s changed the role of %(user)s from %(old)s to %(new)s.",
        actor=e.actor,
        user=e.target_user,
        old=_role(e.details.get("from")),
        new=_role(e.details.get("to")),
    ),
    "user.deactivated": lambda e: gettext(
        "%(actor)s removed the access of %(user)s.", actor=e.actor, user=e.target_user
    ),
    "user.reactivated": lambda e: gettext(
        "%(actor)s gave %(user)s access again.", actor=e.actor, user=e.target_user
    ),
    "organisation.created": lambda e: gettext(
        "%(actor)s added the organisation %(name)s (%(kind)s).",
        actor=e.actor,
        name=e.details.get("name") or e.organisation,
        kind=str(KIND_LABELS.get(OrgKind(e.details.get("kind", "reseller")), "")).lower(),
    ),
    "organisation.updated": _organisation_updated,
    "organisation.supplier_mfa": lambda e: (
        gettext("%(actor)s required two-factor sign-in of every supplier user.", actor=e.actor)
        if e.details.get("required")
        else gettext(
            "%(actor)s made two-factor sign-in optional for supplier users.", actor=e.actor
        )
    ),
    "accessibility.reported": lambda e: gettext(
        "%(actor)s reported an accessibility problem on the page %(page)s.",
        actor=e.actor,
        page=e.details.get("page") or "–",
    ),
    "round.opened": lambda e: ngettext(
        "%(actor)s opened the round %(title)s for %(num)d organisation, closing %(date)s.",
        "%(actor)s opened the round %(title)s for %(num)d organisations, closing %(date)s.",
        e.count("organisations"),
        actor=e.actor,
        title=e.details.get("title", "?"),
        date=_moment(e.details.get("closes_at")),
    ),
    "round.joined": lambda e: gettext(
        "%(actor)s added %(added)s and invited %(invited)s to the round %(title)s.",
        actor=e.actor,
        added=ngettext("%(num)d organisation", "%(num)d organisations", e.count("organisations")),
        invited=ngettext(
            "%(num)d new organisation", "%(num)d new organisations", e.count("invited")
        ),
        title=e.details.get("title", "?"),
    ),
    "round.extended": lambda e: gettext(
        "%(actor)s gave %(organisation)s until %(date)s to answer in the round %(title)s, "
        "because: %(reason)s",
        actor=e.actor,
        organisation=e.organisation,
        date=_moment(e.details.get("closes_at")),
        title=e.details.get("title", "?"),
        reason=e.details.get("reason") or "–",
    ),
    "round.thresholds_changed": lambda e: gettext(
        "%(actor)s set the market maturity thresholds of the round %(title)s: a mandatory "
        "requirement from %(requirement)s %%, an award criterion from %(award)s %%.",
        actor=e.actor,
        title=e.details.get("title", "?"),
        requirement=e.details.get("requirement", "?"),
        award=e.details.get("award", "?"),
    ),
    "contract.created": lambda e: gettext(
        "%(actor)s added the contract %(reference)s with %(organisation)s.",
        actor=e.actor,
        reference=e.details.get("reference", "?"),
        organisation=e.organisation,
    ),
    "contract.changed": lambda e: ngettext(
        "%(actor)s changed %(num)d detail of the contract %(reference)s with %(organisation)s.",
        "%(actor)s changed %(num)d details of the contract %(reference)s with %(organisation)s.",
        e.count("changes"),
        actor=e.actor,
        reference=e.details.get("reference", "?"),
        organisation=e.organisation,
    ),
    "contract.report_requested": lambda e: (
        gettext(
            "%(actor)s asked %(organisation)s for the report on the contract %(reference)s "
            "by %(date)s.",
            actor=e.actor,
            organisation=e.organisation,
            reference=e.details.get("reference", "?"),
            date=show_date(e.details.get("closes_on")),
        )
        if e.row.actor_id or e.row.actor_email
        else gettext(
            "The portal asked %(organisation)s for the report on the contract %(reference)s "
            "by %(date)s, as it falls due.",
            organisation=e.organisation,
            reference=e.details.get("reference", "?"),
            date=show_date(e.details.get("closes_on")),
        )
    ),
    "review.assigned": _review_assigned,
    "review.graded": lambda e: ngettext(
        "%(actor)s graded %(num)d answer of %(organisation)s's response.",
        "%(actor)s graded %(num)d answers of %(organisation)s's response.",
        e.count("questions"),
        actor=e.actor,
        organisation=e.organisation,
    ),
    "review.evidence_verdict": _evidence_verdict,
    "review.clarification_requested": lambda e: ngettext(
        "%(actor)s asked for clarification on %(num)d question of %(organisation)s's response.",
        "%(actor)s asked for clarification on %(num)d questions of %(organisation)s's response.",
        e.count("questions"),
        actor=e.actor,
        organisation=e.organisation,
    ),
    "review.clarification_answered": lambda e: gettext(
        "%(actor)s answered the clarification and submitted %(organisation)s's response again.",
        actor=e.actor,
        organisation=e.organisation,
    ),
    "review.accepted": lambda e: gettext(
        "%(actor)s accepted %(organisation)s's response with a total score of %(total)s.",
        actor=e.actor,
        organisation=e.organisation,
        total=format_decimal(e.details.get("total", 0), format="#,##0.##"),
    ),
    "ladder.marked": _ladder_marked,
    "evidence.uploaded": lambda e: gettext(
        "%(actor)s uploaded the document %(file)s for %(organisation)s.",
        actor=e.actor,
        file=e.document,
        organisation=e.organisation,
    ),
    "evidence.downloaded": lambda e: gettext(
        "%(actor)s downloaded the document %(file)s of %(organisation)s.",
        actor=e.actor,
        file=e.document,
        organisation=e.organisation,
    ),
    "evidence.removed": lambda e: gettext(
        "%(actor)s removed the document %(file)s of %(organisation)s.",
        actor=e.actor,
        file=e.document,
        organisation=e.organisation,
    ),
    "factory.added": lambda e: gettext(
        "%(actor)s added the factory %(name)s to the list of %(organisation)s.",
        actor=e.actor,
        name=e.details.get("name", "?"),
        organisation=e.organisation,
    ),
    "factory.changed": lambda e: gettext(
        "%(actor)s changed the factory %(name)s in the list of %(organisation)s.",
        actor=e.actor,
        name=e.details.get("name", "?"),
        organisation=e.organisation,
    ),
    "factory.brand_confirmed": lambda e: gettext(
        "%(actor)s recorded that %(organisation)s confirmed its factory list with %(brand)s "
        "on %(date)s.",
        actor=e.actor,
        organisation=e.organisation,
        brand=e.details.get("brand", "?"),
        date=show_date(e.details.get("confirmed_on")),
    ),
    "factory.left": lambda e: gettext(
        "%(actor)s recorded that the factory %(name)s left the supply chain of "
        "%(organisation)s on %(date)s.",
        actor=e.actor,
        name=e.details.get("name", "?"),
        organisation=e.organisation,
        date=show_date(e.details.get("left_on")),
    ),
    "factory.imported": lambda e: ngettext(
        "%(actor)s imported %(num)d factory from %(file)s into the list of %(organisation)s.",
        "%(actor)s imported %(num)d factories from %(file)s into the list of %(organisation)s.",
        e.count("rows"),
        actor=e.actor,
        file=e.details.get("file", "?"),
        organisation=e.organisation,
    ),
    "factory.columns_matched": lambda e: ngettext(
        "%(actor)s matched %(num)d column of %(file)s to the factory list of %(organisation)s.",
        "%(actor)s matched %(num)d columns of %(file)s to the factory list of %(organisation)s.",
        e.count("columns"),
        actor=e.actor,
        file=e.details.get("file", "?"),
        organisation=e.organisation,
    ),
    "factory.risk_added": lambda e: gettext(
        "%(actor)s added the risk %(risk)s to the factory %(factory)s.",
        actor=e.actor,
        risk=str(RISK_LABELS.get(e.details.get("category"), e.details.get("category"))).lower(),
        factory=e.details.get("factory", "?"),
    ),
    "factory.risk_removed": lambda e: gettext(
        "%(actor)s removed the risk %(risk)s from the factory %(factory)s.",
        actor=e.actor,
        risk=str(RISK_LABELS.get(e.details.get("category"), e.details.get("category"))).lower(),
        factory=e.details.get("factory", "?"),
    ),
    "factory.risk_scale": lambda e: gettext(
        "%(actor)s set the risk scale of %(organisation)s to %(severity)s levels of severity "
        "and %(likelihood)s of likelihood.",
        actor=e.actor,
        organisation=e.organisation,
        severity=e.details.get("severity_max", "?"),
        likelihood=e.details.get("likelihood_max", "?"),
    ),
    "response.started": _response_started,
    "response.submitted": _response_submitted,
    "finding.recorded": _finding_recorded,
    "finding.submitted": _finding_submitted,
    "finding.decided": _finding_decided,
    "finding.extended": _finding_extended,
    "country_risks.imported": lambda e: gettext(
        "%(actor)s imported the country-risk table from %(file)s: %(added)s countries added, "
        "%(changed)s changed.",
        actor=e.actor,
        file=e.details.get("file", "?"),
        added=e.count("added"),
        changed=e.count("changed"),
    ),
    "country_risk.changed": lambda e: gettext(
        "%(actor)s changed the country-risk figures for %(country)s.",
        actor=e.actor,
        country=country_name(str(e.details.get("country", "?"))),
    ),
    "selection.audit_planned": lambda e: gettext(
        "%(actor)s planned a desktop audit of %(organisation)s for %(year)s.",
        actor=e.actor,
        organisation=e.organisation,
        year=e.details.get("year", "?"),
    ),
    "selection.audit_cancelled": lambda e: gettext(
        "%(actor)s removed the desktop audit of %(organisation)s planned for %(year)s.",
        actor=e.actor,
        organisation=e.organisation,
        year=e.details.get("year", "?"),
    ),
}


def _fallback(e: Event) -> str:
    """An action without a sentence: who, the action's label, and the details as they are."""
    details = "; ".join(f"{key}: {value}" for key, value in e.details.items())
    text = gettext("%(actor)s: %(event)s.", actor=e.actor, event=action_label(e.row.action))
    return f"{text} ({details})" if details else text


def describe(events: Iterable[AuditEvent]) -> dict[int, str]:
    """A sentence per event, by event id, in the current language (a query per kind of row
    referred to, not per event)."""
    events = list(events)
    names = Names.of(events)
    sentences = {}
    for row in events:
        event = Event(row, names)
        try:
            sentences[row.id] = SENTENCES.get(row.action, _fallback)(event)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            # Details recorded by an older version of the code: say what is known.
            sentences[row.id] = _fallback(event)
    return sentences
