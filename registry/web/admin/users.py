"""Admin-panel users: create, change role, deactivate/reactivate, reset the second factor (admins only).
Each change but creation ends the user's sessions at once."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from registry.extensions import get_session
from registry.services import twofactor
from registry.services import users as user_service
from registry.web.admin import bp
from registry.web.admin.common import change
from registry.web.admin.forms import ConfirmForm, RoleForm, UserForm
from registry.web.auth import requires
from registry.web.forms import required


@bp.get("/users")
@requires("admin")
def user_list():
    return render_template(
        "admin/users.html",
        users=user_service.list_users(get_session()),
        form=UserForm(),
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
    )


@bp.post("/users")
@requires("admin")
def user_create():
    form = UserForm()
    to = url_for("admin.user_list")
    return change(
        lambda s: user_service.create(
            s, email=required(form.email.data), role=form.role.data, password=required(form.password.data)
        ),
        success=lambda u: f"User {u.email} created with role {u.role}.",
        to=to,
        form=form,
    )


@bp.post("/users/<int:user_id>/role")
@requires("admin")
def user_role(user_id: int):
    user = user_service.get(get_session(), user_id)
    form = RoleForm()
    to = url_for("admin.user_list")
    return change(
        lambda s: user_service.set_role(s, user, form.role.data, actor_id=current_user.id),
        success=lambda u: f"{u.email} is now {u.role}.",
        to=to,
        form=form,
    )


@bp.post("/users/<int:user_id>/active")
@requires("admin")
def user_active(user_id: int):
    user = user_service.get(get_session(), user_id)
    form = ConfirmForm()
    to = url_for("admin.user_list")
    return change(
        lambda s: user_service.set_active(s, user, not user.active, actor_id=current_user.id),
        success=lambda u: (
            f"{u.email} {'reactivated' if u.active else 'deactivated: they can no longer sign in'}."
        ),
        to=to,
        form=form,
    )


@bp.post("/users/<int:user_id>/reset-2fa")
@requires("admin")
def user_reset_2fa(user_id: int):
    """For a lost phone: the user signs in with the password alone and sets the second factor up again."""
    user = user_service.get(get_session(), user_id)
    form = ConfirmForm()
    to = url_for("admin.user_list")
    if user.id == current_user.id:
        flash("Manage your own second factor on your account page.", "error")
        return redirect(to)
    return change(
        lambda s: twofactor.reset(s, user),
        success=f"Second factor of {user.email} removed; they were signed out everywhere.",
        to=to,
        form=form,
    )
