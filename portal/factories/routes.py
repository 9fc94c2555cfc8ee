"""The factory register: suppliers keep theirs; buyer staff see everyone's."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import current, signals, spreadsheets
from portal.access import BUYER_STAFF, SUPPLIERS, allow
from portal.arguments import kept_args
from portal.errors import render_error
from portal.extensions import limiter
from portal.factories import exporting, lists, services
from portal.factories.cells import Cells, TableRows
from portal.factories.forms import (
    BrandConfirmationForm,
    ConfirmImportForm,
    EndForm,
    FactoryForm,
    FactoryTableForm,
    PreviewForm,
    RegisterListForm,
    RiskForm,
    RiskScaleForm,
    UploadForm,
    column_matching_form,
)
from portal.factories.importing import ImportFileError
from portal.factories.labels import (
    COMPONENT_LABELS,
    PRODUCT_LABELS,
    RISK_LABELS,
    RISK_STATUS_LABELS,
    ROLE_LABELS,
    Translated,
)
from portal.forms import ConfirmForm
from portal.orgs import services as orgs
from portal.request_limits import takes_uploads
from portal.timeutil import days_shown, show_date

bp = Blueprint("factories", __name__)


@bp.app_context_processor
def factory_labels():
    """The codes' labels for every page, each translated once per page."""
    return {
        "role_labels": Translated(ROLE_LABELS),
        "component_labels": Translated(COMPONENT_LABELS),
        "product_labels": Translated(PRODUCT_LABELS),
        "risk_labels": Translated(RISK_LABELS),
        "risk_status_labels": Translated(RISK_STATUS_LABELS),
    }


def _confirmation_form(organisation_id: int) -> BrandConfirmationForm:
    return BrandConfirmationForm(
        brands=services.register_brands(organisation_id), today=services.today()
    )


#: The query arguments of the register's filters, which its page and download links carry.
REGISTER_FILTERS = ("on", "status", "q", "country", "role", "sort", "order")
#: Those of the buyer's table, which its page links carry.
TABLE_FILTERS = ("q", "country", "role", "component", "supplier", "sort", "order")


def _register_form(organisation_id: int) -> tuple[RegisterListForm, lists.Filters, date, bool]:
    """The register's filter form as the query string fills it, the filters it applies, the
    day of the list and whether it lists the factories that had left by then."""
    form = RegisterListForm(request.args, countries=lists.register_countries(organisation_id))
    form.applied()
    return form, form.filters(), form.on.data or services.today(), form.status.data == "left"


def _register_page(confirm_form: BrandConfirmationForm):
    """A page of the register as of the day the query string asks for (today), filtered and
    sorted as it asks, with the brands' confirmations and the form that records one."""
    organisation_id = current.user().organisation_id
    form, filters, day, left = _register_form(organisation_id)
    page = lists.register_page(organisation_id, day, filters, left=left)
    too_long, too_long_count = lists.too_long_for_osh(organisation_id, day)
    return render_template(
        "factories/index.html",
        form=form,
        day=day,
        left=left,
        page=page,
        is_today=day == services.today(),
        left_count=None if left else lists.left_count(organisation_id, day),
        risk_counts=lists.risk_counts(f.id for f in page.items),
        confirm_form=confirm_form,
        confirmations=services.brand_confirmations(organisation_id),
        brand_key=services.brand_key,
        osh_too_long=too_long,
        osh_too_long_count=too_long_count,
        filters=kept_args(*REGISTER_FILTERS),
        list_filters=REGISTER_FILTERS,
        day_shown=days_shown(),
        cells=Cells(),
        country_names=dict(form.country.options),
        filtered=bool(filters.search or filters.country or filters.role),
    )


@bp.route("/factories")
@allow(SUPPLIERS)
def index():
    return _register_page(_confirmation_form(current.user().organisation_id))


@bp.route("/factories/brands/confirm", methods=["POST"])
@allow(SUPPLIERS)
def confirm_brand():
    form = _confirmation_form(current.user().organisation_id)
    if not form.validate_on_submit():
        return _register_page(form), 422
    services.confirm_with_brand(
        current.user().organisation_id,
        form.brand.data,
        form.confirmed_on.data,
        user=current.user(),
    )
    flash(
        _(
            "Recorded: the list was confirmed with %(brand)s on %(date)s.",
            brand=form.brand.data,
            date=show_date(form.confirmed_on.data),
        ),
        "success",
    )
    return redirect(url_for("factories.index"))


def _factory_form(factory=None, **kwargs) -> tuple[FactoryForm, services.FactoryChoices]:
    """The factory's form, offering the organisation's final-assembly factories it may name
    as the one it supplies (of a long register, those its search finds)."""
    form = FactoryForm(**kwargs)
    choices = services.supplies_choices(
        current.user().organisation_id, factory, form.supplies_chosen, form.search
    )
    form.offer(choices.factories)
    return form, choices


def _saving(form: FactoryForm) -> bool:
    """Whether the form was sent to be saved (not to find a factory) and is valid."""
    return not form.finding and form.validate_on_submit()


@bp.route("/factories/new", methods=["GET", "POST"])
@allow(SUPPLIERS)
def new():
    form, choices = _factory_form()
    if request.method == "GET":
        form.entered_on.data = services.today()
    if _saving(form):
        factory = services.save_factory(
            current.user().organisation_id, form.values(), user=current.user()
        )
        flash(_("%(name)s is in your factory list.", name=factory.name), "success")
        return redirect(url_for("factories.index"))
    return render_template("factories/form.html", form=form, factory=None, choices=choices)


def _factory_page(form: FactoryForm, factory, choices, end_form: EndForm | None = None) -> str:
    """The factory's page: its form, the form to end it, and its documents (which the
    evidence feature keeps, asked for through a signal)."""
    return render_template(
        "factories/form.html",
        form=form,
        factory=factory,
        choices=choices,
        end_form=end_form or EndForm(),
        documents=signals.collect(signals.factory_documents, factory, viewer=current.user()),
    )


@bp.route("/factories/<int:factory_id>/edit", methods=["GET", "POST"])
@allow(SUPPLIERS)
def edit(factory_id: int):
    factory = services.factory_or_404(current.user(), factory_id)
    form, choices = _factory_form(factory, obj=factory)
    if request.method == "GET":
        form.show(factory)
    if _saving(form):
        if form.opened_version() != factory.version:
            # A colleague saved first: keep this user's input, say so, and let them decide.
            form.version.data = factory.version
            form.form_errors.append(
                _(
                    "A colleague changed this factory while you were "
                    "editing. Check the list, then save again to keep your "
                    "version."
                )
            )
            return _factory_page(form, factory, choices), 409
        services.save_factory(
            factory.organisation_id, form.values(), user=current.user(), factory=factory
        )
        flash(_("The changes have been saved."), "success")
        return redirect(url_for("factories.index"))
    return _factory_page(form, factory, choices)


@bp.route("/factories/<int:factory_id>/end", methods=["POST"])
@allow(SUPPLIERS)
def end(factory_id: int):
    factory = services.factory_or_404(current.user(), factory_id)
    form = EndForm()
    if form.validate_on_submit():
        if form.left_on.data < factory.entered_on:
            form.left_on.errors.append(_("The date is before the factory entered the list."))
        else:
            services.end_factory(factory, form.left_on.data, user=current.user())
            flash(
                _(
                    "%(name)s has left the list from %(date)s; it still shows in the list as "
                    "of earlier dates.",
                    name=factory.name,
                    date=show_date(form.left_on.data),
                ),
                "success",
            )
            return redirect(url_for("factories.index"))
    factory_form, choices = _factory_form(factory, obj=factory)
    return _factory_page(factory_form, factory, choices, form)


@bp.route("/factories/<int:factory_id>/risks", methods=["GET", "POST"])
@allow(SUPPLIERS)
def risks(factory_id: int):
    factory = services.factory_or_404(current.user(), factory_id)
    scale = services.risk_scale(factory.organisation_id)
    form = RiskForm()
    form.set_scale(scale)
    if form.validate_on_submit():
        services.add_risk(factory, user=current.user(), **form.values())
        flash(_("The risk has been added."), "success")
        return redirect(url_for("factories.risks", factory_id=factory.id))
    return render_template(
        "factories/risks.html",
        factory=factory,
        form=form,
        scale=scale,
        risks=services.risks_of(factory),
        confirm_form=ConfirmForm(),
    )


@bp.route("/factories/<int:factory_id>/risks/<int:risk_id>/delete", methods=["POST"])
@allow(SUPPLIERS)
def delete_risk(factory_id: int, risk_id: int):
    factory = services.factory_or_404(current.user(), factory_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.delete_risk(factory, risk_id, user=current.user())
    flash(_("The risk has been removed."), "success")
    return redirect(url_for("factories.risks", factory_id=factory.id))


@bp.route("/factories/risk-scale", methods=["GET", "POST"])
@allow(SUPPLIERS)
def risk_scale():
    scale = services.risk_scale(current.user().organisation_id)
    form = RiskScaleForm(obj=scale)
    if form.validate_on_submit():
        services.save_risk_scale(
            current.user().organisation_id,
            severity_max=form.severity_max.data,
            likelihood_max=form.likelihood_max.data,
            method=form.method.data,
            user=current.user(),
        )
        flash(_("Your risk scale has been saved."), "success")
        return redirect(url_for("factories.index"))
    return render_template("factories/risk_scale.html", form=form)


# Import and export ------------------------------------------------------------------------------
def _import_limit() -> str:
    return current_app.config["FACTORY_IMPORT_RATE_LIMIT"]


def _account() -> str:
    """Uploads are counted per account, wherever it signs in from."""
    return f"account:{current_user.get_id() or request.remote_addr}"


def _staged_or_gone(import_id: int):
    """The user's organisation's import, or a 404 page that says why an import goes away."""
    staged = services.staged_import(current.user(), import_id)
    if staged is None:
        abort(
            make_response(
                render_error(
                    404,
                    _("This import is no longer here"),
                    _(
                        "Files that were uploaded but not imported are kept for %(hours)d "
                        "hours, and at most %(max)d per organisation: a newer upload replaces "
                        "the oldest. Upload the file again to import it.",
                        hours=current_app.config["FACTORY_IMPORT_EXPIRY_HOURS"],
                        max=current_app.config["FACTORY_IMPORT_PENDING_MAX"],
                    ),
                )
            )
        )
    return staged


@bp.route("/factories/import", methods=["GET", "POST"])
@allow(SUPPLIERS)
@takes_uploads
@limiter.limit(_import_limit, key_func=_account, methods=["POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["FACTORY_IMPORT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["FACTORY_IMPORT_MAX_BYTES"]:
            form.file.errors.append(
                _(
                    "The file is larger than %(mb)d MB. Split it into smaller files.",
                    mb=current_app.config["FACTORY_IMPORT_MAX_BYTES"] // 2**20,
                )
            )
        else:
            try:
                staged = services.stage_import(
                    current.user().organisation,
                    data,
                    form.file.data.filename or "",
                    user=current.user(),
                )
            except ImportFileError as error:
                form.file.errors.append(str(error))
            else:
                step = "factories.match_columns" if staged.awaits_matching else "factories.preview"
                return redirect(url_for(step, import_id=staged.id))
    return render_template("factories/upload.html", form=form)


def _imported_already():
    flash(_("This file has already been imported."), "info")
    return redirect(url_for("factories.index"))


def _preview_page(staged, form: ConfirmImportForm, summary: services.ImportSummary) -> str:
    """A page of the staged rows, those with problems first, and the form that confirms them
    all: its choices for every row with errors and every duplicate at once are offered when
    some of those rows are on other pages."""
    view_form = PreviewForm(request.args)
    view, number = view_form.applied()
    page = lists.import_rows_page(staged, view, number)
    shown = {row["number"] for row in page.items}
    return render_template(
        "factories/preview.html",
        staged=staged,
        form=form,
        view_form=view_form,
        page=page,
        errors=len(summary.erroneous),
        warnings=summary.warnings,
        duplicates=len(summary.duplicates),
        clean=summary.clean,
        offer_drop_all=not set(summary.droppable) <= shown,
        offer_keep_all=not set(summary.duplicates) <= shown,
    )


@bp.route("/factories/import/<int:import_id>/columns", methods=["GET", "POST"])
@allow(SUPPLIERS)
def match_columns(import_id: int):
    staged = _staged_or_gone(import_id)
    if staged.confirmed_at is not None:
        return _imported_already()
    if staged.cells is None:
        return redirect(url_for("factories.preview", import_id=staged.id))
    table, initial = services.matching_to_offer(staged)
    form = column_matching_form(table.headings, initial)
    if form.validate_on_submit():
        services.match_columns(staged, form.matching(), user=current.user())
        return redirect(url_for("factories.preview", import_id=staged.id))
    return render_template(
        "factories/columns.html",
        staged=staged,
        form=form,
        columns=[(field, table.samples(n)) for n, field in enumerate(form.columns())],
    )


@bp.route("/factories/import/<int:import_id>", methods=["GET", "POST"])
@allow(SUPPLIERS)
def preview(import_id: int):
    staged = _staged_or_gone(import_id)
    if staged.confirmed_at is not None:
        return _imported_already()
    if staged.awaits_matching:
        return redirect(url_for("factories.match_columns", import_id=staged.id))
    summary = services.import_summary(staged)
    form = ConfirmImportForm()
    form.offer(summary.droppable, summary.duplicates)
    if form.validate_on_submit():
        try:
            written = services.confirm_import(staged, **form.chosen(), user=current.user())
        except services.ImportBlockedError:
            form.form_errors.append(
                _(
                    "Rows with errors must be fixed in the file and uploaded "
                    "again, or left out, before anything is imported."
                )
            )
            return _preview_page(staged, form, summary), 422
        flash(_("%(n)d factories were added to your list.", n=written), "success")
        return redirect(url_for("factories.index"))
    return _preview_page(staged, form, summary)


def _download(header, body, fmt: str, name: str):
    return spreadsheets.download(header, body, fmt, name=name, title=_("Factories"))


@bp.route("/factories/template.<download:fmt>")
@allow(SUPPLIERS, BUYER_STAFF)
def template(fmt: str):
    header, _rows = exporting.rows([], "portal")
    return _download(header, [], fmt, "factory-list-template")


@bp.route("/factories/export.<download:fmt>")
@allow(SUPPLIERS)
def export(fmt: str):
    """Every factory of the register that the list's filters match (not only one page), in its
    order, as of its day."""
    organisation_id = current.user().organisation_id
    _form, filters, day, left = _register_form(organisation_id)
    layout = "osh" if request.args.get("layout") == "osh" else "portal"
    factories = lists.register_rows(organisation_id, day, filters, left=left)
    header, body = exporting.rows(factories, layout)
    return _download(header, body, fmt, f"factories-{layout}-{day.isoformat()}")


# The buyer's view ---------------------------------------------------------------------------------
@bp.route("/review/factories")
@allow(BUYER_STAFF)
def all_factories():
    countries = orgs.country_choices()
    names = dict(countries)
    form = FactoryTableForm(request.args, countries=countries, suppliers=lists.supplier_choices())
    form.applied()
    filters = form.filters()
    page, counts = lists.factory_table(filters)
    confirmations, confirmation_count = services.all_brand_confirmations(filters.organisation_id)
    return render_template(
        "factories/all.html",
        form=form,
        page=page,
        counts=counts,
        confirmations=confirmations,
        confirmation_count=confirmation_count,
        list_filters=TABLE_FILTERS,
        table_rows=TableRows(names, days_shown()),
        country_names=names,
    )
