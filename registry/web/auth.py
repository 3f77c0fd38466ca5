"""Admin authentication and authorisation: Flask-Login sessions, argon2id passwords, a TOTP second
factor, roles.

Roles are ranked: ``viewer`` (read only) < ``auditor`` (accreditation work) < ``admin`` (everything,
including users, companies and API keys). Every admin view declares the least role it needs with
``@requires(role)``; anonymous visitors are sent to the login page, a lower role gets 403, and an
admin without a second factor where one is required (FAIRRECRUIT_REQUIRE_2FA_FOR_ADMINS) is sent to
set one up before anything else.

Sessions: each stores the user's session version from sign-in, compared on every request, so sign-out,
deactivation, a password or role change end all of a user's sessions at once; a session also ends
after FAIRRECRUIT_SESSION_IDLE_MINUTES without a request. Flask-Login's remember-me cookie is never
issued, and one presented anyway signs nobody in (it carries no session version).

Sign-in tells nothing about which addresses exist: the same answer, the same hashing time, and the
same throttling for every address. Attempts are counted per client address and per hash of the
e-mail address (429 with Retry-After past the limit, never a lock); a browser that has signed in to the
account before (a signed device cookie) counts on its own, so a stranger cannot keep the owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from registry.errors import DomainError
from registry.extensions import LimitState, RateLimited, get_session, hit_limit, rate_limit, settings
from registry.models import Role, User
from registry.services import auditlog, twofactor
from registry.services import users as user_service
from registry.web.forms import required
from registry.web.once import data_key

ROLE_RANK: dict[str, int] = {Role.viewer: 0, Role.auditor: 1, Role.admin: 2}
SESSION_VERSION = "sv"
PENDING_SECOND_FACTOR = "pending_2fa"
PENDING_SECONDS = 300
DEVICE_COOKIE = "fr_device"
DEVICE_DAYS = 180
MAX_FAILURE_DELAY = 3.0
WRONG_LOGIN = "Wrong e-mail or password."

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to use the admin panel."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

bp = Blueprint("auth", __name__, url_prefix="/admin")


class AdminUser(UserMixin):
    """What the session knows about the signed-in user (the row is re-read on every request)."""

    def __init__(self, user: User):
        self.id = user.id
        self.email = user.email
        self.role = user.role
        self.two_factor = user.totp_enabled_at is not None

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


@login_manager.user_loader
def _load_user(user_id: str) -> AdminUser | None:
    try:
        user = get_session().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if not user_service.session_is_current(user, browser_session.get(SESSION_VERSION)):
        return None
    if user is None:
        raise RuntimeError("user is not None")
    return AdminUser(user)


def needs_second_factor_setup() -> bool:
    """An admin without a second factor where admins must have one."""
    return bool(
        current_user.is_authenticated
        and current_user.role == Role.admin
        and not current_user.two_factor
        and settings().two_factor_required_for_admins
    )


def requires(role: str) -> Callable:
    """Least role a view needs. Anonymous -> login page; signed in with a lower role -> 403; an admin
    who must set up a second factor -> its set-up page."""
    if role not in ROLE_RANK:
        raise ValueError(role)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if needs_second_factor_setup():
                return redirect(url_for("auth.two_factor"))  # the page says why
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorator


def actor() -> str:
    """How the signed-in user is named in the audit log and accreditation history."""
    return current_user.email


def set_actor(session: Any) -> None:
    auditlog.set_actor(session, current_user.email)


def keep_this_session(user: User) -> None:
    """After a change that ended the user's sessions (password, second factor): this one goes on."""
    browser_session[SESSION_VERSION] = user.session_version


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=20)])


# C0 and C1 control characters (CR/LF would split a Location header) and DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of the admin panel on this site, else the dashboard.
    Control characters, backslashes (read as "/" by browsers) and other hosts are refused."""
    if target and not _CONTROL.search(target) and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/admin") and "//" not in target:
            return target
    return url_for("admin.dashboard")


# --- throttling -----------------------------------------------------------------------------------


def account_key(email: str) -> str:
    """What sign-in counts attempts by: a keyed hash of the address (normalised as accounts are, so
    spellings of one address share a budget), whether an account has it or not."""
    try:
        address = user_service.normalize_email(email)
    except DomainError:
        address = (email or "").strip().lower()
    digest = hmac.new(settings().secret_key.encode(), b"login:" + address.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="fairrecruit-login-device")


def _device_for(account: str) -> str | None:
    """The id of this browser's device cookie when it signed in to `account` before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("a") == account and isinstance(data.get("d"), str):
        return data["d"]
    return None


def _count_attempt(limit: str, account: str) -> LimitState:
    device = _device_for(account)
    if device is not None:
        return hit_limit(limit, "login-device", device)
    return hit_limit(limit, "login-account", account)


def _slow_down(state: LimitState) -> None:
    """The answer to a failed attempt waits longer the more attempts this address had in the window
    (the same for every address, known or not)."""
    delay = settings().login_failure_delay_seconds * state.used
    if delay > 0:
        time.sleep(min(delay, MAX_FAILURE_DELAY))


def _too_many(state: LimitState) -> RateLimited:
    """The error for an exhausted per-address (or per-code) budget: a 429 telling when to try again."""
    return RateLimited("too many sign-in attempts", state.headers())


# --- sign-in ----------------------------------------------------------------------------------------


def _complete_sign_in(user: User, target: str | None) -> WerkzeugResponse:
    # Nothing of the anonymous session goes on but its CSRF token (forms open in other tabs still work).
    csrf_token = browser_session.get("csrf_token")
    browser_session.clear()
    if csrf_token is not None:
        browser_session["csrf_token"] = csrf_token
    login_user(AdminUser(user))
    browser_session[SESSION_VERSION] = user.session_version
    browser_session.permanent = True  # ends after FAIRRECRUIT_SESSION_IDLE_MINUTES without a request
    flash(f"Signed in as {user.email} ({user.role}).", "success")
    response = redirect(_safe_next(target))
    device = _devices().dumps({"a": account_key(user.email), "d": secrets.token_urlsafe(12)})
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_DAYS * 86400,
        path="/admin",
        secure=settings().is_production,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
@rate_limit(lambda: settings().login_limit_per_client, methods=("POST",))
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        state = _count_attempt(settings().login_limit_per_account, account_key(required(form.email.data)))
        if not state.allowed:
            raise _too_many(state)
        session = get_session()
        auditlog.set_actor(session, "login")
        result = user_service.authenticate(session, required(form.email.data), required(form.password.data))
        if result.user is None:
            _slow_down(state)
            flash(WRONG_LOGIN, "error")
            return render_template("admin/login.html", form=form), 401
        session.commit()
        if result.needs_second_factor:
            browser_session[PENDING_SECOND_FACTOR] = {
                "uid": result.user.id,
                "sv": result.user.session_version,
                "at": int(time.time()),
                "next": request.args.get("next") or "",
            }
            return redirect(url_for("auth.login_code"))
        return _complete_sign_in(result.user, request.args.get("next"))
    return render_template("admin/login.html", form=form)


def _pending() -> dict | None:
    pending = browser_session.get(PENDING_SECOND_FACTOR)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        browser_session.pop(PENDING_SECOND_FACTOR, None)
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
@rate_limit(lambda: settings().login_limit_per_client, methods=("POST",))
def login_code() -> Any:
    """Second step of signing in, for users with a second factor: a code from the app or a recovery code."""
    pending = _pending()
    if pending is None:
        flash("Sign in again: the sign-in was not finished in time.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        state = hit_limit(settings().login_limit_per_account, "login-code", str(pending["uid"]))
        if not state.allowed:
            raise _too_many(state)
        session = get_session()
        auditlog.set_actor(session, "login")
        user = session.get(User, pending["uid"])
        if user is None or not user_service.session_is_current(user, pending["sv"]):
            browser_session.pop(PENDING_SECOND_FACTOR, None)
            flash("Sign in again.", "info")
            return redirect(url_for("auth.login"))
        how = twofactor.verify(session, user, required(form.code.data), data_key("totp"))
        if how is None:
            session.rollback()
            _slow_down(state)
            flash("That code is not right.", "error")
            return render_template("admin/login_code.html", form=form), 401
        user_service.signed_in(session, user)
        left = twofactor.recovery_codes_left(session, user)
        session.commit()
        response = _complete_sign_in(user, pending.get("next"))
        if how == "recovery":
            flash(
                f"You signed in with a recovery code; {left} left. Make new ones on your account page.",
                "warning",
            )
        return response
    return render_template("admin/login_code.html", form=form)


@bp.errorhandler(429)
def _rate_limited(e: Exception) -> Any:
    headers = e.limit_headers if isinstance(e, RateLimited) else {}
    minutes = max(1, -(-int(headers.get("Retry-After", "60")) // 60))
    return (
        render_template(
            "admin/error.html",
            code=429,
            title="Too many sign-in attempts",
            message=f"Too many sign-in attempts. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.",
        ),
        429,
        headers,
    )


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out: every session of this user ends, here and in any other browser."""
    session = get_session()
    user = session.get(User, current_user.id)
    if user is not None:
        auditlog.set_actor(session, current_user.email)
        user_service.end_sessions(session, user)
        session.commit()
    logout_user()
    browser_session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Registers the blueprint; the account pages (registry.web.account) add their routes to it
    when imported, which create_app does first."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["ROLE_RANK"] = ROLE_RANK
