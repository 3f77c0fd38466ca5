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
    assert "No agency has exactly this name. Did you mean one of these?" in r.text
    assert "Fake agencies copy the names of real ones." in r.text
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
    assert "https://dofe.gov.np" in r.text  # the government registers to check


def test_a_look_alike_name_gets_candidates_never_the_real_card(bot, registry_data):
    """A fake agency using one word of a real name and another generic word."""
    chat = bot.chat("en")
    for text in ("Himal Overseas", "Himal Manpower", "Himal Sunrise International", "Himal", "Coral Bay"):
        r = chat.send(text)
        assert "✅" not in r.text and "⛔" not in r.text, text
        if "No agency has exactly this name" in r.text:
            # each candidate with its full legal name, country and licence number; one tap to its card
            assert "Fake agencies copy the names of real ones." in r.text
            assert "licence number T-" in r.text
            assert "v:none" in r.callback_data
    r = chat.send("Himal Overseas")
    assert "• Himal Sunrise Overseas Pvt. Ltd., Nepal, licence number T-" in r.text
    assert f"card:{registry_data['ok']}" in r.callback_data
    assert "✅ Accredited until" in chat.tap(f"card:{registry_data['ok']}").text


def test_candidate_buttons_name_the_country_in_the_workers_language(bot, registry_data):
    for lang, nepal in (("en", "(Nepal)"), ("bn", "(নেপাল)"), ("ne", "(नेपाल)")):
        r = bot.chat(lang).send("Himal Overseas")
        assert any(b.endswith(nepal) for b in r.buttons), (lang, r.buttons)
        assert not any(b.endswith("(NP)") for b in r.buttons), (lang, r.buttons)


GREETINGS = {
    "en": ["hello", "thanks", "help", "menu", "agent"],
    "ne": ["नमस्ते", "namaste", "धन्यवाद"],
    "bn": ["আসসালামু আলাইকুম", "ধন্যবাদ", "salam"],
    "id": ["halo", "terima kasih", "selamat pagi"],
    "tl": ["kumusta", "salamat po", "magandang umaga"],
}


def test_greetings_and_help_get_the_help_text_in_every_language(bot, registry_data):
    for lang, texts in GREETINGS.items():
        chat = bot.chat(lang)
        help_line = gettext_for(lang)("You can also just type a recruiter's name.")
        not_listed = gettext_for(lang)("❓ “{query}” is not in the FairRecruit registry.").split("{query}")[0]
        for text in texts:
            r = chat.send(text)
            assert help_line in r.text, (lang, text)
            assert not_listed not in r.text and r.callback_data == [], (lang, text)


def test_the_name_inside_a_question_gives_the_card(bot, registry_data):
    for lang, text in [
        ("en", "is Himal Sunrise Overseas safe?"),
        ("id", "apakah Himal Sunrise Overseas resmi?"),
        ("tl", "ligtas ba ang Himal Sunrise Overseas?"),
        ("ne", "Himal Sunrise Overseas ठिक छ?"),
        ("bn", "Himal Sunrise Overseas কি নিরাপদ?"),
    ]:
        r = bot.chat(lang).send(text)
        assert "Himal Sunrise Overseas Pvt. Ltd. (" in r.text, text
        assert r.callback_data == [f"fol:{registry_data['ok']}", f"rep:{registry_data['ok']}"], text


def test_the_card_shows_what_tells_the_real_agency_from_an_impersonator(bot, registry_data):
    from registry.db import session_scope
    from registry.models import Recruiter
    from registry.services import auditlog
    from tests import factories

    with session_scope(bot.services.engine) as s:
        auditlog.set_actor(s, "test")
        rec = s.get(Recruiter, registry_data["ok_id"])
        rec.official_address = "Gongabu 4, Kathmandu"
        rec.official_phone = "+977 1 4000000"
        sub = factories.recruiter(s, name="Dhading Village Brokers", country="NP")
        sub.parent_id = rec.id
        sub_id, licence = sub.public_id, rec.licence_number
    text = bot.chat("en").send(f"/verify {registry_data['ok']}").text
    assert f"Licence number: {licence} (DoFE)." in text
    assert "Official address: Gongabu 4, Kathmandu" in text
    assert "Official phone: +977 1 4000000" in text
    assert (
        "Sends workers: Nepal → Qatar, Nepal → Malaysia" in text
        or "Sends workers: Nepal → Malaysia, Nepal → Qatar" in text
    )
    sub_text = bot.chat("en").send(f"/verify {sub_id}").text
    assert (
        f"This is a sub-agent. It works for Himal Sunrise Overseas Pvt. Ltd. ({registry_data['ok']})."
        in sub_text
    )


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
