"""/start in each language, the language picker, the deep link, /help and /privacy."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.i18n import gettext_for
from registry.models import ChatPreference
from registry.services.reports import pseudonym

WELCOME = "Welcome to FairRecruit. I help workers check recruiters and report fees they should not have paid."


@pytest.mark.parametrize(
    ("language_code", "lang"),
    [
        ("en", "en"),
        ("ne", "ne"),
        ("bn", "bn"),
        ("tl", "tl"),
        ("id", "id"),
        ("fil", "tl"),
        ("bn-BD", "bn"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_start_speaks_the_telegram_language_and_offers_a_picker(bot, language_code, lang):
    r = bot.chat(language_code).send("/start")
    expected = gettext_for(lang)(WELCOME)
    assert expected in r.text
    if lang != "en":
        assert WELCOME not in r.text
    assert r.callback_data == ["lang:en", "lang:ne", "lang:bn", "lang:tl", "lang:id"]
    assert {b.lstrip("✓ ") for b in r.buttons} == {"English", "नेपाली", "বাংলা", "Tagalog", "Bahasa Indonesia"}
    # never asks who the worker is
    for word in ("your name?", "phone number?", "passport number?"):
        assert word not in r.text.lower()


def test_language_picker_switches_and_is_remembered_by_pseudonym(bot):
    chat = bot.chat("en")
    chat.send("/start")
    r = chat.tap("lang:bn")
    assert "আমি বাংলায় লিখব" in r.text
    assert sorted(c.method for c in r) == ["answerCallbackQuery", "editMessageText"]
    assert gettext_for("bn")("What I can do:") in chat.send("/help").text
    with Session(bot.services.engine) as s:
        prefs = s.exec(select(ChatPreference)).all()
    assert [(p.reporter_key, p.language) for p in prefs] == [
        (pseudonym(bot.settings.pseudonym_key, chat.id), "bn")
    ]
    assert str(chat.id) not in prefs[0].reporter_key


def test_language_command_shows_the_picker(bot):
    chat = bot.chat("id")
    r = chat.send("/language")
    assert "Pilih bahasa Anda:" in r.text
    assert "lang:id" in r.callback_data
    r = chat.tap("lang:ne")
    assert "म नेपालीमा लेख्नेछु" in r.text


def test_deep_link_opens_the_recruiters_card(bot, registry_data):
    pid = registry_data["ok"]
    r = bot.chat("en").send(f"/start v_{pid}")
    assert "Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert "Accredited until" in r.text
    assert f"fol:{pid}" in r.callback_data and f"rep:{pid}" in r.callback_data


def test_deep_link_in_nepali(bot, registry_data):
    pid = registry_data["suspended"]
    r = bot.chat("ne").send(f"/start v_{pid}")
    assert "मान्यता निलम्बित" in r.text
    assert "कुनै शुल्क नतिर्नुहोस्" in r.text


def test_deep_link_to_an_unknown_id_warns(bot, registry_data):
    r = bot.chat("en").send("/start v_RA-ZZZZZ")
    assert "is not in the FairRecruit registry" in r.text
    assert "licence register" in r.text


def test_help_lists_every_command(bot):
    text = bot.chat("en").send("/help").text
    for cmd in ("/verify", "/report", "/mycases", "/follow", "/language", "/privacy", "/forget", "/cancel"):
        assert cmd in text


def test_privacy_says_what_how_long_and_who(bot):
    text = bot.chat("tl").send("/privacy").text
    assert str(bot.settings.retention_days) in text
    assert "/forget" in text
    assert (
        gettext_for("tl")(
            "What we keep: the reports you send (recruiter, fee, amount, dates, countries, "
            "and the receipt photo if you send one)."
        )
        in text
    )


def test_cancel_outside_a_flow(bot):
    assert "There is nothing to stop" in bot.chat("en").send("/cancel").text


def test_sticker_outside_a_flow_is_explained(bot):
    r = bot.chat("bn").sticker()
    assert r.text == gettext_for("bn")("Sorry, I cannot read stickers. Send /help to see what I can do.")


def test_stale_button_is_answered(bot):
    chat = bot.chat("en")
    r = chat.tap("r:cat:medical", message_id=999999)  # a report button: what to do next
    assert (
        "This report is no longer open. Nothing was saved from it. Send /report to start a new one." in r.text
    )
    assert "answerCallbackQuery" in [c.method for c in r]
    r = chat.tap("zz:unknown", message_id=999999)  # any other button
    assert [c.method for c in r] == ["answerCallbackQuery"]
    assert r[0].params["text"] == "This button is no longer active. Send /help to see what I can do."


def test_command_menu_is_set_in_each_language(bot):
    calls = [c for c in bot.api.calls if c.method == "setMyCommands"]
    langs = {c.params.get("language_code") for c in calls}
    assert langs == {None, "ne", "bn", "tl", "id"}
    ne = next(c for c in calls if c.params.get("language_code") == "ne")
    assert {"command": "report", "description": gettext_for("ne")("Report a fee you paid")} in ne.params[
        "commands"
    ]
