"""The risk score of a contracted supplier, as pure arithmetic: every weight is here, and
docs/follow-up-selection.md explains the same formula in words.

A supplier's score is a weighted sum of four parts, each from 0 (no risk seen) to 100:

- country: the riskiest country among those of its current factories (final assembly and
  main components); a country's risk is the weighted mean of its four figures in the
  country-risk table; a country missing from the table, or no factory at all, counts 100;
- answers: 100 × (1 − the score share of its latest accepted response); none counts 100;
- findings: points per open finding by severity, at most 100;
- value: 100 × its current contracts' total value / the largest total of any supplier.

Suppliers are ranked by score, highest first; equal scores by name.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: How much each part weighs in the score, in percent (they add up to 100).
WEIGHTS = {"country": 40, "answers": 20, "findings": 20, "value": 20}
#: How much each figure of the country-risk table weighs in a country's risk, in percent.
COUNTRY_FIGURE_WEIGHTS = {
    "freedom_of_association": 25,
    "working_time": 25,
    "gender_inequality": 25,
    "overall": 25,
}
#: Points each open finding adds to the findings part, by severity.
FINDING_POINTS = {"minor": 10, "major": 25, "critical": 50}
#: The highest a part can be: what an unknown counts as.
HIGHEST = 100.0
#: The share of suppliers proposed for follow-up each year, and the share taken if capacity
#: allows, in percent.
DEFAULT_SHARES = (10, 15)

PARTS = tuple(WEIGHTS)


@dataclass(frozen=True)
class Facts:
    """What one supplier's score is computed from."""

    organisation_id: int
    name: str
    #: ISO codes of the countries of its factories in the supply chain today.
    countries: tuple[str, ...]
    #: The score of its latest accepted response as a share from 0 to 1; None without one.
    answer_share: float | None
    #: Its open findings, counted by severity.
    open_findings: Mapping[str, int]
    #: The total value of its current contracts in SEK.
    value_sek: int


@dataclass(frozen=True)
class CountryRisk:
    """One country of a supplier's factories and its risk; `known` is False when the
    country-risk table has no row for it (the risk is then HIGHEST)."""

    country: str
    risk: float
    known: bool


@dataclass
class Scored:
    """A supplier's score with its parts, and its place in the ranking (1 is the riskiest)."""

    facts: Facts
    countries: list[CountryRisk]
    parts: dict[str, float]
    score: float
    rank: int = 0
    #: The weighted contribution of each part to the score.
    contributions: dict[str, float] = field(default_factory=dict)

    @property
    def riskiest_country(self) -> CountryRisk | None:
        """The country that decided the country part (None without factories)."""
        return max(self.countries, key=lambda c: c.risk) if self.countries else None

    @property
    def unknown_countries(self) -> list[str]:
        return [c.country for c in self.countries if not c.known]


def country_risk(figures: Mapping[str, float]) -> float:
    """A country's risk: the weighted mean of its figures (COUNTRY_FIGURE_WEIGHTS)."""
    total = sum(COUNTRY_FIGURE_WEIGHTS.values())
    return sum(figures[name] * weight for name, weight in COUNTRY_FIGURE_WEIGHTS.items()) / total


def countries_of(countries: Iterable[str], table: Mapping[str, float]) -> list[CountryRisk]:
    """Each distinct country with its risk from `table` (code -> country_risk), riskiest first
    (then by code); a country not in the table at HIGHEST."""
    found = [
        CountryRisk(code, table[code], True) if code in table else CountryRisk(code, HIGHEST, False)
        for code in set(countries)
    ]
    return sorted(found, key=lambda c: (-c.risk, c.country))


def country_part(countries: list[CountryRisk]) -> float:
    """The risk of the riskiest country; HIGHEST when no factory is listed."""
    return max((c.risk for c in countries), default=HIGHEST)


def answers_part(share: float | None) -> float:
    """100 × (1 − share): a lower score is a greater risk; no accepted response is HIGHEST."""
    if share is None:
        return HIGHEST
    return HIGHEST * (1 - min(max(share, 0.0), 1.0))


def findings_part(open_findings: Mapping[str, int]) -> float:
    """FINDING_POINTS per open finding by severity, at most HIGHEST."""
    points = sum(FINDING_POINTS.get(severity, 0) * n for severity, n in open_findings.items())
    return min(float(points), HIGHEST)


def value_part(value_sek: int, largest_sek: int) -> float:
    """The value as a share of the largest supplier's, times 100 (0 when nobody has any)."""
    return HIGHEST * value_sek / largest_sek if largest_sek > 0 else 0.0


def weighted(parts: Mapping[str, float]) -> dict[str, float]:
    """Each part times its weight: what it adds to the score."""
    return {name: parts[name] * WEIGHTS[name] / 100 for name in PARTS}


def rank(facts: Iterable[Facts], table: Mapping[str, float]) -> list[Scored]:
    """Every supplier scored and ranked: the highest score first, equal scores by name
    (case-insensitive), then by id. `table` maps a country code to its country_risk."""
    facts = list(facts)
    largest = max((f.value_sek for f in facts), default=0)
    scored = []
    for fact in facts:
        countries = countries_of(fact.countries, table)
        parts = {
            "country": country_part(countries),
            "answers": answers_part(fact.answer_share),
            "findings": findings_part(fact.open_findings),
            "value": value_part(fact.value_sek, largest),
        }
        contributions = weighted(parts)
        scored.append(Scored(fact, countries, parts, sum(contributions.values()), 0, contributions))
    scored.sort(
        key=lambda s: (-round(s.score, 9), s.facts.name.casefold(), s.facts.organisation_id)
    )
    for place, item in enumerate(scored, start=1):
        item.rank = place
    return scored


def share_count(suppliers: int, percent: int) -> int:
    """How many of `suppliers` make `percent` percent of them, rounded up: any share above
    zero of any supplier is at least one (10 % of 20 is 2; 15 % of 20 is 3; 10 % of 7 is 1)."""
    # In whole numbers, so that 15 % of 20 is exactly 3.
    return -(-suppliers * percent // 100) if suppliers > 0 and percent > 0 else 0
