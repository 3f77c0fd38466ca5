"""/verify: candidates as buttons, status cards in plain language with what to do."""

from __future__ import annotations

from bot.i18n import gettext_for


def test_verify_by_public_id_shows_the_card(bot, registry_data):
    pid = registry_data["ok"]
    r = bot.chat("en").send(f"/verify {pid.lower()}")
    assert "Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert "✅ Accredited until" in r.text
    assert "must not ask you for any fee" in r.text
    assert "Government licence: not checked yet." in r.text
    assert r.callback_data == [f"fol:{pid}", f"rep:{pid}"]


def test_verify_asks_then_offers_up_to_five_candidates(bot, registry_data):
    chat = bot.chat("en")
    r = chat.send("/verify")
    assert "Send the recruiter's name, licence number or FairRecruit ID" in r.text
    r = chat.send("Everest Bridge Employment")
    assert "Which one is it?" in r.text
    cards = [d for d in r.callback_data if d.startswith("card:")]
    assert sorted(cards) == sorted(f"card:{p}" for p in registry_data["similar"])
    assert len(cards) <= 5
    assert "v:none" in r.callback_data
    r = chat.tap(cards[0])
    assert "Applied for accreditation, not accredited yet" in r.text
    assert "Pay no fee" in r.text
    assert sorted(c.method for c in r) == ["answerCallbackQuery", "editMessageText"]


def test_none_of_these_warns(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/verify Everest Bridge Employment")
    r = chat.tap("v:none")
    assert "“Everest Bridge Employment” is not in the FairRecruit registry" in r.text


def test_suspended_card_says_pay_no_fee(bot, registry_data):
    r = bot.chat("en").send(f"/verify {registry_data['suspended']}")
    assert "⛔ Accreditation suspended since" in r.text
    assert "Pay no fee to this recruiter" in r.text


def test_not_listed_says_be_careful_and_check_the_register(bot, registry_data):
    r = bot.chat("en").send("/verify Totally Unknown Placement House")
    assert "is not in the FairRecruit registry" in r.text
    assert "check the recruiter in your government's licence register" in r.text
    assert r.callback_data == []


def test_card_in_tagalog_with_localized_date(bot, registry_data):
    r = bot.chat("tl").send(f"/verify {registry_data['ok']}")
    assert "✅ Accredited hanggang" in r.text
    assert gettext_for("tl")("Government licence: {status}.").split(":")[0] in r.text


def test_plain_text_outside_a_flow_is_a_search(bot, registry_data):
    r = bot.chat("en").send("himal sunrise overseas")
    assert "Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert "Accredited until" in r.text


def test_transliterated_name_is_found(bot, registry_data):
    r = bot.chat("ne").send("/verify Himal Sunrise Oversees")
    assert "Himal Sunrise Overseas Pvt. Ltd." in r.text


def test_sticker_while_asked_for_a_name_gets_the_question_again(bot, registry_data):
    chat = bot.chat("id")
    chat.send("/verify")
    r = chat.sticker()
    _ = gettext_for("id")
    assert _("Sorry, I cannot read stickers.") in r.text
    assert _("Send the recruiter's name, licence number or FairRecruit ID (like RA-7K3Q9).") in r.text
    r = chat.send("Himal Sunrise")  # still in the flow
    assert "Himal Sunrise Overseas Pvt. Ltd." in r.text


def test_photo_while_asked_for_a_name_gets_the_question_again(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/verify")
    r = chat.photo()
    assert "Please send text." in r.text and "licence number" in r.text


def test_cancel_leaves_verify(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/verify")
    assert "OK, stopped" in chat.send("/cancel").text
    r = chat.sticker()
    assert "Send /help" in r.text  # outside the flow again


def test_another_command_during_verify_runs_that_command(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/verify")
    r = chat.send("/help")
    assert "What I can do:" in r.text
