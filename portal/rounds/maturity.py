"""Market maturity: what the suppliers' market answers in a round say about each criterion.

Every figure comes from SQL aggregates over the round's submitted market answers, in a fixed
number of queries whatever the number of responses: one GROUP BY for the shares and the
effort (criterion, hours, kind of organisation, answer), one query for the comments.
Medians and quartiles are computed the way PostgreSQL's `percentile_cont` does (linear
interpolation between the two nearest ranks), but portably (SQLite has no percentile
function): the GROUP BY counts each distinct number of hours per criterion, and the ranks
follow from the running counts.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from math import ceil, floor

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func

from portal.audit.services import record
from portal.extensions import db
from portal.orgs.services import KIND_LABELS, Organisation, OrgKind
from portal.questionnaires.services import (
    CRITERION_LABELS,
    INTENDED_USE_LABELS,
    STAFF_VISIBLE,
    Definition,
    MarketAnswer,
    QuestionnaireVersion,
    Response,
    Round,
)
from portal.rounds.labels import MEETS_LABELS, VERDICT_LABELS

#: The kinds of round that ask the market questions.
MARKET_ROUND_KINDS = ("rfi", "market_dialogue")
#: The answers to "Can you meet it today?", in the order the page shows them.
MEETS = ("yes", "partly", "planned", "no")
KINDS = (OrgKind.RESELLER.value, OrgKind.BRAND.value)
#: Percentages when a round keeps the defaults: at least 50 % meeting a criterion makes it
#: ready to be a mandatory requirement, at least 20 % an award criterion, fewer a milestone.
DEFAULT_THRESHOLDS = {"requirement": 50, "award": 20}
#: The verdicts, from the most mature.
REQUIREMENT, AWARD, MILESTONE = "requirement", "award", "milestone"
#: Quartiles 0..4 (minimum, lower quartile, median, upper quartile, maximum).
QUARTILES = range(5)


@dataclass(frozen=True)
class Thresholds:
    """Percentages of respondents meeting a criterion: `requirement` and above means ready to
    be a mandatory requirement, `award` and above an award criterion."""

    requirement: int
    award: int

    @classmethod
    def of(cls, round_: Round) -> "Thresholds":
        stored = round_.maturity_thresholds or {}
        return cls(
            requirement=int(stored.get("requirement", DEFAULT_THRESHOLDS["requirement"])),
            award=int(stored.get("award", DEFAULT_THRESHOLDS["award"])),
        )

    def verdict(self, meeting: int, respondents: int) -> str | None:
        """The verdict for `meeting` of `respondents`, in whole numbers so that exactly 50 %
        of 40 is 50 %; None without respondents."""
        if not respondents:
            return None
        if meeting * 100 >= self.requirement * respondents:
            return REQUIREMENT
        if meeting * 100 >= self.award * respondents:
            return AWARD
        return MILESTONE


@dataclass
class Shares:
    """How many respondents gave each answer."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def respondents(self) -> int:
        return sum(self.counts.values())

    def count(self, meets: str) -> int:
        return self.counts.get(meets, 0)

    def percent(self, meets: str) -> float | None:
        """The share giving `meets`, in percent; None without respondents."""
        total = self.respondents
        return 100 * self.count(meets) / total if total else None


@dataclass
class Effort:
    """The reported hours to provide the verification: how many reported them, and the
    five-number summary (minimum, quartiles, maximum)."""

    reported: int
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


@dataclass
class Criterion:
    key: str
    #: What the definition means it to become: requirement, award, clause, or None (format 1
    #: and 2 definitions do not say).
    intended_use: str | None
    #: The award points a bidder can earn on it (its part of the social award points).
    award_points: float
    shares: Shares
    by_kind: dict[str, Shares]
    effort: Effort | None
    verdict: str | None
    #: Weighting advice: high effort for few award points (bidders skip it).
    costly: bool = False
    #: Weighting advice: most of the market meets it, yet it is not meant as a requirement.
    mandatory_candidate: bool = False


@dataclass
class Comment:
    criterion: str
    organisation: str
    kind: str
    meets: str | None
    text: str


@dataclass
class Maturity:
    round: Round
    thresholds: Thresholds
    criteria: list[Criterion]

    @property
    def by_key(self) -> dict[str, Criterion]:
        return {c.key: c for c in self.criteria}

    @property
    def has_answers(self) -> bool:
        return any(c.shares.respondents for c in self.criteria)


def _visible(round_id: int):
    """The round's market answers buyer staff may read: those of submitted responses."""
    return and_(
        MarketAnswer.response_id == Response.id,
        Response.round_id == round_id,
        Response.status.in_(STAFF_VISIBLE),
    )


def tallies(round_id: int) -> tuple[dict, dict[str, Effort]]:
    """In one GROUP BY over the round's visible market answers: criterion → kind of
    organisation → answer → respondents, and criterion → the five-number summary of the hours
    reported. Grouping by the number of hours too costs few rows, since people report round
    numbers; the ranks of the quartiles follow from the running counts of each number."""
    hours = MarketAnswer.effort_hours
    query = (
        db.select(
            MarketAnswer.criterion, hours, Organisation.kind, MarketAnswer.meets, func.count()
        )
        .join(Response, _visible(round_id))
        .join(Organisation, Organisation.id == Response.organisation_id)
    )
    # Ordered as grouped, so that the database sorts once.
    grouping = (MarketAnswer.criterion, hours, Organisation.kind, MarketAnswer.meets)
    query = query.group_by(*grouping).order_by(*grouping)
    shares: dict[str, dict[str, dict[str, int]]] = {}
    found: dict[str, tuple[list[int], list]] = {}
    for criterion, value, kind, meets, count in db.session.execute(query):
        if meets is not None:
            by_meets = shares.setdefault(criterion, {}).setdefault(kind, {})
            by_meets[meets] = by_meets.get(meets, 0) + count
        if value is None:
            continue
        ends, values = found.setdefault(criterion, ([], []))
        if values and values[-1] == value:  # rows come in order of criterion and hours
            ends[-1] += count
        else:
            ends.append(ends[-1] + count if ends else count)
            values.append(value)
    efforts = {criterion: _summary(ends, values) for criterion, (ends, values) in found.items()}
    return shares, efforts


def _summary(ends: list[int], values: list[float]) -> Effort:
    """The five-number summary from distinct values in order and the running count at the
    end of each, interpolating between ranks as `percentile_cont` does."""
    n = ends[-1]

    def at(rank: int) -> float:
        return float(values[bisect_right(ends, rank)])

    def quartile(k: int) -> float:
        position = (n - 1) * k / 4
        low, high = floor(position), ceil(position)
        return at(low) + (position - low) * (at(high) - at(low))

    return Effort(n, *(quartile(k) for k in QUARTILES))


def comments(round_id: int) -> list[Comment]:
    """Every comment given in the round's submitted market answers, by criterion and then
    organisation, in one query: the material for the dialogue meeting."""
    query = (
        db.select(
            MarketAnswer.criterion,
            Organisation.name,
            Organisation.kind,
            MarketAnswer.meets,
            MarketAnswer.comment,
        )
        .join(Response, _visible(round_id))
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(MarketAnswer.comment.is_not(None), MarketAnswer.comment != "")
        .order_by(MarketAnswer.criterion, Organisation.name)
    )
    return [Comment(*row) for row in db.session.execute(query)]


def award_points(definition: Definition, award_maximum: float) -> dict[str, float]:
    """criterion → the award points its gradable questions can earn, by the scoring rule
    (Definition.award_shares)."""
    points: dict[str, float] = {}
    for key, share in definition.award_shares.items():
        criterion = definition.questions[key]["criterion"]
        points[criterion] = points.get(criterion, 0.0) + share * award_maximum
    return points


def criteria_of(content: dict) -> dict[str, str | None]:
    """criterion → intended use, in the definition's order: its `criteria:` first, then any
    other criterion its questions name."""
    listed = {
        key: (spec or {}).get("intended_use") for key, spec in content.get("criteria", {}).items()
    }
    for section in content["sections"]:
        for question in section["questions"]:
            if question.get("criterion"):
                listed.setdefault(question["criterion"], None)
    return listed


def figures(round_: Round, award_maximum: float) -> Maturity:
    """The round's market maturity per criterion, with weighting advice (one query)."""
    thresholds = Thresholds.of(round_)
    content = round_.version.content
    uses = criteria_of(content)
    points = award_points(round_.version.definition, award_maximum)
    tally, effort = tallies(round_.id)
    for key in [*tally, *effort]:
        uses.setdefault(key, None)
    criteria = []
    for key, use in uses.items():
        by_kind = {kind: Shares(dict(tally.get(key, {}).get(kind, {}))) for kind in KINDS}
        totals = {m: sum(s.count(m) for s in by_kind.values()) for m in MEETS}
        shares = Shares({m: n for m, n in totals.items() if n})
        criteria.append(
            Criterion(
                key=key,
                intended_use=use,
                award_points=points.get(key, 0.0),
                shares=shares,
                by_kind=by_kind,
                effort=effort.get(key),
                verdict=thresholds.verdict(shares.count("yes"), shares.respondents),
            )
        )
    _advise(criteria)
    return Maturity(round_, thresholds, criteria)


def _middle(values: list[float]) -> float:
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _advise(criteria: list[Criterion]) -> None:
    """Flag, among criteria with answers, those most of the market already meets but that
    are not meant as requirements (candidates for mandatory requirements), and award
    criteria whose effort is high for their points: median hours at or above the middle of
    all criteria's median hours, award points below the average award criterion's."""
    for criterion in criteria:
        criterion.mandatory_candidate = (
            criterion.verdict == REQUIREMENT and criterion.intended_use != REQUIREMENT
        )
    medians = [c.effort.median for c in criteria if c.effort]
    awarded = [c for c in criteria if c.intended_use in (AWARD, None) and c.award_points]
    if len(medians) < 2 or not awarded:
        return
    high = _middle(medians)
    average = sum(c.award_points for c in awarded) / len(awarded)
    for criterion in awarded:
        effort = criterion.effort
        criterion.costly = (
            effort is not None
            and effort.median > 0
            and effort.median >= high
            and criterion.award_points < average
        )


def earlier_rounds(round_: Round) -> list[Round]:
    """Rounds of the same questionnaire (any version) opened before this one, latest first:
    those the page may compare with."""
    return list(
        db.session.scalars(
            db.select(Round)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
            .where(
                QuestionnaireVersion.key == round_.version.key,
                Round.id != round_.id,
                Round.created_at <= round_.created_at,
            )
            .order_by(Round.created_at.desc(), Round.id.desc())
        )
    )


def set_thresholds(round_: Round, *, requirement: int, award: int) -> None:
    """Store the round's thresholds in percent (award at most requirement); the defaults
    are stored as null, so that a round keeps following them."""
    chosen = {"requirement": requirement, "award": award}
    round_.maturity_thresholds = None if chosen == DEFAULT_THRESHOLDS else chosen
    db.session.flush()
    record("round.thresholds_changed", target=round_, details={"title": round_.title, **chosen})


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def export_rows(maturity: Maturity, earlier: Maturity | None = None) -> tuple[list, list]:
    """The figures as a header and one row per criterion, in the page's language; with the
    earlier round's share meeting each criterion when comparing."""
    header = [
        _("Criterion"),
        _("Intended use"),
        _("Respondents"),
        *(_("%(answer)s (%%)", answer=MEETS_LABELS[m]) for m in MEETS),
        *(_("%(kind)s meeting it (%%)", kind=KIND_LABELS[k]) for k in KINDS),
        _("Effort, median (hours)"),
        _("Effort, lower quartile (hours)"),
        _("Effort, upper quartile (hours)"),
        _("Award points"),
        _("Verdict"),
        _("Weighting advice"),
    ]
    if earlier:
        header.append(_("Meeting it in %(round)s (%%)", round=earlier.round.title))
    body = []
    for c in maturity.criteria:
        effort = c.effort
        row = [
            str(CRITERION_LABELS.get(c.key, c.key)),
            str(INTENDED_USE_LABELS.get(c.intended_use, "")),
            c.shares.respondents,
            *(_number(c.shares.percent(m)) for m in MEETS),
            *(_number(c.by_kind[k].percent("yes")) for k in KINDS),
            *(_number(getattr(effort, a, None)) for a in EFFORT_PARTS),
            round(c.award_points, 2),
            str(VERDICT_LABELS.get(c.verdict, "")),
            "; ".join(str(text) for text in advice_of(c)),
        ]
        if earlier:
            before = earlier.by_key.get(c.key)
            row.append(_number(before.shares.percent("yes")) if before else None)
        body.append(row)
    return header, body


EFFORT_PARTS = ("median", "lower_quartile", "upper_quartile")


def advice_of(criterion: Criterion) -> list:
    """The weighting advice on a criterion, in words."""
    advice = []
    if criterion.mandatory_candidate:
        advice.append(_l("Most of the market meets it: a candidate for a mandatory requirement."))
    if criterion.costly:
        advice.append(_l("High effort for few award points: bidders may skip it."))
    return advice


def market_rounds() -> list[Round]:
    """RFI and market-dialogue rounds whose questionnaire version asks the market questions,
    latest first."""
    rounds = db.session.scalars(
        db.select(Round)
        .where(Round.kind.in_(MARKET_ROUND_KINDS))
        .order_by(Round.created_at.desc(), Round.id.desc())
    )
    return [r for r in rounds if r.version.content.get("market_questions")]
