"""Public pages: /, /verify, /verify/<public_id>, /healthz."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from registry.web.database import get_session

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    try:
        get_session().execute(text("SELECT 1"))
    except Exception as e:  # pragma: no cover - exercised with a broken database
        return jsonify(status="error", database=type(e).__name__), 503
    return jsonify(status="ok", database="ok")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
