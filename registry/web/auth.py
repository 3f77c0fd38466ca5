"""Admin authentication and authorisation: Flask-Login sessions, argon2id passwords, roles.

Roles are ranked: ``viewer`` (read only) < ``auditor`` (accreditation work) < ``admin`` (everything,
including users, companies and API keys). Every admin view declares the least role it needs with
``@requires(role)``; anonymous visitors are sent to the login page, a lower role gets 403.
"""

from __future__ import annotations

import re
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from registry.extensions import RateLimited, get_session, rate_limit, settings
from registry.models import Role
from registry.services import auditlog
from registry.services import users as user_service

ROLE_RANK: dict[str, int] = {Role.viewer: 0, Role.auditor: 1, Role.admin: 2}

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to use the admin panel."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

bp = Blueprint("auth", __name__, url_prefix="/admin")


class AdminUser(UserMixin):
    """What the session knows about the signed-in user (the row is re-read on every request)."""

    def __init__(self, user):
        self.id = user.id
        self.email = user.email
        self.role = user.role

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = get_session().get(user_service.User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    return AdminUser(user)


def requires(role: str):
    """Least role a view needs. Anonymous -> login page; signed in with a lower role -> 403."""
    if role not in ROLE_RANK:
        raise ValueError(role)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]  # mypy does not model function attributes
        return wrapped

    return decorator


def actor() -> str:
    """How the signed-in user is named in the audit log and accreditation history."""
    return current_user.email


def set_actor(session) -> None:
    auditlog.set_actor(session, current_user.email)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


# C0 and C1 control characters and DEL: never part of a redirect (CR/LF would split the header).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of the admin panel on this site, else the dashboard.
    Control characters, backslashes (read as "/" by browsers) and other hosts are refused."""
    if target and not _CONTROL.search(target) and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/admin"):
            return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@rate_limit(lambda: current_app.config.get("ADMIN_LOGIN_RATE_LIMIT", "30/minute"), methods=("POST",))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        assert form.email.data is not None and form.password.data is not None  # required fields
        cfg = settings()
        session = get_session()
        auditlog.set_actor(session, "login")
        result = user_service.authenticate(
            session,
            form.email.data,
            form.password.data,
            max_failures=cfg.login_max_failures,
            lock_minutes=cfg.login_lock_minutes,
        )
        session.commit()
        if result.ok:
            assert result.user is not None
            login_user(AdminUser(result.user))
            flash(f"Signed in as {result.user.email} ({result.user.role}).", "success")
            return redirect(_safe_next(request.args.get("next")))
        if result.failures:
            # Slow repeated guessing down: the delay grows with each consecutive failure.
            base = current_app.config.get("ADMIN_LOGIN_FAILURE_DELAY", 0.25)
            time.sleep(min(base * result.failures, 3.0))
        if result.locked:
            flash(
                f"Too many failed sign-ins: this account is locked until "
                f"{result.locked_until:%H:%M} UTC. Try again later or ask an administrator to unlock it.",
                "error",
            )
        else:
            flash("Wrong e-mail or password.", "error")
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form)


@bp.errorhandler(429)
def _too_many(e):
    return (
        render_template(
            "admin/error.html",
            code=429,
            title="Too many sign-in attempts",
            message="Too many sign-in attempts from this address. Wait a minute and try again.",
        ),
        429,
        e.limit_headers if isinstance(e, RateLimited) else {},
    )


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["ROLE_RANK"] = ROLE_RANK
