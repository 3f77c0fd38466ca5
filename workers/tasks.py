"""Thin tasks: parse ids, call one registry service, commit once. Safe to run twice.

The app (``workers.app.FairRecruitCelery``) finds this module through ``include``; the tasks reach its
settings, engine and ``enqueue_dispatch`` through ``self.app``.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from registry import taskqueue
from registry.db import commit_and_go_on, session_scope
from registry.services import auditlog, checks, delivery
from registry.timeutil import today

log = logging.getLogger(__name__)


@shared_task(bind=True, name=taskqueue.RUN_CHECK)
def run_check(self, name: str, as_of: str | None = None) -> dict:
    """Run one compliance check (as of today unless a date is given) and commit its changes (long work
    chunk by chunk)."""
    day = date.fromisoformat(as_of) if as_of else today()
    with session_scope(self.app.engine, write=True) as session:
        result = checks.run(
            session, name, as_of=day, settings=self.app.settings, checkpoint=lambda: commit_and_go_on(session)
        )
    log.info("%s", result.summary())
    return {"check": name, "as_of": day.isoformat(), "changed": result.changed, "counts": dict(result.counts)}


@shared_task(bind=True, name=taskqueue.ANCHOR_AUDIT_LOG)
def anchor_audit_log(self) -> int:
    """Beat job: pin the head of every audit-log chain that moved since the last anchor."""
    with session_scope(self.app.engine, write=True) as session:
        pinned = auditlog.anchor(session)
    log.info("audit log: anchored %d chains", pinned)
    return pinned


@shared_task(bind=True, name=taskqueue.DISPATCH_OUTBOX)
def dispatch_outbox(self) -> dict:
    """Deliver due outbox messages; schedule a follow-up for the next retry when one is waiting."""
    result = delivery.dispatch_due(self.app.engine, self.app.settings)
    log.info("outbox: %s", result)
    sweep = self.app.settings.outbox_sweep_seconds
    if result.next_due_in is not None and result.next_due_in < sweep:
        self.app.enqueue_dispatch(countdown=result.next_due_in)
    return {"delivered": result.delivered, "failed": result.failed, "dead": result.dead}


@shared_task(bind=True, name=taskqueue.SWEEP_OUTBOX)
def sweep_outbox(self) -> int:
    """Beat job: if anything is due (e.g. its dispatch was lost in a broker outage), enqueue a dispatch."""
    with session_scope(self.app.engine) as session:
        due = delivery.undelivered(session)
    if due:
        self.app.enqueue_dispatch()
    return due
