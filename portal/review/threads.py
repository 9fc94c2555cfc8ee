"""Clarification threads, read by both sides."""

from collections import defaultdict

from portal.extensions import db
from portal.review.models import ClarificationMessage


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
