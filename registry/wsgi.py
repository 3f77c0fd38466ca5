"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py registry.wsgi:app`.

This is an entry point, so the settings are read here (from FAIRRECRUIT_* variables), and an
unusable configuration (default secrets in production) stops the server from starting.
"""

import gc

from registry import create_app, logs
from registry.settings import load_settings

_settings = load_settings()
logs.setup(_settings)
app = create_app(_settings)
# Everything loaded so far (modules, the app, its route and template tables) lives as long as the process:
# keep the garbage collector from walking it again on every full collection (shorter pauses).
gc.freeze()
