"""Beat schedule: each compliance check declares its crontab next to its code (registry.services.checks);
this module collects them. Every entry expires, so a backlog after downtime does not pile up."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from registry import taskqueue
from registry.services.checks import CHECKS
from registry.settings import Settings


def beat_schedule(settings: Settings) -> dict:
    entries = {}
    for name, check in CHECKS.items():
        entries[f"check:{name}"] = {
            "task": taskqueue.RUN_CHECK,
            "schedule": crontab(**check.schedule),
            "args": (name,),
            # a run that has not started within 50 minutes is skipped; the next one catches up
            "options": {"expires": 50 * 60},
        }
    entries["audit-log:anchor"] = {
        "task": taskqueue.ANCHOR_AUDIT_LOG,
        "schedule": timedelta(seconds=settings.audit_anchor_seconds),
        "options": {"expires": max(1, settings.audit_anchor_seconds)},
    }
    entries["outbox:sweep"] = {
        "task": taskqueue.SWEEP_OUTBOX,
        "schedule": timedelta(seconds=settings.outbox_sweep_seconds),
        "options": {"expires": max(1, settings.outbox_sweep_seconds)},
    }
    return entries
