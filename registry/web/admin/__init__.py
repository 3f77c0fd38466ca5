"""Admin panel (/admin): one blueprint, one module per resource.

Every view declares its least role with ``registry.web.auth.requires``; state-changing views parse a
FlaskForm (CSRF-checked), call one service, name the actor for the audit log, commit once, flash and
redirect.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from registry.errors import NotFound

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _error(code: int, title: str, message: str):
    return render_template("admin/error.html", code=code, title=title, message=message), code


@bp.errorhandler(403)
def _forbidden(_e):
    return _error(
        403, "Not allowed", "Your role does not allow this. Ask an administrator if you need access."
    )


@bp.errorhandler(404)
def _not_found(_e):
    return _error(404, "Not found", "There is nothing at this address.")


@bp.errorhandler(NotFound)
def _domain_not_found(e: NotFound):
    return _error(404, "Not found", e.message)


def init_app(app: Flask) -> None:
    from registry.web.admin import (  # noqa: F401  (modules register their routes on bp)
        alerts,
        auditlog_view,
        audits,
        certificate,
        companies,
        dashboard,
        recruiters,
        reports,
        users,
    )
    from registry.web.admin.common import template_helpers

    app.register_blueprint(bp)
    app.jinja_env.globals.update(template_helpers())
