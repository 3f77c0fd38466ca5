"""The bot chooses its words from the registry's error codes, never from the English message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot
from bot.parsing import AMOUNT_PROBLEMS, BadInput, parse_amount_text
from registry.errors import InvalidInput
from registry.parsing.money import parse_amount

BOT_DIR = Path(bot.__file__).parent


@pytest.mark.parametrize(
    ("typed", "code", "problem"),
    [
        ("1.2.3", "amount_unreadable", "not_number"),
        ("0", "amount_not_positive", "not_positive"),
        ("-5", "amount_not_positive", "not_positive"),
        ("2000000000000", "amount_too_large", "too_large"),
    ],
)
def test_amount_problems_follow_the_registry_codes(typed, code, problem):
    with pytest.raises(InvalidInput) as raised:
        parse_amount(typed)
    assert raised.value.code == code and AMOUNT_PROBLEMS[code] == problem
    with pytest.raises(BadInput) as told:
        parse_amount_text(f"{typed} NPR", None)
    assert told.value.kind == problem


def test_the_bot_never_reads_an_error_message():
    """No `.message` of an error and no `str(error)` anywhere in the bot: texts come from codes."""
    offenders = []
    for path in sorted(BOT_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        caught = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "message"
                and isinstance(node.value, ast.Name)
            ):
                if node.value.id in caught:
                    offenders.append(f"{path.name}:{node.lineno} {node.value.id}.message")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "str"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in caught
            ):
                offenders.append(f"{path.name}:{node.lineno} str({node.args[0].id})")
    assert offenders == []
