"""Rounds for buyer staff: what the market answered in a round, criterion by criterion."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from portal import spreadsheets
from portal.access import BUYER_ADMIN, BUYER_STAFF, allow
from portal.extensions import db
from portal.questionnaires.services import CRITERION_LABELS, INTENDED_USE_LABELS, Round
from portal.rounds import maturity
from portal.rounds.chart import maturity_chart
from portal.rounds.forms import CompareForm, ThresholdsForm
from portal.rounds.labels import MEETS_LABELS, VERDICT_LABELS

bp = Blueprint("rounds", __name__)


@bp.context_processor
def maturity_labels():
    return {
        "criterion_labels": CRITERION_LABELS,
        "meets_labels": MEETS_LABELS,
        "use_labels": INTENDED_USE_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "percent": _percent,
        "hours": _hours,
    }


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{format_decimal(round(value), format='#,##0')} %"


def _hours(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0.#")


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def _figures(round_: Round) -> maturity.Maturity:
    return maturity.figures(round_, current_app.config["SOCIAL_AWARD_POINTS"])


def _page(round_: Round, thresholds_form: ThresholdsForm):
    """The maturity page, comparing with the earlier round chosen in the query string."""
    earlier_rounds = maturity.earlier_rounds(round_)
    compare = CompareForm(request.args)
    compare.offer(earlier_rounds)
    earlier = compare.chosen(earlier_rounds)
    figures = _figures(round_)
    return render_template(
        "rounds/maturity.html",
        round=round_,
        figures=figures,
        earlier=_figures(earlier) if earlier else None,
        chart=maturity_chart(figures),
        comments=maturity.comments(round_.id),
        compare_form=compare,
        thresholds_form=thresholds_form,
        advice_of=maturity.advice_of,
        kinds=maturity.KINDS,
        meets=maturity.MEETS,
    )


@bp.route("/review/maturity")
@allow(BUYER_STAFF)
def maturity_rounds():
    return render_template("rounds/maturity_rounds.html", rounds=maturity.market_rounds())


@bp.route("/review/rounds/<int:round_id>/maturity")
@allow(BUYER_STAFF)
def round_maturity(round_id: int):
    round_ = _round_or_404(round_id)
    thresholds = maturity.Thresholds.of(round_)
    form = ThresholdsForm(formdata=None, requirement=thresholds.requirement, award=thresholds.award)
    return _page(round_, form)


@bp.route("/review/rounds/<int:round_id>/maturity/thresholds", methods=["POST"])
@allow(BUYER_ADMIN)
def maturity_thresholds(round_id: int):
    round_ = _round_or_404(round_id)
    form = ThresholdsForm()
    if not form.validate_on_submit():
        return _page(round_, form), 400
    maturity.set_thresholds(round_, requirement=form.requirement.data, award=form.award.data)
    flash(_("The thresholds are saved."), "success")
    return redirect(url_for("rounds.round_maturity", round_id=round_.id))


@bp.route("/review/rounds/<int:round_id>/maturity.<download:fmt>")
@allow(BUYER_STAFF)
def maturity_export(round_id: int, fmt: str):
    round_ = _round_or_404(round_id)
    earlier_rounds = maturity.earlier_rounds(round_)
    compare = CompareForm(request.args)
    compare.offer(earlier_rounds)
    earlier = compare.chosen(earlier_rounds)
    header, body = maturity.export_rows(_figures(round_), _figures(earlier) if earlier else None)
    [header, *body] = spreadsheets.neutralised([header, *body])
    name = f"market-maturity-round-{round_.id}"
    return spreadsheets.download(header, body, fmt, name=name, title=_("Market maturity"))
