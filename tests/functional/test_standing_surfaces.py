"""One verdict on every surface: a recruiter goes through every accreditation state (including an
accreditation that lapsed today before the nightly check) and every licence status, and the public
page, the bot card, the API detail and list, bulk verify by id and by licence, the supplier report,
the webhook payload written at the change and the certificate all say the same thing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.cards import status_card
from bot.services import BotServices
from registry.errors import Conflict
from registry.models import Accreditation, OutboxMessage, Recruiter
from registry.services import accreditation, auditlog, certificates, checks, companies
from registry.services import licences as L
from registry.timeutil import today, utcnow
from tests import factories

AUTHORITY = "DoFE"
# What each surface shows for a status (the public page and the bot in English).
PUBLIC_BADGE = {
    "accredited": "Accredited",
    "suspended": "Suspended",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    "rejected": "Not accredited",
    "applicant": "Applicant, not yet accredited",
}
PUBLIC_HEADING = {
    "accredited": "Accredited until",
    "suspended": "Suspended since",
    "withdrawn": "Accreditation withdrawn on",
    "expired": "Accreditation expired on",
    "rejected": "It applied for accreditation but did not meet the standard.",
    "applicant": "It has applied, but its audit is not finished.",
}
PUBLIC_LICENCE = {
    "valid": "Licence valid",
    "expired": "Licence expired",
    "suspended": "Licence suspended",
    "cancelled": "Licence cancelled or banned",
    "delisted": "Licence cancelled or banned",
    "banned": "Licence cancelled or banned",
    "unknown": "Licence not confirmed",
}
BOT_STATUS = {
    "accredited": "✅ Accredited until",
    "suspended": "⛔ Accreditation suspended since",
    "withdrawn": "⛔ Accreditation withdrawn since",
    "expired": "⚠️ Accreditation expired on",
    "rejected": "⛔ Not accredited: the application was refused.",
    "applicant": "🕓 Applied for accreditation, not accredited yet.",
}
BOT_LICENCE = {
    "valid": "valid",
    "expired": "expired",
    "suspended": "suspended",
    "cancelled": "cancelled",
    "delisted": "removed from the list",
    "banned": "banned",
    "unknown": "not checked yet",
}


def _in_devanagari_digits(text: str) -> str:
    return "".join(chr(0x0966 + int(ch)) if ch.isdigit() else ch for ch in text)


class World:
    """The recruiters, a company that lists them and subscribes to their events, and every surface."""

    def __init__(self, engine, settings, client):
        self.engine, self.settings, self.client = engine, settings, client
        self.bot = BotServices(settings, engine)
        self.s = Session(engine, expire_on_commit=False)
        auditlog.set_actor(self.s, "test")
        self.rec = factories.recruiter(self.s, name="Everstate Manpower Pvt. Ltd.", licence="NP-777/80")
        self.other = factories.recruiter(self.s, name="Refusal Placement Pvt. Ltd.", licence="NP-778/80")
        company, _ = companies.get_or_create(self.s, "Every Surface Buyer Ltd")
        for r in (self.rec, self.other):
            companies.add_supplier(self.s, company, r.public_id)
        companies.create_webhook(self.s, company, url="https://hooks.example.com/fairrecruit")
        self.auth = {"Authorization": "Bearer " + companies.create_api_key(self.s, company).plaintext}
        self.s.commit()
        self.events_seen = 0

    def close(self):
        self.s.close()

    # --- changes --------------------------------------------------------------------------------

    def decide(self, rec, decision: str):
        accreditation.decide(self.s, rec, decision, actor="test", reason=f"{decision} in the test")
        self.s.commit()

    def licence(self, status: str, valid_until: str = ""):
        """Import the government register with this recruiter's licence in `status`."""
        text = f"licence_number,name,status,valid_until\n{self.rec.licence_number},Everstate,{status},{valid_until}\n"
        mapping = L.mapping_for(AUTHORITY)
        parsed = L.parse(text, mapping, as_of=today())
        assert not parsed.errors, parsed.errors
        L.apply(self.s, parsed, mapping, settings=self.settings, as_of=today())
        self.s.commit()

    # --- what every surface says ------------------------------------------------------------------

    def says(self, rec: Recruiter, status: str, licence: str, *, event: str | None) -> None:
        """Every surface gives `rec` this accreditation status and licence status; with `event`, a
        webhook of that type was written at the change and carries the same standing."""
        pid = rec.public_id
        # public page: the status card and the search results
        page = self.client.get(f"/verify/{pid}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        card = html[html.index('<article class="card') : html.index("</article>")]
        badges = re.findall(r'<span class="badge [a-z]+">([^<]+)</span>', card)
        assert badges[0] == PUBLIC_BADGE[status], badges
        assert PUBLIC_HEADING[status] in html
        assert PUBLIC_LICENCE[licence] in badges
        assert not [h for s, h in PUBLIC_HEADING.items() if s != status and h in html]
        found = self.client.get("/verify", query_string={"q": rec.legal_name}, follow_redirects=True)
        after_id = found.get_data(as_text=True).split(pid, 1)[1]
        assert (
            re.search(r'<span class="badge [a-z]+">([^<]+)</span>', after_id).group(1) == PUBLIC_BADGE[status]
        )
        # the licence number however typed leads the public search to the same card
        typed = "licence " + rec.licence_number.lower().replace("-", " ").replace("/", " ")
        by_typed = self.client.get("/verify", query_string={"q": typed})
        assert by_typed.status_code == 302 and by_typed.headers["Location"].endswith(f"/verify/{pid}")
        # bot card: by public id, and found by its name and by its licence number however typed
        bot_card = self.bot.card(pid)
        assert (bot_card.status, bot_card.licence_status) == (status, licence)
        for query in (rec.legal_name, typed):
            kind, cards = self.bot.lookup(query)
            assert (kind, [(c.public_id, c.status, c.licence_status) for c in cards]) == (
                "exact",
                [(pid, status, licence)],
            ), query
        text = status_card(bot_card, "en")
        assert BOT_STATUS[status] in text and f"Government licence: {BOT_LICENCE[licence]}." in text
        assert not [t for s, t in BOT_STATUS.items() if s != status and t in text]
        # API detail and list
        detail = self.client.get(f"/api/v1/recruiters/{pid}", headers=self.auth).get_json()
        assert (detail["status"], detail["licence_status"]) == (status, licence)
        assert (detail["certificate_number"] is not None) == (status == "accredited")
        at_now = self.client.get(
            f"/api/v1/recruiters/{pid}", headers=self.auth, query_string={"at": utcnow().isoformat()}
        ).get_json()
        assert at_now["status_at"]["status"] == status
        listed = self.client.get(
            "/api/v1/recruiters", headers=self.auth, query_string={"licence_number": rec.licence_number}
        ).get_json()["items"]
        assert [(i["status"], i["licence_status"]) for i in listed] == [(status, licence)]
        filtered = self.client.get(
            "/api/v1/recruiters", headers=self.auth, query_string={"status": status, "country": "NP"}
        ).get_json()["items"]
        assert pid in {i["public_id"] for i in filtered}
        # bulk verify by id and by licence
        by_id = self.client.post("/api/v1/recruiters/verify", headers=self.auth, json={"ids": [pid]})
        by_licence = self.client.post(
            "/api/v1/recruiters/verify",
            headers=self.auth,
            # the comparison key: case, separators, digit scripts and leading words do not matter
            json={
                "licences": [
                    {"country": "NP", "number": rec.licence_number},
                    {"country": "np", "number": typed},
                    {"country": "NP", "number": _in_devanagari_digits(rec.licence_number)},
                ]
            },
        )
        for resp in (by_id, by_licence):
            for result in resp.get_json()["results"]:
                assert (result["public_id"], result["status"], result["licence_status"]) == (
                    pid,
                    status,
                    licence,
                )
                assert status != "accredited" or result["valid_until"] >= today().isoformat()
        # supplier report
        report = self.client.get("/api/v1/suppliers/report", headers=self.auth).get_json()
        item = next(i for i in report["items"] if i["public_id"] == pid)
        assert (item["status"], item["licence_status"]) == (status, licence)
        assert (f"accreditation_{status}" in item["risks"]) == (
            status in ("suspended", "withdrawn", "rejected", "expired")
        )
        # the webhook written at the change
        with Session(self.engine) as s:
            payloads = [
                p
                for p in s.scalars(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.channel == "webhook")
                    .order_by(OutboxMessage.id)
                )
                if p["type"] in ("recruiter.status_changed", "recruiter.licence_changed")
            ]
        new, self.events_seen = payloads[self.events_seen :], len(payloads)
        if event is None:
            assert new == []
        else:
            assert [p["type"] for p in new] == [event]
            data = new[0]["data"]
            assert data["recruiter"]["public_id"] == pid
            assert (data["status"], data["licence_status"]) == (status, licence)
            assert data["valid_until"] == detail["valid_until"]
        # the certificate
        with Session(self.engine) as s:
            fresh = s.get(Recruiter, rec.id)
            if status == "accredited":
                cert = certificates.for_recruiter(s, fresh, bot_username="bot", public_base_url="http://x")
                assert cert.number == detail["certificate_number"]
            else:
                with pytest.raises(Conflict):
                    certificates.for_recruiter(s, fresh, bot_username="bot", public_base_url="http://x")


@pytest.fixture
def world(engine, settings, client):
    w = World(engine, settings, client)
    yield w
    w.close()


def test_every_surface_says_the_same_through_every_state(world):
    w, rec = world, world.rec
    w.says(rec, "applicant", "unknown", event=None)
    # every licence status the government register can give
    for licence in ("valid", "expired", "suspended", "cancelled", "delisted", "banned", "unknown", "valid"):
        w.licence(licence)
        w.says(rec, "applicant", licence, event="recruiter.licence_changed")

    factories.performed_audit(w.s, rec)
    w.decide(rec, "accredit")
    w.says(rec, "accredited", "valid", event="recruiter.status_changed")
    w.decide(rec, "suspend")
    w.says(rec, "suspended", "valid", event="recruiter.status_changed")
    w.decide(rec, "reinstate")
    w.says(rec, "accredited", "valid", event="recruiter.status_changed")

    # the cycle ended yesterday; the nightly expiry check has not run yet
    w.s.get(Accreditation, rec.id).valid_until = today() - timedelta(days=1)
    w.s.commit()
    assert w.s.get(Accreditation, rec.id).status == "accredited"
    w.says(rec, "expired", "valid", event=None)
    w.licence("valid", (today() + timedelta(days=400)).isoformat())  # a licence renewal while lapsed
    w.says(rec, "expired", "valid", event="recruiter.licence_changed")
    # the check records it: nothing a surface says changes
    checks.run(w.s, "accreditation_expiry", as_of=today(), settings=w.settings)
    w.s.commit()
    assert w.s.get(Accreditation, rec.id).status == "expired"
    w.says(rec, "expired", "valid", event="recruiter.status_changed")

    w.decide(rec, "reapply")
    w.says(rec, "applicant", "valid", event="recruiter.status_changed")
    w.decide(rec, "accredit")
    w.says(rec, "accredited", "valid", event="recruiter.status_changed")
    w.decide(rec, "withdraw")
    w.says(rec, "withdrawn", "valid", event="recruiter.status_changed")

    # rejected is final too: a second recruiter on the same company's list
    factories.performed_audit(w.s, w.other)
    w.decide(w.other, "reject")
    w.says(w.other, "rejected", "unknown", event="recruiter.status_changed")


def test_the_api_answer_remembered_yesterday_is_not_given_after_midnight(world, monkeypatch):
    """The API keeps a recruiter's answer in memory; an accreditation whose last day was yesterday
    must still read expired at once after midnight."""
    import registry.api.fast as api_fast
    import registry.api.recruiters as api_recruiters

    w, rec = world, world.rec
    factories.performed_audit(w.s, rec)
    w.decide(rec, "accredit")
    w.s.get(Accreditation, rec.id).valid_until = today()
    w.s.commit()
    url = f"/api/v1/recruiters/{rec.public_id}"
    assert w.client.get(url, headers=w.auth).get_json()["status"] == "accredited"
    assert len(w.client.application.extensions["fairrecruit.api_cache"].recruiters) == 1
    for dated in (api_recruiters, api_fast):  # the view and its fast path in front of Flask
        monkeypatch.setattr(dated, "today", lambda: today() + timedelta(days=1))
    assert w.client.get(url, headers=w.auth).get_json()["status"] == "expired"
    verified = w.client.post("/api/v1/recruiters/verify", headers=w.auth, json={"ids": [rec.public_id]})
    assert verified.get_json()["results"][0]["status"] == "expired"
