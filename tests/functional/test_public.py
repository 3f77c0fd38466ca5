"""Public pages: /, /verify?q=, /verify/<public_id>: search, status card in plain words for every state,
the licence-register fallback, five languages, and the weight budget of a cheap phone on a slow link.

Recruiters here are invented; real register names are used only in the search unit tests.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from babel.support import Translations

from registry.models import Accreditation, LicenceRecord
from registry.services import accreditation, audits
from registry.services.identifiers import licence_key
from registry.timeutil import today
from registry.web.i18n import catalog_path
from tests import factories

PAGE_BUDGET = 50 * 1024
# Rendering-only tests (languages, page weight, escaping) need one database, not both.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


def tr(lang: str, message: str, **kw) -> str:
    """A message as the catalog of `lang` translates it (what the page must show)."""
    with catalog_path(lang, ".mo").open("rb") as f:
        text = Translations(f).gettext(message)
    return text % kw if kw else text


def html(resp) -> str:
    return resp.get_data(as_text=True)


def text_of(resp) -> str:
    """The visible text, tags removed, whitespace collapsed, entities of quotes decoded."""
    t = re.sub(r"<[^>]+>", " ", html(resp))
    t = t.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    return " ".join(t.split())


@pytest.fixture
def recs(session):
    """One invented recruiter per accreditation state."""
    r = {}
    r["accredited"] = factories.accredited(
        session, name="Gorkha Manpower Services Pvt. Ltd.", licence="DoFE 1234/070"
    )
    r["suspended"] = factories.accredited(session, name="Kanchenjunga Placement Pvt. Ltd.")
    accreditation.decide(session, r["suspended"], "suspend", actor="test", reason="major finding overdue")
    r["withdrawn"] = factories.accredited(session, name="Dhaulagiri Job Link Pvt. Ltd.")
    accreditation.decide(session, r["withdrawn"], "withdraw", actor="test", reason="forced labour indicators")
    r["expired"] = factories.accredited(session, name="Makalu Overseas Pvt. Ltd.")
    accreditation.decide(session, r["expired"], "expire", actor="test", reason="cycle ended")
    r["rejected"] = factories.recruiter(session, name="Lhotse Workforce Pvt. Ltd.")
    factories.performed_audit(session, r["rejected"])
    accreditation.decide(session, r["rejected"], "reject", actor="test", reason="fees charged")
    r["applicant"] = factories.recruiter(
        session, name="Annapurna Careers Pvt. Ltd.", other_names=["Annapurna Jobs"]
    )
    session.commit()
    return r


def test_home_page(client, settings):
    resp = client.get("/")
    assert resp.status_code == 200
    body = html(resp)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert '<link rel="icon" href="data:,">' in body  # no extra request for a favicon on a slow link
    assert 'action="/verify"' in body and 'name="q"' in body
    assert f'href="https://t.me/{settings.telegram_bot_username}"' in body
    assert "Never pay a fee to get a job abroad" in body


def test_search_finds_a_misspelled_reordered_name_and_links_its_card(client, recs):
    resp = client.get("/verify", query_string={"q": "Gurkha Manpower Pvt"})
    assert resp.status_code == 200
    body = html(resp)
    rec = recs["accredited"]
    first = body.index("<ol")
    assert body.index(rec.legal_name, first) < body.index("</li>", first)  # ranked first
    assert f'href="/verify/{rec.public_id}"' in body
    assert "Accredited" in body
    resp = client.get("/verify", query_string={"q": "Careers Annapurna"})
    assert recs["applicant"].legal_name in html(resp)
    assert "Applicant, not yet accredited" in html(resp)


def test_search_by_public_id_licence_number_and_other_name(client, recs):
    rec = recs["accredited"]
    for q in (rec.public_id, rec.public_id.lower().replace("-", ""), f" {rec.public_id.lower()} "):
        resp = client.get("/verify", query_string={"q": q})
        assert resp.status_code == 302, q  # an ID goes straight to its card
        assert resp.headers["Location"].endswith(f"/verify/{rec.public_id}")
    resp = client.get(f"/verify/{rec.public_id.lower()}")
    assert resp.status_code == 301 and resp.headers["Location"].endswith(f"/verify/{rec.public_id}")
    # a licence number, however typed, that one recruiter holds: straight to its card too
    for q in ("dofe 1234/070", "DOFE-1234-070", "licence no. dofe 1234/070"):
        resp = client.get("/verify", query_string={"q": q})
        assert resp.status_code == 302, q
        assert resp.headers["Location"].endswith(f"/verify/{rec.public_id}")
    resp = client.get("/verify", query_string={"q": "Anapurna Jobs"}, follow_redirects=True)
    assert recs["applicant"].legal_name in html(resp)


def test_an_id_typed_with_characters_no_id_holds_leads_to_its_card(client, session, recs):
    rec = recs["accredited"]
    rec.public_id = "RA-Q7KJD"
    session.commit()
    # an id holds none of 0, O, 1, I, L: each is read as what it was taken for
    for typed in ("RA-O1KI0", "ra-0ikjo", "o7kjd"):
        resp = client.get(f"/verify/{typed}")
        assert resp.status_code == 301 and resp.headers["Location"].endswith("/verify/RA-Q7KJD"), typed
        resp = client.get("/verify", query_string={"q": typed})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/verify/RA-Q7KJD"), typed


def test_a_look_alike_name_gets_did_you_mean_never_the_card(client, recs):
    rec = recs["accredited"]  # Gorkha Manpower Services Pvt. Ltd.
    for q in ("Gorkha Overseas", "Gorkha International", "Gorkha", "is Gorkha Manpower safe?"):
        resp = client.get("/verify", query_string={"q": q})
        assert resp.status_code == 200, q
        text = text_of(resp)
        assert "No agency has exactly this name. Did you mean one of these?" in text, q
        assert "Fake agencies copy the names of real ones." in text
        assert rec.legal_name in text and rec.licence_number in text and "Nepal" in text
        assert "None of these" in text
    none = client.get("/verify", query_string={"q": "Gorkha Overseas", "none": "1"})
    text = text_of(none)
    assert "Not listed" in text and rec.legal_name not in text
    assert "https://dofe.gov.np" in html(none)


def test_a_greeting_gets_the_help_not_not_listed(client, recs):
    for q in ("hello", "namaste", "নমস্কার", "terima kasih", "salamat", "menu"):
        text = text_of(client.get("/verify", query_string={"q": q}))
        assert "Type the name of a recruitment agency" in text, q
        assert "Not listed" not in text


def test_accredited_card(client, recs):
    rec = recs["accredited"]
    acc = client.application.extensions["fairrecruit.engine"]
    resp = client.get(f"/verify/{rec.public_id}")
    assert resp.status_code == 200
    text = text_of(resp)
    from sqlmodel import Session

    with Session(acc) as s:
        accreditation_row = s.get(Accreditation, rec.id)
        valid_until = accreditation_row.valid_until
    assert accreditation_row.certificate_number
    assert f"Certificate number {accreditation_row.certificate_number}" in text
    assert f"Accredited until {valid_until.strftime('%B')} {valid_until.day}, {valid_until.year}" in text
    assert "never pay a recruitment fee" in text and "report it" in text
    assert f"Last audit {today().strftime('%B')} {today().day}, {today().year}" in text
    assert "Licence not confirmed" in text  # licence status from the government register
    assert "Nepal → Qatar" in text
    assert (
        f'href="https://t.me/{client.application.extensions["fairrecruit.settings"].telegram_bot_username}?start=v_{rec.public_id}"'
        in html(resp)
    )


@pytest.mark.parametrize(
    ("state", "headline", "advice"),
    [
        (
            "suspended",
            "Suspended since",
            "Do not pay any fee. Do not sign a contract with this recruiter now.",
        ),
        ("withdrawn", "Accreditation withdrawn on", "Do not pay any fee and do not sign anything."),
        (
            "expired",
            "Accreditation expired on",
            "Check the government licence register. Never pay a recruitment fee.",
        ),
        ("rejected", "Not accredited", "Check the government licence register."),
        ("applicant", "Applicant, not yet accredited", "This is not a guarantee."),
    ],
)
def test_card_says_what_the_status_means_and_what_to_do(client, recs, state, headline, advice):
    resp = client.get(f"/verify/{recs[state].public_id}")
    assert resp.status_code == 200
    text = text_of(resp)
    assert headline in text
    assert advice in text
    if state in ("suspended", "withdrawn"):
        assert f"{headline} {today().strftime('%B')} {today().day}, {today().year}" in text
    assert "Accredited until" not in text
    # never a validity date or a certificate next to a status that is not accredited
    assert "Valid until" not in text
    assert "Certificate number" not in text


def test_recruiter_without_an_accreditation_record_is_shown_as_applicant(client, session, recs):
    rec = recs["applicant"]
    session.delete(session.get(Accreditation, rec.id))
    session.commit()
    resp = client.get(f"/verify/{rec.public_id}")
    assert resp.status_code == 200
    assert "Applicant, not yet accredited" in text_of(resp)
    assert "Applicant, not yet accredited" in text_of(
        client.get("/verify", query_string={"q": rec.legal_name}, follow_redirects=True)
    )


def test_lapsed_accreditation_is_shown_as_expired_before_the_nightly_check(client, session, recs):
    rec = recs["accredited"]
    acc = session.get(Accreditation, rec.id)
    acc.valid_until = today() - timedelta(days=2)
    session.commit()
    text = text_of(client.get(f"/verify/{rec.public_id}"))
    assert "Accreditation expired on" in text
    assert "Accredited until" not in text
    assert "Expired" in text_of(
        client.get("/verify", query_string={"q": rec.legal_name}, follow_redirects=True)
    )


def test_card_warnings(client, session, recs):
    rec = recs["accredited"]
    rec.licence_status = "cancelled"
    audit = factories.performed_audit(session, rec, kind="special")
    for _ in range(2):
        audits.add_finding(session, audit, principle="P1", severity="major", description="fees charged")
    sub = factories.recruiter(session, name="Phewa Sub Agent Services")
    sub.parent_id = rec.id
    session.commit()
    text = text_of(client.get(f"/verify/{rec.public_id}"))
    assert "The government licence is not valid." in text
    assert "Licence cancelled or banned" in text
    assert "2 serious problems found by auditors are not fixed yet." in text
    assert "Licence cancelled or banned" in text_of(
        client.get("/verify", query_string={"q": "Gorkha Manpower"})
    )
    sub_text = text_of(client.get(f"/verify/{sub.public_id}"))
    assert f"This is a sub-agent of {rec.legal_name}." in sub_text


def test_not_listed_says_be_careful_and_points_to_the_government_register(client, recs):
    resp = client.get("/verify", query_string={"q": "Sunshine Bakery"})
    assert resp.status_code == 200
    text = text_of(resp)
    assert "Not listed" in text
    assert "Be careful." in text
    assert "check that it has a valid licence in the government register" in text
    assert "https://dofe.gov.np" in html(resp)
    assert "In the government licence register" not in text


def test_not_listed_shows_matching_rows_of_the_imported_licence_register(client, session, recs):
    session.add_all(
        [
            LicenceRecord(
                authority="DoFE",
                licence_number="777/075",
                licence_key=licence_key("777/075"),
                name="Machhapuchhre Overseas Pvt. Ltd.",
                status="valid",
            ),
            LicenceRecord(
                authority="DoFE",
                licence_number="778/075",
                licence_key=licence_key("778/075"),
                name="Rara Lake Manpower",
                status="cancelled",
            ),
        ]
    )
    session.commit()
    text = text_of(client.get("/verify", query_string={"q": "Machapuchare Overseas"}))
    assert "Not listed" in text
    assert "In the government licence register" in text
    assert "Machhapuchhre Overseas Pvt. Ltd." in text and "777/075" in text and "Licence valid" in text
    text = text_of(client.get("/verify", query_string={"q": "778/075"}))
    assert "Rara Lake Manpower" in text and "Licence cancelled or banned" in text


def test_unknown_public_id_is_404_with_the_not_listed_advice(client, recs):
    resp = client.get("/verify/RA-ZZZZZ")
    assert resp.status_code == 404
    assert "Be careful." in text_of(resp)


@sqlite_only
def test_empty_long_and_hostile_queries(client, recs):
    resp = client.get("/verify", query_string={"q": "   "})
    assert resp.status_code == 200
    assert "Please type a name, a licence number or an ID." in text_of(resp)
    assert client.get("/verify", query_string={"q": "x" * 5000}).status_code == 200
    resp = client.get("/verify", query_string={"q": "<script>alert(1)</script>"})
    assert "<script>" not in html(resp)
    assert "&lt;script&gt;" in html(resp)


# --- languages ------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("lang", ["ne", "bn", "tl", "id"])
def test_pages_speak_the_language_of_the_browser(client, recs, lang):
    headers = {"Accept-Language": f"{lang},en;q=0.5"}
    resp = client.get("/", headers=headers)
    assert f'<html lang="{lang}">' in html(resp)
    assert tr(lang, "Is this recruiter safe to use?") in html(resp)
    assert tr(lang, "Is this recruiter safe to use?") != "Is this recruiter safe to use?"
    card = text_of(client.get(f"/verify/{recs['suspended'].public_id}", headers=headers))
    assert (
        tr(
            lang,
            "Do not pay any fee. Do not sign a contract with this recruiter now. If you already paid, report it.",
        )
        in card
    )
    assert "Do not pay any fee" not in card
    results = text_of(client.get("/verify", query_string={"q": "Sunshine Bakery"}, headers=headers))
    assert (
        tr(lang, "We found no accredited or applying recruiter for “%(q)s”.", q="Sunshine Bakery") in results
    )


@sqlite_only
def test_filipino_browser_gets_tagalog_and_unknown_languages_get_english(client):
    assert '<html lang="tl">' in html(client.get("/", headers={"Accept-Language": "fil-PH,fil;q=0.9"}))
    assert '<html lang="en">' in html(client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.8"}))
    assert '<html lang="en">' in html(client.get("/"))


@sqlite_only
def test_language_switch_on_the_page_is_remembered(client, recs):
    home = html(client.get("/", headers={"Accept-Language": "en"}))
    assert 'href="/?lang=bn"' in home  # the switcher on the page
    resp = client.get("/?lang=bn", headers={"Accept-Language": "en"})
    assert '<html lang="bn">' in html(resp)
    assert "lang=bn" in resp.headers["Set-Cookie"]
    assert {"Accept-Language", "Cookie"} <= set(resp.vary)
    # later pages, without ?lang=, stay in Bengali even though the browser prefers English
    resp = client.get(f"/verify/{recs['accredited'].public_id}", headers={"Accept-Language": "en"})
    assert '<html lang="bn">' in html(resp)
    assert tr("bn", "What to do:") in html(resp)
    # switching again; an unknown code changes nothing
    assert '<html lang="id">' in html(client.get("/?lang=id"))
    assert '<html lang="id">' in html(client.get("/?lang=xx"))


@sqlite_only
def test_switcher_keeps_the_query(client, recs):
    body = html(client.get("/verify", query_string={"q": "Gorkha Manpower"}))
    assert 'href="/verify?q=Gorkha%20Manpower&amp;lang=ne"' in body


# --- cheap phone, slow link -------------------------------------------------------------------


def _assets(body: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', body)


@sqlite_only
def test_pages_are_small_self_contained_and_work_without_javascript(client, session, recs):
    # a heavy results page: ten long-named recruiters with other names
    for i in range(12):
        factories.recruiter(
            session,
            name=f"Gorkha Manpower Services Branch {i} of the Greater Kathmandu Valley Pvt. Ltd.",
            other_names=[f"Gorkha Manpower {i}", "गोर्खा म्यानपावर सर्भिसेस"],
        )
    session.commit()
    with client.get("/static/public.css") as css:
        assert css.status_code == 200
        css_size = len(css.data)
    assert css_size < 8 * 1024
    pages = [
        "/",
        "/verify?q=Gorkha+Manpower",
        "/verify?q=Nothing+Like+This",
        f"/verify/{recs['accredited'].public_id}",
    ]
    for lang in ("en", "ne", "bn", "tl", "id"):
        for url in pages:
            resp = client.get(url, headers={"Accept-Language": lang})
            body = html(resp)
            size = len(resp.data)
            assert size + css_size < PAGE_BUDGET, (url, lang, size)
            assert "<script" not in body.lower()
            assert '<meta name="viewport"' in body
            for ref in _assets(body):
                if ref.startswith(("http://", "https://", "//")):
                    # only plain links to follow (Telegram, government registers), never a loaded asset
                    assert not re.search(
                        rf'<(?:link|script|img|iframe)[^>]+(?:src|href)="{re.escape(ref)}"', body
                    ), ref
    assert html(client.get("/verify?q=Gorkha+Manpower")).count("<li>") == 10


# --- a real browser on a small screen, JavaScript off ------------------------------------------


@pytest.fixture
def live_server(sqlite_engine, tmp_path):
    """The app on a real HTTP server (127.0.0.1, a free port), on SQLite: one database is enough here."""
    from werkzeug.serving import make_server

    from registry import create_app
    from registry.settings import Settings

    settings = Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789",
        pseudonym_key="test-pseudonym-key-0123456789",
        ratelimit_storage_uri="memory://",
    )
    server = make_server("127.0.0.1", 0, create_app(settings, engine=sqlite_engine), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.browser
def test_small_phone_without_javascript(live_server, sqlite_engine, chromium):
    from sqlmodel import Session

    with Session(sqlite_engine, expire_on_commit=False) as session:
        rec = factories.accredited(session, name="Gorkha Manpower Services Pvt. Ltd.")
        factories.recruiter(session, name="Gulf Manpower Nepal Pvt. Ltd.")
        session.commit()
    browser = chromium
    try:
        context = browser.new_context(
            viewport={"width": 320, "height": 640}, java_script_enabled=False, locale="ne-NP"
        )
        page = context.new_page()
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(live_server + "/")
        assert page.locator("html").get_attribute("lang") == "ne"
        page.fill("input[name=q]", "Gurkha Manpower Pvt")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/verify\?q="))
        page.click(f"a[href='/verify/{rec.public_id}']")
        page.wait_for_url(re.compile(r"/verify/RA-"))
        assert tr("ne", "What to do:") in page.content()
        # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.click("a[hreflang=en]")
        assert page.locator("html").get_attribute("lang") == "en"
        assert all(u.startswith(live_server) for u in requested), requested
    finally:
        context.close()
