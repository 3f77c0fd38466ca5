"""Thin tasks: parse ids, call one registry service, commit once. Safe to run twice."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from registry.db import session_scope
from registry.services import checks, outbox
from registry.timeutil import today
from workers.app import engine_of, enqueue_dispatch

log = logging.getLogger(__name__)


@shared_task(bind=True, name="workers.tasks.run_check")
def run_check(self, name: str, as_of: str | None = None) -> dict:
    """Run one compliance check (as of today unless a date is given) and commit its changes."""
    day = date.fromisoformat(as_of) if as_of else today()
    with session_scope(engine_of(self.app), write=True) as session:
        result = checks.run(session, name, as_of=day, settings=self.app.fr_settings)
    log.info("%s", result.summary())
    return {"check": name, "as_of": day.isoformat(), "changed": result.changed, "counts": dict(result.counts)}


def follower_text():
    """The bot's localized follower notification (bot/notify.py), when the bot package is installed."""
    try:
        from bot.notify import status_change_text
    except ImportError:  # pragma: no cover - the registry's English text is used
        return None
    return status_change_text


@shared_task(bind=True, name="workers.tasks.dispatch_outbox")
def dispatch_outbox(self) -> dict:
    """Deliver due outbox messages; schedule a follow-up for the next retry when one is waiting."""
    result = outbox.dispatch_due(engine_of(self.app), self.app.fr_settings, text_fn=follower_text())
    log.info("outbox: %s", result)
    sweep = self.app.fr_settings.outbox_sweep_seconds
    if result.next_due_in is not None and result.next_due_in < sweep:
        enqueue_dispatch(self.app, countdown=result.next_due_in)
    return {"delivered": result.delivered, "failed": result.failed, "dead": result.dead}


@shared_task(bind=True, name="workers.tasks.sweep_outbox")
def sweep_outbox(self) -> int:
    """Beat job: if anything is due (e.g. its dispatch was lost in a broker outage), enqueue a dispatch."""
    with session_scope(engine_of(self.app)) as session:
        due = outbox.undelivered(session)
    if due:
        enqueue_dispatch(self.app)
    return due
