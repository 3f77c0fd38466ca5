"""What a request body may be, checked cheaply before a model validates it: its size (each operation's
largest legal body), its nesting depth, and its keys.

A hostile body (megabytes of unknown keys, deep nesting) is refused after one pass over its keys, without
pydantic building an error per key; a refusal lists at most MAX_LISTED_ERRORS fields.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import islice
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, RootModel

# What the request models (``schemas``) accept at most.
MAX_ITEMS = 10_000  # ids or licences in one request
MAX_ID_LENGTH = 40  # a public id as typed (spaces, separators), as in the path parameter
MAX_LICENCE = 80  # characters of a licence number
MAX_URL_LENGTH = 500  # a webhook URL
MAX_LISTED_ERRORS = 20  # a refusal lists at most this many invalid fields (and counts them all)

# --- body limits --------------------------------------------------------------------------------
# The largest legal body of each operation, in bytes, refused beyond it before it is parsed (413).
# An entry is sized as if each of its characters were written as a JSON \uXXXX escape (6 bytes) and it
# were indented on lines of its own, so no legal body is ever refused for its size.
ESCAPED_CHAR = 6
ENTRY_LAYOUT = 64  # quotes, separators, key names and indentation around one entry
BODY_SLACK = 1024
ID_ENTRY_BYTES = MAX_ID_LENGTH * ESCAPED_CHAR + ENTRY_LAYOUT
LICENCE_ENTRY_BYTES = (2 + MAX_LICENCE) * ESCAPED_CHAR + 2 * ENTRY_LAYOUT
VERIFY_BODY_LIMIT = MAX_ITEMS * max(ID_ENTRY_BYTES, LICENCE_ENTRY_BYTES) + BODY_SLACK
SUPPLIER_IDS_BODY_LIMIT = MAX_ITEMS * ID_ENTRY_BYTES + BODY_SLACK
WEBHOOK_BODY_LIMIT = (MAX_URL_LENGTH + 3 * 30) * ESCAPED_CHAR + 4 * ENTRY_LAYOUT + BODY_SLACK
# Deepest legal body: {"licences": [{"number": "..."}]} is 3 levels; anything deeper than this is refused.
MAX_BODY_DEPTH = 8


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether `data` (parsed JSON) nests lists and objects deeper than `limit` levels (depth first: a
    hostile body is found out on its first deep branch)."""
    if not isinstance(data, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold directly (X, X | Y, Optional[X])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, UnionType):
        return [m for arg in get_args(annotation) for m in _models_of(arg)]
    return []


@lru_cache(maxsize=64)
def known_keys(model: type[BaseModel]) -> tuple[frozenset[str], dict[str, type[BaseModel]]] | None:
    """For a model that forbids unknown keys: the keys its body may have, and for each key whose value is
    a list of objects, the model of those objects (checked the same way). None when it allows any key."""
    root = issubclass(model, RootModel)
    variants = _models_of(model.model_fields["root"].annotation) if root else [model]
    keys: set[str] = set()
    items: dict[str, type[BaseModel]] = {}
    for variant in variants:
        if variant.model_config.get("extra") != "forbid":
            return None
        for name, info in variant.model_fields.items():
            keys.add(info.alias or name)
            if get_origin(info.annotation) is list:
                inner = _models_of(get_args(info.annotation)[0])
                if len(inner) == 1:
                    items[info.alias or name] = inner[0]
    return frozenset(keys), items


def unknown_key_errors(model: type[BaseModel], data: Any) -> tuple[list[dict], int]:
    """Keys of `data` that `model` does not know (at top level and in lists of objects): at most
    MAX_LISTED_ERRORS of them as field errors, and how many there are in all. Set operations over the
    keys, before the model validates anything: no work per unknown key beyond counting it."""
    shape = known_keys(model)
    if shape is None or not isinstance(data, dict):
        return [], 0
    allowed, items = shape
    fields: list[str] = []
    count = len(data) - len(data.keys() & allowed)
    if count:
        fields.extend(islice((str(k) for k in data if k not in allowed), MAX_LISTED_ERRORS))
    for key, item_model in items.items():
        entries = data.get(key)
        item_shape = known_keys(item_model)
        if not isinstance(entries, list) or item_shape is None:
            continue
        item_keys = item_shape[0]
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and not entry.keys() <= item_keys:
                extra = len(entry) - len(entry.keys() & item_keys)
                count += extra
                if len(fields) < MAX_LISTED_ERRORS:
                    unknown = (f"{key}.{i}.{k}" for k in entry if k not in item_keys)
                    fields.extend(islice(unknown, MAX_LISTED_ERRORS - len(fields)))
    errors = [
        {"field": f, "message": "Extra inputs are not permitted", "type": "extra_forbidden"} for f in fields
    ]
    return errors, count
