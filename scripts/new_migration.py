"""Autogenerate a migration against a scratch SQLite database migrated to head.

Usage: python scripts/new_migration.py "message"
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from registry.db import make_engine
from registry.migrate import alembic_config, upgrade

msg = sys.argv[1] if len(sys.argv) > 1 else "schema change"
with tempfile.TemporaryDirectory() as d:
    url = f"sqlite:///{Path(d) / 'scratch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=msg, autogenerate=True)
