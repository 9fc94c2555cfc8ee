"""What the server bench prints for a page: enough to tell a verdict from chance."""

from bench.server import Figure, report_line


def test_a_page_line_gives_the_share_the_turns_spread_and_the_verdict():
    figure = Figure("section x", 400.0, 4500.0, 0.10, (0.081, 0.097, 0.089))

    line = report_line(figure)

    assert "0.089 of bare" in line
    assert "turns 0.081–0.097" in line
    assert "held to 0.10" in line
    assert line.endswith("TOO SLOW")


def test_a_page_over_its_share_is_ok_and_one_turn_shows_no_spread():
    line = report_line(Figure("save", 300.0, 4000.0, 0.05, (0.075,)))

    assert "turns" not in line
    assert line.endswith("ok")
