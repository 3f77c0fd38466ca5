"""Helpers shared by the admin views: the commit-once pattern, pagination, template globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_login import current_user

from registry.errors import DomainError
from registry.extensions import get_session
from registry.services import auditlog, dashboard
from registry.web.auth import ROLE_RANK

STATUS_LABELS = {
    "applicant": "Applicant",
    "accredited": "Accredited",
    "rejected": "Rejected",
    "suspended": "Suspended",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
}
DECISION_LABELS = {
    "accredit": "Accredit",
    "reject": "Reject",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
    "withdraw": "Withdraw",
    "expire": "Mark expired",
    "reapply": "Re-application",
}
# Decisions that take something away from a recruiter: asked for confirmation in the browser.
DESTRUCTIVE_DECISIONS = frozenset({"reject", "suspend", "withdraw", "expire"})


def change(
    action: Callable[[Any], Any],
    *,
    success: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    on_error: str | None = None,
    render_error: Callable[[DomainError], Any] | None = None,
    form=None,
):
    """Run one service call as a unit of work: name the actor, commit once, flash, redirect.

    With `form`, an invalid submission (or a bad CSRF token) changes nothing: its errors are
    flashed and the user goes to `to`. A DomainError rolls everything back and is shown to the
    user as it is (a clear, specific message); `render_error` may answer it with the form again
    instead of a redirect.
    """
    if form is not None and not form.validate_on_submit():
        flash_form_errors(form)
        if not isinstance(to, str):
            raise TypeError("with a form, `to` is a fixed URL (there is no result to build it from)")
        return redirect(to)
    session = get_session()
    auditlog.set_actor(session, current_user.email)
    try:
        result = action(session)
        session.commit()
    except DomainError as e:
        session.rollback()
        flash(e.message, "error")
        if render_error is not None:
            return render_error(e)
        return redirect(
            on_error or (to if isinstance(to, str) else request.referrer or url_for("admin.dashboard"))
        )
    flash(success(result) if callable(success) else success, "success")
    return redirect(to(result) if callable(to) else to)


def flash_form_errors(form) -> None:
    for field, errors in form.errors.items():
        label = getattr(getattr(form, field, None), "label", None)
        name = label.text if label is not None else field
        for err in errors:
            flash(f"{name}: {err}", "error")


def back(default: str) -> str:
    """Where to go back to after a form posted from a page (same-site relative paths only)."""
    target = request.form.get("next") or ""
    if target.startswith("/admin") and "//" not in target:
        return target
    return default


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    next_url: str | None = None  # keyset links, when the list has them
    prev_url: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def page_arg(default: int = 1) -> int:
    try:
        return max(1, min(int(request.args.get("page", default)), 100_000))
    except ValueError:
        return default


def url_with(**changes) -> str:
    """The current admin URL with some query arguments changed (None removes one)."""
    args: dict[str, Any] = request.args.to_dict()
    for k, v in changes.items():
        if v is None or v == "":
            args.pop(k, None)
        else:
            args[k] = v
    if request.endpoint is None:
        raise RuntimeError("called from a routed view")
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def can(role: str) -> bool:
    return bool(current_user.is_authenticated and current_user.can(role))


def nav_counts() -> dict[str, int]:
    """Work waiting, shown next to the navigation links (two indexed counts, once per request)."""
    if "admin_nav_counts" not in g:
        g.admin_nav_counts = dashboard.work_waiting(get_session())
    return g.admin_nav_counts


def template_helpers() -> dict:
    return {
        "can": can,
        "nav_counts": nav_counts,
        "url_with": url_with,
        "STATUS_LABELS": STATUS_LABELS,
        "DECISION_LABELS": DECISION_LABELS,
        "DESTRUCTIVE_DECISIONS": DESTRUCTIVE_DECISIONS,
        "ROLES": list(ROLE_RANK),
    }
