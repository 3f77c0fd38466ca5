"""Admin-panel users: create, change role, deactivate/reactivate, unlock (admins only)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from registry.extensions import get_session
from registry.services import users as user_service
from registry.timeutil import utcnow
from registry.web.admin import bp
from registry.web.admin.common import change, flash_form_errors
from registry.web.admin.forms import ConfirmForm, RoleForm, UserForm, required
from registry.web.auth import requires


@bp.get("/users")
@requires("admin")
def user_list():
    return render_template(
        "admin/users.html",
        users=user_service.list_users(get_session()),
        form=UserForm(),
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
        now=utcnow(),
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


@bp.post("/users/<int:user_id>/unlock")
@requires("admin")
def user_unlock(user_id: int):
    user = user_service.get(get_session(), user_id)
    form = ConfirmForm()
    to = url_for("admin.user_list")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(to)
    return change(lambda s: user_service.unlock(s, user), success=f"{user.email} unlocked.", to=to)
