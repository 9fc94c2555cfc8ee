"""Scores from grades: per section and criterion, and the weighted total, with arithmetic.

Within a section every gradable question (one with a rubric) has a share, its `weight`
(default 1). A question adds `weight × points / top` where top is its rubric's highest level,
and the section's fraction is that sum divided by the sum of the weights of ALL its gradable
questions, whether asked or not. So a section's maximum is fixed by the definition:

- a question not asked because of an earlier answer (hidden by `show_if`) counts 0, so a
  "no" that hides follow-up questions never scores more than a "yes" whose follow-ups earn
  anything;
- a question not asked because an earlier answer satisfies it (`satisfies`) counts in full;
- a question asked but not graded yet counts 0 and is listed, so a total is never shown as
  final while grades are missing;
- a grade above the question's `rubric_cap` counts as the cap.

A section's share of the total is its weight divided by the sum of the weights of the
sections that have gradable questions.
"""

from dataclasses import asdict, dataclass, field

from portal.questionnaires.services import Definition, question_weight
from portal.texts import text_in


@dataclass
class Line:
    """One gradable question's part in its section's score."""

    key: str
    title: str
    #: The rubric points counted (after any cap), or None when not asked or not graded.
    points: float | None
    top: float
    weight: float
    #: "graded", "ungraded", "hidden" (not asked) or "credited" (satisfied by `credited_by`).
    state: str
    #: The title of the question whose answer satisfies this one, when credited.
    credited_by: str = ""
    #: The cap that lowered the grade given, if one did.
    capped_at: float | None = None

    @property
    def share(self) -> float:
        """weight × points / top: what the question adds to its section."""
        if self.state == "credited":
            return self.weight
        return self.weight * (self.points or 0.0) / self.top


@dataclass
class Part:
    """A section or a criterion: `points` out of `maximum`. For a section these are sums of
    the questions' weighted shares and of their weights; for a criterion, rubric points."""

    key: str
    title: str
    points: float = 0.0
    maximum: float = 0.0
    weight: float = 0.0
    lines: list[Line] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.points / self.maximum if self.maximum else 0.0


@dataclass
class Scores:
    sections: list[Part]
    criteria: list[Part]
    weight_sum: float
    total: float  # out of weight_sum
    award_points: float  # the total scaled to the award points of the social criteria
    award_maximum: float
    ungraded: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sections": [asdict(p) for p in self.sections],
            "criteria": [asdict(p) for p in self.criteria],
            "weight_sum": self.weight_sum,
            "total": self.total,
            "award_points": self.award_points,
            "award_maximum": self.award_maximum,
            "ungraded": self.ungraded,
        }


def maximum_of(question: dict) -> float:
    return max(level["points"] for level in question["rubric"])


def section_maximum(section: dict) -> float:
    """The sum of the weights of the section's gradable questions: fixed by the definition."""
    return sum(question_weight(q) for q in section["questions"] if q.get("rubric"))


def _line(definition: Definition, question: dict, values, visible, credits, grades, lang) -> Line:
    key, top = question["key"], maximum_of(question)
    line = Line(
        key, text_in(question["text"], lang), None, top, question_weight(question), "hidden"
    )
    if key in credits:
        line.points, line.state = top, "credited"
        line.credited_by = text_in(definition.questions[credits[key]]["text"], lang)
    elif key in visible:
        got = grades.get(key)
        line.state = "ungraded" if got is None else "graded"
        cap = definition.cap(question, values)
        if got is not None and cap is not None and got > cap:
            got, line.capped_at = cap, cap
        line.points = got
    return line


def compute(
    definition: Definition,
    values: dict,
    grades: dict[str, float | None],
    lang: str,
    award_maximum: float,
    *,
    visible: set[str] | None = None,
) -> Scores:
    """Scores of one response from its stored answer values (by question key) and its
    grades (question key → rubric points, or None). `visible`, the keys of the questions
    these values show, spares computing them again."""
    if visible is None:
        visible = definition.visible_keys(values)
    credits = definition.credits(values)
    sections, criteria = [], {}
    for section in definition.sections:
        part = Part(
            section["key"], text_in(section["title"], lang), weight=float(section.get("weight", 0))
        )
        for question in section["questions"]:
            if not question.get("rubric"):
                continue
            line = _line(definition, question, values, visible, credits, grades, lang)
            part.lines.append(line)
            part.points += line.share
            part.maximum += line.weight
            criterion = criteria.setdefault(
                question["criterion"], Part(question["criterion"], question["criterion"])
            )
            criterion.points += line.points or 0.0
            criterion.maximum += line.top
        sections.append(part)
    counted = [p for p in sections if p.maximum]
    weight_sum = sum(p.weight for p in counted)
    total = sum(p.weight * p.fraction for p in counted)
    award = total / weight_sum * award_maximum if weight_sum else 0.0
    ungraded = [line.key for p in sections for line in p.lines if line.state == "ungraded"]
    return Scores(
        sections, list(criteria.values()), weight_sum, total, award, award_maximum, ungraded
    )
