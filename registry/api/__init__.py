"""Supply-chain API (/api/v1). Filled in by the API work."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
