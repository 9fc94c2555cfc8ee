"""Evidence: attach documents to questions and factories, serve them safely."""

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from portal import current
from portal.access import BUYER_STAFF, SUPPLIERS, allow
from portal.arguments import int_arg
from portal.audit.services import record
from portal.evidence import services
from portal.evidence.forms import UploadForm
from portal.evidence.labels import KIND_LABELS
from portal.factories import services as factory_services
from portal.forms import ConfirmForm
from portal.request_limits import takes_uploads
from portal.texts import text_in
from portal.urls import local_or

bp = Blueprint("evidence", __name__)


@bp.app_context_processor
def evidence_helpers():
    return {"evidence_kind_labels": KIND_LABELS, "evidence_expiry": services.expiry}


def _form(kinds=None, ticked=()):
    """The upload form, offering the factories to tick (all of a short register; of a long
    one, the ticked ones and those the form's search finds), and those choices."""
    form = UploadForm(kinds=kinds, max_mb=services.max_bytes() // 2**20)
    chosen = (form.factories.data or []) if form.is_submitted() else list(ticked)
    choices = factory_services.factory_choices(current.user().organisation_id, chosen, form.search)
    form.offer(choices.factories)
    return form, choices


def _sent(form: UploadForm) -> bool:
    """Whether the form was sent to upload (not to find factories), and is valid."""
    return not form.finding and form.validate_on_submit()


def _upload_page(form, choices, back: str, subject: str):
    return render_template(
        "evidence/upload.html",
        form=form,
        choices=choices,
        back=back,
        subject=subject,
    )


def _meta(form: UploadForm) -> dict:
    return {
        "kind": form.kind.data,
        "issuer": form.issuer.data,
        "reference": form.reference.data,
        "issued_on": form.issued_on.data,
        "valid_until": form.valid_until.data,
        "factory_ids": form.factories.data or [],
    }


def _uploaded(form: UploadForm, organisation_id: int, **attached_to):
    """The document stored from the form's file, attached to a response's question or a
    factory; None when the file is refused, the reason then on the form."""
    try:
        document = services.upload(
            organisation_id, form.file.data, _meta(form), user=current.user(), **attached_to
        )
    except services.UploadRefused as refusal:
        form.file.errors.append(str(refusal))
        return None
    flash(_("The document %(name)s is attached.", name=document.filename), "success")
    return document


@bp.route("/responses/<int:response_id>/evidence/<question_key>", methods=["GET", "POST"])
@allow(SUPPLIERS)
@takes_uploads
def attach_to_question(response_id: int, question_key: str):
    response, question, section_key = services.question_or_404(
        current.user(), response_id, question_key
    )
    back = (
        url_for("questionnaires.section", response_id=response.id, section_key=section_key)
        + f"#question-{question_key}"
    )
    if not response.is_editable:
        flash(_("This response can no longer be changed."), "error")
        return redirect(back)
    form, choices = _form(question["evidence"])
    attached = {"response": response, "question_key": question_key}
    if _sent(form) and _uploaded(form, response.organisation_id, **attached):
        return redirect(back)
    return _upload_page(form, choices, back, text_in(question["text"], str(get_locale())))


@bp.route("/factories/<int:factory_id>/evidence", methods=["GET", "POST"])
@allow(SUPPLIERS)
@takes_uploads
def attach_to_factory(factory_id: int):
    factory = factory_services.factory_or_404(current.user(), factory_id)
    back = url_for("factories.edit", factory_id=factory.id)
    form, choices = _form(ticked=[factory.id])
    if request.method == "GET":
        form.factories.data = [factory.id]
    if _sent(form) and _uploaded(form, factory.organisation_id, factory=factory):
        return redirect(back)
    return _upload_page(form, choices, back, factory.name)


@bp.route("/evidence/<int:document_id>/download")
@allow(SUPPLIERS, BUYER_STAFF)
def download(document_id: int):
    document = services.readable_or_404(current.user(), document_id)
    record(
        "evidence.downloaded",
        organisation_id=document.organisation_id,
        target=document,
        details={"file": document.filename},
    )
    return services.attachment(document)


@bp.route("/evidence/<int:document_id>/remove", methods=["GET", "POST"])
@allow(SUPPLIERS)
def remove(document_id: int):
    document = services.owned_or_404(current.user(), document_id)
    back = local_or(request.args.get("back"), url_for("evidence.index"))
    if not services.removable(document):
        flash(_("Documents of a submitted response stay as they were submitted."), "error")
        return redirect(back)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.remove(document, user=current.user())
        flash(_("The document %(name)s has been removed.", name=document.filename), "success")
        return redirect(back)
    return render_template("evidence/remove.html", document=document, form=form, back=back)


@bp.route("/evidence")
@allow(SUPPLIERS)
def index():
    user = current.user()
    page = services.organisation_documents(user.organisation_id, user, int_arg("page", 1))
    return render_template("evidence/index.html", page=page)


@bp.route("/review/evidence")
@allow(BUYER_STAFF)
def expiring():
    page = services.expiring_page(current.user(), int_arg("page", 1))
    return render_template(
        "evidence/expiring.html",
        page=page,
        organisation_names=services.organisation_names(page.items),
    )
