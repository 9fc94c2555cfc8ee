"""The risk score and the ranking, against twenty suppliers scored by hand.

The formula (portal/selection/scoring.py, docs/follow-up-selection.md):

    score = 40 % × country + 20 % × answers + 20 % × open findings + 20 % × contract value

- country: the riskiest country of the supplier's factories; a country's risk is the mean of
  its four figures; a country missing from the table, or no factory, is 100;
- answers: 100 × (1 − score share of the latest accepted response); none is 100;
- findings: 10 per minor, 25 per major, 50 per critical open finding, at most 100;
- value: 100 × the supplier's total / the largest total (here 50 MSEK).
"""

import pytest

from portal.selection import scoring

#: Freedom of association, working time, gender inequality, overall.
FIGURES = {
    "CN": (90, 80, 50, 80),  # (90 + 80 + 50 + 80) / 4 = 75
    "VN": (80, 70, 40, 70),  # 260 / 4 = 65
    "MY": (60, 70, 50, 60),  # 240 / 4 = 60
    "MX": (50, 60, 50, 40),  # 200 / 4 = 50
    "TW": (30, 50, 30, 30),  # 140 / 4 = 35
    "DE": (10, 10, 20, 0),  # 40 / 4 = 10
    # BD is not in the table: 100.
}
M = 1_000_000

#: name: (factory countries, answer share, open findings, value in SEK)
SUPPLIERS = {
    "Aurora Data AB": (("CN", "VN"), 0.5, {"major": 1}, 50 * M),
    "Bergström IT AB": (("DE",), 0.9, {}, 5 * M),
    "Cobalt Systems Ltd": (("BD", "TW"), None, {}, 25 * M),
    "Delta Devices GmbH": ((), 0.8, {"minor": 2}, 10 * M),
    "Elnet Nordic AB": (("MX",), 0.6, {"critical": 1, "major": 1}, 40 * M),
    "Fjord Computing AS": (("MY", "TW"), 0.75, {}, 5 * M),
    "Gamma Print AB": (("CN",), 1.0, {"critical": 3}, 2_500_000),
    "Helix Servers AB": (("VN",), 0.5, {"minor": 1}, 25 * M),
    "Iris Monitors Oy": (("TW",), 0.9, {}, 10 * M),
    "Juniper Thin AB": (("CN",), None, {}, 1 * M),
    "Kappa Medical AB": (("MX", "DE"), 0.25, {"major": 2}, 5 * M),
    "Lumen Office AB": (("DE",), None, {}, 10 * M),
    "Mira Networks AB": (("MY",), 0.5, {"minor": 1, "major": 1}, 40 * M),
    "Nova Peripherals AB": (("CN", "MY"), 0.8, {}, 2_500_000),
    "Orion Storage AB": (("BD",), 0.6, {"minor": 1}, 10 * M),
    "Pixel Displays AB": (("VN",), 0.9, {}, 1 * M),
    "Quanta Terminals AB": (("TW", "DE"), 0.75, {"major": 1}, 25 * M),
    "Runa Secure AB": (("MX",), 0.5, {"minor": 3}, 5 * M),
    "Saga Systems AB": (("CN",), 0.8, {"minor": 1}, 1 * M),
    "Tellus IT AB": (("DE",), None, {}, 25 * M),
}

#: Worked out by hand: (country, answers, findings, value) parts, then the score
#: 0.4 × country + 0.2 × (answers + findings + value), highest first; equal scores by name.
EXPECTED = [
    ("Cobalt Systems Ltd", (100, 100, 0, 50), 70.0),  # BD unknown; 40 + 20 + 0 + 10
    ("Aurora Data AB", (75, 50, 25, 100), 65.0),  # 30 + 10 + 5 + 20
    ("Elnet Nordic AB", (50, 40, 75, 80), 59.0),  # 20 + 8 + 15 + 16
    ("Mira Networks AB", (60, 50, 35, 80), 57.0),  # 24 + 10 + 7 + 16
    ("Orion Storage AB", (100, 40, 10, 20), 54.0),  # 40 + 8 + 2 + 4
    ("Delta Devices GmbH", (100, 20, 20, 20), 52.0),  # no factory; 40 + 4 + 4 + 4
    ("Gamma Print AB", (75, 0, 100, 5), 51.0),  # 150 finding points, capped; 30 + 0 + 20 + 1
    ("Juniper Thin AB", (75, 100, 0, 2), 50.4),  # 30 + 20 + 0 + 0.4
    ("Helix Servers AB", (65, 50, 10, 50), 48.0),  # 26 + 10 + 2 + 10
    ("Kappa Medical AB", (50, 75, 50, 10), 47.0),  # 20 + 15 + 10 + 2
    ("Runa Secure AB", (50, 50, 30, 10), 38.0),  # 20 + 10 + 6 + 2
    ("Saga Systems AB", (75, 20, 10, 2), 36.4),  # 30 + 4 + 2 + 0.4
    ("Nova Peripherals AB", (75, 20, 0, 5), 35.0),  # 30 + 4 + 0 + 1
    ("Quanta Terminals AB", (35, 25, 25, 50), 34.0),  # 14 + 5 + 5 + 10; before Tellus by name
    ("Tellus IT AB", (10, 100, 0, 50), 34.0),  # 4 + 20 + 0 + 10
    ("Fjord Computing AS", (60, 25, 0, 10), 31.0),  # 24 + 5 + 0 + 2
    ("Pixel Displays AB", (65, 10, 0, 2), 28.4),  # 26 + 2 + 0 + 0.4
    ("Lumen Office AB", (10, 100, 0, 20), 28.0),  # 4 + 20 + 0 + 4
    ("Iris Monitors Oy", (35, 10, 0, 20), 20.0),  # 14 + 2 + 0 + 4
    ("Bergström IT AB", (10, 10, 0, 10), 8.0),  # 4 + 2 + 0 + 2
]


def risk_table() -> dict[str, float]:
    names = ("freedom_of_association", "working_time", "gender_inequality", "overall")
    return {
        code: scoring.country_risk(dict(zip(names, f, strict=True))) for code, f in FIGURES.items()
    }


def facts() -> list[scoring.Facts]:
    return [
        scoring.Facts(n, name, countries, share, findings, value)
        for n, (name, (countries, share, findings, value)) in enumerate(SUPPLIERS.items(), 1)
    ]


def test_twenty_suppliers_rank_as_computed_by_hand():
    ranked = scoring.rank(facts(), risk_table())
    assert [r.facts.name for r in ranked] == [name for name, _parts, _score in EXPECTED]
    for item, (name, parts, score) in zip(ranked, EXPECTED, strict=True):
        got = tuple(item.parts[p] for p in ("country", "answers", "findings", "value"))
        assert got == pytest.approx(parts), name
        assert item.score == pytest.approx(score), name
        assert sum(item.contributions.values()) == pytest.approx(score), name
    assert [r.rank for r in ranked] == list(range(1, 21))


def test_the_parts_say_where_they_come_from():
    ranked = {r.facts.name: r for r in scoring.rank(facts(), risk_table())}
    cobalt = ranked["Cobalt Systems Ltd"]
    assert cobalt.unknown_countries == ["BD"]
    assert cobalt.riskiest_country == scoring.CountryRisk("BD", 100.0, False)
    assert [(c.country, c.risk) for c in ranked["Nova Peripherals AB"].countries] == [
        ("CN", 75.0),
        ("MY", 60.0),
    ]
    assert ranked["Delta Devices GmbH"].countries == []
    assert ranked["Aurora Data AB"].contributions == pytest.approx(
        {"country": 30, "answers": 10, "findings": 5, "value": 20}
    )


@pytest.mark.parametrize(
    ("suppliers", "percent", "expected"),
    [(20, 10, 2), (20, 15, 3), (7, 10, 1), (7, 15, 2), (10, 15, 2), (1, 10, 1), (0, 10, 0)],
)
def test_shares_are_rounded_up(suppliers, percent, expected):
    assert scoring.share_count(suppliers, percent) == expected


def test_the_weights_add_up_to_a_whole():
    assert sum(scoring.WEIGHTS.values()) == 100
    assert sum(scoring.COUNTRY_FIGURE_WEIGHTS.values()) == 100


def test_nobody_with_any_value_makes_the_value_part_zero():
    only = scoring.rank([scoring.Facts(1, "A", ("CN",), 0.5, {}, 0)], {"CN": 50.0})
    assert only[0].parts["value"] == 0
    assert only[0].score == pytest.approx(0.4 * 50 + 0.2 * 50)
