"""The Celery app of the workers, configured from the registry settings (never from the environment at
import time).

:class:`FairRecruitCelery` owns the settings, the database engine (one per worker process, made on
first use) and ``enqueue_dispatch``; its tasks (``workers.tasks``) are found through ``include`` and
reach all of this through ``self.app``, so this module and the tasks module do not import each other.
The broker and delivery guarantees are those of ``registry.taskqueue``, shared with every process that
sends tasks.
"""

from __future__ import annotations

from celery import Celery
from sqlalchemy.engine import Engine

from registry import logs, taskqueue
from registry.services import outbox
from registry.settings import Settings
from workers import schedule

TASK_MODULES = ["workers.tasks"]


class FairRecruitCelery(Celery):
    def __init__(self, settings: Settings, main: str = "fairrecruit", **kwargs):
        settings.ensure_dirs()
        kwargs.setdefault("include", TASK_MODULES)
        kwargs.setdefault("set_as_current", False)
        super().__init__(main, broker=settings.celery_broker_url, **kwargs)
        self.settings = settings
        self._engine: Engine | None = None
        taskqueue.configure(self, settings)
        self.conf.beat_schedule = schedule.beat_schedule(settings)

    def __reduce_keys__(self) -> dict:
        return {**super().__reduce_keys__(), "settings": self.settings}

    @property
    def engine(self):
        """The database engine, created on first use (one per worker process)."""
        if self._engine is None:
            from registry.db import make_engine

            self._engine = make_engine(self.settings)
        return self._engine

    def dispose_engine(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def enqueue_dispatch(self, countdown: float | None = None) -> bool:
        """Ask a worker to deliver due outbox messages; False when the broker cannot be reached."""
        return taskqueue.enqueue(self, taskqueue.DISPATCH_OUTBOX, countdown=countdown)


def create_celery(settings: Settings, *, install_commit_hook: bool = True) -> FairRecruitCelery:
    """The workers' app; with install_commit_hook, this process enqueues a dispatch after each commit
    that wrote outbox messages (a check task that suspends recruiters writes messages too)."""
    app = FairRecruitCelery(settings)
    if install_commit_hook:
        outbox.install_dispatch_after_commit(settings, app)
    return app


def install_logging(settings: Settings) -> None:
    """Mask secrets in every log record of a worker or beat process: now, and again once Celery has
    set up its own log handlers (the HTTP client loggers stay quiet)."""
    from celery import signals

    logs.setup(settings)

    def again(**_kwargs) -> None:
        logs.install_on_handlers()
        logs.quiet_http_clients()

    for signal in (signals.after_setup_logger, signals.after_setup_task_logger):
        signal.connect(again, weak=False)
    signals.worker_process_init.connect(again, weak=False)
    signals.beat_init.connect(again, weak=False)
    signals.worker_ready.connect(again, weak=False)
