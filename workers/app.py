"""The Celery app, configured from the registry settings (never from the environment at import time).

Production runs on Redis; the embedded default is kombu's SQLAlchemy transport on a SQLite file
(``sqla+sqlite:///var/broker.db``), so trying FairRecruit out needs no server. Tasks take ids and
re-read state, so redelivery is harmless: acks are late, a task whose worker died is re-queued, a worker
takes one message at a time, and only JSON travels on the wire.
"""

from __future__ import annotations

import logging
import warnings

from celery import Celery

from registry.settings import Settings

log = logging.getLogger(__name__)

DISPATCH_TASK = "workers.tasks.dispatch_outbox"


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


def create_celery(settings: Settings, *, install_commit_hook: bool = True) -> Celery:
    settings.ensure_dirs()
    broker = settings.celery_broker_url
    if broker.startswith("sqla+"):
        _configure_sqlalchemy_transport(settings)
    app = Celery("fairrecruit", broker=broker, set_as_current=False)
    app.conf.update(
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
        worker_hijack_root_logger=False,
        task_default_queue="fairrecruit",
        beat_schedule_filename=str((settings.var_dir / "celerybeat-schedule").resolve()),
    )
    if broker.startswith("redis"):
        # A task unacknowledged for this long is given to another worker (acks_late + Redis).
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
    app.fr_settings = settings
    app.fr_engine = None

    from workers import schedule, tasks  # noqa: F401  (registers the tasks on this app)

    app.conf.beat_schedule = schedule.beat_schedule(settings)
    if install_commit_hook:
        install_after_commit_dispatch(app)
    return app


def engine_of(app: Celery):
    """The app's database engine, created on first use (one per worker process)."""
    if getattr(app, "fr_engine", None) is None:
        from registry.db import make_engine

        app.fr_engine = make_engine(app.fr_settings)
    return app.fr_engine


def enqueue_dispatch(app: Celery, countdown: float | None = None) -> bool:
    """Ask a worker to deliver due outbox messages; False when the broker cannot be reached.

    Called right after a commit, so it must not hold the caller up: one connection attempt, no retries.
    """
    options = {}
    if app.conf.broker_url.startswith(("redis", "rediss", "amqp")):
        options = {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0}
    try:
        with app.connection_for_write(transport_options=options, connect_timeout=2) as conn:
            app.send_task(
                DISPATCH_TASK, countdown=countdown, retry=False, ignore_result=True, connection=conn
            )
        return True
    except Exception:  # noqa: BLE001 - broker down: the beat sweep re-enqueues later
        log.warning("broker unreachable; outbox messages stay pending until the next sweep", exc_info=True)
        return False


def install_after_commit_dispatch(app: Celery) -> None:
    """After a commit that wrote outbox messages, enqueue a dispatch (the edge's after-commit step)."""
    from registry.services import outbox

    outbox.set_commit_hook(lambda: enqueue_dispatch(app))
