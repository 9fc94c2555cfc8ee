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
    market_answers_shown,
    threads_by_question,
)
from portal.review import services
from portal.review.forms import (
    AcceptForm,
    AssignForm,
    QueueFilters,
    cap_message,
    grading_form,
    initial_data,
)
from portal.texts import text_in

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
    filters = QueueFilters(request.args)
    return render_template(
        "review/queue.html",
        rows=services.queue(**filters.chosen()),
        args=request.args,
        rounds=services.rounds(),
        questionnaires=services.questionnaire_choices(current.language()),
        reviewers=services.staff(),
        kind_labels=KIND_LABELS,
        lang=current.language(),
    )


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def response(response_id: int):
    response = services.response_or_404(response_id)
    lang = current.language()
    page = services.review_page(response, lang, current.user())
    stored = initial_data(page.grades, page.verdicts) if request.method == "GET" else None
    form = grading_form(page.questions, page.all_documents, lang, page.caps, data=stored)
    if form.validate_on_submit():
        services.save_grades(response, form.entries(), actor=current.user())
        services.judge_evidence(response, form.decisions(), actor=current.user())
        return redirect(_after_grading(response, form, lang))
    return _review_page(response, page, form, lang), 422 if form.errors else 200


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
        if services.ungraded_questions(response, lang):
            return url_for("review.accept", response_id=response.id)
        _accept(response, lang)
    else:
        flash(_("The grades have been saved."), "success")
    return here


def _review_page(response, page, form, lang):
    review = services.review_of(response)
    assign_form = AssignForm(reviewer=str(review.assigned_to_id or ""))
    assign_form.reviewer.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(u.id), u.full_name) for u in services.staff()
    ]
    saved = request.args.get("saved")
    return render_template(
        "review/response.html",
        response=response,
        review=review,
        page=page,
        form=form,
        assign_form=assign_form,
        answers=page.answers,
        visible=page.visible,
        definition=response.version.definition,
        documents=page.documents,
        registry=REGISTRY,
        text_in=text_in,
        lang=lang,
        scores=services.scores_of(response, lang),
        market_answers=market_answers_shown(response),
        threads=threads_by_question(response.id),
        criterion_labels=CRITERION_LABELS,
        status_labels=REVIEW_STATUS_LABELS,
        saved=saved if not form.errors else None,
        cap_message=cap_message,
    )


@bp.route("/responses/<int:response_id>/accept", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def accept(response_id: int):
    """Accepting although answers have no grade: says how many, and asks again."""
    response = services.response_or_404(response_id)
    lang = current.language()
    ungraded = services.ungraded_questions(response, lang)
    form = AcceptForm()
    changed = False
    if form.validate_on_submit():
        if form.ungraded.data == str(len(ungraded)):
            _accept(response, lang)
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
        scores=services.scores_of(response, lang),
    ), 422 if form.errors else 200


def _accept(response, lang) -> None:
    result = services.accept(response, actor=current.user(), lang=lang)
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
        SelectChoice(str(u.id), u.full_name) for u in services.staff()
    ]
    if form.validate_on_submit():
        reviewer = services.staff_member(int(form.reviewer.data)) if form.reviewer.data else None
        services.assign(services.review_of(response), reviewer, actor=current.user())
        flash(_("The assignment has been saved."), "success")
    else:
        flash(_("Choose a reviewer from the list."), "error")
    return redirect(url_for("review.response", response_id=response.id))


@bp.route("/export/grades.<fmt>")
@allow(BUYER_STAFF)
def export_grades(fmt: str):
    header, rows = services.grade_rows(QueueFilters(request.args).chosen()["round_id"])
    body = spreadsheets.neutralised(rows)
    return spreadsheets.download(header, body, fmt, name="grades", title="Grades")
