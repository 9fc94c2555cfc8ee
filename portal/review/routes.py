"""The buyer's review of submitted responses."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from portal import current, spreadsheets
from portal.access import BUYER_STAFF, allow
from portal.orgs.services import KIND_LABELS
from portal.questionnaires.services import (
    CRITERION_LABELS,
    REGISTRY,
)
from portal.review import services
from portal.review.forms import (
    AcceptForm,
    AssignForm,
    QueueFilters,
    ShownFields,
    cap_message,
    grading_form,
)
from portal.review.page import (
    QueueRows,
    grading_markup,
    points_text,
    score_lines,
    shown_answer,
)
from portal.texts import text_in
from portal.timeutil import moments_shown

bp = Blueprint("review", __name__, url_prefix="/review")

REVIEW_STATUS_LABELS = {
    "in_review": _l("In review"),
    "clarification": _l("Clarification requested"),
    "accepted": _l("Accepted"),
}


@bp.app_context_processor
def review_context():
    return {"public_url": current_app.config["PUBLIC_URL"].rstrip("/")}


@bp.route("/queue")
@allow(BUYER_STAFF)
def queue():
    filters = QueueFilters(request.args).applied()
    lang = current.language()
    queue = services.queue(lang, **filters.chosen(), **filters.ordering())
    kind_labels = _labels(KIND_LABELS)
    rows = QueueRows(
        review_url=current.url_with("review.response", "response_id"),
        moment=moments_shown(),
        kind_labels=kind_labels,
        status_labels=_labels(REVIEW_STATUS_LABELS),
        version_names=_version_names(queue.page.items, lang),
    )
    return render_template(
        "review/queue.html",
        queue=queue,
        queue_rows=rows,
        filters=filters,
        args=request.args,
        kind_labels=kind_labels,
        lang=lang,
    )


def _version_names(rows, lang: str) -> dict[int, str]:
    """The name of each version on the page ("Title, version N"), translated once each."""
    versions = {row.version.id: row.version for row in rows}
    return {v.id: f"{v.title(lang)}, {_('version %(n)d', n=v.number)}" for v in versions.values()}


def _labels(labels: dict) -> dict[str, str]:
    """Lazy labels translated once for a page that shows them on many rows."""
    return {key: str(label) for key, label in labels.items()}


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def response(response_id: int):
    response = services.response_or_404(response_id)
    lang, viewer = current.language(), current.user()
    if request.method == "GET":
        page = services.review_page(response, lang, viewer)
        shown = ShownFields.stored(
            page.grading.questions, page.grading.all_documents, page.grades, page.verdicts
        )
        return _review_page(response, page, shown, lang)
    grading = services.grading_of(response, viewer)
    form = grading_form(grading.questions, grading.all_documents, lang, grading.caps)
    if form.validate_on_submit():
        services.save_grades(response, form.entries(), actor=viewer, caps=grading.caps)
        services.judge_evidence(response, form.decisions(), actor=viewer)
        return redirect(_after_grading(response, form, lang))
    page = services.review_page(response, lang, viewer, grading)
    return _review_page(response, page, ShownFields.posted(form), lang), 422


def _after_grading(response, form, lang) -> str:
    """Do what the pressed button asks once the grades are saved; where to go next."""
    here = url_for("review.response", response_id=response.id)
    section = form.section.data
    if section and response.version.definition.section(section):
        return url_for(
            "review.response", response_id=response.id, saved=section, _anchor=f"section-{section}"
        )
    if form.action.data == "clarify":
        services.ask_clarification(response, form.asked(), actor=current.user())
        flash(
            _(
                "The questions have been sent. The supplier can change only those answers "
                "until it submits again."
            ),
            "success",
        )
    elif form.action.data == "accept":
        scores = services.scores_of(response, lang)
        if scores.ungraded:
            return url_for("review.accept", response_id=response.id)
        _accept(response, lang, scores)
    else:
        flash(_("The grades have been saved."), "success")
    return here


def _review_page(response, page, shown, lang):
    assign_form = AssignForm(reviewer=str(page.review.assigned_to_id or ""))
    assign_form.reviewer.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(user_id), name) for user_id, name in services.staff_names()
    ]
    saved = request.args.get("saved")
    return render_template(
        "review/response.html",
        response=response,
        review=page.review,
        page=page,
        shown=shown,
        assign_form=assign_form,
        definition=response.version.definition,
        grading=grading_markup(response.version.definition, lang),
        shown_answer=shown_answer,
        registry=REGISTRY,
        text_in=text_in,
        lang=lang,
        scores=page.scores,
        score_lines=score_lines(page.scores),
        criterion_labels=CRITERION_LABELS,
        status_labels=REVIEW_STATUS_LABELS,
        saved=None if shown.has_errors else saved,
        cap_message=cap_message,
    )


bp.add_app_template_filter(points_text, "score")


@bp.route("/responses/<int:response_id>/accept", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def accept(response_id: int):
    """Accepting although answers have no grade: says how many, and asks again."""
    response = services.response_or_404(response_id)
    lang = current.language()
    scores = services.scores_of(response, lang)
    ungraded = services.ungraded_questions(response, scores)
    form = AcceptForm()
    changed = False
    if form.validate_on_submit():
        if form.ungraded.data == str(len(ungraded)):
            _accept(response, lang, scores)
            return redirect(url_for("review.response", response_id=response.id))
        changed = True  # grades were given or removed since the page was shown
    form.ungraded.data = str(len(ungraded))
    return render_template(
        "review/accept.html",
        response=response,
        form=form,
        ungraded=ungraded,
        changed=changed,
        text_in=text_in,
        lang=lang,
        scores=scores,
    ), 422 if form.errors else 200


def _accept(response, lang, scores) -> None:
    result = services.accept(response, actor=current.user(), lang=lang, scores=scores)
    flash(
        _(
            "The response has been accepted: %(points)s of %(maximum)s award points.",
            points=f"{result.award_points:.2f}",
            maximum=f"{result.award_maximum:g}",
        ),
        "success",
    )


@bp.route("/responses/<int:response_id>/assign", methods=["POST"])
@allow(BUYER_STAFF)
def assign(response_id: int):
    response = services.response_or_404(response_id)
    form = AssignForm()
    form.reviewer.choices = [SelectChoice("", "")] + [
        SelectChoice(str(user_id), name) for user_id, name in services.staff_names()
    ]
    if form.validate_on_submit():
        reviewer = services.staff_member(int(form.reviewer.data)) if form.reviewer.data else None
        services.assign(services.review_of(response), reviewer, actor=current.user())
        flash(_("The assignment has been saved."), "success")
    else:
        flash(_("Choose a reviewer from the list."), "error")
    return redirect(url_for("review.response", response_id=response.id))


@bp.route("/export/grades.<download:fmt>")
@allow(BUYER_STAFF)
def export_grades(fmt: str):
    header, rows = services.grade_rows(QueueFilters(request.args).chosen()["round_id"])
    body = spreadsheets.neutralised(rows)
    return spreadsheets.download(header, body, fmt, name="grades", title=_("Grades"))
