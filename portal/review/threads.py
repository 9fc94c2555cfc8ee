"""Clarification threads, read by both sides."""

from collections import defaultdict

from portal.extensions import db
from portal.review.models import ClarificationMessage, Grade, Review


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


def comments_for_supplier(response_id: int) -> dict[str, str]:
    """The reviewer's comments per question, once the review is accepted (one query)."""
    rows = db.session.execute(
        db.select(Grade.question_key, Grade.comment)
        .join(Review, Review.response_id == Grade.response_id)
        .where(Grade.response_id == response_id, Review.status == "accepted", Grade.comment != "")
    )
    return {key: comment for key, comment in rows}  # noqa: C416 - rows are Row objects
