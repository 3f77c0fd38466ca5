"""The API's per-process memory (registry.api.cache): a process sees its own changes at once, another
process's changes within the configured seconds; unknown ids and keys are never remembered."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from registry import create_app
from registry.api import cache
from registry.services import accreditation, auditlog

from .test_auth import assert_problem

ROOT = Path(__file__).resolve().parents[3]


def _app(settings, engine, seconds: float):
    app = create_app(settings.model_copy(update={"api_cache_seconds": seconds}), engine=engine)
    app.config.update(TESTING=True)
    return app


def _elsewhere(engine, code: str) -> None:
    """Run `code` in another Python process (another web worker, the compliance workers, the CLI)
    with `engine` (its URL), `Session`, `accreditation`, `auditlog` and `text` at hand."""
    program = textwrap.dedent(
        f"""
        from sqlalchemy import text
        from sqlmodel import Session
        from registry.db import make_engine
        from registry.services import accreditation, auditlog
        engine = make_engine({engine.url.render_as_string(hide_password=False)!r})
        """
    ) + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", program], check=True, cwd=ROOT, timeout=120)


def _suspend_elsewhere(engine, recruiter_id: int) -> None:
    _elsewhere(
        engine,
        f"""
        with Session(engine) as s:
            auditlog.set_actor(s, "another process")
            from registry.models import Recruiter
            rec = s.get(Recruiter, {recruiter_id})
            accreditation.decide(s, rec, "suspend", actor="another process", reason="passports retained")
            s.commit()
        """,
    )


def _status(client, auth, public_id: str) -> str:
    resp = client.get(f"/api/v1/recruiters/{public_id}", headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["status"]


def test_another_process_change_is_seen_within_the_configured_seconds(settings, engine, auth, world):
    client = _app(settings, engine, 1.5).test_client()
    rec = world.accredited
    assert _status(client, auth, rec.public_id) == "accredited"
    _suspend_elsewhere(engine, rec.id)
    started = time.monotonic()
    seen = []
    while time.monotonic() - started < 5:
        seen.append(_status(client, auth, rec.public_id))
        if seen[-1] == "suspended":
            break
        time.sleep(0.1)
    waited = time.monotonic() - started
    assert seen[-1] == "suspended", seen
    assert waited <= 1.5 + 0.5, f"seen after {waited:.2f} s"


def test_answers_come_from_memory_until_then(settings, engine, auth, world):
    client = _app(settings, engine, 300).test_client()
    rec = world.accredited
    assert _status(client, auth, rec.public_id) == "accredited"
    _suspend_elsewhere(engine, rec.id)  # this process does not know
    assert _status(client, auth, rec.public_id) == "accredited"
    # ...and without the memory, the database answers at once
    assert _status(_app(settings, engine, 0).test_client(), auth, rec.public_id) == "suspended"


def test_this_process_sees_its_own_changes_at_once(settings, engine, auth, world):
    client = _app(settings, engine, 300).test_client()
    rec = world.accredited
    assert _status(client, auth, rec.public_id) == "accredited"
    with Session(engine) as s:  # a decision made in this process (the admin panel, say)
        auditlog.set_actor(s, "auditor@example.org")
        accreditation.decide(s, s.merge(rec), "suspend", actor="auditor@example.org", reason="fees")
        s.commit()
    assert _status(client, auth, rec.public_id) == "suspended"


def test_unknown_public_ids_are_not_remembered(settings, engine, auth, world):
    client = _app(settings, engine, 300).test_client()
    assert_problem(client.get("/api/v1/recruiters/RA-LATE1", headers=auth), 404)
    _elsewhere(
        engine,
        """
        with Session(engine) as s:
            auditlog.set_actor(s, "another process")
            from tests import factories
            factories.recruiter(s, name="Late Arrival Manpower Ltd", country="NP", licence="NP-9999/80")
            s.commit()
        """,
    )
    with Session(engine) as s:
        late = s.execute(
            text("SELECT public_id FROM recruiter WHERE legal_name = 'Late Arrival Manpower Ltd'")
        )
        public_id = late.scalar_one()
    assert _status(client, auth, public_id) == "applicant"


def test_a_key_revoked_elsewhere_stops_working_within_seconds(settings, engine, key, auth, world):
    client = _app(settings, engine, 1.0).test_client()
    assert client.get("/api/v1/recruiters", headers=auth).status_code == 200
    prefix = key.split("_")[2]
    _elsewhere(
        engine,
        f"""
        from registry.services import companies
        with Session(engine) as s:
            auditlog.set_actor(s, "another process")
            companies.revoke_by_prefix(s, {prefix!r})
            s.commit()
        """,
    )
    time.sleep(1.1)
    body = assert_problem(client.get("/api/v1/recruiters", headers=auth), 401)
    assert "revoked" in body["detail"]


def test_key_cache_never_outlives_five_seconds(settings, engine):
    app = _app(settings, engine, 300)
    caches = app.extensions["fairrecruit.api_cache"]
    assert caches.recruiters.ttl == 300 and caches.keys.ttl == cache.KEY_SECONDS == 5


def test_recording_key_use_keeps_the_memory(settings, engine, auth, world):
    """Recording that a key was used (a commit) must not empty the memory on every key's first call
    of the minute; any other commit does."""
    app = _app(settings, engine, 300)
    client = app.test_client()
    remembered = app.extensions["fairrecruit.api_cache"].recruiters
    assert _status(client, auth, world.accredited.public_id) == "accredited"
    assert len(remembered) == 1
    with engine.connect() as conn:
        conn.execution_options(**{cache.KEEP: True})
        conn.execute(text("UPDATE api_key SET last_used_at = NULL"))
        conn.commit()
    assert len(remembered) == 1
    # the key's use was recorded in this process a moment ago: the next request answers from memory alone
    assert _status(client, auth, world.accredited.public_id) == "accredited"
    assert len(remembered) == 1
    with engine.connect() as conn:
        conn.execute(text("UPDATE api_key SET last_used_at = NULL"))
        conn.commit()
    assert len(remembered) == 0


@pytest.mark.parametrize("seconds", [-1, 301])
def test_cache_seconds_are_bounded(settings, seconds):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="api_cache_seconds"):
        settings.model_validate({**settings.model_dump(), "api_cache_seconds": seconds})
