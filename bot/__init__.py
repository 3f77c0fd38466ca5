"""Telegram front end for migrant workers (python-telegram-bot v22)."""
