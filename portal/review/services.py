"""Reviewing responses: the queue, grades, evidence verdicts, clarification, acceptance."""

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.orm import aliased, defer, lazyload, selectinload

from portal import mail, read_requests, signals
from portal.audit.services import record
from portal.auth.services import User, active_supplier_users
from portal.evidence.services import EvidenceDocument
from portal.evidence.services import by_question as evidence_by_question
from portal.extensions import db
from portal.orgs.services import Organisation
from portal.paging import Page, page_of
from portal.questionnaires import services as questionnaire_services
from portal.questionnaires.services import (
    STAFF_VISIBLE,
    Answer,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Round,
    question_weight,
)
from portal.review import scoring
from portal.review.models import ClarificationRound
from portal.roles import BUYER_ROLES
from portal.texts import text_in
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.review.models import EvidenceVerdict, Grade, Review

#: Reviewers see and grade a response in the states in which staff see it at all.
REVIEWABLE = STAFF_VISIBLE


#: Rows on a page of the review queue.
QUEUE_PER_PAGE = 50


@dataclass(frozen=True)
class QueueRow:
    """One response in the queue, with what its row shows and nothing more."""

    response_id: int
    supplier: str
    kind: str
    submitted_at: datetime | None
    #: The review's status, or None before anyone opened the response.
    status: str | None
    reviewer: str | None
    round_title: str
    version: "QueueVersion"


@dataclass(frozen=True)
class QueueVersion:
    """A published questionnaire version as the queue names it."""

    id: int
    key: str
    number: int
    title_sv: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_sv


@dataclass
class Queue:
    """A page of the review queue and what its filters offer."""

    page: Page
    #: (id, title) of every round, newest first.
    rounds: list[tuple[int, str]]
    #: (key, title of its latest version) of every questionnaire, by title.
    questionnaires: list[tuple[str, str]]
    #: (id, name) of the buyer's active staff.
    reviewers: list[tuple[int, str]]


def queue(
    lang: str,
    *,
    round_id=None,
    key=None,
    status=None,
    kind=None,
    reviewer_id=None,
    sort="submitted",
    descending=False,
    page=1,
    per_page=QUEUE_PER_PAGE,
) -> Queue:
    """One page of the submitted responses with their review, filtered and sorted (`sort`:
    "submitted", "supplier" or "round"), and the choices of the filters, in a fixed number
    of queries however many responses there are:
    rounds and versions (few) are looked up apart, so the page's two queries (its count and
    its rows) join no more tables than they must."""
    rounds_statement, versions_statement = _queue_choices()
    rounds = dict(read_requests.rows(rounds_statement))
    versions = {row.id: QueueVersion(*row) for row in read_requests.rows(versions_statement)}
    filters = {
        "round_id": round_id,
        "version_ids": [v.id for v in versions.values() if v.key == key] if key else None,
        "status": status,
        "kind": kind,
        "reviewer_id": reviewer_id,
    }
    query = _filtered(_queue_statement(), **filters)
    # By round: the rounds in the order they were opened.
    column = {"supplier": Organisation.name, "round": Response.round_id}.get(
        sort, Response.submitted_at
    )
    ordering = [column.desc(), Response.id.desc()] if descending else [column, Response.id]
    counted = _count_statement(bool(kind), bool(reviewer_id or status))
    total = db.session.scalar(_filtered(counted, **filters))
    found = page_of(query.order_by(*ordering), page, per_page, total=total)
    rows = [
        QueueRow(*row[:6], rounds.get(row.round_id, ""), versions[row.version_id])
        for row in found.items
    ]
    latest = {v.key: v.title(lang) for v in versions.values()}
    return Queue(
        page=replace(found, items=rows),
        rounds=list(rounds.items()),
        questionnaires=sorted(latest.items(), key=lambda item: item[1]),
        reviewers=staff_names(),
    )


def _filtered(query, *, round_id, version_ids, status, kind, reviewer_id):
    """The queue's rows (or their count), filtered."""
    if round_id:
        query = query.where(Response.round_id == round_id)
    if version_ids is not None:
        query = query.where(Response.version_id.in_(version_ids))
    if kind:
        query = query.where(Organisation.kind == kind)
    if reviewer_id:
        query = query.where(Review.assigned_to_id == reviewer_id)
    if status == "new":
        query = query.where(Review.id.is_(None) | (Review.status == "in_review"))
    elif status:
        query = query.where(Review.status == status)
    return query


@cache
def _queue_statement():
    # Built once: constructing it costs more than running it for a page of rows.
    assignee = aliased(User)
    return (
        db.select(
            Response.id,
            Organisation.name,
            Organisation.kind,
            Response.submitted_at,
            Review.status,
            assignee.full_name,
            Response.round_id,
            Response.version_id,
        )
        .join(Organisation, Organisation.id == Response.organisation_id)
        .outerjoin(Review, Review.response_id == Response.id)
        .outerjoin(assignee, assignee.id == Review.assigned_to_id)
        .where(Response.status.in_(REVIEWABLE))
    )


@cache
def _count_statement(by_kind: bool, by_review: bool):
    # The count joins only the tables its filters name: the supplier for its kind, the
    # review for its reviewer or status (the reviewer's name is never needed to count).
    query = db.select(db.func.count()).select_from(Response)
    if by_kind:
        query = query.join(Organisation, Organisation.id == Response.organisation_id)
    if by_review:
        query = query.outerjoin(Review, Review.response_id == Response.id)
    return query.where(Response.status.in_(REVIEWABLE))


def response_or_404(response_id: int) -> Response:
    response = db.session.get(Response, response_id)
    if response is None or response.status not in REVIEWABLE:
        abort(404)
    return response


_REVIEW = (
    db.select(Review)
    .where(Review.response_id == bindparam("response_id"))
    .options(lazyload(Review.assigned_to), defer(Review.scores))
)


def review_of(response: Response) -> Review:
    """The response's review, begun now if nobody has opened it before. Its reviewer and
    the scores stored at acceptance are loaded when asked for."""
    review = db.session.scalar(_REVIEW, {"response_id": response.id})
    if review is None:
        review = Review(response_id=response.id, status="in_review")
        db.session.add(review)
        db.session.flush()
    return review


def assign(review: Review, reviewer: User | None, *, actor: User) -> None:
    review.assigned_to_id = reviewer.id if reviewer else None
    record(
        "review.assigned",
        actor=actor,
        target=review,
        details={"reviewer": reviewer.email if reviewer else None},
    )


@dataclass
class SectionTally:
    """One line of the review page's contents: how many of a section's gradable answers
    have a grade."""

    key: str
    title: str
    gradable: int = 0
    graded: int = 0

    @property
    def ungraded(self) -> int:
        return self.gradable - self.graded


@dataclass
class Cap:
    """The most points a question can be given now, and the question whose answer says so."""

    points: float
    because_of: dict  # the capping question, as in the definition


def caps_of(definition, values: dict, visible: set[str] | None = None) -> dict[str, Cap]:
    """The shown questions whose grade an earlier answer caps, with the cap."""
    caps = {}
    for key in definition.visible_keys(values) if visible is None else visible:
        question = definition.questions[key]
        points = definition.cap(question, values)
        if points is not None:
            caps[key] = Cap(
                points, definition.questions[question["rubric_cap"]["when"]["question"]]
            )
    return caps


@dataclass
class ShownQuestion:
    """One question as the review page shows it: the answer, its documents and
    clarification thread, and whether it is graded."""

    question: dict
    title: str
    value: object
    documents: list
    thread: list
    #: Whether it has a rubric to grade it by.
    gradable: bool

    @property
    def key(self) -> str:
        return self.question["key"]


@dataclass
class ShownSection:
    """A section of the review page: its visible answerable questions and their tally."""

    key: str
    title: str
    tally: SectionTally
    questions: list[ShownQuestion]
    #: Whether it has anything to save: a grade or a verdict on a document.
    saves: bool


@dataclass
class Grading:
    """What grading one response works on: its answers, the questions to grade, the
    documents to judge and the caps on grades (two queries)."""

    #: Stored answer values by question key.
    values: dict
    #: Keys of the questions shown, given the answers.
    visible: set[str]
    #: The visible questions with a rubric, in questionnaire order.
    questions: list[dict]
    #: Evidence documents by question key.
    documents: dict[str, list]
    #: The grades capped by an earlier answer (`rubric_cap`): question key → the cap.
    caps: dict[str, Cap]

    @property
    def all_documents(self) -> list[EvidenceDocument]:
        return [d for items in self.documents.values() for d in items]


def grading_of(response: Response, viewer: User) -> Grading:
    """What grading `response` works on, with the documents `viewer` may see."""
    definition = response.version.definition
    values = stored_values(response)
    visible = definition.visible_keys(values)
    return Grading(
        values=values,
        visible=visible,
        questions=[
            q for q in definition.questions.values() if q.get("rubric") and q["key"] in visible
        ],
        documents=evidence_by_question(response.id, viewer),
        caps=caps_of(definition, values, visible),
    )


@dataclass
class ReviewPage:
    """What the review page of one response shows (a fixed number of queries)."""

    grading: Grading
    review: Review
    #: See `grade_values` and `verdict_values`.
    grades: dict
    verdicts: dict
    contents: list[SectionTally]
    scores: scoring.Scores
    sections: list[ShownSection]
    #: Market answers by criterion, or None when the response has no market part.
    market_answers: dict | None

    @property
    def caps(self) -> dict[str, Cap]:
        return self.grading.caps


def review_page(
    response: Response, lang: str, viewer: User, grading: Grading | None = None
) -> ReviewPage:
    """Everything the review page shows, each thing computed once, in a fixed number of
    queries whatever the number of answers, grades, documents and messages."""
    definition = response.version.definition
    grading = grading or grading_of(response, viewer)
    values, visible, documents = grading.values, grading.visible, grading.documents
    grades = grade_values(response)
    threads = questionnaire_services.threads_by_question(response.id)
    contents, sections = [], []
    for section in definition.sections:
        tally = SectionTally(section["key"], text_in(section["title"], lang))
        shown = []
        for question in definition.answerable(section):
            key = question["key"]
            if key not in visible:
                continue
            gradable = bool(question.get("rubric"))
            if gradable:
                tally.gradable += 1
                grade = grades.get(key)
                tally.graded += grade is not None and grade.points is not None
            shown.append(
                ShownQuestion(
                    question,
                    text_in(question["text"], lang),
                    values.get(key),
                    documents.get(key, []),
                    threads.get(key, []),
                    gradable,
                )
            )
        contents.append(tally)
        saves = bool(tally.gradable) or any(q.documents for q in shown)
        sections.append(ShownSection(section["key"], tally.title, tally, shown, saves))
    return ReviewPage(
        grading=grading,
        review=review_of(response),
        grades=grades,
        verdicts=verdict_values(response),
        contents=contents,
        scores=_scores(response, values, grades, lang, visible),
        sections=sections,
        market_answers=questionnaire_services.market_answers_shown(response),
    )


@cache
def _queue_choices():
    # Built once: the same on every page of the queue.
    rounds = db.select(Round.id, Round.title).order_by(Round.created_at.desc())
    versions = db.select(
        QuestionnaireVersion.id,
        QuestionnaireVersion.key,
        QuestionnaireVersion.number,
        QuestionnaireVersion.title_sv,
        QuestionnaireVersion.title_en,
    ).order_by(QuestionnaireVersion.key, QuestionnaireVersion.number)
    return rounds, versions


# The columns the review page reads of a response's answers, grades and verdicts, as plain
# rows (portal.read_requests.rows): nothing on the page changes them. Built once.
_STORED_VALUES = db.select(Answer.question_key, Answer.value).where(
    Answer.response_id == bindparam("response_id")
)
_GRADE_VALUES = db.select(Grade.question_key, Grade.points, Grade.comment, Grade.note).where(
    Grade.response_id == bindparam("response_id")
)
_VERDICT_VALUES = (
    db.select(EvidenceVerdict.document_id, EvidenceVerdict.is_accepted, EvidenceVerdict.reason)
    .join(EvidenceDocument, EvidenceDocument.id == EvidenceVerdict.document_id)
    .where(EvidenceDocument.response_id == bindparam("response_id"))
)


def stored_values(response: Response) -> dict:
    """The response's stored answer values by question key (one query, values only)."""
    found = read_requests.rows(_STORED_VALUES, {"response_id": response.id})
    return {key: value for key, value in found}  # noqa: C416 - rows are Row objects


def ungraded_questions(response: Response, scores: scoring.Scores) -> list[dict]:
    """The visible gradable questions that have no grade yet, in questionnaire order."""
    keys = set(scores.ungraded)
    return [q for k, q in response.version.definition.questions.items() if k in keys]


def staff() -> list[User]:
    return list(db.session.scalars(db.select(User).where(_is_staff()).order_by(User.full_name)))


def staff_names() -> list[tuple[int, str]]:
    """(id, name) of the buyer's active staff by name, for choosing a reviewer (names only:
    no account is loaded)."""
    return read_requests.rows(_staff_names_statement())


@cache
def _staff_names_statement():
    return db.select(User.id, User.full_name).where(_is_staff()).order_by(User.full_name)


def _is_staff():
    return User.role.in_([r.value for r in BUYER_ROLES]) & User.is_active.is_(True)


def staff_member(user_id: int) -> User | None:
    """The user if they work for the buyer (and so may review), else None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_buyer_staff else None


def grade_values(response: Response) -> dict:
    """The response's grades by question key, as rows of `points`, `comment` and `note`
    (read only: no Grade is loaded)."""
    found = read_requests.rows(_GRADE_VALUES, {"response_id": response.id})
    return {row.question_key: row for row in found}


def verdict_values(response: Response) -> dict:
    """The verdicts on the response's documents by document id, as rows of `is_accepted`
    and `reason` (read only)."""
    found = read_requests.rows(_VERDICT_VALUES, {"response_id": response.id})
    return {row.document_id: row for row in found}


def grades_of(response: Response) -> dict[str, Grade]:
    return {
        g.question_key: g
        for g in db.session.scalars(db.select(Grade).where(Grade.response_id == response.id))
    }


def save_grades(
    response: Response,
    entries: dict[str, dict],
    *,
    actor: User,
    caps: dict[str, Cap] | None = None,
) -> list[str]:
    """Store the grades given (points, comment, note per question); returns changed keys.
    Points that are no level of the rubric, or above the question's cap, are not stored.
    `caps` (from `grading_of`) spares reading the answers again."""
    definition = response.version.definition
    existing = grades_of(response)
    if caps is None:
        caps = caps_of(definition, stored_values(response))
    changed = []
    for key, entry in entries.items():
        question = definition.questions.get(key)
        if question is None or not question.get("rubric"):
            continue
        allowed = {level["points"] for level in question["rubric"]}
        points = entry.get("points")
        if points is not None and (
            points not in allowed or (key in caps and points > caps[key].points)
        ):
            continue
        grade = existing.get(key)
        before = (grade.points, grade.comment, grade.note) if grade else (None, "", "")
        after = (points, entry.get("comment") or "", entry.get("note") or "")
        if before == after:
            continue
        if grade is None:
            grade = Grade(response_id=response.id, question_key=key)
            db.session.add(grade)
        grade.points, grade.comment, grade.note = after
        grade.graded_by_id, grade.graded_at = actor.id, utcnow()
        changed.append(key)
    if changed:
        record(
            "review.graded",
            actor=actor,
            organisation_id=response.organisation_id,
            target=response,
            details={"questions": changed},
        )
    return changed


def verdicts_of(response: Response) -> dict[int, EvidenceVerdict]:
    return {
        v.document_id: v
        for v in db.session.scalars(
            db.select(EvidenceVerdict)
            .join(EvidenceDocument, EvidenceDocument.id == EvidenceVerdict.document_id)
            .where(EvidenceDocument.response_id == response.id)
        )
    }


def judge_evidence(
    response: Response, decisions: dict[int, tuple[bool, str]], *, actor: User
) -> None:
    """Accept or reject documents of this response; a rejection needs a reason."""
    documents = {
        d.id: d
        for d in db.session.scalars(
            db.select(EvidenceDocument).where(EvidenceDocument.response_id == response.id)
        )
    }
    current = verdicts_of(response)
    for document_id, (accepted, reason) in decisions.items():
        if document_id not in documents:
            continue
        verdict = current.get(document_id)
        if verdict and (verdict.is_accepted, verdict.reason) == (accepted, reason):
            continue
        if verdict is None:
            verdict = EvidenceVerdict(document_id=document_id)
            db.session.add(verdict)
        verdict.is_accepted, verdict.reason = accepted, reason
        verdict.decided_by_id, verdict.decided_at = actor.id, utcnow()
        record(
            "review.evidence_verdict",
            actor=actor,
            organisation_id=response.organisation_id,
            target=documents[document_id],
            details={"accepted": accepted, "reason": reason},
        )


def ask_clarification(response: Response, questions: dict[str, str], *, actor: User) -> None:
    """Send the response back with only these questions open, each with the question asked."""
    review = review_of(response)
    now = utcnow()
    db.session.add(
        ClarificationRound(
            response_id=response.id,
            question_keys=sorted(questions),
            opened_by_id=actor.id,
            opened_at=now,
        )
    )
    questionnaire_services.post_messages(
        response.id, questions, side="buyer", author_id=actor.id, at=now
    )
    response.status = ResponseStatus.CLARIFICATION.value
    response.open_questions = sorted(questions)
    review.status = "clarification"
    record(
        "review.clarification_requested",
        actor=actor,
        organisation_id=response.organisation_id,
        target=response,
        details={"questions": sorted(questions)},
    )
    definition = response.version.definition
    first = next(k for k in definition.questions if k in questions)
    _tell_supplier(
        response,
        _l("The region asks for clarification"),
        "clarification_requested",
        first_section=definition.section_of[first],
        first_question=first,
        count=len(questions),
    )


def accept(
    response: Response, *, actor: User, lang: str, scores: scoring.Scores | None = None
) -> scoring.Scores:
    """Accept the response with its scores (computed now unless given) and tell the
    supplier."""
    review = review_of(response)
    result = scores or scores_of(response, lang)
    review.status = "accepted"
    review.decided_at, review.decided_by_id = utcnow(), actor.id
    review.scores = result.as_dict()
    record(
        "review.accepted",
        actor=actor,
        organisation_id=response.organisation_id,
        target=response,
        details={"total": round(result.total, 2), "award_points": round(result.award_points, 2)},
    )
    _tell_supplier(response, _l("Your response has been reviewed"), "response_accepted")
    return result


def scores_of(response: Response, lang: str) -> scoring.Scores:
    """The response's scores with their arithmetic (see `portal.review.scoring`)."""
    return _scores(response, stored_values(response), grade_values(response), lang)


def reviews_of(response_ids: list[int]) -> dict[int, Review]:
    """The reviews begun on the responses, by response id (one query; none begun, none)."""
    if not response_ids:
        return {}
    return {
        review.response_id: review
        for review in db.session.scalars(
            db.select(Review).where(Review.response_id.in_(response_ids))
        )
    }


def scores_of_responses(responses: list[Response], lang: str) -> dict[int, scoring.Scores]:
    """Each response's scores as its review page shows them, by response id: from its
    answers and grades as they stand now (two queries for any number of responses)."""
    ids = [response.id for response in responses]
    if not ids:
        return {}
    values: dict[int, dict] = {i: {} for i in ids}
    for response_id, key, value in db.session.execute(
        db.select(Answer.response_id, Answer.question_key, Answer.value).where(
            Answer.response_id.in_(ids)
        )
    ):
        values[response_id][key] = value
    points: dict[int, dict] = {i: {} for i in ids}
    for response_id, key, given in db.session.execute(
        db.select(Grade.response_id, Grade.question_key, Grade.points).where(
            Grade.response_id.in_(ids)
        )
    ):
        points[response_id][key] = given
    award = current_app.config["SOCIAL_AWARD_POINTS"]
    return {
        r.id: scoring.compute(r.version.definition, values[r.id], points[r.id], lang, award)
        for r in responses
    }


def _scores(response, values, grades, lang, visible=None) -> scoring.Scores:
    return scoring.compute(
        response.version.definition,
        values,
        {k: g.points for k, g in grades.items()},
        lang,
        current_app.config["SOCIAL_AWARD_POINTS"],
        visible=visible,
    )


def _tell_supplier(response: Response, subject, template: str, **context) -> None:
    for user in active_supplier_users(response.organisation_id):
        mail.send_later(
            mail.compose(
                user.email,
                subject,
                template,
                locale=user.locale,
                user=user,
                response=response,
                **context,
            )
        )


@signals.response_submitted.connect
def _after_resubmission(response: Response, user: User, resubmission: bool) -> None:
    """When a supplier answers a clarification, its round closes and the reviewer hears."""
    if not resubmission:
        return
    review = review_of(response)
    review.status = "in_review"
    open_round = db.session.scalar(
        db.select(ClarificationRound).where(
            ClarificationRound.response_id == response.id, ClarificationRound.closed_at.is_(None)
        )
    )
    if open_round is not None:
        open_round.closed_at = utcnow()
    record(
        "review.clarification_answered",
        actor=user,
        organisation_id=response.organisation_id,
        target=response,
    )
    recipients = [review.assigned_to] if review.assigned_to else staff()
    for reviewer in recipients:
        mail.send_later(
            mail.compose(
                reviewer.email,
                _l("A supplier has answered your questions"),
                "clarification_answered",
                locale=reviewer.locale,
                user=reviewer,
                response=response,
            )
        )


@signals.comments_for_supplier.connect
def comments_for_supplier(response_id: int) -> dict[str, str]:
    """The reviewer's comments per question, once the review is accepted (one query)."""
    rows = db.session.execute(
        db.select(Grade.question_key, Grade.comment)
        .join(Review, Review.response_id == Grade.response_id)
        .where(Grade.response_id == response_id, Review.status == "accepted", Grade.comment != "")
    )
    return {key: comment for key, comment in rows}  # noqa: C416 - rows are Row objects


def grade_rows(round_id: int | None = None) -> tuple[list[str], list[list]]:
    """Every grade with its context, for CSV/XLSX, and every question credited in full
    because an answer satisfies it (`credited_by` names that answer's question; these have
    no grade row of their own). Two queries, three when some version credits questions."""
    query = (
        db.select(Grade, Response)
        .join(Response, Response.id == Grade.response_id)
        .options(selectinload(Response.round))
    )
    if round_id:
        query = query.where(Response.round_id == round_id)
    header = [
        "organisation",
        "round",
        "questionnaire",
        "version",
        "question",
        "criterion",
        "points",
        "maximum",
        "comment",
        "weight",
        "credited_by",
    ]
    by_response: dict[int, list[list]] = {}
    responses: dict[int, Response] = {}
    for grade, response in db.session.execute(query.order_by(Response.id, Grade.question_key)):
        question = response.version.definition.questions.get(grade.question_key, {})
        responses[response.id] = response
        by_response.setdefault(response.id, []).append(
            _export_row(response, grade.question_key, question, grade.points, grade.comment)
        )
    for response_id, credits in _credits_of(list(responses.values())).items():
        response = responses[response_id]
        questions = response.version.definition.questions
        for key, by in credits.items():
            top = scoring.maximum_of(questions[key]) if questions[key].get("rubric") else None
            if top is not None:
                row = _export_row(response, key, questions[key], top, "")
                by_response[response_id].append([*row[:-1], by])
    return header, [row for rows in by_response.values() for row in rows]


def _export_row(response: Response, key: str, question: dict, points, comment: str) -> list:
    rubric = bool(question.get("rubric"))
    return [
        response.organisation.name,
        response.round.title,
        response.version.key,
        response.version.number,
        key,
        question.get("criterion", ""),
        points,
        scoring.maximum_of(question) if rubric else None,
        comment,
        question_weight(question) if rubric else None,
        "",
    ]


def _credits_of(responses: list[Response]) -> dict[int, dict[str, str]]:
    """The credited questions of each response whose version can credit any (one query)."""
    crediting = [r for r in responses if r.version.definition.satisfied_by]
    if not crediting:
        return {}
    values: dict[int, dict] = {r.id: {} for r in crediting}
    for answer in db.session.scalars(db.select(Answer).where(Answer.response_id.in_(list(values)))):
        values[answer.response_id][answer.question_key] = answer.value
    return {r.id: r.version.definition.credits(values[r.id]) for r in crediting}
