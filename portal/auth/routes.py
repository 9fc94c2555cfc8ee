"""Signing in (with a second factor), signing out, password reset and invitations."""

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import current
from portal.access import ANONYMOUS, SIGNED_IN, allow
from portal.audit.services import record
from portal.auth import mfa
from portal.auth.forms import (
    AcceptInvitationForm,
    AcceptNewOrganisationForm,
    CodeForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from portal.auth.models import User
from portal.auth.services import (
    ServiceError,
    accept_invitation,
    check_credentials,
    check_credentials_and_code,
    check_second_factor,
    end_session,
    pending_invitation,
    request_password_reset,
    reset_password,
    start_session,
    two_factor_required,
    user_for_reset_token,
)
from portal.auth.throttle import RateLimitedError
from portal.extensions import db, limiter
from portal.forms import ConfirmForm
from portal.urls import safe_next

bp = Blueprint("auth", __name__)

#: How long the second step of signing in may take after the password was right.
PENDING_SECONDS = 300


def _ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_IP"]


def _form_limit() -> str:
    return current_app.config["FORM_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(_ip_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        code = (form.code.data or "").strip()
        try:
            if code:
                user = check_credentials_and_code(form.email.data, form.password.data, code)
            else:
                user = check_credentials(form.email.data, form.password.data)
        except RateLimitedError as error:
            return _throttled(form, error)
        if user is None:
            # One message for an unknown address and a wrong password (or code) alike.
            form.form_errors.append(
                _("The e-mail address, the password or the code is not correct.")
                if code
                else _("The e-mail address or the password is not correct.")
            )
        elif code:
            start_session(user, method="totp")
            return redirect(safe_next() or url_for("main.index"))
        else:
            return _after_password(user, safe_next())
    return render_template("auth/login.html", form=form, ask_code=bool(form.code.data))


def _throttled(form: LoginForm, error: RateLimitedError):
    """The sign-in page again (429), offering the ways in that still work."""
    if error.retry_after is None:
        message = _(
            "Too many attempts to sign in to this account from your network. Wait a few "
            "minutes, or choose a new password."
        )
    else:
        message = ngettext(
            "Too many attempts to sign in to this account. Try again in %(num)d second, or "
            "choose a new password.",
            "Too many attempts to sign in to this account. Try again in %(num)d seconds, or "
            "choose a new password.",
            error.retry_after,
        )
    form.form_errors.append(message)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
    return render_template("auth/login.html", form=form, ask_code=True), 429, headers


def _after_password(user: User, next_url: str | None):
    if not user.has_totp and not two_factor_required(user):
        start_session(user)
        return redirect(next_url or url_for("main.index"))
    session.clear()
    session["pending"] = {"uid": user.id, "at": time.time(), "next": next_url}
    if user.has_totp:
        return redirect(url_for("auth.login_code"))
    return redirect(url_for("auth.setup_mfa"))


def _pending_user() -> User | None:
    pending = session.get("pending")
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    return user if user is not None and user.is_active else None


def _restart_login():
    session.pop("pending", None)
    flash(_("Your sign-in took too long. Please start again."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(_ip_limit, methods=["POST"])
def login_code():
    user = _pending_user()
    if user is None or not user.has_totp:
        return _restart_login()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = check_second_factor(user, form.code.data.strip())
        except RateLimitedError:
            abort(429)
        if method:
            next_url = session.get("pending", {}).get("next")
            start_session(user, method=method)
            if method == "recovery-code":
                flash(
                    _(
                        "You signed in with a recovery code. %(n)d codes are left.",
                        n=mfa.remaining_recovery_codes(user),
                    ),
                    "info",
                )
            return redirect(next_url or url_for("main.index"))
        form.code.errors.append(_("That code is not correct, or it has already been used."))
    return render_template("auth/login_code.html", form=form)


@bp.route("/login/setup", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(_ip_limit, methods=["POST"])
def setup_mfa():
    """Forced set-up of two-factor sign-in for those who must use it. The secret waits in
    the user's row (encrypted) until confirmed; the cookie only says who is signing in."""
    user = _pending_user()
    if user is None or user.has_totp:
        return _restart_login()
    secret = mfa.pending_secret(user)
    form = EnrolForm()
    if form.validate_on_submit():
        if mfa.confirm_enrolment(user, form.code.data):
            codes = mfa.new_recovery_codes(user)
            record("auth.mfa_enabled", actor=user, organisation_id=user.organisation_id)
            start_session(user, method="totp-setup")
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=url_for("main.index")
            )
        form.code.errors.append(
            _("That code is not correct. Check the time on your phone and enter the newest code.")
        )
    return render_template(
        "auth/setup_mfa.html",
        form=form,
        required_of_suppliers=user.is_supplier,
        **mfa.enrolment_context(user, secret, current_app.config["TOTP_ISSUER"]),
    )


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    end_session(current.user())
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(_form_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If %(email)s belongs to an account, a link to choose a new password is on "
                "its way. It works for one hour.",
                email=form.email.data.strip(),
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
@allow(ANONYMOUS)
@limiter.limit(_form_limit, methods=["POST"])
def reset_password_page(token: str):
    user = user_for_reset_token(token)
    if user is None:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = ResetPasswordForm()
    form.context_email = user.email
    if form.validate_on_submit():
        reset_password(user, form.password.data)
        if current_user.is_authenticated:
            end_session(current.user())
        flash(_("Your password has been changed. Sign in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
@allow(ANONYMOUS)
@limiter.limit(_form_limit, methods=["POST"])
def accept_invitation_page(token: str):
    invitation = pending_invitation(token)
    if invitation is None:
        return render_template("auth/link_invalid.html", kind="invitation"), 404
    if current_user.is_authenticated:
        flash(_("Sign out first to accept an invitation for another account."), "info")
        return redirect(url_for("main.index"))
    form = (
        AcceptNewOrganisationForm()
        if invitation.is_for_new_organisation
        else AcceptInvitationForm()
    )
    form.context_email = invitation.email
    if form.validate_on_submit():
        try:
            accept_invitation(
                invitation, form.full_name.data, form.password.data, **_new_organisation(form)
            )
        except ServiceError as error:
            form.form_errors.append(str(error))
        else:
            flash(
                _(
                    "Your account is ready. Sign in with your e-mail address and the password "
                    "you chose."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


def _new_organisation(form) -> dict:
    """What the accepting person tells about a new organisation (nothing for an existing one)."""
    country = getattr(form, "country", None)
    return {"country": country.data} if country is not None else {}
