"""The buyer's review of submitted responses."""

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal.access import BUYER_STAFF, allow
from portal.auth.models import User
from portal.evidence.services import by_question as evidence_by_question
from portal.extensions import db
from portal.factories import exporting
from portal.orgs.models import KIND_LABELS
from portal.questionnaires import services as questionnaire_services
from portal.questionnaires.fieldtypes import REGISTRY, text_in
from portal.questionnaires.labels import CRITERION_LABELS
from portal.review import services
from portal.review.forms import AssignForm, grading_form
from portal.review.threads import threads_by_question

bp = Blueprint("review", __name__, url_prefix="/review")

REVIEW_STATUS_LABELS = {
    "in_review": _l("In review"),
    "clarification": _l("Clarification requested"),
    "accepted": _l("Accepted"),
}


@bp.app_context_processor
def review_context():
    return {"public_url": current_app.config["PUBLIC_URL"].rstrip("/")}


def _me():
    return current_user._get_current_object()


def _lang() -> str:
    return str(get_locale())


@bp.route("/queue")
@allow(BUYER_STAFF)
def queue():
    args = request.args
    rows = services.queue(
        round_id=args.get("round", type=int),
        key=args.get("questionnaire"),
        status=args.get("status"),
        kind=args.get("kind"),
        reviewer_id=args.get("reviewer", type=int),
    )
    keys = sorted({v.key for v in questionnaire_services.published_versions()})
    return render_template(
        "review/queue.html",
        rows=rows,
        args=args,
        rounds=services.rounds(),
        keys=keys,
        reviewers=services.staff(),
        kind_labels=KIND_LABELS,
    )


def _gradable(response):
    answers = questionnaire_services.answers_of(response)
    definition = response.version.definition
    visible = definition.visible_keys(questionnaire_services.values_of(answers))
    questions = [
        q for q in definition.questions.values() if q.get("rubric") and q["key"] in visible
    ]
    return answers, visible, questions


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
@allow(BUYER_STAFF)
def response(response_id: int):
    response = services.response_or_404(response_id)
    review = services.review_of(response)
    lang = _lang()
    answers, visible, questions = _gradable(response)
    documents = evidence_by_question(response.id)
    all_documents = [d for items in documents.values() for d in items]
    grades = services.grades_of(response)
    verdicts = services.verdicts_of(response)
    form = grading_form(questions, all_documents, lang)
    if request.method == "GET":
        for question in questions:
            grade = grades.get(question["key"])
            if grade:
                form[f"points_{question['key']}"].data = grade.points
                form[f"comment_{question['key']}"].data = grade.comment
                form[f"note_{question['key']}"].data = grade.note
        for document in all_documents:
            verdict = verdicts.get(document.id)
            if verdict:
                form[f"verdict_{document.id}"].data = (
                    "accepted" if verdict.is_accepted else "rejected"
                )
                form[f"reason_{document.id}"].data = verdict.reason
    elif form.validate_on_submit():
        result = _apply(response, form, questions, all_documents, lang)
        if result is not None:
            return result
    assign_form = AssignForm(reviewer=str(review.assigned_to_id or ""))
    assign_form.reviewer.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(u.id), u.full_name) for u in services.staff()
    ]
    return render_template(
        "review/response.html",
        response=response,
        review=review,
        form=form,
        assign_form=assign_form,
        questions=questions,
        answers=answers,
        visible=visible,
        definition=response.version.definition,
        documents=documents,
        registry=REGISTRY,
        text_in=text_in,
        lang=lang,
        scores=services.scores_of(response, lang),
        threads=threads_by_question(response.id),
        criterion_labels=CRITERION_LABELS,
        status_labels=REVIEW_STATUS_LABELS,
    ), 200 if not form.errors else 422


def _apply(response, form, questions, documents, lang):
    """Save what the form holds, then do what the pressed button asks."""
    me = _me()
    entries = {
        q["key"]: {
            "points": form[f"points_{q['key']}"].data,
            "comment": (form[f"comment_{q['key']}"].data or "").strip(),
            "note": (form[f"note_{q['key']}"].data or "").strip(),
        }
        for q in questions
    }
    decisions = {}
    for document in documents:
        verdict = form[f"verdict_{document.id}"].data
        reason = (form[f"reason_{document.id}"].data or "").strip()
        if verdict == "rejected" and not reason:
            form[f"reason_{document.id}"].errors.append(_("Say why the document is rejected."))
            return None
        if verdict:
            decisions[document.id] = (verdict == "accepted", reason)
    services.save_grades(response, entries, actor=me)
    services.judge_evidence(response, decisions, actor=me)
    action = form.action.data
    if action == "clarify":
        asked = {k: entries[k]["comment"] for k in entries if form[f"ask_{k}"].data}
        missing = [k for k, text in asked.items() if not text]
        if not asked or missing:
            form.form_errors.append(
                _(
                    "Tick the answers to ask about, and write your question "
                    "in each one's comment to the supplier."
                )
            )
            return None
        services.ask_clarification(response, asked, actor=me)
        flash(
            _(
                "The questions have been sent. The supplier can change only those answers "
                "until it submits again."
            ),
            "success",
        )
    elif action == "accept":
        result = services.accept(response, actor=me, lang=lang)
        flash(
            _(
                "The response has been accepted: %(points)s of %(maximum)s award points.",
                points=f"{result.award_points:.2f}",
                maximum=f"{result.award_maximum:g}",
            ),
            "success",
        )
    else:
        flash(_("The grades have been saved."), "success")
    return redirect(url_for("review.response", response_id=response.id))


@bp.route("/responses/<int:response_id>/assign", methods=["POST"])
@allow(BUYER_STAFF)
def assign(response_id: int):
    response = services.response_or_404(response_id)
    form = AssignForm()
    form.reviewer.choices = [SelectChoice("", "")] + [
        SelectChoice(str(u.id), u.full_name) for u in services.staff()
    ]
    if form.validate_on_submit():
        reviewer = db.session.get(User, int(form.reviewer.data)) if form.reviewer.data else None
        if reviewer is not None and not reviewer.is_buyer_staff:
            reviewer = None
        services.assign(services.review_of(response), reviewer, actor=_me())
        flash(_("The assignment has been saved."), "success")
    return redirect(url_for("review.response", response_id=response.id))


@bp.route("/export/grades.<fmt>")
@allow(BUYER_STAFF)
def export_grades(fmt: str):
    header, rows = services.grade_rows(request.args.get("round", type=int))
    body = [[exporting.neutralise(v) if isinstance(v, str) else v for v in row] for row in rows]
    if fmt == "csv":
        payload, mimetype = exporting.to_csv(header, body), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        payload = exporting.to_xlsx(header, body, title="Grades")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    reply = make_response(payload)
    reply.headers["Content-Type"] = mimetype
    reply.headers["Content-Disposition"] = f'attachment; filename="grades.{fmt}"'
    return reply
