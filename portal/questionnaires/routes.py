"""Rounds (buyer admin), responses (suppliers), and reading them (buyer staff)."""

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from portal import current, signals
from portal.access import BUYER_ADMIN, BUYER_STAFF, SIGNED_IN, SUPPLIERS, allow
from portal.arguments import whole_number
from portal.extensions import db
from portal.factories.services import FrozenListForm, frozen_countries, frozen_page
from portal.forms import ConfirmForm, NameSearchForm
from portal.questionnaires import market, services
from portal.questionnaires.fieldtypes import REGISTRY, lower_first
from portal.questionnaires.forms import (
    MEETS_LABELS,
    CompareForm,
    ExtensionForm,
    JoinRoundForm,
    RoundForm,
    StartForm,
    confirm_name,
    field_name,
    market_data,
    market_form,
    market_name,
    market_seen_json,
    market_values,
    reply_name,
    section_extras,
    section_form,
    section_input,
    seen_json,
)
from portal.questionnaires.labels import (
    ATTRIBUTE_LABELS,
    CHANGE_LABELS,
    CRITERION_LABELS,
    EVIDENCE_LABELS,
    INTENDED_USE_LABELS,
    TYPE_LABELS,
)
from portal.questionnaires.models import MAX_MARKET_COMMENT, ResponseStatus
from portal.questionnaires.schemas import ResponseExport
from portal.questionnaires.section_page import (
    posted_fields,
    question_views,
    section_parts,
    stored_fields,
)
from portal.texts import text_in
from portal.timeutil import show_datetime

bp = Blueprint("questionnaires", __name__)


@bp.app_template_global()
def evidence_label(kind: str) -> str:
    return str(EVIDENCE_LABELS.get(kind, kind))


@bp.app_template_global()
def criterion_label(criterion: str) -> str:
    return str(CRITERION_LABELS.get(criterion, criterion))


@bp.app_template_global()
def use_label(intended_use: str) -> str:
    """What a criterion is meant to become, as a person reads it (format 3)."""
    return str(INTENDED_USE_LABELS.get(intended_use, intended_use))


@bp.app_template_global()
def meets_label(meets: str) -> str:
    """A market answer's "can you meet it today?", as a person reads it."""
    return str(MEETS_LABELS.get(meets, meets))


@bp.app_template_filter()
def paragraphs(text: str) -> Markup:
    """Plain text as escaped HTML: blank lines part paragraphs, single newlines break lines."""
    parts = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(str(escape(line)) for line in part.splitlines()) + "</p>"
        for part in parts
    )
    return Markup(html)  # noqa: S704 - every piece of text was escaped above


bp.add_app_template_filter(lower_first)
bp.add_app_template_global(text_in)


def _response_or_404(response_id: int, *, staff_may_read: bool = False):
    response = services.response_for(current.user(), response_id, staff_may_read=staff_may_read)
    if response is None:
        abort(404)
    return response


def _refusal(response) -> str:
    """Why the supplier's answers cannot be saved, submitted or started now."""
    if response.status not in (ResponseStatus.NOT_STARTED, ResponseStatus.DRAFT):
        return _("This response can no longer be changed.")
    if response.is_upcoming:
        return _(
            "The round opens on %(date)s. You can start answering then.",
            date=show_datetime(response.round.opens_at),
        )
    if response.is_closed:
        return _(
            "The round closed on %(date)s: answers can no longer be saved or submitted. "
            "Ask the region if you need more time.",
            date=show_datetime(response.closes_at),
        )
    return _("This response can no longer be changed.")


# Rounds (buyer admin) --------------------------------------------------------------------------
@bp.route("/admin/rounds")
@allow(BUYER_ADMIN)
def rounds():
    return render_template(
        "questionnaires/rounds.html",
        rounds=services.rounds_overview(),
        versions=services.published_versions(),
    )


@bp.route("/admin/rounds/new", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def new_round():
    form = RoundForm()
    choices = _invitee_choices(form)
    form.offer(services.version_choices(current.language()), choices.organisations)
    if not form.finding and form.validate_on_submit():
        try:
            round_ = services.open_round(**_round_plan(form), actor=current.user())
        except services.ServiceError as error:
            form.form_errors.append(str(error))
            return _round_form(form, choices, 422)
        invited = len(form.organisations.data) + len(form.new_organisations())
        flash(
            ngettext(
                "The round %(title)s is open to %(num)d organisation.",
                "The round %(title)s is open to %(num)d organisations.",
                invited,
                title=round_.title,
            ),
            "success",
        )
        return redirect(url_for("questionnaires.rounds"))
    return _round_form(form, choices)


def _round_form(form, choices, status=200):
    return render_template("questionnaires/round_form.html", form=form, choices=choices), status


def _invitee_choices(form, round_id: int | None = None) -> services.OrganisationChoices:
    """The supplier organisations the form offers (those not in the round `round_id` yet):
    all of them, or of a long list those ticked and those its search finds."""
    ticked = (form.organisations.data or []) if form.is_submitted() else []
    return services.organisation_choices(ticked, form.search, outside_round=round_id)


def _round_plan(form: RoundForm) -> dict:
    """What the round form asks for, as plain data for `services.open_round`."""
    return {
        "kind": form.kind.data,
        "title": form.title.data,
        "version": services.version_by_id(int(form.version.data)),
        "opens_at": form.opens_at(services.local_moment),
        "closes_at": form.closes_at(services.local_moment),
        "organisation_ids": [int(i) for i in form.organisations.data],
        "new_organisations": form.new_organisations(),
        "reminder_days": form.days(),
    }


@bp.route("/admin/rounds/<int:round_id>")
@allow(BUYER_ADMIN)
def round_page(round_id: int):
    round_ = db.get_or_404(services.Round, round_id)
    return _round_page(round_, ExtensionForm(formdata=None), JoinRoundForm(formdata=None))


@bp.route("/admin/rounds/<int:round_id>/extend", methods=["POST"])
@allow(BUYER_ADMIN)
def extend(round_id: int):
    """Give one organisation of the round a later closing time, with the reason."""
    round_ = db.get_or_404(services.Round, round_id)
    form = ExtensionForm()
    chosen = services.round_organisation(round_.id, whole_number(form.organisation.data or ""))
    form.offer([chosen] if chosen else [])
    if not form.validate_on_submit():
        return _round_page(round_, form, JoinRoundForm(formdata=None), status=422)
    organisation_id, name = chosen
    closes_at = form.closes_at(services.local_moment)
    services.extend_deadline(
        round_, organisation_id, closes_at, form.reason.data, actor=current.user()
    )
    flash(
        _(
            "%(organisation)s may now answer until %(date)s.",
            organisation=name,
            date=show_datetime(closes_at),
        ),
        "success",
    )
    return redirect(url_for("questionnaires.round_page", round_id=round_.id))


@bp.route("/admin/rounds/<int:round_id>/join", methods=["POST"])
@allow(BUYER_ADMIN)
def join(round_id: int):
    """Add organisations to a round that has not closed: chosen ones, and new ones invited."""
    round_ = db.get_or_404(services.Round, round_id)
    form = JoinRoundForm()
    choices = _invitee_choices(form, round_.id)
    form.offer_organisations(choices.organisations)
    if form.finding or not form.validate_on_submit():
        status = 200 if form.finding else 422
        return _round_page(round_, ExtensionForm(formdata=None), form, status, choices)
    try:
        added, invited = services.join_round(
            round_,
            organisation_ids=[int(i) for i in form.organisations.data],
            new_organisations=form.new_organisations(),
            actor=current.user(),
        )
    except services.ServiceError as error:
        form.form_errors.append(str(error))
        return _round_page(round_, ExtensionForm(formdata=None), form, 422, choices)
    _say_joined(added, invited)
    return redirect(url_for("questionnaires.round_page", round_id=round_.id))


def _say_joined(added: int, invited: int) -> None:
    """What the admin is told after adding organisations to a round."""
    if added:
        flash(
            ngettext(
                "%(num)d organisation was added to the round.",
                "%(num)d organisations were added to the round.",
                added,
            ),
            "success",
        )
    if invited:
        flash(
            ngettext(
                "%(num)d new organisation was invited; it joins the round when its person accepts.",
                "%(num)d new organisations were invited; each joins the round when its person "
                "accepts.",
                invited,
            ),
            "success",
        )
    if not added and not invited:
        flash(_("Those organisations are in the round already."), "info")


def _round_page(round_, form, join_form, status=200, choices=None):
    """The round's page; `choices` are what `join_form` offers when they are known already.
    The extension form offers the organisations listed (and the one it was sent with)."""
    search = NameSearchForm(request.args).applied()
    responses = services.round_responses_page(round_.id, search.page.data or 1, search.search)
    listed = [(r.organisation_id, r.organisation.name) for r in responses.items]
    sent = services.round_organisation(round_.id, whole_number(form.organisation.data or ""))
    if sent and tuple(sent) not in listed:
        listed.insert(0, tuple(sent))
    form.offer(listed)
    if choices is None:
        choices = _invitee_choices(join_form, round_.id)
        join_form.offer_organisations(choices.organisations)
    return render_template(
        "questionnaires/round.html",
        round=round_,
        responses=responses,
        search=search,
        invited=services.invited_to_round(round_.id),
        form=form,
        join_form=join_form,
        choices=choices,
    ), status


# Comparing versions ------------------------------------------------------------------------------
@bp.route("/questionnaires/<key>/compare")
@allow(SIGNED_IN)
def compare(key: str):
    versions = [v for v in services.published_versions() if v.key == key]
    if len(versions) < 2:
        abort(404)
    by_number = {v.number: v for v in versions}
    chosen = CompareForm(request.args)
    old_n = chosen.number(chosen.old) or versions[-2].number
    new_n = chosen.number(chosen.new) or versions[-1].number
    if old_n not in by_number or new_n not in by_number:
        abort(404)
    old, new = by_number[old_n], by_number[new_n]
    return render_template(
        "questionnaires/compare.html",
        key=key,
        versions=versions,
        old=old,
        new=new,
        groups=services.compare_by_section(old.definition, new.definition),
        lang=current.language(),
        change_labels=CHANGE_LABELS,
        attribute_labels=ATTRIBUTE_LABELS,
        type_labels=TYPE_LABELS,
        text_in=text_in,
    )


# Responses (suppliers) ----------------------------------------------------------------------------
@bp.route("/responses")
@allow(SUPPLIERS)
def responses():
    lang = current.language()
    items = services.rounds_of_supplier(current.user().organisation_id, lang)
    return render_template("questionnaires/responses.html", items=items, lang=lang)


@bp.route("/responses/<int:response_id>")
@allow(SUPPLIERS, BUYER_STAFF)
def response(response_id: int):
    response = _response_or_404(response_id, staff_may_read=True)
    return _overview(response)


def _overview(response, problems=None, status=200):
    lang = current.language()
    answers = services.answers_of(response)
    previous = (
        services.previous_response(response)
        if response.status == ResponseStatus.NOT_STARTED
        else None
    )
    carried_from = (
        db.session.get(type(response), response.carried_from_id)
        if response.carried_from_id
        else None
    )
    return render_template(
        "questionnaires/overview.html",
        response=response,
        lang=lang,
        definition=response.version.definition,
        progress=_with_market(
            response,
            services.progress(
                response.version.definition,
                answers,
                lang,
                services.register_gaps(response, answers),
            ),
        ),
        problems=problems or [],
        previous=previous,
        carried_from=carried_from,
        start_form=StartForm(),
        submit_form=ConfirmForm(),
        question_text=lambda key: text_in(response.version.definition.questions[key]["text"], lang),
        text_in=text_in,
        open_questions=services.open_questions([response], lang).get(response.id, []),
    ), status


def _with_market(response, progress, complete=None):
    """The sections' progress, followed by the market questions' when the response has them."""
    part = services.market_progress(response, complete)
    return [*progress, part] if part else progress


@bp.route("/responses/<int:response_id>/start", methods=["POST"])
@allow(SUPPLIERS)
def start(response_id: int):
    response = _response_or_404(response_id)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    if not response.can_start:
        flash(_refusal(response), "error")
        return redirect(url_for("questionnaires.response", response_id=response.id))
    previous = services.previous_response(response) if form.carry_over.data else None
    carried = services.start(response, user=current.user(), carry_from=previous)
    if previous is not None:
        flash(
            _(
                "%(n)d answers were carried over from your earlier response. Answers to "
                "reworded questions are marked for you to confirm.",
                n=carried,
            ),
            "success",
        )
    return redirect(url_for("questionnaires.response", response_id=response.id))


def _editable_section(response_id: int, section_key: str):
    response = _response_or_404(response_id)
    section = response.version.definition.section(section_key)
    if section is None:
        abort(404)
    if response.status == ResponseStatus.NOT_STARTED:
        abort(404)
    return response, section


@bp.route("/responses/<int:response_id>/sections/<section_key>", methods=["GET", "POST"])
@allow(SUPPLIERS)
def section(response_id: int, section_key: str):
    response, section = _editable_section(response_id, section_key)
    needs = services.section_needs(response.version.definition, section)
    if request.method != "POST":
        return _section_page(response, section, services.stored_answers(response, needs))
    if not response.is_editable:
        flash(_refusal(response), "error")
        return redirect(url_for("questionnaires.response", response_id=response.id))
    answers = services.lock_answers(response, needs)
    form = _section_form(response, section, answers)
    if not form.validate_on_submit():
        abort(400)
    posted = section_input(form, section)
    result = services.save_section(response, section, posted, user=current.user(), answers=answers)
    if result.conflicts:
        # 200, not 409: the answers without a conflict were saved and must be committed.
        return _section_page(
            response, section, result.answers, form=form, conflicts=result.conflicts
        )
    if _attention(response, section, result.answers):
        # Saved, but nobody is sent on as if all were well: the section comes back with what
        # needs attention at the top (200, so that the draft is committed), its fields as
        # stored, so that rows are numbered as the messages number them.
        return _section_page(response, section, result.answers, just_saved=True)
    flash(_("Your answers are saved."), "success")
    return redirect(_after_save(response, section, form))


def _section_form(response, section, answers):
    """The section's posted form, with a box to confirm each carried-over answer not
    confirmed yet and a reply field for each question the region asked about."""
    return section_form(
        response.version.definition,
        section,
        current.language(),
        unconfirmed={k for k, a in answers.items() if a.is_unconfirmed},
        reply_keys=_reply_keys(response, section),
    )


@dataclass
class Attention:
    """One problem in a section, for the summary at the top of its page."""

    question_key: str
    #: The id of the field at fault: a table's cell when the problem has a place.
    field_id: str
    message: str


def _attention(response, section, answers, visible=None) -> list[Attention]:
    """The problems of the section's visible answers that the supplier can change."""
    definition = response.version.definition
    if visible is None:
        visible = definition.visible_keys(services.values_of(answers))
    items = []
    for question in definition.answerable(section):
        key = question["key"]
        answer = answers.get(key)
        if key not in visible or answer is None or not answer.problems:
            continue
        if not response.is_open_question(key):
            continue
        problems = answer.problems
        if question["type"] == "table":
            problems = REGISTRY["table"].problems(answer.value, question)
        for problem in problems:
            field_id = field_name(key)
            if getattr(problem, "row", None):
                field_id = f"{field_id}-{problem.row - 1}-{problem.column}"
            items.append(Attention(key, field_id, str(problem)))
    return items


def _leads_to_market(response, section) -> bool:
    """Whether the section's buttons lead on to the market questions: it is the last one, and
    the round asks them."""
    definition = response.version.definition
    return section["key"] == definition.section_keys[-1] and market.asks_market_questions(response)


def _after_save(response, section, form) -> str:
    if form.next.data == "overview":
        return url_for("questionnaires.response", response_id=response.id)
    if form.next.data == "market" and market.asks_market_questions(response):
        return url_for("questionnaires.market_questions", response_id=response.id)
    definition = response.version.definition
    index = definition.section_index(section["key"])
    if form.next.data == "next" and index + 1 < len(definition.sections):
        return url_for(
            "questionnaires.section",
            response_id=response.id,
            section_key=definition.sections[index + 1]["key"],
        )
    return url_for("questionnaires.section", response_id=response.id, section_key=section["key"])


def _reply_keys(response, section) -> set[str]:
    """Questions of this section the region asked about and reopened."""
    if not response.open_questions:
        return set()
    keys = {q["key"] for q in section["questions"]}
    return keys & set(response.open_questions)


def _section_page(response, section, answers, *, form=None, conflicts=(), just_saved=False):
    """The section with the answers as stored, or as `form` posted them (conflicts)."""
    lang = current.language()
    definition = response.version.definition
    values = services.values_of(answers)
    visible = definition.visible_keys(values)
    readonly = not response.is_editable
    keys = [q["key"] for q in section["questions"]]
    if form is None:
        shown = stored_fields(section, answers)
        form = section_extras(
            section,
            unconfirmed={k for k in keys if k in answers and answers[k].is_unconfirmed},
            reply_keys=_reply_keys(response, section),
        )
    else:
        shown = posted_fields(form, section)
    parts = section_parts(definition, section, lang)
    questions = question_views(
        definition,
        section,
        parts,
        answers=answers,
        values=values,
        shown=shown,
        visible=visible,
        conflicts={c.key: c for c in conflicts},
        is_open=response.open_question_test(),
        readonly=readonly,
        lang=lang,
        documents=_documents(response, section),
        threads=services.threads_of(response),
        attach_url=_attach_url(response, section),
    )
    return render_template(
        "questionnaires/section.html",
        response=response,
        section=section,
        page=parts,
        questions=questions,
        lists_documents=any(q.documents for q in questions),
        shows_answers=any(q.readonly for q in questions),
        extras=form,
        seen=seen_json(answers, keys),
        conflicts=conflicts,
        lang=lang,
        definition=definition,
        registry=REGISTRY,
        confirm_name=confirm_name,
        reply_name=reply_name,
        readonly=readonly,
        register=_register_status(response, section, answers, visible),
        index=definition.section_index(section["key"]),
        sections=definition.sections,
        to_market=_leads_to_market(response, section),
        attention=_attention(response, section, answers, visible) if not readonly else [],
        just_saved=just_saved,
    )


#: Stands for the question key in the address to attach a document (keys are lower-case).
_KEY = "QUESTION-KEY"


def _attach_url(response, section):
    """Where to attach a document to a question of the response, by question key (the
    address is made once for the page); None when no question of the section takes one."""
    if not _takes_documents(section):
        return None
    address = url_for("evidence.attach_to_question", response_id=response.id, question_key=_KEY)
    return lambda key: address.replace(_KEY, key)


def _documents(response, section) -> dict:
    """The documents attached to the response, by question: asked for only when the
    section has a question that takes documents."""
    if not _takes_documents(section):
        return {}
    return signals.collect_grouped(signals.question_documents, response, viewer=current.user())


def _takes_documents(section) -> bool:
    return any(q.get("evidence") for q in section["questions"])


def _register_status(response, section, answers, visible):
    """For a section with a factory-list question in a draft: the register's counts and
    what it still lacks, per question key."""
    if not any(q["type"] == "factory_list" for q in section["questions"]):
        return None
    if response.status not in (ResponseStatus.NOT_STARTED, ResponseStatus.DRAFT):
        return None
    coverage = services.register_coverage(response.organisation_id)
    gaps = services.register_gaps(response, answers, coverage, visible)
    return {"coverage": coverage, "gaps": gaps}


@bp.route("/responses/<int:response_id>/sections/<section_key>/autosave", methods=["POST"])
@allow(SUPPLIERS)
def autosave(response_id: int, section_key: str):
    """Saves a draft section from the page's script; answers JSON, never a page."""
    response, section = _editable_section(response_id, section_key)
    if not response.is_editable:
        return jsonify(error=_refusal(response)), 409
    answers = services.lock_answers(
        response, services.section_needs(response.version.definition, section)
    )
    form = _section_form(response, section, answers)
    if not form.validate_on_submit():
        return jsonify(error=_("The page has expired. Reload it to go on.")), 400
    posted = section_input(form, section)
    result = services.save_section(response, section, posted, user=current.user(), answers=answers)
    return jsonify(_autosave_reply(response, section, result))


def _autosave_reply(response, section, result) -> dict:
    """What the page's script needs after an autosave: what was saved, the answers as now
    seen, the conflicts with a colleague's answer as text, the section's problems."""
    answers = result.answers
    questions = response.version.definition.questions
    keys = [q["key"] for q in section["questions"]]
    return {
        "saved": result.changed,
        "seen": seen_json(answers, keys),
        "conflicts": [
            {
                "question": c.key,
                "by": c.by,
                "theirs": REGISTRY[questions[c.key]["type"]].display(
                    c.theirs, questions[c.key], current.language()
                ),
            }
            for c in result.conflicts
        ],
        "problems": {k: answers[k].problems for k in keys if k in answers and answers[k].problems},
    }


@bp.route("/responses/<int:response_id>/submit", methods=["POST"])
@allow(SUPPLIERS)
def submit(response_id: int):
    response = _response_or_404(response_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not response.is_editable:
        flash(_refusal(response), "error")
        return redirect(url_for("questionnaires.response", response_id=response.id))
    problems = services.submit(response, user=current.user())
    if problems:
        return _overview(response, problems=problems, status=422)
    flash(_("Thank you. Your response has been submitted and can no longer be changed."), "success")
    return redirect(url_for("questionnaires.response", response_id=response.id))


@bp.route("/responses/<int:response_id>/answers")
@allow(SUPPLIERS, BUYER_STAFF)
def answers(response_id: int):
    response = _response_or_404(response_id, staff_may_read=True)
    answers = services.answers_of(response)
    definition = response.version.definition
    return render_template(
        "questionnaires/answers.html",
        response=response,
        definition=definition,
        answers=answers,
        visible=definition.visible_keys(services.values_of(answers)),
        registry=REGISTRY,
        lang=current.language(),
        text_in=text_in,
        documents=signals.collect_grouped(
            signals.question_documents, response, viewer=current.user()
        ),
        comments=services.comments_for_supplier(response.id),
        market_answers=services.market_answers_shown(response),
    )


@bp.route("/responses/<int:response_id>/history")
@allow(SUPPLIERS, BUYER_STAFF)
def history(response_id: int):
    response = _response_or_404(response_id, staff_may_read=True)
    definition = response.version.definition
    return render_template(
        "questionnaires/history.html",
        response=response,
        changes=services.history(response),
        definition=definition,
        registry=REGISTRY,
        lang=current.language(),
        text_in=text_in,
    )


#: The filters of a frozen factory list, which its page links carry.
FROZEN_LIST_FILTERS = ("q", "country", "role", "sort", "order")


@bp.route("/responses/<int:response_id>/factory-lists/<key>")
@allow(SUPPLIERS, BUYER_STAFF)
def factory_list(response_id: int, key: str):
    """A factory list frozen into a submitted response, a page at a time."""
    response = _response_or_404(response_id, staff_may_read=True)
    factories = services.frozen_factories(response, key)
    if factories is None:
        abort(404)
    form = FrozenListForm(request.args, countries=frozen_countries(factories))
    form.applied()
    filters = form.filters()
    return render_template(
        "questionnaires/factory_list.html",
        response=response,
        question=response.version.definition.questions[key],
        form=form,
        page=frozen_page(factories, filters),
        total=len(factories),
        filtered=bool(filters.search or filters.country or filters.role),
        list_filters=FROZEN_LIST_FILTERS,
        country_names=dict(form.country.options),
        lang=current.language(),
    )


@bp.route("/responses/<int:response_id>/export.json")
@allow(SUPPLIERS, BUYER_STAFF)
def export(response_id: int):
    response = _response_or_404(response_id, staff_may_read=True)
    payload = ResponseExport().dump(services.export(response, current.language()))
    reply = jsonify(payload)
    reply.headers["Content-Disposition"] = f'attachment; filename="response-{response.id}.json"'
    return reply


# The market questions (suppliers, RFI and market-dialogue rounds) --------------------------------
def _market_response(response_id: int):
    response = _response_or_404(response_id)
    if response.status == ResponseStatus.NOT_STARTED or not market.asks_market_questions(response):
        abort(404)
    return response


@bp.route("/responses/<int:response_id>/market", methods=["GET", "POST"])
@allow(SUPPLIERS)
def market_questions(response_id: int):
    response = _market_response(response_id)
    answers = market.market_answers_of(response)
    criteria = response.version.definition.criteria
    if request.method != "POST":
        form = market_form(criteria, formdata=None, data=market_data(answers))
        return _market_page(response, answers, form)
    if not market.market_editable(response):
        flash(_refusal(response), "error")
        return redirect(url_for("questionnaires.response", response_id=response.id))
    form = market_form(criteria)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _market_page(response, answers, form, status=422)
    values, seen = market_values(form), form.seen_answers()
    result = market.save_market(response, values, seen, user_id=current.user().id)
    if result.conflicts:
        answers = market.market_answers_of(response)
        return _market_page(response, answers, form, conflicts=result.conflicts)
    flash(_("Your answers are saved."), "success")
    if form.next.data == "overview":
        return redirect(url_for("questionnaires.response", response_id=response.id))
    return redirect(url_for("questionnaires.market_questions", response_id=response.id))


def _market_page(response, answers, form, *, conflicts=(), status=200):
    form.seen.data = market_seen_json(answers)
    criteria = response.version.definition.criteria
    errors = [
        (form[market_name(c, part)].id, c, form[market_name(c, part)].errors)
        for c in criteria
        for part in ("meets", "planned_by", "hours", "comment")
        if form[market_name(c, part)].errors
    ]
    return render_template(
        "questionnaires/market.html",
        response=response,
        form=form,
        answers=answers,
        criteria=criteria,
        sections=response.version.definition.sections,
        readonly=not market.market_editable(response),
        conflicts={c.criterion: c for c in conflicts},
        errors=errors,
        market_name=market_name,
        max_comment=MAX_MARKET_COMMENT,
        error_attrs=_error_attrs,
    ), status


def _error_attrs(field, hint: str = "") -> dict:
    """A market field's ARIA attributes: its hint and error described, invalid when wrong."""
    described = [hint] if hint else []
    if not field.errors:
        return {"aria-describedby": hint} if hint else {}
    return {"aria-describedby": " ".join([*described, f"err-{field.id}"]), "aria-invalid": "true"}
