"""A user's own account: password, two-factor sign-in, recovery codes."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import current
from portal.access import SIGNED_IN, SUPPLIERS, allow
from portal.account.forms import (
    AccountEnrolForm,
    ChangePasswordForm,
    DisableMfaForm,
    PasswordCheckForm,
)
from portal.audit.services import record
from portal.auth import services as auth_services
from portal.auth.services import (
    RateLimitedError,
    ServiceError,
    change_password,
    check_password_again,
    renew_session,
    two_factor_required,
)
from portal.extensions import limiter

bp = Blueprint("account", __name__, url_prefix="/account")


def _form_limit() -> str:
    return current_app.config["FORM_RATE_LIMIT"]


def _password_ok(user, password: str) -> bool:
    try:
        return check_password_again(user, password)
    except RateLimitedError:
        abort(429)


def _account():
    """The signed-in user's account, to change it."""
    return auth_services.account_of(current.user())


def _overview(password_form=None, disable_form=None, codes_form=None):
    """The account page, with whichever form was just sent keeping its errors."""
    return render_template(
        "account/overview.html",
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        disable_form=disable_form or DisableMfaForm(prefix="off"),
        codes_form=codes_form or PasswordCheckForm(prefix="codes"),
        codes_left=auth_services.remaining_recovery_codes(current.user())
        if current.user().has_totp
        else 0,
        may_turn_off=not two_factor_required(current.user()),
    )


@bp.route("/")
@allow(SIGNED_IN)
def overview():
    return _overview()


@bp.route("/password", methods=["POST"])
@allow(SIGNED_IN)
@limiter.limit(_form_limit, methods=["POST"])
def password():
    form = ChangePasswordForm(prefix="pw")
    form.context_email = current_user.email
    if form.validate_on_submit():
        try:
            change_password(_account(), form.current.data, form.password.data)
        except RateLimitedError:
            abort(429)
        except ServiceError as error:
            form.current.errors.append(str(error))
        else:
            flash(
                _("Your password has been changed. You have been signed out everywhere else."),
                "success",
            )
            return redirect(url_for("account.overview"))
    return _overview(password_form=form)


@bp.route("/two-factor", methods=["GET", "POST"])
@allow(SIGNED_IN)
@limiter.limit(_form_limit, methods=["POST"])
def setup_two_factor():
    user = _account()
    if user.has_totp:
        flash(_("Two-factor sign-in is already on."), "info")
        return redirect(url_for("account.overview"))
    secret = auth_services.pending_secret(user)  # kept in the user's row, never in the cookie
    form = AccountEnrolForm()
    if form.validate_on_submit():
        if not _password_ok(user, form.password.data):
            form.password.errors.append(_("The password is not correct."))
        elif auth_services.confirm_enrolment(user, form.code.data):
            codes = auth_services.new_recovery_codes(user)
            record("auth.mfa_enabled", organisation_id=user.organisation_id)
            renew_session(user)  # a new factor: sessions elsewhere end
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=url_for("account.overview")
            )
        else:
            form.code.errors.append(
                _(
                    "That code is not correct. Check the time on your phone and enter the "
                    "newest code."
                )
            )
    return render_template(
        "auth/setup_mfa.html",
        form=form,
        from_account=True,
        **auth_services.enrolment_context(user, secret, current_app.config["TOTP_ISSUER"]),
    )


@bp.route("/two-factor/off", methods=["POST"])
@allow(SUPPLIERS)  # buyer staff must keep two-factor sign-in
@limiter.limit(_form_limit, methods=["POST"])
def disable_two_factor():
    user = _account()
    if two_factor_required(user):  # the buyer may require it of suppliers too
        abort(403)
    form = DisableMfaForm(prefix="off")
    if form.validate_on_submit():
        if not _password_ok(user, form.password.data):
            form.password.errors.append(_("The password is not correct."))
        elif not (
            auth_services.verify_totp(user, form.code.data)
            or auth_services.use_recovery_code(user, form.code.data)
        ):
            form.code.errors.append(_("That code is not correct, or it has already been used."))
        else:
            auth_services.turn_off(user)
            record("auth.mfa_disabled", organisation_id=user.organisation_id)
            renew_session(user)
            flash(_("Two-factor sign-in is now off."), "success")
            return redirect(url_for("account.overview"))
    return _overview(disable_form=form)


@bp.route("/recovery-codes", methods=["POST"])
@allow(SIGNED_IN)
@limiter.limit(_form_limit, methods=["POST"])
def renew_recovery_codes():
    user = _account()
    if not user.has_totp:
        abort(404)
    form = PasswordCheckForm(prefix="codes")
    if form.validate_on_submit():
        if _password_ok(user, form.password.data):
            codes = auth_services.new_recovery_codes(user)
            record("auth.recovery_codes_renewed", organisation_id=user.organisation_id)
            renew_session(user)
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=url_for("account.overview")
            )
        form.password.errors.append(_("The password is not correct."))
    return _overview(codes_form=form)
