"""`fairrecruit` commands: seed."""

from __future__ import annotations

import click  # noqa: F401

from registry.cli import main, pass_ctx  # noqa: F401
