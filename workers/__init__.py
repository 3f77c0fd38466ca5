"""Celery app, beat schedule and thin tasks calling registry services."""
