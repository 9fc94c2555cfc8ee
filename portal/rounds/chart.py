"""The geometry of the maturity chart, for a server-rendered SVG (templates/rounds/_chart.html).

One horizontal bar per criterion, split into the shares of each answer, with the two
thresholds drawn across all bars. Only numbers and keys here; the template writes the SVG with
presentation attributes (the content security policy forbids inline styles) and names every
part in the page's language.
"""

from dataclasses import dataclass, field

from portal.rounds.maturity import MEETS, Maturity

#: Dark enough for 3:1 against white (WCAG 1.4.11) and against each other's neighbours;
#: every segment also carries its percentage, so colour is never the only cue.
COLOURS = {"yes": "#00703c", "partly": "#0b4f6c", "planned": "#6b4a00", "no": "#b3261e"}
WIDTH = 640
LEFT, RIGHT, TOP = 200, 24, 28
BAR, GAP = 24, 14
AXIS_SPACE = 40
LEGEND_ROW = 26
#: A segment narrower than this shows no percentage inside it (the table has it).
LABEL_MIN_WIDTH = 34


@dataclass
class Segment:
    meets: str
    colour: str
    x: float
    width: float
    percent: float


@dataclass
class Bar:
    criterion: str
    y: float
    respondents: int
    segments: list[Segment]


@dataclass
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    requirement_x: float
    award_x: float
    ticks: list[tuple[float, int]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    legend: list[tuple[str, str, float]] = field(default_factory=list)
    legend_y: float = 0.0


def maturity_chart(maturity: Maturity) -> Chart | None:
    """Lay out one bar per criterion with respondents; None when nobody has answered."""
    answered = [c for c in maturity.criteria if c.shares.respondents]
    if not answered:
        return None
    bottom = TOP + len(answered) * (BAR + GAP)
    right = WIDTH - RIGHT

    def x_of(percent: float) -> float:
        return round(LEFT + (right - LEFT) * percent / 100, 1)

    chart = Chart(
        width=WIDTH,
        height=bottom + AXIS_SPACE + LEGEND_ROW + 8,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        requirement_x=x_of(maturity.thresholds.requirement),
        award_x=x_of(maturity.thresholds.award),
        ticks=[(x_of(p), p) for p in (0, 25, 50, 75, 100)],
        legend_y=bottom + AXIS_SPACE + LEGEND_ROW / 2,
    )
    for index, criterion in enumerate(answered):
        y = TOP + index * (BAR + GAP) + GAP / 2
        segments, start = [], 0.0
        for meets in MEETS:
            percent = criterion.shares.percent(meets) or 0.0
            if percent:
                x = x_of(start)
                segments.append(
                    Segment(meets, COLOURS[meets], x, round(x_of(start + percent) - x, 1), percent)
                )
            start += percent
        chart.bars.append(Bar(criterion.key, y, criterion.shares.respondents, segments))
    column = (right - LEFT + LEFT - 16) / len(MEETS)
    chart.legend = [(m, COLOURS[m], 16 + i * column) for i, m in enumerate(MEETS)]
    return chart
