"""The bot's persistence in the registry database (python-telegram-bot's BasePersistence): a chat's
unfinished report and the step of each persistent conversation, one JSON row each in ``bot_state``
(a chat without a draft has no row). A restarted bot, or another bot process started later, continues a
half-written report: the rows are read when the bot starts.

Rows are written after every update (``persist_now``), not only at intervals, so a crash loses at most
the update being handled. Values are JSON with tags for the few non-JSON types a draft holds (Decimal,
date, the Draft dataclass, tuples); nothing is unpickled.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, fields
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from telegram import Update
from telegram.ext import Application, BasePersistence, PersistenceInput

from bot.context import BotContext
from bot.services import Draft
from registry.db import session_scope
from registry.models import BotState
from registry.timeutil import utcnow

CHAT = "chat"
CONV = "conv:"
# The keys of a chat's data that are kept: an unfinished report. Nothing else is kept with the chat id
# (the language and the worker's country are kept with the chat's pseudonym, in chat_preference).
KEPT = ("draft", "step", "paused", "touched")


_DELETE_ONE = delete(BotState).where(
    col(BotState.kind) == bindparam("kind"), col(BotState.key) == bindparam("key")
)


@lru_cache(maxsize=4)
def _upsert(dialect: str):
    """INSERT ... ON CONFLICT (kind, key) DO UPDATE: a row written whether it exists or not (PostgreSQL
    and SQLite both have it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(BotState)
    return stmt.on_conflict_do_update(
        index_elements=[BotState.kind, BotState.key],
        set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
    )


def kept(data: dict) -> dict:
    """What is kept of a chat's data: its unfinished report, or nothing."""
    if "draft" not in data:
        return {}
    return {k: data[k] for k in KEPT if k in data}


def _tag(value: Any) -> Any:
    if isinstance(value, Draft):
        return {"$draft": {k: _tag(v) for k, v in asdict(value).items()}}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _tag(v) for k, v in value.items()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$draft":
            known = {f.name for f in fields(Draft)}
            return Draft(**{k: _untag(v) for k, v in inner.items() if k in known})
        if tag == "$dec":
            return Decimal(inner)
        if tag == "$dt":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$tuple":
            return tuple(_untag(v) for v in inner)
    return {k: _untag(v) for k, v in value.items()}


def dumps(value: Any) -> str:
    return json.dumps(_tag(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return _untag(json.loads(text))


class DatabasePersistence(BasePersistence):
    """Chat data and conversation states in ``bot_state``; no user, bot or callback data."""

    def __init__(self, engine: Engine, update_interval: float = 60):
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.engine = engine
        # What each chat's row holds as far as this process knows (None: no row): unchanged data
        # is not written again.
        self._written: dict[str, str | None] = {}
        self._pending: dict[tuple[str, str], str | None] = {}
        self._writing = asyncio.Lock()

    # --- blocking parts, run in a thread ------------------------------------------------------

    def _rows(self, kind: str) -> list[tuple[str, str]]:
        with Session(self.engine) as s:
            return [(r.key, r.data) for r in s.scalars(select(BotState).where(BotState.kind == kind))]

    def _put_many(self, items: dict[tuple[str, str], str | None]) -> None:
        try:
            self._write(items)
        except IntegrityError:
            # Another bot process inserted one of these rows meanwhile: write over it.
            self._write(items)

    def _write(self, items: dict[tuple[str, str], str | None]) -> None:
        """One transaction for all the rows an update changed (its chat data and conversation step): the
        rows kept written over or inserted by one statement, the others deleted."""
        now = utcnow()
        kept_rows = [
            {"kind": kind, "key": key, "data": data, "updated_at": now}
            for (kind, key), data in items.items()
            if data is not None
        ]
        with session_scope(self.engine, write=True) as s:
            conn = s.connection()
            for (kind, key), data in items.items():
                if data is None:
                    conn.execute(_DELETE_ONE, {"kind": kind, "key": key})
            if kept_rows:
                conn.execute(_upsert(conn.dialect.name), kept_rows)

    def _drop_chat(self, chat_id: int) -> None:
        with session_scope(self.engine, write=True) as s:
            s.execute(delete(BotState).where(BotState.kind == CHAT, BotState.key == str(chat_id)))

    # --- BasePersistence ----------------------------------------------------------------------

    async def get_chat_data(self) -> dict[int, dict]:
        rows = await asyncio.to_thread(self._rows, CHAT)
        self._written.update(dict(rows))
        return {int(key): loads(data) for key, data in rows}

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        text = dumps(kept(data)) if kept(data) else None
        key = str(chat_id)
        if self._written.get(key) == text:
            return  # unchanged since it was last written or read at start (no key: the chat has no row)
        self._pending[(CHAT, key)] = text
        self._written[key] = text

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Nothing to read before an update: every chat's row was read at start (``get_chat_data``) and
        this process writes every change itself. One bot process serves a bot token at a time (Telegram
        hands updates to one long poll or one webhook), so no other process writes these rows meanwhile;
        a process started later reads them at its start. (Reading the row before each update cost the
        bot a database round trip and a thread hop per update.)"""

    async def drop_chat_data(self, chat_id: int) -> None:
        await asyncio.to_thread(self._drop_chat, chat_id)
        self._written[str(chat_id)] = None

    async def get_conversations(self, name: str) -> dict:
        rows = await asyncio.to_thread(self._rows, CONV + name)
        return {tuple(json.loads(key)): json.loads(data) for key, data in rows}

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        data = None if new_state is None else json.dumps(new_state)
        self._pending[(CONV + name, json.dumps(list(key)))] = data

    async def write_pending(self) -> None:
        """Write what update_chat_data and update_conversation collected, in one transaction."""
        # One writer at a time: a chat whose rows another call is writing waits until they are stored
        # (its next update reads them back).
        async with self._writing:
            if not self._pending:
                return
            items, self._pending = self._pending, {}
            try:
                await asyncio.to_thread(self._put_many, items)
            except BaseException:
                # Not stored (the database is out of reach): written with the next update's rows, where
                # a newer value of the same row wins. The chat goes on from its data in memory.
                for item, data in items.items():
                    self._pending.setdefault(item, data)
                raise

    async def get_user_data(self) -> dict:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict) -> None:
        pass

    async def update_bot_data(self, data: dict) -> None:
        pass

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def drop_user_data(self, user_id: int) -> None:
        pass

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict) -> None:
        pass

    async def flush(self) -> None:
        await self.write_pending()


async def persist_now(update: Update, context: BotContext) -> None:
    """After every handler: write what this update changed (chat data, conversation step)."""
    app = context.application
    if app.persistence is None:
        return
    if update.effective_chat is not None:  # (the Application marks it only after every group)
        app.mark_data_for_update_persistence(chat_ids=update.effective_chat.id)
    await save(app)


async def save(app: Application) -> None:
    """Write the chats' data and conversation steps that changed, now."""
    await app.update_persistence()
    if isinstance(app.persistence, DatabasePersistence):
        await app.persistence.write_pending()
