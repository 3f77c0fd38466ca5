"""The message a follower gets when a recruiter's status changes, and the one a worker gets when their
report is decided: a whole message per status or outcome in every language, from the registry's own
catalogs (domain `notifications`)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from registry import notifications
from registry.models.accreditation import AccreditationStatus
from registry.models.reports import TriageStatus

ROOT = Path(__file__).resolve().parents[2]
NAME, PUBLIC_ID = "Himal Sunrise Overseas", "RA-7K3Q9"
STATUSES = list(notifications.STATUS_CHANGED)
OTHER_LANGUAGES = [lang for lang in notifications.LANGUAGES if lang != "en"]
BAD_NEWS = {"suspended", "expired", "withdrawn", "rejected"}
PLACEHOLDER = re.compile(r"\{(\w*)\}")
COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")


def payload(to: str, frm: str = "accredited") -> dict:
    return {
        "type": "recruiter.status_changed",
        "created_at": "2026-03-01T10:00:00Z",
        "data": {
            "recruiter": {"public_id": PUBLIC_ID, "legal_name": NAME, "country": "NP"},
            "from": frm,
            "to": to,
            "reason": "overdue major finding (internal)",
            "at": "2026-03-01T10:00:00Z",
            "valid_until": None,
        },
    }


def test_every_status_a_recruiter_can_reach_has_its_own_message():
    assert set(STATUSES) == {s.value for s in AccreditationStatus}
    assert len(set(notifications.STATUS_CHANGED.values())) == len(STATUSES)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("lang", notifications.LANGUAGES)
def test_every_notification_in_every_language(lang, status):
    text = notifications.status_changed(lang, payload(status))
    assert text.strip()
    assert NAME in text and PUBLIC_ID in text
    assert f"/verify {PUBLIC_ID}" in text  # how to check the details
    assert "/follow" in text  # how to stop
    assert ("/report" in text) == (status in BAD_NEWS)  # pay nothing; tell us if you paid
    assert "{" not in text and "}" not in text  # every placeholder filled
    assert "overdue major finding" not in text  # internal reasons stay in the registry
    if lang != "en":
        assert text != notifications.status_changed("en", payload(status))


@pytest.mark.parametrize("lang", notifications.LANGUAGES)
def test_statuses_read_differently_in_each_language(lang):
    texts = {notifications.status_changed(lang, payload(status)) for status in STATUSES}
    assert len(texts) == len(STATUSES)


def test_english_reads_as_whole_sentences():
    assert notifications.status_changed("en", payload("suspended")).startswith(
        f"🔔 Warning: the accreditation of {NAME} ({PUBLIC_ID}) has been suspended."
    )
    good = notifications.status_changed("en", payload("accredited", frm="suspended"))
    assert good.startswith(f"🔔 Good news: {NAME} ({PUBLIC_ID}) is now accredited by FairRecruit.")
    assert "Pay no fee" not in good


def test_words_of_the_languages_that_read_badly_before():
    assert "निलम्बित" in notifications.status_changed("ne", payload("suspended"))
    assert "म्याद सकिएको छ" in notifications.status_changed("ne", payload("expired"))
    assert "মেয়াদ শেষ হয়ে গেছে" in notifications.status_changed("bn", payload("expired"))
    assert "Nag-expire na ang accreditation" in notifications.status_changed("tl", payload("expired"))
    assert "telah ditangguhkan" in notifications.status_changed("id", payload("suspended"))


def test_language_codes_and_unknown_statuses():
    assert notifications.status_changed("fil", payload("withdrawn")) == notifications.status_changed(
        "tl", payload("withdrawn")
    )
    assert notifications.status_changed("bn-BD", payload("expired")) == notifications.status_changed(
        "bn", payload("expired")
    )
    for unknown in ("", None, "xx", "de"):
        assert notifications.status_changed(unknown, payload("expired")) == notifications.status_changed(
            "en", payload("expired")
        )
    other = notifications.status_changed("ne", payload("probation"))
    assert NAME in other and f"/verify {PUBLIC_ID}" in other and "probation" not in other


# --- the worker's own case ------------------------------------------------------------------------

CASE = "FR-7K3Q-9MXD"
OUTCOMES = [s.value for s in TriageStatus if s != TriageStatus.new]


def case_payload(status: str, revised: bool = False) -> dict:
    return {
        "type": "case.decided",
        "created_at": "2026-03-01T10:00:00Z",
        "data": {"case_code": CASE, "status": status, "revised": revised},
    }


def test_every_triage_outcome_has_its_own_message_first_and_revised():
    assert set(notifications.CASE_DECIDED) == set(OUTCOMES) == set(notifications.CASE_REVISED)
    texts = {*notifications.CASE_DECIDED.values(), *notifications.CASE_REVISED.values()}
    assert len(texts) == 2 * len(OUTCOMES)


@pytest.mark.parametrize("revised", [False, True])
@pytest.mark.parametrize("status", OUTCOMES)
@pytest.mark.parametrize("lang", notifications.LANGUAGES)
def test_every_case_message_in_every_language(lang, status, revised):
    text = notifications.case_decided(lang, case_payload(status, revised))
    assert CASE in text and "/mycases" in text  # which case, and how to follow it
    assert ("/report" in text) == (status == "unsubstantiated")  # more proof: a new report
    assert "{" not in text and "}" not in text
    if lang != "en":
        assert text != notifications.case_decided("en", case_payload(status, revised))
    others = {notifications.case_decided(lang, case_payload(o, revised)) for o in OUTCOMES}
    assert len(others) == len(OUTCOMES)  # each outcome reads differently
    assert text != notifications.case_decided(lang, case_payload(status, not revised))


def test_case_messages_read_as_whole_sentences_and_carry_no_note():
    assert notifications.case_decided("en", case_payload("substantiated")).startswith(
        f"🔔 Your report {CASE} has been checked, and we found that this fee was charged to you unfairly."
    )
    assert notifications.case_decided("en", case_payload("duplicate", revised=True)).startswith(
        f"🔔 The decision on your report {CASE} has changed:"
    )
    assert "उजुरी" in notifications.case_decided("ne", case_payload("unsubstantiated"))
    assert "অভিযোগ" in notifications.case_decided("bn", case_payload("out_of_scope"))
    assert "Nasuri na ang iyong report" in notifications.case_decided("tl", case_payload("duplicate"))
    assert "Laporan Anda" in notifications.case_decided("id", case_payload("substantiated"))
    payload = case_payload("unsubstantiated")
    payload["data"]["note"] = "receipt looks forged (internal)"
    assert "forged" not in notifications.case_decided("en", payload)
    other = notifications.case_decided("bn-BD", case_payload("reopened"))
    assert CASE in other and "/mycases" in other and "reopened" not in other


# --- the catalogs ----------------------------------------------------------------------------------


def _script():
    spec = importlib.util.spec_from_file_location("translations_script", ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template():
    return _script().extract(notifications.DOMAIN)


def catalog_problems(template, catalog) -> list[str]:
    problems = []
    for msg in template:
        if not msg.id:
            continue
        found = catalog.get(msg.id)
        if found is None or not found.string:
            problems.append(f"missing: {msg.id!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {msg.id!r}")
        if sorted(PLACEHOLDER.findall(msg.id)) != sorted(PLACEHOLDER.findall(found.string)):
            problems.append(f"placeholders differ: {msg.id!r}")
        if sorted(COMMAND.findall(msg.id)) != sorted(COMMAND.findall(found.string)):
            problems.append(f"commands differ: {msg.id!r}")
    return problems


def test_the_template_holds_every_message(template):
    ids = {m.id for m in template if m.id}
    expected = {*notifications.STATUS_CHANGED.values(), notifications.STATUS_CHANGED_OTHER}
    cases = {*notifications.CASE_DECIDED.values(), *notifications.CASE_REVISED.values()}
    assert ids == expected | cases | {notifications.HOW_TO_STOP, notifications.CASE_DECIDED_OTHER}
    with open(notifications.TRANSLATIONS_DIR / f"{notifications.DOMAIN}.pot", "rb") as f:
        assert {m.id for m in read_po(f) if m.id} == ids, "run `make translations`"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_is_translated_and_compiled(template, lang):
    path = notifications.catalog_path(lang)
    with path.open("rb") as f:
        po = read_po(f)
    assert catalog_problems(template, po) == []
    with notifications.catalog_path(lang, ".mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == {m.id: m.string for m in po if m.id}, "run `make translations` to recompile"


def test_the_check_can_fail(template):
    with notifications.catalog_path("ne").open("rb") as f:
        catalog = read_po(f)
    msgid = notifications.STATUS_CHANGED["suspended"]
    catalog[msgid].string = catalog[msgid].string.replace("{public_id}", "{id}")
    catalog.delete(notifications.HOW_TO_STOP)
    problems = catalog_problems(template, catalog)
    assert f"placeholders differ: {msgid!r}" in problems
    assert f"missing: {notifications.HOW_TO_STOP!r}" in problems
