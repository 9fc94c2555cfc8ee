"""What the review page writes that costs the most: the answers, the grading inputs and
the score lines.

The answers are written by the questionnaires' `answer_value` macro, whose output depends
only on the question, the value and the language: each is kept per process by those
(`ShownAnswers`), so a page shown again, or another response with the same answer, does not
render it again.

The grading inputs are made in two steps.

A response has hundreds of inputs: per gradable question a radio button for each rubric
level, a comment, an internal note and a box to ask about the answer, in a group named after
the question. All of it but the grade chosen, the two texts and the box depends only on the
version and the language, so it is rendered once (by the macros of
templates/review/_grading.html, around placeholders) and kept with the definition
(`Definition.memo`): a version's content never changes. Each request then fills in what is
stored or was posted. A question with a message (errors of the grade posted, or a cap) is
rendered by the same macro on the spot.
"""

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from flask import get_template_attribute
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.texts import html_text, text_in

#: Stands for what a request fills in while the markup around it is rendered once.
_HOLE = "\x1f"
_MACROS = "review/_grading.html"


@dataclass(frozen=True, slots=True)
class GradingMarkup:
    """One gradable question's inputs, ready to be filled in."""

    #: (points, the radio button's markup unchosen, chosen) per rubric level.
    levels: tuple[tuple[float, str, str], ...]
    #: The comment, note and box cut around the two texts: (before the comment, between
    #: the comment and the note, after the note with the box unticked, ... ticked).
    texts: tuple[str, str, str, str]
    #: The group without a message, cut around its radio buttons and its texts.
    frame: tuple[str, str, str]

    def radios(self, chosen: float | None) -> Markup:
        """The rubric's radio buttons with the level of `chosen` points checked."""
        html = "".join(on if points == chosen else off for points, off, on in self.levels)
        return Markup(html)  # noqa: S704 - the macro's markup

    def text_inputs(self, comment: str, note: str, ask: bool) -> Markup:
        """The comment, the note and the box, filled in."""
        before, between, unticked, ticked = self.texts
        html = f"{before}{escape(comment)}{between}{escape(note)}{ticked if ask else unticked}"
        return Markup(html)  # noqa: S704 - the macro's markup, the texts escaped

    def render(self, chosen: float | None, comment: str, note: str, ask: bool) -> Markup:
        """The whole group and texts of a question without a message, filled in."""
        start, middle, end = self.frame
        html = f"{start}{self.radios(chosen)}{middle}{self.text_inputs(comment, note, ask)}{end}"
        return Markup(html)  # noqa: S704 - the macros' markup, the texts escaped


def grading_markup(definition, lang: str) -> dict[str, GradingMarkup]:
    """The inputs of every gradable question of `definition` in `lang` (the page's language,
    in force while they are rendered), by question key; made once per process."""
    return definition.memo(("review.grading", lang), lambda: _made(definition, lang))


def _made(definition, lang: str) -> dict[str, GradingMarkup]:
    grade, level, texts = (get_template_attribute(_MACROS, n) for n in ("grade", "level", "texts"))
    made = {}
    for key, question in definition.questions.items():
        if not question.get("rubric"):
            continue
        levels = []
        for index, rubric_level in enumerate(question["rubric"]):
            points = rubric_level["points"]
            label = f"{points:g} – {text_in(rubric_level['description'], lang)}"
            off, on = (str(level(key, index, points, label, chosen)) for chosen in (False, True))
            levels.append((points, off, on))
        before, between, unticked = str(texts(key, _HOLE, _HOLE, False)).split(_HOLE)
        ticked = str(texts(key, _HOLE, _HOLE, True)).split(_HOLE)[2]
        title = text_in(question["text"], lang)
        start, middle, end = str(grade(key, title, _HOLE, _HOLE)).split(_HOLE)
        made[key] = GradingMarkup(
            tuple(levels), (before, between, unticked, ticked), (start, middle, end)
        )
    return made


def points_text(value: float) -> str:
    """Points as the review pages write them: at most two decimals, no trailing zeros."""
    return f"{round(value, 2):g}"


def score_lines(scores) -> dict[str, str]:
    """Each gradable question's part in its section's score, in words and arithmetic, by
    question key: "title: points / top × weight = share" (see `portal.review.scoring`)."""
    hidden, ungraded = _("not asked"), _("not graded yet")
    lines = {}
    for part in scores.sections:
        for line in part.lines:
            top = points_text(line.top)
            if line.state == "credited":
                question = line.credited_by
                got = f"{_('credited by “%(question)s”', question=question)}: {top} / {top}"
            elif line.state == "hidden":
                got = f"{hidden}: 0 / {top}"
            elif line.state == "ungraded":
                got = f"{ungraded}: 0 / {top}"
            else:
                got = f"{points_text(line.points)} / {top}"
                if line.capped_at is not None:
                    got += f" ({_('capped at %(points)s', points=points_text(line.capped_at))})"
            lines[line.key] = f"{line.title}: {got} × {points_text(line.weight)} = {line.share:.2f}"
    return lines


class ShownAnswers:
    """Answers as `answer_value` writes them, kept by what they are made of: the version's
    content (its hash), the question, the language and the value; for a frozen factory
    list, which links to its own page, also the response, and the value by its digest (it
    may hold thousands of factories). Nothing else goes into them, so a kept one is never
    stale; the least recently used go first."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._kept: OrderedDict = OrderedDict()
        self._lock = Lock()

    def __call__(
        self, answer_value, content_hash: str, question: dict, value, lang: str, response_id=None
    ):
        """`answer_value(question, value, lang)`, made once."""
        written = json.dumps(value, sort_keys=True, default=str)
        if question["type"] == "factory_list":
            written = (response_id, hashlib.sha256(written.encode()).digest())
        key = (content_hash, question["key"], lang, written)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        made = answer_value(question, value, lang)
        with self._lock:
            self._kept[key] = made
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return made


#: The answers of every review page this process shows.
shown_answer = ShownAnswers()


class QueueRows:
    """The rows of the review queue (review/queue.html), written here: a page shows fifty,
    and a row's cells cost the template, in calls and lookups, several times what they cost
    as a few string operations. Labels and names come translated, one dict each."""

    def __init__(self, *, review_url, moment, kind_labels, status_labels, version_names):
        self.review_url = review_url
        self.moment = moment
        self.kind_labels = kind_labels
        self.status_labels = status_labels
        self.version_names = version_names
        self.to_review = _("To review")

    def __call__(self, rows) -> Markup:
        return Markup("".join(self._row(row) for row in rows))  # noqa: S704 - escaped below

    def _row(self, row) -> str:
        status = self.status_labels[row.status] if row.status else self.to_review
        return (
            f'\n  <tr><th scope="row"><a href="{html_text(self.review_url(row.response_id))}">'
            f"{html_text(row.supplier)}</a> "
            f'<span class="muted">({html_text(self.kind_labels[row.kind])})</span></th>'
            f"\n    <td>{html_text(row.round_title)}<br>"
            f'<span class="muted">{html_text(self.version_names[row.version.id])}</span></td>'
            f"\n    <td>{html_text(self.moment(row.submitted_at))}</td>"
            f"\n    <td>{html_text(status)}</td>"
            f"\n    <td>{html_text(row.reviewer or '–')}</td></tr>"
        )
