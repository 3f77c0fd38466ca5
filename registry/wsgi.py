"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py registry.wsgi:app`.

This is an entry point, so the settings are read here (from FAIRRECRUIT_* variables), and an
unusable configuration (default secrets in production) stops the server from starting.

The recruiter search index is built here, before the server takes requests: config/gunicorn.conf.py
preloads this module in gunicorn's master process, so the index is built once and every worker forked
from the master (at start, and when one is replaced after max_requests) has it from its first request.
"""

import gc
import logging
import time

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from registry import create_app, logs
from registry.services import name_index
from registry.settings import load_settings

log = logging.getLogger(__name__)


def warm(app) -> None:
    """Build the search index; then close the pool's connections, so no worker inherits one."""
    engine = app.extensions["fairrecruit.engine"]
    started = time.perf_counter()
    try:
        with Session(engine) as session:
            n = name_index.warm(session)
        log.info("search index of %d recruiters built in %.1f s", n, time.perf_counter() - started)
    except SQLAlchemyError as err:  # no schema yet, or the database is down: the first search builds it
        log.warning("search index not built at start (%s)", type(err).__name__)
    finally:
        engine.dispose()


_settings = load_settings()
logs.setup(_settings)
app = create_app(_settings)
warm(app)
# Everything loaded so far (modules, the app, its route and template tables, the search index) lives as
# long as the process: keep the garbage collector from walking it again on every full collection (shorter
# pauses), and from touching the pages the workers share with the master.
gc.freeze()
