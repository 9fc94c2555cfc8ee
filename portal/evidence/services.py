"""Uploading, listing, serving, removing and reminding about evidence documents."""

from collections import defaultdict
from datetime import date, timedelta
from functools import cache
from types import SimpleNamespace

from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Row, func, or_

from portal import mail, read_requests, signals
from portal.audit.services import record
from portal.auth.services import User
from portal.evidence.checks import ALLOWED, RefusedFile, detect
from portal.evidence.models import EvidenceDocument, StoredFile
from portal.evidence.storage import Storage, TooLarge, storage_from_url
from portal.extensions import db
from portal.factories.services import Factory
from portal.filenames import clean_filename, content_disposition
from portal.orgs.services import Organisation
from portal.paging import Page, page_of
from portal.questionnaires.services import (
    STAFF_VISIBLE,
    Answer,
    Response,
    ResponseStatus,
    put_answer,
    response_for,
)
from portal.roles import Role
from portal.timeutil import utcnow

#: Certificates are flagged this many days before they expire.
EXPIRY_WARNING_DAYS = 60


class UploadRefused(Exception):  # noqa: N818 - a refusal, with the reason for the user
    """The file cannot be accepted; the message says why."""


def storage() -> Storage:
    return storage_from_url(current_app.config["EVIDENCE_STORAGE_URL"])


def max_bytes() -> int:
    return current_app.config["EVIDENCE_MAX_BYTES"]


def upload(
    organisation_id: int,
    file,
    meta: dict,
    *,
    user: User,
    response: Response | None = None,
    question_key: str | None = None,
    factory: Factory | None = None,
    elsewhere: bool = False,
) -> EvidenceDocument:
    """Check and store an uploaded file (streamed, never whole in memory) and describe it.

    The same content uploaded again by the organisation is stored once. The name kept is the
    browser's, cleaned (portal.filenames.clean_filename), and the type check reads that name.
    With `elsewhere`, the caller (a feature above) attaches the document through its own
    table; it is attached to no question or factory here and is never removed on its own.
    """
    filename = clean_filename(file.filename)
    backend = storage()
    try:
        temporary, digest, size = backend.receive(file.stream, max_bytes())
    except TooLarge:
        raise UploadRefused(
            str(_l("The file is larger than %(mb)d MB.", mb=max_bytes() // 2**20))
        ) from None
    try:
        kind = detect(temporary, filename)
    except RefusedFile as refusal:
        backend.discard(temporary)
        raise UploadRefused(str(refusal)) from None
    stored = db.session.scalar(
        db.select(StoredFile).where(
            StoredFile.organisation_id == organisation_id, StoredFile.sha256 == digest
        )
    )
    if stored is None:
        stored = StoredFile(
            organisation_id=organisation_id,
            storage_key=backend.keep(temporary),
            sha256=digest,
            size=size,
            content_type=ALLOWED[kind],
        )
        db.session.add(stored)
        db.session.flush()
    else:
        backend.discard(temporary)
    document = EvidenceDocument(
        organisation_id=organisation_id,
        stored_file_id=stored.id,
        filename=filename,
        kind=meta["kind"],
        issuer=meta.get("issuer") or None,
        reference=meta.get("reference") or None,
        issued_on=meta.get("issued_on"),
        valid_until=meta.get("valid_until"),
        response_id=response.id if response else None,
        question_key=question_key,
        factory_id=factory.id if factory else None,
        is_attached_elsewhere=elsewhere,
        uploaded_by_id=user.id,
    )
    document.factories = list(
        db.session.scalars(
            db.select(Factory).where(
                Factory.id.in_(meta.get("factory_ids") or []),
                Factory.organisation_id == organisation_id,
            )
        )
    )
    db.session.add(document)
    db.session.flush()
    if response is not None:
        _count_files(response, question_key, user)
    record(
        "evidence.uploaded",
        actor=user,
        organisation_id=organisation_id,
        target=document,
        details={
            "kind": document.kind,
            "size": size,
            "sha256": digest,
            "question": question_key,
            "factory": factory.id if factory else None,
        },
    )
    return document


def _count_files(response: Response, key: str, user: User) -> None:
    """Keep an evidence slot's answer in step with its files, so progress and submission see
    them. A question of another type that accepts documents keeps its typed answer as it is:
    its files are found through the documents themselves."""
    question = response.version.definition.questions.get(key)
    if question is None or question["type"] != "evidence":
        return
    count = db.session.scalar(
        db.select(func.count(EvidenceDocument.id)).where(
            EvidenceDocument.response_id == response.id, EvidenceDocument.question_key == key
        )
    )
    answer = db.session.scalar(
        db.select(Answer).where(Answer.response_id == response.id, Answer.question_key == key)
    )
    old = answer.value if answer else None
    new = {**(old if isinstance(old, dict) else {}), "files": count}
    put_answer(response, key, answer, new, user=user, kind="edit")


def visible_to(user: User) -> ColumnElement[bool]:
    """The documents `user` may see, as a condition on EvidenceDocument: the one rule for
    downloading a document and for every list that shows documents.

    An organisation sees all its own documents. Buyer staff see a document attached to a
    response exactly when they see that response's answers: once it is submitted (and while
    it is back for clarification, STAFF_VISIBLE); a draft's documents are the supplier's
    alone, as its answers are. Documents attached to no response (a factory's certificates
    and audit reports) belong to the factory register, which the region sees as it stands on
    any day (/review/factories), so staff always see those. Nobody else sees any.
    """
    own = EvidenceDocument.organisation_id == user.organisation_id
    if not user.is_buyer_staff:
        return own
    return or_(
        own,
        EvidenceDocument.response_id.is_(None),
        EvidenceDocument.response_id.in_(
            db.select(Response.id).where(Response.status.in_(STAFF_VISIBLE))
        ),
    )


def readable(user: User, document_id: int) -> EvidenceDocument | None:
    """The document if `user` may see it (visible_to), else None."""
    return db.session.scalar(
        db.select(EvidenceDocument).where(EvidenceDocument.id == document_id, visible_to(user))
    )


def readable_or_404(user: User, document_id: int) -> EvidenceDocument:
    """The document if `user` may see it (visible_to); 404 otherwise, so ids reveal nothing."""
    document = readable(user, document_id)
    if document is None:
        abort(404)
    return document


def question_or_404(user: User, response_id: int, question_key: str) -> tuple[Response, dict, str]:
    """A begun response of the user's organisation, its question `question_key` that takes
    documents, and the key of the section that holds it; 404 for anything else."""
    response = response_for(user, response_id)
    if response is None or response.status == ResponseStatus.NOT_STARTED:
        abort(404)
    definition = response.version.definition
    question = definition.questions.get(question_key)
    if question is None or not question.get("evidence"):
        abort(404)
    return response, question, definition.section_of[question_key]


def owned_or_404(user: User, document_id: int) -> EvidenceDocument:
    document = db.session.get(EvidenceDocument, document_id)
    if document is None or document.organisation_id != user.organisation_id:
        abort(404)
    return document


def removable(document: EvidenceDocument) -> bool:
    """Files on a submitted response stay as submitted, and those attached elsewhere stay as
    they were attached; others may be removed."""
    if document.is_attached_elsewhere:
        return False
    if document.response_id is None:
        return True
    response = db.session.get(Response, document.response_id)
    return response.status == ResponseStatus.DRAFT and response.round.is_open


def remove(document: EvidenceDocument, *, user: User) -> None:
    if not removable(document):
        abort(409)
    response = db.session.get(Response, document.response_id) if document.response_id else None
    record(
        "evidence.removed",
        actor=user,
        organisation_id=document.organisation_id,
        target=document,
        details={"file": document.filename},
    )
    db.session.delete(document)
    db.session.flush()
    if response is not None:
        _count_files(response, document.question_key, user)


def open_content(document: EvidenceDocument):
    return storage().open(document.stored_file.storage_key)


def attachment(document: EvidenceDocument):
    """The response that serves a document: always an attachment, which could run nothing
    and reach nothing even if something opened it in place. The header is not Werkzeug's
    (download_name): it would pass on control characters in a name stored before names were
    cleaned, and its ASCII stand-in drops every letter that is not ASCII."""
    reply = send_file(
        open_content(document),
        mimetype=document.stored_file.content_type,
        conditional=False,
        max_age=0,
    )
    reply.headers["Content-Disposition"] = content_disposition(document.filename)
    reply.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


def by_question(response_id: int, viewer: User) -> dict[str, list[Row]]:
    """The response's documents that `viewer` may see, grouped by question (one query): each
    with what a list of documents shows of it and the grading form needs (LISTED)."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    query = _by_response(viewer.is_buyer_staff)
    params = {"response_id": response_id, "organisation_id": viewer.organisation_id}
    for document in read_requests.rows(query, params):
        grouped[document.question_key].append(document)
    return grouped


#: What a list of documents shows of each (evidence/_documents.html) and what grading needs.
LISTED = (
    EvidenceDocument.id,
    EvidenceDocument.question_key,
    EvidenceDocument.filename,
    EvidenceDocument.kind,
    EvidenceDocument.issuer,
    EvidenceDocument.reference,
    EvidenceDocument.issued_on,
    EvidenceDocument.valid_until,
    EvidenceDocument.uploaded_at,
)


@cache
def _by_response(staff: bool):
    # Built once for each kind of viewer: building the statement costs as much as running
    # it. Rows of the listed columns, not whole documents, as the lists show no more.
    viewer = SimpleNamespace(is_buyer_staff=staff, organisation_id=db.bindparam("organisation_id"))
    return (
        db.select(*LISTED)
        .where(EvidenceDocument.response_id == db.bindparam("response_id"), visible_to(viewer))
        .order_by(EvidenceDocument.uploaded_at)
    )


def for_factory(factory_id: int, viewer: User) -> list[EvidenceDocument]:
    """The documents uploaded for the factory that `viewer` may see, oldest first."""
    return list(
        db.session.scalars(
            db.select(EvidenceDocument)
            .where(EvidenceDocument.factory_id == factory_id, visible_to(viewer))
            .order_by(EvidenceDocument.uploaded_at)
        )
    )


# The pages of the features below ask for their documents through these signals (they may not
# import this feature); connected when this module is loaded, which the evidence pages do.
@signals.question_documents.connect
def _question_documents(response, *, viewer: User) -> dict[str, list[Row]]:
    return by_question(response.id, viewer)


@signals.factory_documents.connect
def _factory_documents(factory, *, viewer: User) -> list[EvidenceDocument]:
    return for_factory(factory.id, viewer)


def expiry(document: EvidenceDocument, today: date | None = None) -> str | None:
    """ "expired", "expiring" (within 60 days) or None."""
    if document.valid_until is None:
        return None
    today = today or utcnow().date()
    if document.valid_until < today:
        return "expired"
    if document.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return None


#: Documents on a page of the lists of documents.
DOCUMENTS_PER_PAGE = 50


def organisation_documents(organisation_id: int, viewer: User, page: int = 1) -> Page:
    """A page of the organisation's documents that `viewer` may see, those expiring first."""
    statement = (
        db.select(EvidenceDocument)
        .where(EvidenceDocument.organisation_id == organisation_id, visible_to(viewer))
        .order_by(
            EvidenceDocument.valid_until.is_(None),
            EvidenceDocument.valid_until,
            EvidenceDocument.uploaded_at.desc(),
            EvidenceDocument.id,
        )
    )
    return page_of(statement, page, DOCUMENTS_PER_PAGE)


def newest_documents(organisation_id: int, viewer: User) -> list[EvidenceDocument]:
    """The organisation's documents that `viewer` may see, newest first (a draft response's
    documents are not among them for buyer staff until it is submitted: visible_to)."""
    return list(
        db.session.scalars(
            db.select(EvidenceDocument)
            .where(EvidenceDocument.organisation_id == organisation_id, visible_to(viewer))
            .order_by(EvidenceDocument.uploaded_at.desc(), EvidenceDocument.id.desc())
        )
    )


def organisation_names(documents: list[EvidenceDocument]) -> dict[int, str]:
    """The names of the documents' organisations, by id (one query)."""
    return dict(
        db.session.execute(
            db.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({d.organisation_id for d in documents})
            )
        ).all()
    )


def _expiring(today: date | None, viewer: User | None):
    """The documents expired or expiring within 60 days, soonest first: those `viewer` may
    see, or all of them."""
    today = today or utcnow().date()
    query = db.select(EvidenceDocument).where(
        EvidenceDocument.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS)
    )
    if viewer is not None:
        query = query.where(visible_to(viewer))
    return query.order_by(EvidenceDocument.valid_until, EvidenceDocument.id)


def expiring_documents(
    today: date | None = None, *, viewer: User | None = None
) -> list[EvidenceDocument]:
    """Every supplier's documents expired or expiring within 60 days, soonest first: those
    `viewer` may see, or all of them (for reminders to their own organisations)."""
    return list(db.session.scalars(_expiring(today, viewer)))


def expiring_page(viewer: User, page: int = 1, today: date | None = None) -> Page:
    """A page of the documents expired or expiring within 60 days that `viewer` may see."""
    return page_of(_expiring(today, viewer), page, DOCUMENTS_PER_PAGE)


def remind(today: date | None = None) -> int:
    """E-mail each organisation's owners about documents that newly crossed a threshold
    (60 days left, or expired). Each document triggers each threshold once, so running this
    every day sends nothing twice. Returns the number of messages sent."""
    today = today or utcnow().date()
    now = utcnow()
    news: dict[int, list[tuple[EvidenceDocument, str]]] = defaultdict(list)
    for document in expiring_documents(today):
        state = expiry(document, today)
        if state == "expired" and document.reminded_expired_at is None:
            document.reminded_expired_at = now
            document.reminded_soon_at = document.reminded_soon_at or now
            news[document.organisation_id].append((document, state))
        elif state == "expiring" and document.reminded_soon_at is None:
            document.reminded_soon_at = now
            news[document.organisation_id].append((document, state))
    if not news:
        return 0
    owners = db.session.scalars(
        db.select(User).where(
            User.organisation_id.in_(news),
            User.role == Role.SUPPLIER_OWNER.value,
            User.is_active.is_(True),
        )
    )
    sent = 0
    recipients: dict[int, list[User]] = defaultdict(list)
    for owner in owners:
        recipients[owner.organisation_id].append(owner)
    for organisation_id, items in news.items():
        for owner in recipients.get(organisation_id, []):
            mail.deliver(
                mail.compose(
                    owner.email,
                    _l("Evidence documents to renew"),
                    "evidence_expiry",
                    locale=owner.locale,
                    user=owner,
                    items=items,
                    today=today,
                )
            )
            sent += 1
    return sent
