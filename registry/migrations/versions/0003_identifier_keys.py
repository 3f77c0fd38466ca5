"""identifier keys: recruiter.licence_key and licence_record.licence_key, indexed and backfilled

Revision ID: 0003
Revises: 0002

Licence numbers are matched on a comparison key (case, separators, digit scripts and leading words
such as "licence no." ignored). The key function is copied here as it is at this revision, so the
backfill never depends on live code.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("recruiter", "licence_record")
BATCH = 5000

# --- the licence key at this revision (registry/services/identifiers.py) -----------------------------

LICENCE_KEY_MAX = 160
LEADING_WORDS = (
    "licence",
    "licences",
    "license",
    "licenses",
    "lic",
    "no",
    "nos",
    "number",
    "num",
    "nr",
    "reg",
    "registration",
    "लाइसेन्स",
    "लाइसेंस",
    "इजाजतपत्र",
    "नं",
    "नम्बर",
    "नंबर",
    "संख्या",
    "লাইসেন্স",
    "নং",
    "নম্বর",
    "নাম্বার",
)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


_WORDS = sorted({_fold(w) for w in LEADING_WORDS}, key=len, reverse=True)
_LEADING = re.compile(
    r"^(?:[\s#:.\-]*(?:" + "|".join(map(re.escape, _WORDS)) + r")(?:[\s#:.º°\-]+|(?=\d)))+"
)
_HAS_DIGIT = re.compile(r"\d")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


def _alnum(text: str) -> str:
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("", text)
    return "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch)[0] == "M")


def licence_key(text: str | None) -> str:
    folded = _fold(text or "")
    rest = _LEADING.sub("", folded)
    key = _alnum(rest if rest != folded and _HAS_DIGIT.search(rest) else folded)
    return key[:LICENCE_KEY_MAX]


# --- schema ------------------------------------------------------------------------------------------


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "licence_key",
                    sqlmodel.sql.sqltypes.AutoString(length=160),
                    server_default="",
                    nullable=False,
                )
            )
    conn = op.get_bind()
    for table in TABLES:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column("licence_number"), sa.column("licence_key"))
        update = (
            sa.update(t).where(t.c.id == sa.bindparam("row_id")).values(licence_key=sa.bindparam("key"))
        )
        last = 0
        while True:
            rows = conn.execute(
                sa.select(t.c.id, t.c.licence_number).where(t.c.id > last).order_by(t.c.id).limit(BATCH)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            keys = [{"row_id": i, "key": k} for i, number in rows if (k := licence_key(number))]
            if keys:
                conn.execute(update, keys)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_licence_key"), ["licence_key"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_licence_key"))
            batch_op.drop_column("licence_key")
