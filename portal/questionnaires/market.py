"""The market questions of RFI and market-dialogue rounds: per criterion of a format-3
definition that asks them, whether the supplier meets it today (yes, partly, no, or planned
by a date), the hours proving it would take, and a comment.

Stored one row per criterion in `market_answers`, so that the market-maturity figures come from
SQL aggregates. Saving follows the sections' rules: the response's row is locked first, only
what the user changed is written, and a colleague's newer answer is never overwritten.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, update

from portal.extensions import db
from portal.questionnaires.models import (
    MARKET_MEETS,
    MAX_EFFORT_HOURS,
    MAX_MARKET_COMMENT,
    MarketAnswer,
    Response,
    ResponseStatus,
)
from portal.timeutil import utcnow

#: The round kinds that ask the market questions.
MARKET_ROUND_KINDS = ("rfi", "market_dialogue")


def asks_market_questions(response: Response) -> bool:
    """Whether this response has a market-questions part: its version asks them and its
    round is an RFI or a market dialogue."""
    return (
        response.version.definition.asks_market_questions
        and response.round.kind in MARKET_ROUND_KINDS
    )


def market_editable(response: Response) -> bool:
    """Whether the market answers may change now: in a draft while it may be edited. Sent back
    for clarification, only the questions the reviewer reopened change, never these."""
    return response.status == ResponseStatus.DRAFT and response.is_editable


@dataclass(frozen=True)
class MarketValue:
    """One criterion's market answer as plain data; None where nothing is given."""

    meets: str | None = None
    planned_by: date | None = None
    effort_hours: float | None = None
    comment: str | None = None

    def as_json(self) -> dict:
        return {
            "meets": self.meets,
            "planned_by": self.planned_by.isoformat() if self.planned_by else None,
            "effort_hours": self.effort_hours,
            "comment": self.comment,
        }

    @classmethod
    def of(cls, row: MarketAnswer | None) -> "MarketValue":
        if row is None:
            return cls()
        return cls(row.meets, row.planned_by, row.effort_hours, row.comment)


def value_problems(value: MarketValue, today: date) -> list[str]:
    """Why a market answer cannot be stored as it is (each problem's message id); empty when
    it can. Incomplete answers can be stored: only wrong ones cannot."""
    problems = []
    if value.meets is not None and value.meets not in MARKET_MEETS:
        problems.append("meets")
    if value.meets == "planned" and value.planned_by is None:
        problems.append("planned_by_missing")
    if value.meets == "planned" and value.planned_by is not None and value.planned_by < today:
        problems.append("planned_by_past")
    hours = value.effort_hours
    if hours is not None and not (0 <= hours <= MAX_EFFORT_HOURS):
        problems.append("effort_hours")
    if value.comment is not None and len(value.comment) > MAX_MARKET_COMMENT:
        problems.append("comment")
    return problems


def market_digest(value: MarketValue) -> str:
    """A short fingerprint of an answer, to tell whether a posted one was changed."""
    canonical = json.dumps(value.as_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def market_answers_of(response: Response) -> dict[str, MarketAnswer]:
    """The response's market answers by criterion (one query)."""
    rows = db.session.scalars(
        db.select(MarketAnswer).where(MarketAnswer.response_id == response.id)
    )
    return {row.criterion: row for row in rows}


def seen_of(answers: dict[str, MarketAnswer]) -> dict[str, tuple[int, str]]:
    """(version, digest) of each stored answer, as a page shows them."""
    return {c: (a.version, market_digest(MarketValue.of(a))) for c, a in answers.items()}


@dataclass
class MarketConflict:
    """A colleague saved this criterion's answer after the page was opened."""

    criterion: str
    theirs: MarketValue
    by: str
    at: datetime


@dataclass
class MarketSaveResult:
    changed: list[str] = field(default_factory=list)
    conflicts: list[MarketConflict] = field(default_factory=list)


def save_market(
    response: Response,
    values: dict[str, MarketValue],
    seen: dict[str, tuple[int, str]],
    *,
    user_id: int,
) -> MarketSaveResult:
    """Store the posted market answers of the response's criteria, all or nothing.

    `seen` holds (version, digest) per criterion as the page showed them. Only answers this
    user changed are written; one a colleague changed since, and this user changed too, is
    left as it is and comes back as a conflict. Raises ValueError when a value has problems
    (`value_problems`) or names a criterion the definition does not list: nothing is written
    then. A fixed number of queries.
    """
    today = utcnow().date()
    criteria = response.version.definition.criteria
    for criterion, value in values.items():
        if criterion not in criteria or value_problems(value, today):
            raise ValueError(f"Market answer for {criterion!r} cannot be stored.")
    now = utcnow()
    # The response's row lock first, so that two saves run one after the other.
    db.session.execute(update(Response).where(Response.id == response.id).values(saved_at=now))
    stored = market_answers_of(response)
    result = MarketSaveResult()
    updates, inserts = [], []
    for criterion in criteria:
        if criterion not in values:
            continue
        value, existing = values[criterion], stored.get(criterion)
        seen_version, seen_digest = seen.get(criterion, (0, market_digest(MarketValue())))
        if market_digest(value) == seen_digest:
            continue
        current = existing.version if existing else 0
        if seen_version != current and existing is not None and existing.updated_by_id != user_id:
            by = existing.updated_by.full_name if existing.updated_by else ""
            result.conflicts.append(
                MarketConflict(criterion, MarketValue.of(existing), by, existing.updated_at)
            )
            continue
        row = {
            "meets": value.meets,
            "planned_by": value.planned_by if value.meets == "planned" else None,
            "effort_hours": value.effort_hours,
            "comment": value.comment,
            "updated_at": now,
            "updated_by_id": user_id,
        }
        if existing is None:
            inserts.append(
                {**row, "response_id": response.id, "criterion": criterion, "version": 1}
            )
        else:
            updates.append({**row, "id": existing.id, "version": existing.version + 1})
        result.changed.append(criterion)
    if updates:
        db.session.execute(update(MarketAnswer), updates)
    if inserts:
        db.session.execute(insert(MarketAnswer), inserts)
    db.session.expire_all()  # bulk statements bypass the identity map
    return result


def unanswered(response: Response, answers: dict[str, MarketAnswer]) -> list[str]:
    """The criteria whose market questions still lack an answer (the comment is optional)."""
    return [
        c
        for c in response.version.definition.criteria
        if not (c in answers and answers[c].is_complete)
    ]


def complete_counts(response_ids: list[int]) -> dict[int, int]:
    """The number of complete market answers per response, in one query."""
    if not response_ids:
        return {}
    rows = db.session.execute(
        db.select(MarketAnswer.response_id, db.func.count(MarketAnswer.id))
        .where(
            MarketAnswer.response_id.in_(response_ids),
            MarketAnswer.meets.is_not(None),
            MarketAnswer.effort_hours.is_not(None),
        )
        .group_by(MarketAnswer.response_id)
    )
    return dict(rows.all())
