"""The buyer-admin area: organisations, users, invitations and the audit log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import current
from portal.access import BUYER_ADMIN, allow
from portal.admin.audit_log import describe
from portal.admin.forms import (
    AuditFilterForm,
    OrganisationForm,
    SupplierTwoFactorForm,
    UserForm,
)
from portal.arguments import int_arg
from portal.audit import services as audit_services
from portal.audit.services import ACTIONS, action_label
from portal.auth import services as auth_services
from portal.auth.services import Invitation
from portal.extensions import db
from portal.forms import ConfirmForm, InviteForm, NameSearchForm
from portal.orgs import services as orgs
from portal.orgs.services import Organisation, OrgKind
from portal.questionnaires.services import latest_submitted
from portal.roles import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50


@bp.route("/")
@allow(BUYER_ADMIN)
def index():
    form = NameSearchForm(request.args).applied()
    page = auth_services.supplier_organisations_page(form.page.data or 1, form.search)
    return render_template(
        "admin/index.html",
        form=form,
        page=page,
        latest=latest_submitted([org.id for org, _count in page.items]),
        buyer=orgs.buyer_organisation(),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def new_organisation():
    form = OrganisationForm()
    if request.method == "GET":
        form.country.data = "SE"
    if form.validate_on_submit():
        if orgs.org_number_taken(form.org_number.data):
            form.org_number.errors.append(_("Another organisation has this number."))
        else:
            org = orgs.create_organisation(
                kind=form.kind.data,
                name=form.name.data,
                org_number=form.org_number.data,
                country=form.country.data,
                contact_email=form.contact_email.data,
                actor=current.user(),
            )
            flash(
                _("%(name)s has been added. Invite its first user below.", name=org.name), "success"
            )
            return redirect(url_for("admin.organisation", org_id=org.id))
    return render_template("admin/organisation_form.html", form=form, org=None)


def _conflict(template: str, form, **context):
    """Someone saved the record after this form was opened: keep what this user typed,
    show what is saved now, and let them save again knowingly (409)."""
    db.session.rollback()
    saved = context.get("org") or context.get("user")
    db.session.refresh(saved)
    form.version.data = saved.version
    form.form_errors.append(
        _(
            "Someone else saved changes while you were editing. What is "
            "saved now is shown beside each field; your own input is kept. "
            "Save again to replace their version with yours."
        )
    )
    return render_template(template, form=form, conflict=saved, **context), 409


def _org_or_404(org_id: int) -> Organisation:
    return db.get_or_404(Organisation, org_id)


@bp.route("/organisations/<int:org_id>")
@allow(BUYER_ADMIN)
def organisation(org_id: int):
    org = _org_or_404(org_id)
    form = InviteForm()
    form.set_roles(auth_services.roles_for(org))
    return _organisation_page(org, form)


def _organisation_page(org: Organisation, invite_form: InviteForm, status: int = 200):
    two_factor_form = None
    if org.is_buyer:
        two_factor_form = SupplierTwoFactorForm(
            formdata=None, required=org.is_mfa_required_for_suppliers
        )
    return render_template(
        "admin/organisation.html",
        org=org,
        members=auth_services.organisation_users(org.id),
        invitations=auth_services.open_invitations(org.id),
        invite_form=invite_form,
        two_factor_form=two_factor_form,
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/organisations/<int:org_id>/supplier-two-factor", methods=["POST"])
@allow(BUYER_ADMIN)
def supplier_two_factor(org_id: int):
    """Require (or stop requiring) two-factor sign-in of every supplier user."""
    buyer = _org_or_404(org_id)
    if not buyer.is_buyer:
        abort(404)
    form = SupplierTwoFactorForm()
    if not form.validate_on_submit():
        abort(400)
    if auth_services.set_supplier_two_factor(buyer, form.required.data, actor=current.user()):
        flash(
            _(
                "Supplier users must now use two-factor sign-in; those without it set it up "
                "at their next sign-in."
            )
            if form.required.data
            else _("Two-factor sign-in is now optional for supplier users."),
            "success",
        )
    return redirect(url_for("admin.organisation", org_id=buyer.id))


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def edit_organisation(org_id: int):
    org = _org_or_404(org_id)
    form = OrganisationForm(obj=org)
    if org.is_buyer:
        del form.kind
    if request.method == "GET":
        form.version.data = org.version
    if form.validate_on_submit():
        if orgs.org_number_taken(form.org_number.data, exclude_id=org.id):
            form.org_number.errors.append(_("Another organisation has this number."))
        else:
            fields = {
                name: form[name].data for name in ("name", "org_number", "country", "contact_email")
            }
            if not org.is_buyer:
                fields["kind"] = form.kind.data
            try:
                orgs.update_organisation(
                    org, expected_version=form.opened_version(), actor=current.user(), **fields
                )
            except orgs.StaleEditError:
                return _conflict("admin/organisation_form.html", form, org=org)
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("admin.organisation", org_id=org.id))
    return render_template("admin/organisation_form.html", form=form, org=org)


@bp.route("/organisations/<int:org_id>/invite", methods=["POST"])
@allow(BUYER_ADMIN)
def invite(org_id: int):
    org = _org_or_404(org_id)
    form = InviteForm()
    form.set_roles(auth_services.roles_for(org))
    if form.validate_on_submit():
        try:
            auth_services.invite(org, form.email.data, form.role_enum, invited_by=current.user())
        except auth_services.ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("admin.organisation", org_id=org.id))
    return _organisation_page(org, form)


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@allow(BUYER_ADMIN)
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_services.revoke_invitation(invitation, by=current.user())
    flash(_("The invitation to %(email)s has been withdrawn.", email=invitation.email), "success")
    return redirect(url_for("admin.organisation", org_id=invitation.organisation_id))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(BUYER_ADMIN)
def edit_user(user_id: int):
    user = auth_services.get_user_or_404(user_id)
    form = UserForm(obj=user)
    form.set_roles(auth_services.roles_for(user.organisation))
    if request.method == "GET":
        form.version.data = user.version
    if form.validate_on_submit():
        try:
            auth_services.update_user(
                user,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                expected_version=form.opened_version(),
                actor=current.user(),
            )
        except orgs.StaleEditError:
            return _conflict("admin/user_form.html", form, user=user, confirm_form=ConfirmForm())
        except auth_services.ServiceError as error:
            form.role.errors.append(str(error))
        else:
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("admin.organisation", org_id=user.organisation_id))
    return render_template("admin/user_form.html", form=form, user=user, confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@allow(BUYER_ADMIN)
def deactivate_user(user_id: int):
    user = auth_services.get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        auth_services.deactivate(user, actor=current.user())
    except auth_services.ServiceError as error:
        flash(str(error), "error")
    else:
        flash(
            _("%(name)s has been deactivated and signed out everywhere.", name=user.full_name),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@allow(BUYER_ADMIN)
def reactivate_user(user_id: int):
    user = auth_services.get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_services.reactivate(user, actor=current.user())
    flash(_("%(name)s can sign in again.", name=user.full_name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/audit")
@allow(BUYER_ADMIN)
def audit_log():
    form = AuditFilterForm(request.args, actions=ACTIONS)
    page = audit_services.events_page(
        **form.chosen(), page=int_arg("page", 1), per_page=AUDIT_PAGE_SIZE
    )
    return render_template(
        "admin/audit.html",
        page=page,
        sentences=describe(page.items),
        form=form,
        label=action_label,
        organisations=orgs.names(),
        kind_buyer=OrgKind.BUYER,
    )
