"""A supplier organisation's own team: colleagues and invitations (owners manage them)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal import current
from portal.access import SUPPLIER_OWNER, SUPPLIERS, allow
from portal.auth import services as auth_services
from portal.auth.services import Invitation
from portal.extensions import db
from portal.forms import ConfirmForm, InviteForm
from portal.roles import Role

bp = Blueprint("team", __name__, url_prefix="/team")


def _invite_form() -> InviteForm:
    form = InviteForm()
    form.set_roles((Role.SUPPLIER_MEMBER, Role.SUPPLIER_OWNER))
    return form


def _page(form: InviteForm):
    me = current.user()
    return render_template(
        "team/index.html",
        members=auth_services.organisation_users(me.organisation_id),
        invitations=auth_services.open_invitations(me.organisation_id),
        invite_form=form,
        confirm_form=ConfirmForm(),
        is_owner=me.role == Role.SUPPLIER_OWNER,
    )


@bp.route("/")
@allow(SUPPLIERS)
def index():
    return _page(_invite_form())


@bp.route("/invite", methods=["POST"])
@allow(SUPPLIER_OWNER)
def invite():
    form = _invite_form()
    if form.validate_on_submit():
        try:
            auth_services.invite(
                current.user().organisation,
                form.email.data,
                form.role_enum,
                invited_by=current.user(),
            )
        except auth_services.ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("team.index"))
    return _page(form)


@bp.route("/members/<int:user_id>/remove", methods=["POST"])
@allow(SUPPLIER_OWNER)
def remove(user_id: int):
    colleague = auth_services.colleague_or_404(current.user(), user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        auth_services.deactivate(colleague, actor=current.user())
    except auth_services.ServiceError as error:
        flash(str(error), "error")
    else:
        flash(
            _("%(name)s no longer has access to the portal.", name=colleague.full_name), "success"
        )
    return redirect(url_for("team.index"))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@allow(SUPPLIER_OWNER)
def revoke_invitation(invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != current.user().organisation_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_services.revoke_invitation(invitation, by=current.user())
    flash(_("The invitation to %(email)s has been withdrawn.", email=invitation.email), "success")
    return redirect(url_for("team.index"))
