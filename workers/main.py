"""Entry module for the celery command line: ``celery -A workers.main:app worker|beat``."""

from registry.settings import load_settings
from workers.app import create_celery, install_logging

_settings = load_settings()
install_logging(_settings)
app = create_celery(_settings)
