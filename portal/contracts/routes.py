"""Contracts: the buyer admin keeps them and asks for their reports; reviewers read them; each
supplier sees its own."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import current
from portal.access import BUYER_ADMIN, BUYER_STAFF, SUPPLIERS, allow
from portal.arguments import int_arg
from portal.contracts import services
from portal.contracts.forms import ContractForm, RequestReportForm
from portal.contracts.services import CATEGORY_LABELS, Contract, ContractError
from portal.orgs.services import StaleEditError
from portal.questionnaires.services import supplier_choices
from portal.timeutil import show_date

bp = Blueprint("contracts", __name__)


@bp.context_processor
def contract_labels():
    return {"category_labels": CATEGORY_LABELS}


def _contract_or_404(contract_id: int) -> Contract:
    contract = services.contract_for(current.user(), contract_id)
    if contract is None:
        abort(404)
    return contract


@bp.route("/contracts")
@allow(BUYER_STAFF)
def index():
    page = services.contracts_page(int_arg("page", 1))
    return render_template(
        "contracts/index.html", page=page, states=services.report_states(page.items)
    )


@bp.route("/supplier/contracts")
@allow(SUPPLIERS)
def mine():
    contracts = services.contracts_of(current.user().organisation_id)
    return render_template(
        "contracts/mine.html", contracts=contracts, states=services.report_states(contracts)
    )


@bp.route("/contracts/<int:contract_id>")
@allow(BUYER_STAFF, SUPPLIERS)
def contract(contract_id: int):
    found = _contract_or_404(contract_id)
    return _contract_page(found, RequestReportForm(formdata=None))


def _contract_page(contract: Contract, form: RequestReportForm, status: int = 200):
    if form.closes_on.data is None and not form.errors:
        form.closes_on.data = services.report_closing_day(contract)
    return render_template(
        "contracts/contract.html",
        contract=contract,
        report=services.report_state(contract),
        form=form,
    ), status


def _offer(form: ContractForm) -> ContractForm:
    versions = [
        (v.id, f"{v.title(current.language())} (v{v.number})") for v in services.report_versions()
    ]
    form.offer(supplier_choices(), versions)
    return form


@bp.route("/contracts/new", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def new():
    form = _offer(ContractForm())
    if request.method == "GET" and (default := services.default_report_version()):
        form.report_version_id.data = str(default.id)
    if form.validate_on_submit():
        try:
            created = services.create_contract(form.values(), actor=current.user())
        except ContractError as error:
            _refusal(form, error)
        else:
            flash(
                _("The contract %(reference)s has been added.", reference=created.reference),
                "success",
            )
            return redirect(url_for("contracts.contract", contract_id=created.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("contracts/form.html", form=form, contract=None), status


def _refusal(form, error: ContractError) -> None:
    target = form[error.field].errors if error.field and error.field in form else form.form_errors
    target.append(str(error))


def _edit_form(contract: Contract) -> ContractForm:
    saved = {name: getattr(contract, name) for name in services.EDITABLE}
    saved["brands"] = "\n".join(contract.brands)
    form = _offer(ContractForm(data=saved))
    if request.method == "GET":
        form.version.data = contract.version
    if contract.report_round_id is not None:  # the round is for this supplier and version
        del form.organisation_id, form.report_version_id
    return form


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def edit(contract_id: int):
    contract = _contract_or_404(contract_id)
    form = _edit_form(contract)
    if form.validate_on_submit():
        fixed = {n: getattr(contract, n) for n in services.FIXED_ONCE_REQUESTED}
        try:
            services.update_contract(
                contract,
                form.values(fixed),
                expected_version=form.opened_version(),
                actor=current.user(),
            )
        except StaleEditError:
            return _conflict(form, contract)
        except ContractError as error:
            _refusal(form, error)
        else:
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("contracts.contract", contract_id=contract.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("contracts/form.html", form=form, contract=contract), status


def _conflict(form: ContractForm, contract: Contract):
    """Someone saved the contract after this form was opened: keep what this user typed,
    show what is saved now beside each field, and let them save again knowingly (409)."""
    services.discard_changes(contract)
    form.version.data = contract.version
    form.form_errors.append(
        _(
            "Someone else saved changes while you were editing. What is saved now is shown "
            "beside each field; your own input is kept. Save again to replace their version "
            "with yours."
        )
    )
    return render_template(
        "contracts/form.html", form=form, contract=contract, conflict=contract
    ), 409


@bp.route("/contracts/<int:contract_id>/request-report", methods=["POST"])
@allow(BUYER_ADMIN)
def request_report(contract_id: int):
    """Ask the supplier for the contract's report now: a follow-up round closing on the day
    chosen."""
    contract = _contract_or_404(contract_id)
    form = RequestReportForm()
    if not form.validate_on_submit():
        return _contract_page(contract, form, status=422)
    try:
        services.request_report(contract, actor=current.user(), closes_on=form.closes_on.data)
    except ContractError as error:
        form.closes_on.errors.append(str(error))
        return _contract_page(contract, form, status=422)
    flash(
        _(
            "The report has been requested from %(organisation)s, by %(date)s.",
            organisation=contract.organisation.name,
            date=show_date(form.closes_on.data),
        ),
        "success",
    )
    return redirect(url_for("contracts.contract", contract_id=contract.id))
