"""Clarification threads: the conversation on a response's answers, written and read by
both sides (the region asks about an answer, the supplier replies)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from portal.extensions import db
from portal.questionnaires.models import ClarificationMessage, Response, ResponseStatus
from portal.texts import text_in
from portal.timeutil import utcnow


@dataclass(frozen=True)
class OpenQuestion:
    """A question the region reopened, with what it asks about the answer."""

    response_id: int
    section_key: str
    question_key: str
    #: The question's text in the page's language.
    text: str
    #: The region's latest message on it (empty if it wrote none).
    asked: str


def post_messages(
    response_id: int,
    bodies: dict[str, str],
    *,
    side: str,
    author_id: int,
    at: datetime | None = None,
) -> None:
    """Add one message per question key to the response's threads, from "buyer" or
    "supplier"; blank bodies are left out."""
    at = at or utcnow()
    db.session.add_all(
        ClarificationMessage(
            response_id=response_id,
            question_key=key,
            side=side,
            body=body.strip(),
            author_id=author_id,
            created_at=at,
        )
        for key, body in bodies.items()
        if body.strip()
    )


def threads_by_question(response_id: int) -> dict[str, list[ClarificationMessage]]:
    """Every message on the response, grouped by question, oldest first (one query)."""
    grouped: dict[str, list[ClarificationMessage]] = defaultdict(list)
    for message in db.session.scalars(
        db.select(ClarificationMessage)
        .where(ClarificationMessage.response_id == response_id)
        .order_by(ClarificationMessage.created_at, ClarificationMessage.id)
    ):
        grouped[message.question_key].append(message)
    return grouped


def open_questions(responses: list[Response], lang: str) -> dict[int, list[OpenQuestion]]:
    """Per response under clarification, the questions the region reopened, in questionnaire
    order, each with the region's latest message on it (one query, none without any)."""
    waiting = [
        r for r in responses if r.status == ResponseStatus.CLARIFICATION and r.open_questions
    ]
    if not waiting:
        return {}
    latest: dict[tuple[int, str], str] = {}
    for response_id, key, body in db.session.execute(
        db.select(
            ClarificationMessage.response_id,
            ClarificationMessage.question_key,
            ClarificationMessage.body,
        )
        .where(
            ClarificationMessage.response_id.in_([r.id for r in waiting]),
            ClarificationMessage.side == "buyer",
        )
        .order_by(ClarificationMessage.created_at, ClarificationMessage.id)
    ):
        latest[response_id, key] = body
    result = {}
    for response in waiting:
        definition = response.version.definition
        keys = set(response.open_questions)
        result[response.id] = [
            OpenQuestion(
                response.id,
                definition.section_of[key],
                key,
                text_in(question["text"], lang),
                latest.get((response.id, key), ""),
            )
            for key, question in definition.questions.items()
            if key in keys
        ]
    return result


def waiting_for_answers(organisation_id: int, lang: str) -> list[tuple[Response, list]]:
    """The organisation's responses under clarification, oldest round first, each with its
    open questions (two queries)."""
    responses = list(
        db.session.scalars(
            db.select(Response)
            .where(
                Response.organisation_id == organisation_id,
                Response.status == ResponseStatus.CLARIFICATION.value,
            )
            .order_by(Response.id)
        )
    )
    questions = open_questions(responses, lang)
    return [(r, questions[r.id]) for r in responses if questions.get(r.id)]
