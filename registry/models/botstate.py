from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from registry.timeutil import utcnow


class BotState(SQLModel, table=True):
    """What the Telegram bot keeps between updates (its persistence): the data of a chat (language,
    an unfinished report) and the step each conversation of a chat is at, as JSON.

    ``kind`` is "chat", "user", "bot", "callback" or "conv:<name>"; ``key`` the chat id, user id or
    conversation key. A chat's rows are erased by /forget; an unfinished report ends after 24 hours.
    """

    __tablename__ = "bot_state"

    kind: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=100)
    data: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)
