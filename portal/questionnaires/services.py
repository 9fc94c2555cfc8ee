"""Publishing versions, opening rounds, and filling, saving and submitting responses.

Services add and flush; the request boundary commits. Saving a section touches the
database a fixed number of times whatever the number of answers: one read of the answers,
one bulk update, one bulk insert of new answers, one bulk insert of their history.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, Text, any_, bindparam, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defaultload, lazyload

from portal import read_requests, signals
from portal.arguments import whole_number
from portal.audit.services import record
from portal.auth.services import (
    Invitation,
    ServiceError,
    User,
    find_user_by_email,
    invite_new_organisation,
)
from portal.definitions import Kind
from portal.definitions import publish as publish_definition
from portal.extensions import db
from portal.factories.services import Coverage
from portal.factories.services import coverage as register_coverage
from portal.factories.services import snapshot as factory_snapshot
from portal.orgs.services import Organisation, OrgKind
from portal.paging import Page, page_of
from portal.questionnaires import market
from portal.questionnaires.definitions import load_file
from portal.questionnaires.models import AnswerChange, RoundInvitation
from portal.texts import text_in
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.definitions import PublishError  # noqa: F401
from portal.questionnaires.definitions import Definition, question_weight  # noqa: F401
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.labels import (  # noqa: F401
    CRITERION_LABELS,
    EVIDENCE_LABELS,
    INTENDED_USE_LABELS,
)
from portal.questionnaires.models import (  # noqa: F401
    DEFAULT_REMINDER_DAYS,
    MARKET_MEETS,
    ROUND_KIND_LABELS,
    STAFF_VISIBLE,
    Answer,
    ClarificationMessage,
    MarketAnswer,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Round,
    RoundExtension,
    RoundKind,
)
from portal.questionnaires.schemas import EVIDENCE_KINDS  # noqa: F401
from portal.questionnaires.threads import (  # noqa: F401
    OpenQuestion,
    open_questions,
    post_messages,
    threads_by_question,
    waiting_for_answers,
)


# Publishing ---------------------------------------------------------------------------------
def _fill(version: QuestionnaireVersion, content: dict) -> None:
    # The definition is kept by content hash, so corrected content is read afresh.
    version.title_sv, version.title_en = content["title"]["sv"], content["title"]["en"]


def _changes(version: QuestionnaireVersion, content: dict) -> str:
    changed = changed_keys(version.definition, Definition(content))
    return f"Changed: {', '.join(changed) or 'titles or section texts'}."


def has_responses(version: QuestionnaireVersion) -> bool:
    return (
        db.session.scalar(db.select(Response.id).where(Response.version_id == version.id).limit(1))
        is not None
    )


def changed_keys(old: Definition, new: Definition) -> list[str]:
    """Question keys that differ in any way between two definitions (added or removed too)."""
    keys = list(dict.fromkeys([*old.questions, *new.questions]))
    return [k for k in keys if old.questions.get(k) != new.questions.get(k)]


#: Questionnaires as versioned definitions: a version that has responses never changes.
QUESTIONNAIRES = Kind(
    tag=None,
    load=load_file,
    model=QuestionnaireVersion,
    in_use=has_responses,
    used_by="responses",
    fill=_fill,
    changes=_changes,
)


def publish(key: str, number: int, *, root=None) -> tuple[QuestionnaireVersion, str]:
    """Load questionnaires/<key>/v<number>.yaml into the database (see
    `portal.definitions.publish`).

    Returns the version and what happened ("published", "unchanged" or "updated"). A version
    that already has responses can never change: a different file is refused with a
    PublishError naming the questions that differ.
    """
    return publish_definition(QUESTIONNAIRES, key, number, root=root)


def published_versions() -> list[QuestionnaireVersion]:
    return list(
        db.session.scalars(
            db.select(QuestionnaireVersion).order_by(
                QuestionnaireVersion.key, QuestionnaireVersion.number
            )
        )
    )


# Comparing versions ---------------------------------------------------------------------------
@dataclass
class QuestionChange:
    key: str
    kind: str  # added, removed, reworded, retyped, changed
    old: dict | None
    new: dict | None
    details: list[str] = field(default_factory=list)


def compare(old: Definition, new: Definition) -> list[QuestionChange]:
    """What changed from one version to another, question by question, in the new order."""
    changes = []
    for key in dict.fromkeys([*new.questions, *old.questions]):
        a, b = old.questions.get(key), new.questions.get(key)
        if a == b:
            continue
        if a is None:
            changes.append(QuestionChange(key, "added", None, b))
        elif b is None:
            changes.append(QuestionChange(key, "removed", a, None))
        elif a["type"] != b["type"]:
            changes.append(QuestionChange(key, "retyped", a, b))
        elif a["text"] != b["text"]:
            changes.append(QuestionChange(key, "reworded", a, b, _other_changes(a, b)))
        else:
            changes.append(QuestionChange(key, "changed", a, b, _other_changes(a, b)))
    return changes


def compare_by_section(old: Definition, new: Definition) -> list[tuple[dict, list[QuestionChange]]]:
    """`compare`'s changes under the section each question is in: the new version's
    sections in order, then sections that only the old version has (for removed questions).
    Sections without changes are left out."""
    groups: dict[str, list[QuestionChange]] = {}
    for change in compare(old, new):
        section_key = (new if change.new else old).section_of[change.key]
        groups.setdefault(section_key, []).append(change)
    sections = [*new.sections, *(s for s in old.sections if new.section(s["key"]) is None)]
    return [(s, groups[s["key"]]) for s in sections if s["key"] in groups]


def _other_changes(a: dict, b: dict) -> list[str]:
    return [
        name for name in sorted(set(a) | set(b)) if name != "text" and a.get(name) != b.get(name)
    ]


# Rounds -----------------------------------------------------------------------------------------
def version_choices(lang: str) -> list[tuple[int, str]]:
    """Every published version as (id, "title (vN)"), the latest published first."""
    return [(v.id, f"{v.title(lang)} (v{v.number})") for v in reversed(published_versions())]


def version_by_id(version_id: int) -> QuestionnaireVersion | None:
    """The published version with this id, if there is one."""
    return db.session.get(QuestionnaireVersion, version_id)


def supplier_choices() -> list[tuple[int, str]]:
    """Every supplier organisation as (id, name), by name."""
    return db.session.execute(_suppliers_by_name(Organisation.id, Organisation.name)).all()


def _suppliers_by_name(*columns):
    return (
        db.select(*columns)
        .where(Organisation.kind != OrgKind.BUYER)
        .order_by(db.func.lower(Organisation.name), Organisation.id)
    )


#: A round form lists every supplier organisation it can offer when there are at most this
#: many; more are searched, so that the page stays small however many there are.
ALL_ORGANISATIONS_UP_TO = 100
#: How many organisations a search lists at most.
ORGANISATIONS_FOUND = 50


@dataclass(frozen=True)
class OrganisationChoices:
    """The supplier organisations a round form offers to tick, as (id, name) in the order
    shown."""

    organisations: list[tuple[int, str]]
    #: Whether there are too many to list whole: then `organisations` are those already
    #: ticked followed by the first ORGANISATIONS_FOUND that the search matches.
    searched: bool = False
    #: The search, how many organisations it matches, and how many of those are shown.
    search: str = ""
    matching: int = 0
    shown: int = 0


def organisation_choices(
    ticked: list[str], search: str = "", *, outside_round: int | None = None
) -> OrganisationChoices:
    """The supplier organisations a round can be opened to (or, with `outside_round`, that
    are not in that round yet): all of them when there are at most ALL_ORGANISATIONS_UP_TO;
    otherwise those `ticked` (ids as sent) and the first by name of those whose name
    contains `search`."""
    offered = _suppliers_by_name(Organisation.id, Organisation.name)
    if outside_round is not None:
        inside = db.select(Response.organisation_id).where(Response.round_id == outside_round)
        offered = offered.where(Organisation.id.not_in(inside))
    total = db.session.scalar(db.select(db.func.count()).select_from(offered.subquery()))
    if total <= ALL_ORGANISATIONS_UP_TO:
        return OrganisationChoices(db.session.execute(offered).all())
    ids = {number for value in ticked if (number := whole_number(value)) is not None}
    chosen = db.session.execute(offered.where(Organisation.id.in_(ids))).all() if ids else []
    if search:
        offered = offered.where(
            db.func.lower(Organisation.name).contains(search.lower(), autoescape=True)
        )
    found = page_of(offered, 1, ORGANISATIONS_FOUND)
    more = [row for row in found.items if row.id not in ids]
    return OrganisationChoices(chosen + more, True, search, found.total, len(found.items))


def end_of_day(day: date) -> datetime:
    """The last second of a day in the portal's time zone (Swedish time): when a round
    that closes on that day closes."""
    return local_moment(day, time(23, 59, 59))


def local_moment(day: date, at: time) -> datetime:
    """A day and a time of day as read on a Swedish clock, as an aware moment."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, at, tzinfo=zone)


@dataclass
class NewOrganisation:
    """An organisation not in the portal yet, invited to a round through one person."""

    name: str
    kind: str
    email: str


def open_round(
    *,
    title: str,
    version: QuestionnaireVersion,
    closes_at: datetime,
    organisation_ids: list[int],
    actor: User | None,
    kind: str = RoundKind.TENDER.value,
    opens_at: datetime | None = None,
    reminder_days: list[int] | None = None,
    new_organisations: list[NewOrganisation] = (),
) -> Round:
    """Open a version to the chosen supplier organisations; each gets a response to start
    once the round opens (at once without `opens_at`). Each new organisation gets an
    invitation for one person; it joins the round when that person accepts. Without an
    `actor` the round is opened by a scheduled command (and can invite nobody new).

    Refused with a ServiceError, before anything changes, when an invited address already has
    an account (its organisation is to be chosen instead) or is given twice.
    """
    _check_new_addresses(new_organisations)
    round_ = Round(
        kind=str(kind),
        title=title.strip(),
        version_id=version.id,
        opens_at=opens_at or utcnow(),
        closes_at=closes_at,
        opened_by_id=actor.id if actor is not None else None,
        reminder_days=sorted(
            set(DEFAULT_REMINDER_DAYS if reminder_days is None else reminder_days), reverse=True
        ),
    )
    db.session.add(round_)
    db.session.flush()
    add_to_round(round_, organisation_ids)
    invited = _invite_to_round(round_, new_organisations, actor)
    record(
        "round.opened",
        actor=actor,
        target=round_,
        details={
            "title": round_.title,
            "kind": round_.kind,
            "version": version.label,
            "organisations": organisation_ids,
            "invited": invited,
            "opens_at": round_.opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
        },
    )
    return round_


def join_round(
    round_: Round,
    *,
    organisation_ids: list[int],
    new_organisations: list[NewOrganisation],
    actor: User,
) -> tuple[int, int]:
    """Add organisations to a round that has not closed, as if it had been opened to them:
    each chosen organisation gets a response (none twice), each new one an invitation for one
    person, joining when that person accepts. Returns how many organisations were added and
    how many invited. Refused with a ServiceError, before anything changes, once
    the round has closed or when an invited address already has an account or is given
    twice."""
    if round_.has_closed:
        raise ServiceError(
            _l(
                "The round has closed, so no organisation can join it. Open a new round "
                "for them instead."
            )
        )
    _check_new_addresses(new_organisations)
    added = add_to_round(round_, organisation_ids)
    invited = _invite_to_round(round_, new_organisations, actor)
    if added or invited:
        record(
            "round.joined",
            actor=actor,
            target=round_,
            details={"title": round_.title, "organisations": added, "invited": invited},
        )
    return len(added), len(invited)


def _invite_to_round(
    round_: Round, new_organisations: list[NewOrganisation], actor: User | None
) -> list[str]:
    """Invite each new organisation's person; the organisation joins the round on acceptance.
    Returns the addresses invited."""
    invited = []
    for new in new_organisations:
        invitation = invite_new_organisation(new.name, new.kind, new.email, invited_by=actor)
        db.session.add(RoundInvitation(round_id=round_.id, invitation_id=invitation.id))
        invited.append(invitation.email)
    return invited


def _check_new_addresses(new_organisations: list[NewOrganisation]) -> None:
    emails = [new.email.strip().lower() for new in new_organisations]
    if len(set(emails)) < len(emails):
        raise ServiceError(_l("Each new organisation needs its own e-mail address."))
    for email in emails:
        if find_user_by_email(email) is not None:
            raise ServiceError(
                _l(
                    "%(email)s already has an account: choose its organisation in the list "
                    "instead.",
                    email=email,
                )
            )


def add_to_round(round_: Round, organisation_ids: list[int]) -> list[int]:
    """Give each organisation a response to the round, unless it has one already; the ids of
    those that got one. One statement, which leaves out an organisation whose response is
    already there, or is made at the same moment by another request (two admins adding it,
    its first person accepting an invitation), instead of failing on the unique key."""
    rows = [
        {
            "round_id": round_.id,
            "organisation_id": org_id,
            "version_id": round_.version_id,
            "status": ResponseStatus.NOT_STARTED.value,
        }
        for org_id in dict.fromkeys(organisation_ids)
    ]
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert_new = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_new(Response)
        .on_conflict_do_nothing(index_elements=["round_id", "organisation_id"])
        .returning(Response.organisation_id)
    )
    return list(db.session.scalars(statement, rows))


@signals.invitation_accepted.connect
def _join_rounds(invitation, *, user, **_kwargs) -> None:
    """A new organisation joins the rounds it was invited to once its first person accepts:
    those of this invitation, and those of every other invitation of a new organisation to
    the same address not accepted yet. Each round invites anew an address it is given, and
    only one of the invitations can be accepted (the account then exists)."""
    if invitation.new_organisation_name is None:
        return  # an invitation to join an organisation that exists comes with no round
    round_ids = db.session.scalars(
        db.select(RoundInvitation.round_id)
        .join(Invitation, Invitation.id == RoundInvitation.invitation_id)
        .where(
            Invitation.email == invitation.email,
            Invitation.new_organisation_name.is_not(None),
            or_(Invitation.id == invitation.id, Invitation.accepted_at.is_(None)),
        )
    ).all()
    for round_ in db.session.scalars(db.select(Round).where(Round.id.in_(round_ids))):
        add_to_round(round_, [user.organisation_id])


def invited_to_round(round_id: int) -> list[Invitation]:
    """The invitations of new organisations sent with the round, not accepted yet, oldest
    first (one query). An address that has an account by now (it accepted the invitation of
    another round, and its organisation joined this one with it) is left out."""
    return list(
        db.session.scalars(
            db.select(Invitation)
            .join(RoundInvitation, RoundInvitation.invitation_id == Invitation.id)
            .where(
                RoundInvitation.round_id == round_id,
                Invitation.accepted_at.is_(None),
                ~db.exists().where(User.email == Invitation.email),
            )
            .order_by(Invitation.created_at, Invitation.id)
        )
    )


def extend_deadline(
    round_: Round, organisation_id: int, closes_at: datetime, reason: str, *, actor: User
) -> RoundExtension:
    """Give one organisation in the round a later closing time, with the reason (recorded in
    the audit log). A second extension for the same organisation replaces the first."""
    extension = db.session.scalar(
        db.select(RoundExtension).where(
            RoundExtension.round_id == round_.id,
            RoundExtension.organisation_id == organisation_id,
        )
    )
    if extension is None:
        extension = RoundExtension(round_id=round_.id, organisation_id=organisation_id)
        db.session.add(extension)
    extension.closes_at, extension.reason = closes_at, reason.strip()
    extension.extended_by_id, extension.created_at = actor.id, utcnow()
    db.session.flush()
    record(
        "round.extended",
        actor=actor,
        organisation_id=organisation_id,
        target=round_,
        details={
            "title": round_.title,
            "closes_at": closes_at.isoformat(),
            "reason": extension.reason,
        },
    )
    return extension


#: A round's page lists its organisations this many at a time.
ROUND_ORGANISATIONS_PER_PAGE = 50


def round_responses_page(round_id: int, page: int, search: str = "") -> Page:
    """A page of the round's responses, with their organisations and extensions, by
    organisation name: those whose organisation's name contains `search` (all when empty).
    Two queries, however many organisations the round has."""
    statement = (
        db.select(Response)
        .join(Response.organisation)
        .where(Response.round_id == round_id)
        .order_by(db.func.lower(Organisation.name), Organisation.id)
    )
    if search:
        statement = statement.where(
            db.func.lower(Organisation.name).contains(search.lower(), autoescape=True)
        )
    return page_of(statement, page, ROUND_ORGANISATIONS_PER_PAGE)


def round_organisation(round_id: int, organisation_id: int | None) -> tuple[int, str] | None:
    """(id, name) of the organisation when it is in the round, else None."""
    if organisation_id is None:
        return None
    return db.session.execute(
        db.select(Organisation.id, Organisation.name)
        .join(Response, Response.organisation_id == Organisation.id)
        .where(Response.round_id == round_id, Organisation.id == organisation_id)
    ).first()


def rounds_overview():
    """Every round with its number of responses per status, in one query."""
    counts = db.select(Response.round_id, Response.status, db.func.count(Response.id)).group_by(
        Response.round_id, Response.status
    )
    tally: dict[int, dict[str, int]] = {}
    for round_id, status, count in db.session.execute(counts):
        tally.setdefault(round_id, {})[status] = count
    rounds = db.session.scalars(db.select(Round).order_by(Round.closes_at.desc())).all()
    return [(r, tally.get(r.id, {})) for r in rounds]


# Reading responses ----------------------------------------------------------------------------
#: A response with its round, version and extension, in one query; its round's version is
#: its own, loaded once. Its organisation is read when asked for: the supplier's own is
#: already loaded with the user, and a section page never asks. Built once, as building
#: costs like running.
_RESPONSE = (
    db.select(Response)
    .options(defaultload(Response.round).lazyload(Round.version), lazyload(Response.organisation))
    .where(Response.id == bindparam("response_id"))
)


def response_for(user: User, response_id: int, *, staff_may_read: bool = False) -> Response | None:
    """The response if the user may see it: their own organisation's, or (for buyer staff,
    when allowed) any submitted one, also while it is back for clarification. None
    otherwise, so that ids reveal nothing."""
    response = db.session.execute(_RESPONSE, {"response_id": response_id}).scalar()
    if response is None:
        return None
    if response.organisation_id == user.organisation_id:
        return response
    if staff_may_read and user.is_buyer_staff and response.status in STAFF_VISIBLE:
        return response
    return None


def submitted_responses(limit: int = 100) -> list[Response]:
    """The latest submitted responses of every supplier, for buyer staff (one query)."""
    return list(
        db.session.scalars(
            db.select(Response)
            .where(Response.status == ResponseStatus.SUBMITTED.value)
            .order_by(Response.submitted_at.desc())
            .limit(limit)
        )
    )


def latest_submitted(organisation_ids: list[int]) -> dict[int, Response]:
    """Each organisation's most recently submitted response (also one sent back for
    clarification since), by organisation id; one query for any number of organisations."""
    if not organisation_ids:
        return {}
    ranked = (
        db.select(
            Response.id,
            db.func.row_number()
            .over(
                partition_by=Response.organisation_id,
                order_by=(Response.submitted_at.desc(), Response.id.desc()),
            )
            .label("rank"),
        )
        .where(Response.organisation_id.in_(organisation_ids), Response.submitted_at.is_not(None))
        .subquery()
    )
    found = db.session.scalars(
        db.select(Response).join(ranked, ranked.c.id == Response.id).where(ranked.c.rank == 1)
    )
    return {response.organisation_id: response for response in found}


def answers_of(response: Response) -> dict[str, Answer]:
    rows = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id))
    return {a.question_key: a for a in rows}


def frozen_factories(response: Response, key: str) -> list[dict] | None:
    """The factories frozen into `response` as its answer to the factory-list question
    `key`; None when it holds no such list (no such question, or not submitted yet)."""
    question = response.version.definition.questions.get(key)
    if question is None or question["type"] != "factory_list":
        return None
    value = db.session.scalar(
        db.select(Answer.value).where(Answer.response_id == response.id, Answer.question_key == key)
    )
    return None if value is None else REGISTRY["factory_list"].factories(value)


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer as a section page and a save read it: no more than they need."""

    value: object
    problems: list
    is_unconfirmed: bool
    version: int
    #: Set when read for a save (`lock_answers`): the row, who changed it last and when.
    id: int | None = None
    updated_by_id: int | None = None
    updated_by: str = ""
    updated_at: datetime | None = None


_ANSWERS = Answer.__table__
#: The answers of a response to some questions, as a section page reads them. Built once:
#: building a statement costs as much as running it. The problems come as text, and are
#: read only when there are any (most answers have none).
_PAGE_ANSWERS = db.select(
    _ANSWERS.c.question_key,
    _ANSWERS.c.value,
    db.cast(_ANSWERS.c.problems, Text),
    _ANSWERS.c.is_unconfirmed,
    _ANSWERS.c.version,
).where(_ANSWERS.c.response_id == bindparam("response_id"))
#: The answers to some questions only: on PostgreSQL the keys go as one array parameter,
#: so that the statement is the same whatever the keys, prepared once per connection; an IN
#: list (SQLite) is written out anew for every set of keys.
_TO_KEYS = {
    "postgresql": _ANSWERS.c.question_key
    == any_(bindparam("keys", type_=ARRAY(_ANSWERS.c.question_key.type))),
    "sqlite": _ANSWERS.c.question_key.in_(bindparam("keys", expanding=True)),
}
_PAGE_ANSWERS_TO = {name: _PAGE_ANSWERS.where(test) for name, test in _TO_KEYS.items()}
#: The same with what a save compares: the row, who changed it last and when.
_SAVE_ANSWERS = _PAGE_ANSWERS.add_columns(
    _ANSWERS.c.id, _ANSWERS.c.updated_by_id, User.__table__.c.full_name, _ANSWERS.c.updated_at
).outerjoin(User.__table__, User.__table__.c.id == _ANSWERS.c.updated_by_id)
_SAVE_ANSWERS_TO = {name: _SAVE_ANSWERS.where(test) for name, test in _TO_KEYS.items()}
_LOCK = (
    update(Response.__table__)
    .where(Response.__table__.c.id == bindparam("response_id"))
    .values(saved_at=bindparam("now"))
)


#: Beyond this many questions, a section reads all of the response's answers and keeps its
#: own: a long list of keys (an IN list, or an array on PostgreSQL) costs more to build,
#: send and look up than the answers it would leave out.
FEW_KEYS = 32


def _to_keys(statements: dict, keys: frozenset[str] | None):
    """The statement of `statements` that reads the answers to `keys` on this database, or
    None to read them all."""
    if keys is None or len(keys) > FEW_KEYS:
        return None
    return statements[db.engine.dialect.name]


def stored_answers(
    response: Response, keys: frozenset[str] | None = None
) -> dict[str, StoredAnswer]:
    """The response's answers by question key, as a section page shows them: one query, of
    the columns it needs, for the questions `keys` (`section_needs`; all when None)."""
    query, params = _PAGE_ANSWERS, {"response_id": response.id}
    if (to_keys := _to_keys(_PAGE_ANSWERS_TO, keys)) is not None:
        query, params["keys"] = to_keys, list(keys)
    return {
        key: StoredAnswer(value, _problems(problems), *rest)
        for key, value, problems, *rest in read_requests.rows(query, params)
        if keys is None or key in keys
    }


def _problems(text: str) -> list:
    return [] if text == "[]" else json.loads(text)


def lock_answers(response: Response, keys: frozenset[str] | None = None) -> dict[str, StoredAnswer]:
    """Take the response's row lock, then read its answers to the questions `keys` (all
    when None) with who changed each last: what `save_section` compares a post with. Two
    saves of one response then run one after the other, and the second reads what the first
    wrote."""
    db.session.execute(_LOCK, {"response_id": response.id, "now": utcnow()})
    query, params = _SAVE_ANSWERS, {"response_id": response.id}
    if (to_keys := _to_keys(_SAVE_ANSWERS_TO, keys)) is not None:
        query, params["keys"] = to_keys, list(keys)
    return {
        key: StoredAnswer(value, _problems(problems), *rest[:4], rest[4] or "", rest[5])
        for key, value, problems, *rest in read_requests.rows(query, params)
        if keys is None or key in keys
    }


def threads_of(response: Response) -> dict:
    """The clarification threads of the response by question; a response that was never
    submitted has none, and costs no query."""
    if response.status in (ResponseStatus.NOT_STARTED, ResponseStatus.DRAFT):
        return {}
    return threads_by_question(response.id)


def values_of(answers: dict[str, Answer]) -> dict:
    return {k: a.value for k, a in answers.items()}


@dataclass
class SectionProgress:
    key: str
    title: str
    answered: int
    required: int
    problems: int
    #: The market-questions part (its own page), not a section of the definition.
    is_market: bool = False

    @property
    def complete(self) -> bool:
        return self.answered >= self.required and not self.problems


def progress(
    definition: Definition,
    answers: dict[str, Answer],
    lang: str,
    gaps: dict[str, list[str]] | None = None,
) -> list[SectionProgress]:
    """Per section: required visible questions answered, of those required; hidden questions
    count for nothing. `gaps` (from `register_gaps`) tells which factory-list questions the
    register does not answer yet."""
    values = values_of(answers)
    visible = definition.visible_keys(values)
    gaps = gaps or {}
    result = []
    for section in definition.sections:
        required = answered = problems = 0
        for question in definition.answerable(section):
            key = question["key"]
            if key not in visible:
                continue
            answer = answers.get(key)
            kind = REGISTRY[question["type"]]
            if question["type"] == "factory_list" and answer is None:
                has_value = key not in gaps
            else:
                has_value = answer is not None and kind.is_answered(answer.value)
            if question.get("required"):
                required += 1
                answered += has_value and not (answer.problems if answer else [])
            if key in gaps or (answer is not None and (answer.problems or answer.is_unconfirmed)):
                problems += 1
        result.append(
            SectionProgress(
                section["key"], text_in(section["title"], lang), answered, required, problems
            )
        )
    return result


def market_progress(response: Response, complete: int | None = None) -> SectionProgress | None:
    """The market-questions part's progress, when the response has one: criteria with a
    complete answer, of all. `complete` (from `market.complete_counts`) spares the query."""
    if not market.asks_market_questions(response):
        return None
    if complete is None:
        complete = market.complete_counts([response.id]).get(response.id, 0)
    return SectionProgress(
        "market",
        str(_l("Market questions")),
        complete,
        len(response.version.definition.criteria),
        0,
        is_market=True,
    )


def market_answers_shown(response: Response) -> dict[str, MarketAnswer] | None:
    """The response's market answers by criterion, when it has a market-questions part (for
    the pages that show a response whole); None when it has none."""
    if not market.asks_market_questions(response):
        return None
    return market.market_answers_of(response)


def listed_brands(definition: Definition, values: dict, visible: set[str]) -> list[str]:
    """The brands the supplier names in the questionnaire's brand table: any visible table
    question with a `brand_name` column. Each brand once, as first written."""
    brands: dict[str, str] = {}
    for key, question in definition.questions.items():
        if key not in visible or not _lists_brands(question):
            continue
        for row in values.get(key) or []:
            name = row.get("brand_name") if isinstance(row, dict) else None
            if isinstance(name, str) and name.strip():
                brands.setdefault(" ".join(name.split()).casefold(), name.strip())
    return list(brands.values())


def _lists_brands(question: dict) -> bool:
    return question["type"] == "table" and any(
        c["key"] == "brand_name" for c in question["columns"]
    )


def section_needs(definition: Definition, section: dict) -> frozenset[str]:
    """The questions whose answers a section's page and its saves read: the section's own,
    for a factory-list question the brand tables (`register_gaps`), and every answer that
    decides whether these show."""

    def needs():
        keys = [q["key"] for q in section["questions"]]
        if any(q["type"] == "factory_list" for q in section["questions"]):
            keys += [k for k, q in definition.questions.items() if _lists_brands(q)]
        return definition.depends_on(keys)

    return definition.memo(("needs", section["key"]), needs)


def register_gaps(
    response: Response,
    answers: dict[str, Answer],
    coverage: Coverage | None = None,
    visible: set[str] | None = None,
) -> dict[str, list[str]]:
    """Each visible required factory-list question of a response still being drafted that
    the organisation's register does not answer yet, with why. Once submitted, the frozen list
    is the answer and nothing is missing. One query, or none when `coverage` is given;
    `visible`, the keys of the questions shown, when the caller has them."""
    if response.status not in (ResponseStatus.NOT_STARTED, ResponseStatus.DRAFT):
        return {}
    definition = response.version.definition
    questions = [
        q
        for q in definition.questions.values()
        if q["type"] == "factory_list" and q.get("required")
    ]
    if not questions:
        return {}
    values = values_of(answers)
    if visible is None:
        visible = definition.visible_keys(values)
    brands = listed_brands(definition, values, visible)
    coverage = coverage or register_coverage(response.organisation_id)
    gaps = {}
    for question in questions:
        if question["key"] not in visible:
            continue
        problems = REGISTRY["factory_list"].register_problems(question, coverage, brands)
        if problems:
            gaps[question["key"]] = problems
    return gaps


def responses_for_organisation(organisation_id: int):
    """The organisation's responses with their answers, for the list page: two queries."""
    responses = db.session.scalars(
        db.select(Response)
        .where(Response.organisation_id == organisation_id)
        .order_by(Response.id.desc())
    ).all()
    by_response: dict[int, dict[str, Answer]] = {r.id: {} for r in responses}
    if responses:
        for answer in db.session.scalars(
            db.select(Answer).where(Answer.response_id.in_(by_response))
        ):
            by_response[answer.response_id][answer.question_key] = answer
    return [(r, by_response[r.id]) for r in responses]


def rounds_of_supplier(organisation_id: int, lang: str) -> list[tuple[Response, list]]:
    """The organisation's responses, latest round first, each with its progress part by part
    (sections, then the market questions when the round asks them): the supplier's list of
    rounds. A fixed number of queries whatever the number of rounds."""
    rows = responses_for_organisation(organisation_id)
    register = register_coverage(organisation_id)
    complete = market.complete_counts([r.id for r, _answers in rows])
    items = []
    for response, answers in rows:
        gaps = register_gaps(response, answers, register)
        parts = progress(response.version.definition, answers, lang, gaps)
        extra = market_progress(response, complete.get(response.id, 0))
        items.append((response, [*parts, extra] if extra else parts))
    return items


# Starting and carrying over ------------------------------------------------------------------
def previous_response(response: Response) -> Response | None:
    """The organisation's latest other response to the same questionnaire, started or not
    empty, that answers could come from."""
    return db.session.scalar(
        db.select(Response)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .where(
            Response.organisation_id == response.organisation_id,
            Response.id != response.id,
            Response.status != ResponseStatus.NOT_STARTED.value,
            QuestionnaireVersion.key == response.version.key,
        )
        .order_by(Response.submitted_at.desc().nulls_last(), Response.id.desc())
        .limit(1)
    )


def start(response: Response, *, user: User, carry_from: Response | None) -> int:
    """Start a response, optionally pre-filled from an earlier one. Answers carry over
    where the question key and type match; reworded questions need confirming. Returns the
    number of answers carried over."""
    if response.status != ResponseStatus.NOT_STARTED:
        return 0
    now = utcnow()
    response.status = ResponseStatus.DRAFT.value
    response.started_at = now
    carried = 0
    if carry_from is not None:
        response.carried_from_id = carry_from.id
        old_def, new_def = carry_from.version.definition, response.version.definition
        rows, history = [], []
        for key, answer in answers_of(carry_from).items():
            old_q, new_q = old_def.questions.get(key), new_def.questions.get(key)
            if old_q is None or new_q is None or old_q["type"] != new_q["type"]:
                continue
            kind = REGISTRY[new_q["type"]]
            value = _still_valid(answer.value, new_q)
            if not kind.answerable or not kind.is_answered(value):
                continue
            rows.append(
                {
                    "response_id": response.id,
                    "question_key": key,
                    "value": value,
                    "problems": kind.problems(value, new_q),
                    "is_unconfirmed": old_q["text"] != new_q["text"] or value != answer.value,
                    "version": 1,
                    "updated_at": now,
                    "updated_by_id": user.id,
                }
            )
            history.append(
                {
                    "response_id": response.id,
                    "question_key": key,
                    "old_value": None,
                    "new_value": value,
                    "kind": "carry-over",
                    "note": f"{carry_from.version.label} #{carry_from.id}",
                    "changed_at": now,
                    "changed_by_id": user.id,
                }
            )
        if rows:
            db.session.execute(insert(Answer), rows)
            db.session.execute(insert(AnswerChange), history)
        carried = len(rows)
    record(
        "response.started",
        actor=user,
        organisation_id=response.organisation_id,
        target=response,
        details={"carried_over": carried, "from": carry_from.id if carry_from else None},
    )
    return carried


def _still_valid(value, question):
    """Drop choices that no longer exist in the new version's options (and stored values
    that are no choice at all)."""
    allowed = {o["value"] for o in question.get("options", [])}
    if question["type"] == "single_choice":
        return value if isinstance(value, str) and value in allowed else None
    if question["type"] == "multiple_choice":
        values = value if isinstance(value, list) else []
        kept = [v for v in values if isinstance(v, str) and v in allowed]
        return kept or None
    return value


# Saving -----------------------------------------------------------------------------------------
@dataclass
class Conflict:
    """A colleague saved this answer after the page was opened; nothing was overwritten."""

    key: str
    theirs: object
    mine: object
    by: str
    at: datetime
    version: int


@dataclass
class SaveResult:
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    #: Every answer of the response as it stands after the save.
    answers: dict[str, StoredAnswer] = field(default_factory=dict)


def digest(value) -> str:
    """A short fingerprint of a stored value, to tell whether a posted value was changed."""
    return hashlib.sha256(_CANONICAL.encode(value).encode()).hexdigest()[:16]


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


#: The `digest` of no answer: what a question left out of `seen` was seen as.
_NO_ANSWER = digest(None)


@dataclass
class SectionInput:
    """What a supplier sends for one section, as plain data: from the section's page, or
    from anything else that fills in answers."""

    #: Values in their type's stored shape, by question key; questions left out stay as
    #: they are. Values need not be valid: their problems are stored with them.
    answers: dict[str, object]
    #: (answer version, `digest` of the value) by question key, as the sender last saw
    #: them; a question left out counts as seen without an answer.
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Carried-over answers that the sender confirms as they are.
    confirmed: set[str] = field(default_factory=set)
    #: Replies to the region's questions, by question key.
    replies: dict[str, str] = field(default_factory=dict)


def save_section(
    response: Response,
    section: dict,
    posted: SectionInput,
    *,
    user: User,
    answers: dict[str, StoredAnswer] | None = None,
) -> SaveResult:
    """Store every answer of a section as posted, valid or not, keeping problems with it.

    Only answers this user changed are written. An answer that someone else changed since
    the page was opened, and that this user changed too, is not overwritten: it comes back
    as a conflict with both values (the user's own autosaves never conflict with a save).
    Replies to questions the region reopened in this section join their threads.
    `answers` are the answers as `lock_answers` read them in this transaction; without them
    the save takes the lock and reads them itself. A fixed number of queries, whatever the
    size of the section.
    """
    if answers is None:
        answers = lock_answers(response)
    now = utcnow()
    result = SaveResult(answers=dict(answers))
    updates, inserts, history = [], [], []
    for question in section["questions"]:
        key = question["key"]
        if key not in posted.answers or not response.is_open_question(key):
            continue
        existing = answers.get(key)
        change = _section_change(question, existing, posted, user, result)
        if change is None:
            continue
        value, problems, touched = change
        version = existing.version + 1 if existing else 1
        row = {
            "value": value,
            "problems": problems,
            "is_unconfirmed": False,
            "version": version,
            "updated_at": now,
            "updated_by_id": user.id,
        }
        if existing is None:
            inserts.append({"response_id": response.id, "question_key": key, **row})
        else:
            updates.append({"answer_id": existing.id, **row})
        old = existing.value if existing else None
        kind = "edit" if touched else "confirm"
        history.append(_change(response, key, old, value, now, user, kind=kind))
        result.versions[key] = version
        result.changed.append(key)
        result.answers[key] = StoredAnswer(
            value, problems, False, version, None, user.id, user.full_name, now
        )
    _post_replies(response, section, posted, user, now)
    if updates:
        db.session.execute(_UPDATE_ANSWER, updates)
    if inserts:
        db.session.execute(insert(_ANSWERS), inserts)
    if history:
        db.session.execute(insert(AnswerChange.__table__), history)
    for held in list(db.session.identity_map.values()):
        if isinstance(held, Answer):
            db.session.expire(held)  # these statements bypass the identity map
    return result


#: One answer changed by a save (run once per answer, all in one go).
_UPDATE_ANSWER = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "value",
                "problems",
                "is_unconfirmed",
                "version",
                "updated_at",
                "updated_by_id",
            )
        }
    )
)


def _section_change(question, existing, posted, user, result):
    """(value, problems, touched) when this post changes or confirms the answer; None when
    it leaves it as it is, or conflicts with a colleague's change (then in `result`)."""
    key = question["key"]
    kind = REGISTRY[question["type"]]
    value = kind.keep(posted.answers[key], existing.value if existing else None)
    seen_version, seen_digest = posted.seen.get(key) or (0, _NO_ANSWER)
    touched = digest(value) != seen_digest
    confirming = bool(existing and existing.is_unconfirmed and key in posted.confirmed)
    if not touched and not confirming:
        if existing:
            result.versions[key] = existing.version
        return None
    current_version = existing.version if existing else 0
    changed_by_other = existing is not None and existing.updated_by_id != user.id
    if touched and seen_version != current_version and changed_by_other:
        result.conflicts.append(
            Conflict(
                key,
                existing.value,
                value,
                existing.updated_by,
                existing.updated_at,
                current_version,
            )
        )
        result.versions[key] = existing.version
        return None
    return value, kind.problems(value, question), touched


def _post_replies(response, section, posted, user, now) -> None:
    in_section = {q["key"] for q in section["questions"]}
    post_messages(
        response.id,
        {
            key: posted.replies.get(key) or ""
            for key in (response.open_questions or [])
            if key in in_section
        },
        side="supplier",
        author_id=user.id,
        at=now,
    )


def _change(response, key, old, new, now, user, kind="edit") -> dict:
    return {
        "response_id": response.id,
        "question_key": key,
        "old_value": old,
        "new_value": new,
        "kind": kind,
        "note": None,
        "changed_at": now,
        "changed_by_id": user.id,
    }


# Submitting -------------------------------------------------------------------------------------
@dataclass
class SubmitProblem:
    section_key: str
    question_key: str
    message: str


def submit_problems(
    response: Response, answers: dict[str, Answer], *, user: User | None = None
) -> list[SubmitProblem]:
    """Everything that stops submission: visible required questions unanswered, answers
    with problems, carried-over answers not confirmed, factory-list questions the register
    does not answer yet, answers that stand for later questions (`satisfies`) without the
    document they need (among those `user` may see; without a user, none). Hidden questions
    never count."""
    definition = response.version.definition
    visible = definition.visible_keys(values_of(answers))
    gaps = register_gaps(response, answers)
    problems = _missing_evidence(response, answers, user) + _market_problems(response)
    for section in definition.sections:
        for question in definition.answerable(section):
            key = question["key"]
            if key not in visible:
                continue
            answer = answers.get(key)
            kind = REGISTRY[question["type"]]
            if key in gaps:
                problems += [SubmitProblem(section["key"], key, p) for p in gaps[key]]
            elif question["type"] == "factory_list" and response.status == ResponseStatus.DRAFT:
                continue  # the register answers it, and it does
            elif answer is not None and answer.problems:
                problems += [SubmitProblem(section["key"], key, p) for p in answer.problems]
            elif question.get("required") and not (answer and kind.is_answered(answer.value)):
                problems.append(
                    SubmitProblem(section["key"], key, str(_l("Answer this question.")))
                )
            elif answer is not None and answer.is_unconfirmed:
                problems.append(
                    SubmitProblem(
                        section["key"],
                        key,
                        str(_l("The question was reworded: check your answer and confirm it.")),
                    )
                )
    return problems


def _market_problems(response: Response) -> list[SubmitProblem]:
    """Every criterion whose market questions are not answered yet, when they are asked."""
    if not market.asks_market_questions(response):
        return []
    message = str(_l("Answer the market questions about this criterion."))
    return [
        SubmitProblem("market", criterion, message)
        for criterion in market.unanswered(response, market.market_answers_of(response))
    ]


def _missing_evidence(
    response: Response, answers: dict[str, Answer], user: User | None
) -> list[SubmitProblem]:
    """An answer that satisfies later questions needs a document of the kind its definition
    names, attached to its question (the documents are asked for only when one does)."""
    definition = response.version.definition
    values = values_of(answers)
    needed = [k for k in definition.questions if definition.satisfies_now(k, values)]
    if not needed:
        return []
    documents = (
        signals.collect_grouped(signals.question_documents, response, viewer=user) if user else {}
    )
    problems = []
    for key in needed:
        kind = definition.questions[key]["satisfies"]["evidence"]
        if not any(d.kind == kind for d in documents.get(key, [])):
            message = _l(
                "Attach a document of the kind “%(kind)s”: with this answer, the questions it "
                "covers are not asked.",
                kind=EVIDENCE_LABELS.get(kind, kind),
            )
            problems.append(SubmitProblem(definition.section_of[key], key, str(message)))
    return problems


def submit(response: Response, *, user: User) -> list[SubmitProblem]:
    """Submit when nothing stops it; returns the problems otherwise (nothing changes then)."""
    answers = answers_of(response)
    problems = submit_problems(response, answers, user=user)
    if problems:
        return problems
    resubmission = response.status == ResponseStatus.CLARIFICATION
    if not resubmission:
        _freeze_factory_lists(response, answers, user)
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow()
    response.open_questions = None
    response.submitted_by_id = user.id
    record(
        "response.submitted",
        actor=user,
        organisation_id=response.organisation_id,
        target=response,
        details={"version": response.version.label, "resubmission": resubmission},
    )
    signals.response_submitted.send(response, user=user, resubmission=resubmission)
    return []


def put_answer(
    response: Response, key: str, existing: Answer | None, value, *, user: User, kind: str
) -> None:
    """Set one answer outside a section save (a frozen register, a count of files), with
    its change in the history like any other."""
    now = utcnow()
    old = existing.value if existing else None
    if existing is None:
        db.session.add(
            Answer(
                response_id=response.id,
                question_key=key,
                value=value,
                problems=[],
                updated_at=now,
                updated_by_id=user.id,
            )
        )
    else:
        existing.value, existing.updated_at, existing.updated_by_id = value, now, user.id
        existing.version += 1
    db.session.add(
        AnswerChange(
            response_id=response.id,
            question_key=key,
            old_value=old,
            new_value=value,
            kind=kind,
            changed_at=now,
            changed_by_id=user.id,
        )
    )


def _freeze_factory_lists(response: Response, answers: dict[str, Answer], user: User) -> None:
    """Copy the register as it stands now into each visible factory-list question, so that
    later edits of the register never change what was submitted."""
    definition = response.version.definition
    visible = definition.visible_keys(values_of(answers))
    for key, question in definition.questions.items():
        if question["type"] != "factory_list" or key not in visible:
            continue
        frozen = factory_snapshot(response.organisation_id, question.get("roles"))
        put_answer(response, key, answers.get(key), frozen, user=user, kind="snapshot")


def comments_for_supplier(response_id: int) -> dict[str, str]:
    """The comments on the response's answers that its supplier may read, by question key,
    from whichever feature gives them (see `portal.signals.comments_for_supplier`)."""
    comments: dict[str, str] = {}
    for _receiver, found in signals.comments_for_supplier.send(response_id):
        comments.update(found or {})
    return comments


def history(response: Response) -> list[AnswerChange]:
    return list(
        db.session.scalars(
            db.select(AnswerChange)
            .where(AnswerChange.response_id == response.id)
            .order_by(AnswerChange.changed_at.desc(), AnswerChange.id.desc())
        )
    )


# Exporting --------------------------------------------------------------------------------------
def export(response: Response, lang: str) -> dict:
    """The response as plain data for ResponseExport (visible questions only)."""
    definition = response.version.definition
    answers = answers_of(response)
    visible = definition.visible_keys(values_of(answers))
    sections = []
    for section in definition.sections:
        items = []
        for question in definition.answerable(section):
            if question["key"] not in visible:
                continue
            answer = answers.get(question["key"])
            items.append(
                {
                    "question": question["key"],
                    "type": question["type"],
                    "text": text_in(question["text"], lang),
                    "value": answer.value if answer else None,
                    "problems": answer.problems if answer else [],
                    "needs_confirmation": bool(answer and answer.is_unconfirmed),
                    "updated_at": answer.updated_at if answer else None,
                    "updated_by": answer.updated_by.email if answer and answer.updated_by else None,
                }
            )
        sections.append(
            {"key": section["key"], "title": text_in(section["title"], lang), "answers": items}
        )
    return {
        "response_id": response.id,
        "organisation": response.organisation.name,
        "round": response.round.title,
        "questionnaire": definition.key,
        "version": definition.version,
        "version_hash": response.version.content_hash,
        "language": lang,
        "status": response.status,
        "submitted_at": response.submitted_at,
        "sections": sections,
        "market_answers": _market_export(response),
    }


def _market_export(response: Response) -> list[dict]:
    """The answers to the market questions, one per criterion in the definition's order
    (unanswered ones too, with nothing given); none when the response is not asked them.
    The labels are in the request's language, as the rest of the export."""
    if not market.asks_market_questions(response):
        return []
    stored = market.market_answers_of(response)
    items = []
    for criterion, use in response.version.definition.criteria.items():
        row = stored.get(criterion)
        items.append(
            {
                "criterion": criterion,
                "label": str(CRITERION_LABELS.get(criterion, criterion)),
                "intended_use": use,
                **market.MarketValue.of(row).as_json(),
                "updated_at": row.updated_at if row else None,
                "updated_by": row.updated_by.email if row and row.updated_by else None,
            }
        )
    return items
