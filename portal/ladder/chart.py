"""The geometry of the climb chart, for a server-rendered SVG (templates/ladder/_chart.html).

Only numbers and names here; the template writes the SVG with presentation attributes
(the content security policy forbids inline styles) and marks every text for translation.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

#: Dark enough for 3:1 against white (WCAG 1.4.11); dashes tell neighbours apart without
#: colour.
COLOURS = (
    "#0b4f6c",
    "#b3261e",
    "#00703c",
    "#6b4a00",
    "#4c2c92",
    "#a6005b",
    "#005ea5",
    "#505a5f",
)
DASHES = (None, "8 4", "2 4")
#: Vertical nudges in pixels, so that suppliers on the same step draw side by side instead of
#: on top of each other (a step is about 47 pixels high).
NUDGES = (0, -4, 4, -8, 8)

WIDTH = 640  # drawn at its own size in a .narrow column (40rem), smaller on phones
LEFT, RIGHT, TOP = 64, 24, 16
PLOT_HEIGHT = 280
AXIS_SPACE = 56  # below the plot: date labels and the axis title
LEGEND_ROW = 26
LEGEND_COLUMNS = 2
X_TICKS = 5


@dataclass
class Marker:
    x: float
    y: float
    day: date
    step: int


@dataclass
class Series:
    name: str
    colour: str
    dash: str | None
    #: The polyline's points attribute: a step line, level until the next mark.
    points: str
    markers: list[Marker]
    current: int
    legend_x: float
    legend_y: float


@dataclass
class Tick:
    position: float
    #: A step number, or a day (the template formats days in the page's language).
    label: str | date


@dataclass
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    start: date
    end: date
    top_step: int
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)


def climb_chart(
    history: list[tuple[str, list[tuple[date, int]]]], *, top_step: int, today: date
) -> Chart | None:
    """Lay out each named climb [(day, step), …] on shared axes: steps 0..top_step upwards,
    days from the first mark to today. None when nobody has a mark yet."""
    drawn = [(name, points) for name, points in history if points]
    if not drawn:
        return None
    start = min(points[0][0] for _, points in drawn)
    end = max(today, *(points[-1][0] for _, points in drawn))
    if end <= start:
        start = end - timedelta(days=30)
    legend_rows = -(-len(drawn) // LEGEND_COLUMNS)
    bottom = TOP + PLOT_HEIGHT
    chart = Chart(
        width=WIDTH,
        height=bottom + AXIS_SPACE + legend_rows * LEGEND_ROW + 8,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        start=start,
        end=end,
        top_step=top_step,
    )
    span = (end - start).days

    def x_of(day: date) -> float:
        return round(chart.left + (chart.right - chart.left) * (day - start).days / span, 1)

    def y_of(step: int, nudge: int = 0) -> float:
        return round(chart.bottom - (chart.bottom - chart.top) * step / top_step + nudge, 1)

    chart.y_ticks = [Tick(y_of(step), str(step)) for step in range(top_step + 1)]
    days = sorted({start + timedelta(days=round(span * i / (X_TICKS - 1))) for i in range(X_TICKS)})
    chart.x_ticks = [Tick(x_of(day), day) for day in days]
    column_width = (chart.right - chart.left) / LEGEND_COLUMNS
    for index, (name, points) in enumerate(drawn):
        nudge = NUDGES[index % len(NUDGES)]
        coordinates = []
        previous = None
        for day, step in points:
            if previous is not None:
                coordinates.append((x_of(day), y_of(previous, nudge)))
            coordinates.append((x_of(day), y_of(step, nudge)))
            previous = step
        coordinates.append((x_of(end), y_of(previous, nudge)))
        row, column = divmod(index, LEGEND_COLUMNS)
        chart.series.append(
            Series(
                name=name,
                colour=COLOURS[index % len(COLOURS)],
                dash=DASHES[index % len(DASHES)],
                points=" ".join(f"{x:g},{y:g}" for x, y in coordinates),
                markers=[Marker(x_of(day), y_of(step, nudge), day, step) for day, step in points],
                current=points[-1][1],
                legend_x=chart.left + column * column_width,
                legend_y=bottom + AXIS_SPACE + row * LEGEND_ROW + LEGEND_ROW / 2,
            )
        )
    return chart
