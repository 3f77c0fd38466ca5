"""Entry module for the celery command line: ``celery -A workers.main:app worker|beat``."""

from registry.settings import load_settings
from workers.app import create_celery

app = create_celery(load_settings())
