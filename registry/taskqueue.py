"""The task queue as every process sees it: one Celery configuration, and a way to ask the workers for
a task by name.

The workers' app (``workers/app.py``) is configured with :func:`configure`; a process that is not a
worker (web, CLI, bot) sends tasks through :func:`client`, a Celery app that only produces. Tasks are
named here as strings, so the registry never imports the workers package.

Production runs on Redis; the embedded default is kombu's SQLAlchemy transport on a SQLite file
(``sqla+sqlite:///var/broker.db``), so trying FairRecruit out needs no server. Tasks take ids and
re-read state, so redelivery is harmless: acks are late, a task whose worker died is re-queued, a worker
takes one message at a time, and only JSON travels on the wire.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

from registry.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from celery import Celery

log = logging.getLogger(__name__)

DISPATCH_OUTBOX = "workers.tasks.dispatch_outbox"
SWEEP_OUTBOX = "workers.tasks.sweep_outbox"
RUN_CHECK = "workers.tasks.run_check"
ANCHOR_AUDIT_LOG = "workers.tasks.anchor_audit_log"
QUEUE = "fairrecruit"


def _configure_sqlalchemy_transport(settings: Settings) -> None:
    # The SQLAlchemy transport passes broker_transport_options to create_engine(), so its poll interval
    # is a class attribute; and it uses the `noload` loader option that SQLAlchemy 2.1 deprecates.
    from kombu.transport import sqlalchemy as sqla_transport

    sqla_transport.Transport.polling_interval = settings.celery_poll_interval_seconds
    warnings.filterwarnings("ignore", message=".*noload.*", module=r"kombu\..*")
    warnings.filterwarnings("ignore", message=".*noload.*", category=DeprecationWarning)
    try:
        from sqlalchemy.exc import SADeprecationWarning

        warnings.filterwarnings("ignore", message=".*noload.*", category=SADeprecationWarning)
    except ImportError:  # pragma: no cover
        pass


def configure(app: Celery, settings: Settings) -> None:
    """Apply the configuration shared by the workers and every process that sends them tasks."""
    settings.ensure_dirs()
    broker = settings.celery_broker_url
    if broker.startswith("sqla+"):
        _configure_sqlalchemy_transport(settings)
    app.conf.update(
        broker_url=broker,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        result_backend=settings.result_backend or None,
        task_ignore_result=not settings.result_backend,
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        # With late acks, a task interrupted by a lost broker connection is delivered again anyway;
        # cancelling it at once (Celery 6's default) avoids running it twice side by side.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        task_default_queue=QUEUE,
        beat_schedule_filename=str((settings.var_dir / "celerybeat-schedule").resolve()),
    )
    if broker.startswith("redis"):
        # A task unacknowledged for this long is given to another worker (acks_late + Redis).
        app.conf.broker_transport_options = {"visibility_timeout": 3600}


def client(settings: Settings) -> Celery:
    """A Celery app that only sends tasks (for the web, the CLI and the bot)."""
    from celery import Celery

    app = Celery("fairrecruit", broker=settings.celery_broker_url, set_as_current=False)
    configure(app, settings)
    return app


def enqueue(app: Celery, task: str, *, countdown: float | None = None) -> bool:
    """Send `task` (by name); False when the broker cannot be reached.

    Called right after a commit, so it must not hold the caller up: one connection attempt, no retries.
    """
    options = {}
    if app.conf.broker_url.startswith(("redis", "rediss", "amqp")):
        options = {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0}
    try:
        with app.connection_for_write(transport_options=options, connect_timeout=2) as conn:
            app.send_task(task, countdown=countdown, retry=False, ignore_result=True, connection=conn)
        return True
    except Exception:  # noqa: BLE001 - broker down: the beat sweep re-enqueues later
        log.warning(
            "broker unreachable; %s not sent (the outbox sweep catches up later)", task, exc_info=True
        )
        return False
