"""Start pages per role, the language switch and the accessibility statement."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import mail
from portal.access import ANONYMOUS, BUYER_STAFF, SUPPLIERS, allow
from portal.audit.services import record
from portal.auth import services as auth_services
from portal.extensions import limiter
from portal.findings import services as findings_services
from portal.forms import NameSearchForm
from portal.i18n import LANG_COOKIE
from portal.main.forms import AccessibilityReportForm, LanguageForm
from portal.questionnaires.services import (
    latest_submitted,
    rounds_of_supplier,
    submitted_responses,
    waiting_for_answers,
)
from portal.roles import Role
from portal.urls import is_local

bp = Blueprint("main", __name__)

START_PAGES = {
    Role.BUYER_ADMIN: "admin.index",
    Role.REVIEWER: "main.reviewer_home",
    Role.SUPPLIER_OWNER: "main.supplier_home",
    Role.SUPPLIER_MEMBER: "main.supplier_home",
}


@bp.route("/")
@allow(ANONYMOUS)
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(START_PAGES[Role(current_user.role)]))


@bp.route("/supplier")
@allow(SUPPLIERS)
def supplier_home():
    return render_template(
        "main/supplier_home.html",
        waiting=waiting_for_answers(current_user.organisation_id, str(get_locale())),
        rounds=rounds_of_supplier(current_user.organisation_id, str(get_locale())),
        findings=findings_services.summary(current_user.organisation_id),
    )


@bp.route("/review")
@allow(BUYER_STAFF)
def reviewer_home():
    form = NameSearchForm(request.args).applied()
    page = auth_services.supplier_organisations_page(form.page.data or 1, form.search)
    return render_template(
        "main/reviewer_home.html",
        form=form,
        page=page,
        latest=latest_submitted([org.id for org, _count in page.items]),
        submitted=submitted_responses(),
        findings=findings_services.summary(),
    )


@bp.route("/language", methods=["POST"])
@allow(ANONYMOUS)
def set_language():
    form = LanguageForm()
    target = form.next.data if is_local(form.next.data) else url_for("main.index")
    if not form.validate_on_submit():
        return redirect(target)
    lang = form.lang.data
    session["lang"] = lang
    if current_user.is_authenticated:
        auth_services.account_of(current_user).locale = lang
    response = make_response(redirect(target))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response


@bp.route("/accessibility", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: current_app.config["FORM_RATE_LIMIT"], methods=["POST"])
def accessibility():
    form = AccessibilityReportForm()
    if form.validate_on_submit():
        mail.send_later(
            mail.compose(
                current_app.config["ACCESSIBILITY_CONTACT"],
                _l("Accessibility problem reported in the portal"),
                "accessibility_report",
                page=form.page.data,
                description=form.description.data,
                reply_to=form.email.data,
                reporter=current_user if current_user.is_authenticated else None,
            )
        )
        record("accessibility.reported", details={"page": (form.page.data or "")[:200]})
        flash(
            _(
                "Thank you. Your report has been sent; if you gave an e-mail address you "
                "will get an answer within two weeks."
            ),
            "success",
        )
        return redirect(url_for("main.accessibility"))
    return render_template("main/accessibility.html", form=form)
