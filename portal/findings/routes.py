"""Findings: reviewers record them and decide on plans and proof; suppliers answer them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import current
from portal.access import BUYER_STAFF, SUPPLIERS, allow
from portal.arguments import int_arg
from portal.audit.services import record
from portal.evidence import services as evidence_services
from portal.extensions import db
from portal.findings import deadlines, services
from portal.findings.forms import (
    DecisionForm,
    ExtensionForm,
    FindingFilters,
    FindingForm,
    SubmissionForm,
    SupplierChoice,
    chosen_files,
)
from portal.orgs.services import suppliers
from portal.request_limits import takes_uploads

bp = Blueprint("findings", __name__)


@bp.context_processor
def finding_helpers():
    return {
        "finding_clock": services.clock,
        "source_labels": services.SOURCE_LABELS,
        "clause_labels": services.CLAUSE_LABELS,
        "severity_labels": services.SEVERITY_LABELS,
        "state_labels": services.STATE_LABELS,
    }


# The reviewers' side ----------------------------------------------------------------------
@bp.route("/review/findings")
@allow(BUYER_STAFF)
def review_list():
    filters = FindingFilters(request.args, suppliers=suppliers())
    return render_template(
        "findings/review_list.html",
        filters=filters,
        page=services.findings_page(**filters.chosen(), page=int_arg("page", 1)),
        summary=services.summary(),
    )


@bp.route("/review/findings/new")
@allow(BUYER_STAFF)
def new():
    organisation_id = int_arg("organisation")
    if organisation_id is not None:
        return redirect(url_for("findings.new_at", org_id=organisation_id))
    chooser = SupplierChoice()
    chooser.set_suppliers(suppliers())
    return render_template("findings/new.html", chooser=chooser, form=None)


@bp.route("/review/findings/new/<int:org_id>", methods=["GET", "POST"])
@allow(BUYER_STAFF)
@takes_uploads
def new_at(org_id: int):
    organisation = services.supplier_or_404(org_id)
    form = FindingForm()
    chosen = [form.factory.data] if form.factory.data else []
    contracts, choices = services.choices_for(organisation.id, chosen, form.search)
    form.offer(contracts, choices.factories)
    if not form.finding and form.validate_on_submit():
        try:
            finding = services.record_finding(
                organisation, _finding_values(form), chosen_files(form.documents),
                user=current.user(),
            )  # fmt: skip
        except services.UploadRefused as refusal:
            form.documents.errors.append(str(refusal))
            return _new_page(organisation, form, choices), 400
        flash(_("The finding has been recorded and the supplier can see it."), "success")
        return redirect(url_for("findings.review_finding", finding_id=finding.id))
    return _new_page(organisation, form, choices)


def _new_page(organisation, form, choices):
    return render_template(
        "findings/new.html",
        organisation=organisation,
        form=form,
        choices=choices,
    )


def _finding_values(form: FindingForm) -> dict:
    return {
        "title": form.title.data,
        "source": form.source.data,
        "found_on": form.found_on.data,
        "clause": form.clause.data,
        "clause_reference": form.clause_reference.data or None,
        "severity": form.severity.data,
        "contract_id": form.contract.data or None,
        "factory_id": form.factory.data or None,
        "description": form.description.data,
    }


@bp.route("/review/findings/<int:finding_id>")
@allow(BUYER_STAFF)
def review_finding(finding_id: int):
    return _review_page(services.finding_or_404(current.user(), finding_id))


@bp.route("/review/findings/<int:finding_id>/decide", methods=["POST"])
@allow(BUYER_STAFF)
def decide(finding_id: int):
    finding = services.finding_or_404(current.user(), finding_id)
    form = _decision_form(finding.action)
    if not form.validate_on_submit():
        return _review_page(finding, decision=form, status=400)
    try:
        services.decide(
            finding.action,
            accept=form.decision.data == "accept",
            reason=form.reason.data,
            user=current.user(),
            expected_version=form.opened_version(),
        )
    except (services.StaleAction, deadlines.NotAllowed):
        return _changed(finding, _review_page, unsaved=form.reason.data)
    flash(_("Your decision has been saved; the supplier can see it."), "success")
    return redirect(url_for("findings.review_finding", finding_id=finding.id))


@bp.route("/review/findings/<int:finding_id>/extend", methods=["POST"])
@allow(BUYER_STAFF)
def extend(finding_id: int):
    finding = services.finding_or_404(current.user(), finding_id)
    form = _extension_form(finding.action)
    if not form.validate_on_submit():
        return _review_page(finding, extension=form, status=400)
    try:
        services.extend(
            finding.action,
            form.stage.data,
            form.due_on.data,
            form.reason.data,
            user=current.user(),
            expected_version=form.opened_version(),
        )
    except (services.StaleAction, deadlines.NotAllowed):
        return _changed(finding, _review_page, unsaved=form.reason.data)
    flash(_("The deadline has been extended."), "success")
    return redirect(url_for("findings.review_finding", finding_id=finding.id))


def _decision_form(action, **kwargs) -> DecisionForm:
    form = DecisionForm(**kwargs)
    form.set_stage(deadlines.stage_of(action.state) or deadlines.Stage.CORRECTION)
    return form


def _extension_form(action, **kwargs) -> ExtensionForm:
    form = ExtensionForm(**kwargs)
    form.set_stages(
        services.extendable(action),
        {"plan": action.plan_due_on, "correction": action.correction_due_on},
    )
    return form


def _review_page(finding, *, decision=None, extension=None, status=200, unsaved=None):
    action = finding.action
    decision = decision or _decision_form(action, formdata=None)
    extension = extension or _extension_form(action, formdata=None)
    for form in (decision, extension):
        form.version.data = action.version
    page = render_template(
        "findings/review_finding.html",
        finding=finding,
        steps=services.history(action),
        documents=services.documents_of(finding),
        decision=decision,
        extension=extension,
        unsaved=unsaved,
    )
    return page, status


def _changed(finding, page, *, unsaved):
    """Someone changed the action after this page was opened: nothing was saved; show it
    as it is now, with what this person wrote, and let them act again knowingly (409)."""
    db.session.rollback()
    db.session.refresh(finding.action)
    body, _status = page(finding, unsaved=unsaved or "")
    return body, 409


# The supplier's side ----------------------------------------------------------------------
@bp.route("/findings")
@allow(SUPPLIERS)
def index():
    organisation_id = current.user().organisation_id
    plan_months, correction_months = deadlines.configured_months()
    return render_template(
        "findings/index.html",
        findings=services.findings_of(organisation_id),
        summary=services.summary(organisation_id),
        plan_months=plan_months,
        correction_months=correction_months,
    )


@bp.route("/findings/<int:finding_id>")
@allow(SUPPLIERS)
def finding(finding_id: int):
    return _supplier_page(services.finding_or_404(current.user(), finding_id))


@bp.route("/findings/<int:finding_id>/submit", methods=["POST"])
@allow(SUPPLIERS)
@takes_uploads
def submit(finding_id: int):
    finding = services.finding_or_404(current.user(), finding_id)
    form = _submission_form(finding.action)
    if not form.validate_on_submit():
        return _supplier_page(finding, form=form, status=400)
    try:
        services.submit(
            finding.action, form.text.data, chosen_files(form.documents),
            user=current.user(), expected_version=form.opened_version(),
        )  # fmt: skip
    except services.UploadRefused as refusal:
        form.documents.errors.append(str(refusal))
        return _supplier_page(finding, form=form, status=400)
    except (services.StaleAction, deadlines.NotAllowed):
        return _changed(finding, _supplier_page, unsaved=form.text.data)
    flash(_("Sent. The region's reviewer will accept it or return it to you."), "success")
    return redirect(url_for("findings.finding", finding_id=finding.id))


def _submission_form(action, **kwargs) -> SubmissionForm:
    return SubmissionForm(stage=deadlines.stage_of(action.state) or "plan", **kwargs)


def _supplier_page(finding, *, form=None, status=200, unsaved=None):
    action = finding.action
    form = form or _submission_form(action, formdata=None)
    form.version.data = action.version
    if unsaved and not form.text.data:
        form.text.data = unsaved  # kept in the field, to send again
    page = render_template(
        "findings/finding.html",
        finding=finding,
        steps=services.history(action),
        documents=services.documents_of(finding),
        form=form,
        unsaved=unsaved,
    )
    return page, status


# Both sides -------------------------------------------------------------------------------
@bp.route("/findings/<int:finding_id>/documents/<int:document_id>")
@allow(SUPPLIERS, BUYER_STAFF)
def document(finding_id: int, document_id: int):
    finding, document = services.document_or_404(current.user(), finding_id, document_id)
    record(
        "evidence.downloaded",
        organisation_id=finding.organisation_id,
        target=document,
        details={"file": document.filename},
    )
    return evidence_services.attachment(document)
