"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py registry.wsgi:app`.

This is an entry point, so the settings are read here (from FAIRRECRUIT_* variables), and an
unusable configuration (default secrets in production) stops the server from starting.
"""

from registry import create_app
from registry.settings import load_settings

app = create_app(load_settings())
