"""Risk-based selection for follow-up, for buyer staff: the ranking of contracted suppliers,
this year's proposal and desktop audits, and the country-risk table the admin keeps."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from portal import current, spreadsheets
from portal.access import BUYER_ADMIN, BUYER_STAFF, allow
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.orgs.services import StaleEditError, country_choices, country_name, is_country
from portal.request_limits import takes_uploads
from portal.selection import importing, scoring, services
from portal.selection.forms import CountryRiskForm, PlanForm, SharesForm, UploadForm
from portal.selection.models import FIGURES

bp = Blueprint("selection", __name__, url_prefix="/selection")

PART_LABELS = {
    "country": _l("Country"),
    "answers": _l("Answers"),
    "findings": _l("Open findings"),
    "value": _l("Contract value"),
}
PROPOSAL_LABELS = {
    "proposed": _l("Proposed"),
    "capacity": _l("If capacity allows"),
    "planned": _l("Desktop audit planned in this contract period"),
}
SEVERITY_LABELS = {"minor": _l("minor"), "major": _l("major"), "critical": _l("critical")}


@bp.context_processor
def selection_texts():
    return {
        "part_labels": PART_LABELS,
        "proposal_labels": PROPOSAL_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "figure_labels": importing.FIGURE_LABELS,
        "figures": FIGURES,
        "weights": scoring.WEIGHTS,
        "figure_weights": scoring.COUNTRY_FIGURE_WEIGHTS,
        "finding_points": scoring.FINDING_POINTS,
        "number": _number,
        "sek": lambda value: format_decimal(value, format="#,##0"),
        "country_risk": lambda row: scoring.country_risk(row.figures()),
    }


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits)


def _shares(args) -> tuple[SharesForm, int, int]:
    """The shares form as `args` fill it (the defaults when they name no share), and the
    shares to use: those asked for when they are valid, else the defaults."""
    if "lower" not in args and "upper" not in args:
        return SharesForm(formdata=None), *scoring.DEFAULT_SHARES
    form = SharesForm(MultiDict({name: args.get(name, "") for name in ("lower", "upper")}))
    return form, *form.shares()


@bp.route("/")
@allow(BUYER_STAFF)
def ranking():
    form, lower, upper = _shares(request.args)
    shown = services.ranking(lower, upper)
    plan_form = PlanForm(formdata=None, lower=lower, upper=upper)
    plan_form.offer(shown.plannable)
    plan_form.organisations.data = [row.organisation.id for row in shown.proposed]
    return render_template(
        "selection/ranking.html",
        ranking=shown,
        shares_form=form,
        plan_form=plan_form,
        planned=services.audits_of_year(shown.year),
        confirm_form=ConfirmForm(),
    )


@bp.route("/ranking.<download:fmt>")
@allow(BUYER_STAFF)
def ranking_export(fmt: str):
    _form, lower, upper = _shares(request.args)
    labels = {
        "header": [
            _("Rank"),
            _("Supplier"),
            _("Risk score"),
            *(str(PART_LABELS[name]) for name in scoring.PARTS),
            _("Riskiest country"),
            _("Countries of its factories"),
            _("Countries missing from the table"),
            _("Score share of the latest accepted response (%)"),
            _("Open findings"),
            _("Value of current contracts (SEK)"),
            _("Current contracts"),
            _("Contract period from"),
            _("Contract period to"),
            _("Follow-up"),
        ],
        "proposal": {key: str(label) for key, label in PROPOSAL_LABELS.items()},
    }
    header, body = services.ranking_rows(services.ranking(lower, upper), labels)
    [header, *body] = spreadsheets.neutralised([header, *body])
    return spreadsheets.download(header, body, fmt, name="risk-ranking", title=_("Ranking"))


@bp.route("/plan", methods=["POST"])
@allow(BUYER_ADMIN)
def plan():
    form = PlanForm()
    _shares_form, lower, upper = _shares(request.form)
    shown = services.ranking(lower, upper)
    form.offer(shown.plannable)
    if form.validate_on_submit():
        planned = services.plan_audits(form.organisations.data, shown, actor=current.user())
        flash(
            _(
                "Desktop audits planned for %(year)s: %(count)d.",
                year=shown.year,
                count=len(planned),
            ),
            "success",
        )
    else:
        flash(" ".join(map(str, form.organisations.errors)) or _("Nothing was planned."), "error")
    return redirect(url_for("selection.ranking", lower=lower, upper=upper) + "#plan")


@bp.route("/audits/<int:audit_id>/cancel", methods=["POST"])
@allow(BUYER_ADMIN)
def cancel_audit(audit_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.cancel_audit(audit_id, actor=current.user()) is None:
        abort(404)
    flash(_("The desktop audit is no longer planned."), "success")
    return redirect(url_for("selection.ranking") + "#plan")


# --- The country-risk table ---------------------------------------------------------------------


@bp.route("/countries")
@allow(BUYER_STAFF)
def countries():
    return render_template(
        "selection/countries.html",
        rows=services.country_risks(),
        choices=country_choices(),
        unknown=services.ranking().unknown_countries,
    )


@bp.route("/countries.<download:fmt>")
@allow(BUYER_STAFF)
def countries_export(fmt: str):
    header, body = services.table_rows()
    [header, *body] = spreadsheets.neutralised([header, *body])
    return spreadsheets.download(header, body, fmt, name="country-risks", title=_("Country risks"))


@bp.route("/countries/choose")
@allow(BUYER_ADMIN)
def choose_country():
    code = request.args.get("country", "")
    if not is_country(code):
        flash(_("Choose a country from the list."), "error")
        return redirect(url_for("selection.countries"))
    return redirect(url_for("selection.edit_country", country=code))


@bp.route("/countries/import", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
@takes_uploads
def import_countries():
    form = UploadForm()
    if not form.validate_on_submit():
        return _import_page(form, None, 400 if form.errors else 200)
    data = form.file.data.read(importing.MAX_BYTES + 1)
    if len(data) > importing.MAX_BYTES:
        message = _("The file is larger than %(mb)d MB.", mb=importing.MAX_BYTES // 2**20)
        form.file.errors.append(message)
        return _import_page(form, None, 400)
    filename = form.file.data.filename or ""
    table = importing.read_table(data, filename, services.today())
    if table.problems:
        return _import_page(form, table, 400)
    result = services.import_table(table, filename[:200], actor=current.user())
    flash(
        _(
            "The table is imported: %(added)d countries added, %(changed)d changed, "
            "%(unchanged)d unchanged.",
            added=result.added,
            changed=result.changed,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("selection.countries"))


def _import_page(form: UploadForm, table: importing.ReadTable | None, status: int):
    columns = [importing.heading(column) for column in importing.COLUMNS]
    page = render_template("selection/import.html", form=form, table=table, columns=columns)
    return page, status


@bp.route("/countries/<country>", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def edit_country(country: str):
    if not is_country(country):
        abort(404)
    row = services.country_risk_of(country)
    form = CountryRiskForm(obj=row, last_year=services.today().year)
    if request.method == "GET":
        form.version.data = row.version if row else 0
    if form.validate_on_submit():
        try:
            services.save_country(
                country, form.values(), expected_version=form.opened_version(), actor=current.user()
            )
        except StaleEditError:
            return _conflict(form, country)
        flash(_("The figures for %(country)s are saved.", country=country_name(country)), "success")
        return redirect(url_for("selection.countries") + f"#country-{country}")
    return render_template("selection/country_form.html", form=form, country=country, saved=None)


def _conflict(form: CountryRiskForm, country: str):
    """Someone saved the country's figures after this form was opened: keep what this user
    typed, show what is saved now, and let them save again knowingly (409)."""
    db.session.rollback()
    saved = services.country_risk_of(country)
    form.version.data = saved.version if saved else 0
    form.form_errors.append(
        _(
            "Someone else saved these figures while you were editing. What is saved now is "
            "shown beside each field; your own input is kept. Save again to replace their "
            "figures with yours."
        )
    )
    page = render_template("selection/country_form.html", form=form, country=country, saved=saved)
    return page, 409
