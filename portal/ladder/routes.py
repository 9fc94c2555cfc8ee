"""The worker-empowerment ladder: suppliers see where they stand, buyer staff mark and follow."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal import current, spreadsheets
from portal.access import BUYER_STAFF, SUPPLIERS, allow
from portal.ladder import services
from portal.ladder.chart import climb_chart
from portal.ladder.forms import marking_form
from portal.ladder.labels import STATUS_LABELS
from portal.questionnaires.services import EVIDENCE_LABELS, latest_submitted
from portal.timeutil import utcnow

bp = Blueprint("ladder", __name__)


@bp.context_processor
def ladder_labels():
    return {"status_labels": STATUS_LABELS, "evidence_labels": EVIDENCE_LABELS}


@bp.route("/ladder")
@allow(SUPPLIERS)
def index():
    version = services.current_version()
    if version is None:
        return render_template("ladder/index.html", ladder=None)
    ladder = version.ladder
    standing = services.standing(current.user().organisation_id, ladder)
    return render_template(
        "ladder/index.html",
        ladder=ladder,
        lang=current.language(),
        marks=standing.marks,
        step=standing.step,
        brands=standing.brands,
        reached=ladder.at(standing.step),
        next_step=ladder.at(standing.step + 1),
    )


@bp.route("/review/ladder")
@allow(BUYER_STAFF)
def overview():
    version = services.current_version()
    if version is None:
        return render_template("ladder/overview.html", ladder=None)
    ladder = version.ladder
    organisations = services.suppliers()
    rows, history = services.overview_rows(organisations, ladder)
    climbs = [(o, history[o.id]) for o in organisations if history[o.id]]
    return render_template(
        "ladder/overview.html",
        ladder=ladder,
        lang=current.language(),
        rows=rows,
        latest=latest_submitted([o.id for o in organisations]),
        climbs=climbs,
        chart=climb_chart(
            [(o.name, points) for o, points in climbs], top_step=ladder.top, today=utcnow().date()
        ),
    )


def _supplier_page(organisation, ladder, form, brands) -> str:
    """Where the supplier stands, its marks' history and the form to mark it."""
    standing = services.standing(organisation.id, ladder, brands)
    return render_template(
        "ladder/supplier.html",
        organisation=organisation,
        ladder=ladder,
        lang=current.language(),
        form=form,
        marks=standing.marks,
        step=standing.step,
        brands=standing.brands,
        reached=ladder.at(standing.step),
        history=services.mark_history(organisation.id),
    )


@bp.route("/review/ladder/<int:org_id>", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def supplier(org_id: int):
    organisation = services.supplier_or_404(org_id)
    version = services.current_version()
    if version is None:
        abort(404)
    brands = services.supplier_brands(organisation.id)
    documents = services.evidence_documents(organisation.id, current.user())
    form = marking_form(version.ladder.markable, documents, brands)
    if request.method == "GET":
        form.version.data = str(version.id)
    if form.validate_on_submit():
        if not form.made_on(version.id):
            return _supplier_page(organisation, version.ladder, form, brands), 409
        try:
            recorded = services.mark_all(
                organisation, form.marks(), user=current.user(), brand=form.chosen_brand
            )
        except services.MarkError:
            abort(400)
        flash(_("Marks recorded: %(n)d.", n=recorded), "success")
        return redirect(url_for("ladder.supplier", org_id=organisation.id))
    return _supplier_page(organisation, version.ladder, form, brands)


@bp.route("/review/ladder/export.<download:fmt>")
@allow(BUYER_STAFF)
def export(fmt: str):
    header, body = services.export_rows(current.language())
    name = f"ladder-{utcnow().date().isoformat()}"
    return spreadsheets.download(header, body, fmt, name=name, title=_("Ladder"))
