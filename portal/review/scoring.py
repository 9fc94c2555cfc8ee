"""Scores from grades: per section and criterion, and the weighted total, with arithmetic.

A section's share of the total is its weight divided by the sum of the weights of sections
that have graded questions. Within a section the points of its gradable visible questions
count against their maximum (the rubric's top level). Ungraded questions count 0 and are
listed, so a total is never shown as final while grades are missing.
"""

from dataclasses import dataclass, field

from portal.questionnaires.services import Definition
from portal.texts import text_in


@dataclass
class Part:
    key: str
    title: str
    points: float = 0.0
    maximum: float = 0.0
    weight: float = 0.0

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
            "sections": [vars(p) for p in self.sections],
            "criteria": [vars(p) for p in self.criteria],
            "weight_sum": self.weight_sum,
            "total": self.total,
            "award_points": self.award_points,
            "award_maximum": self.award_maximum,
            "ungraded": self.ungraded,
        }


def maximum_of(question: dict) -> float:
    return max(level["points"] for level in question["rubric"])


def compute(
    definition: Definition,
    visible: set[str],
    grades: dict[str, float | None],
    lang: str,
    award_maximum: float,
) -> Scores:
    """Scores of one response. `grades` maps question keys to rubric points (or None)."""
    sections, criteria = [], {}
    ungraded = []
    for section in definition.sections:
        part = Part(
            section["key"], text_in(section["title"], lang), weight=float(section.get("weight", 0))
        )
        for question in section["questions"]:
            if not question.get("rubric") or question["key"] not in visible:
                continue
            top = maximum_of(question)
            got = grades.get(question["key"])
            if got is None:
                ungraded.append(question["key"])
                got = 0.0
            part.points += got
            part.maximum += top
            criterion = criteria.setdefault(
                question["criterion"], Part(question["criterion"], question["criterion"])
            )
            criterion.points += got
            criterion.maximum += top
        sections.append(part)
    counted = [p for p in sections if p.maximum]
    weight_sum = sum(p.weight for p in counted)
    total = sum(p.weight * p.fraction for p in counted)
    award = total / weight_sum * award_maximum if weight_sum else 0.0
    return Scores(
        sections, list(criteria.values()), weight_sum, total, award, award_maximum, ungraded
    )
