"""Webhooks reach only public addresses: every disguised or internal address is refused at registration
(the API and the admin form alike), the host is resolved and checked again at every delivery, and the
delivery connects to the checked address (no second resolution) without following redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from registry import create_app
from registry.db import session_scope
from registry.models import Company, OutboxMessage, WebhookEndpoint
from registry.services import companies, delivery, webhook_targets
from tests.conftest import PUBLIC_TEST_ADDRESS
from tests.functional.admin.conftest import flashes
from tests.functional.api.test_auth import assert_problem
from tests.functional.workers.test_delivery import subscribed_recruiter, suspend

# Each refused the same way in development and production: the address forms C's inet_aton accepts,
# single-label names, and names that resolve to loopback, private, link-local or mixed addresses.
REFUSED = (
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0/",
    "https://127.0.0.1/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://10.1.2.3/x",
    "https://169.254.169.254/latest",
    "https://intranet/hook",
    "https://localhost:8443/x",
    "https://db.internal/x",
    "https://loopback.example.com/x",
    "https://private.example.com/x",
    "https://metadata.example.com/x",
    "https://mixed.example.com/x",
    "https://nowhere.invalid/x",
)


@pytest.fixture(autouse=True)
def steered_dns(fake_dns):
    fake_dns.names.update(
        {
            "loopback.example.com": ["127.0.0.1"],
            "private.example.com": ["192.168.1.20"],
            "metadata.example.com": ["169.254.169.254"],
            "mixed.example.com": [PUBLIC_TEST_ADDRESS, "10.0.0.7"],
            "localhost": ["127.0.0.1"],
        }
    )
    return fake_dns


@pytest.mark.parametrize("env", ["development", "production"])
def test_the_api_refuses_every_internal_or_disguised_address(settings, engine, keys, env):
    app = create_app(settings.model_copy(update={"env": env}), engine=engine)
    client = app.test_client()
    auth = keys.headers(keys.make("Careful Buyer"))
    for url in REFUSED:
        body = assert_problem(client.post("/api/v1/webhooks", headers=auth, json={"url": url}), 422)
        assert body["errors"][0]["field"] == "url", url
        if "code" in body:  # the API's document refuses some forms (IPv6, single labels) first
            assert body["code"] in ("url_not_public", "url_unresolvable"), (url, body)
    with Session(engine) as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []
    ok = client.post("/api/v1/webhooks", headers=auth, json={"url": "https://hooks.example.com/x"})
    assert ok.status_code == 201


def test_the_admin_form_refuses_them_too(as_admin, engine):
    with Session(engine, expire_on_commit=False) as s:
        company, _ = companies.get_or_create(s, "Harbour Garments Ltd")
        s.commit()
    for url in REFUSED:
        resp = as_admin.post(
            f"/admin/companies/{company.id}/webhooks",
            {"url": url, "events": ["recruiter.status_changed"]},
            follow_redirects=True,
        )
        assert "webhook URLs" in flashes(resp) or "could not be resolved" in flashes(resp), url
    with Session(engine) as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []
    resp = as_admin.post(
        f"/admin/companies/{company.id}/webhooks",
        {"url": "https://hooks.example.org/fr", "events": ["recruiter.status_changed"]},
        follow_redirects=True,
    )
    assert "Webhook added" in flashes(resp)


def test_the_private_setting_admits_local_receivers_but_never_disguised_forms():
    for url in ("http://127.0.0.1:8080/x", "https://loopback.example.com/x", "https://10.1.2.3/x"):
        assert webhook_targets.check_url(url, production=False, allow_private=True) == url
    local = webhook_targets.resolve_target("http://localhost:9000/in", production=False, allow_private=True)
    assert local.host == "localhost" and local.address.is_loopback
    for url in ("https://127.1/", "https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/"):
        with pytest.raises(webhook_targets.TargetRefused):
            webhook_targets.check_url(url, production=False, allow_private=True)
    with pytest.raises(webhook_targets.TargetRefused):  # and production still wants https
        webhook_targets.check_url("http://hooks.example.com/x", production=True, allow_private=True)


def test_the_setting_is_off_by_default():
    from registry.settings import Settings

    assert Settings(env="development").webhook_allow_private is False
    assert Settings(env="test").webhook_allow_private is False


def test_a_name_that_resolves_to_loopback_at_delivery_is_not_contacted(settings, engine, receiver, fake_dns):
    port = receiver.server.server_address[1]
    settings = settings.model_copy(update={"webhook_allow_private": False})
    url = f"http://rebind.example.com:{port}/hooks/fairrecruit"
    with session_scope(engine, write=True) as s:
        company, _ = companies.get_or_create(s, "Harbour Garments Ltd")
        companies.create_webhook(s, company, url=url)  # public when registered
    fake_dns.names["rebind.example.com"] = ["127.0.0.1"]  # ... and loopback when delivered
    with session_scope(engine, write=True) as s:
        company = s.scalars(select(Company)).one()
        from registry.models import SupplierLink
        from tests import factories

        rec = factories.accredited(s)
        s.add(SupplierLink(company_id=company.id, recruiter_id=rec.id))
    suspend(engine, rec)
    result = delivery.dispatch_due(engine, settings)
    assert (result.delivered, result.failed) == (0, 1)
    assert receiver.count() == 0
    with Session(engine) as s:
        (msg,) = s.scalars(select(OutboxMessage)).all()
    assert msg.status == "pending" and msg.last_error == "address_refused"
    assert delivery.describe(msg.last_error) == "the receiver's address is not a public address"


def test_the_delivery_connects_to_the_checked_address_with_the_name_as_host(
    settings, engine, receiver, fake_dns
):
    # The name resolves (through the fake resolver only) to the receiver's loopback address; the
    # delivery must use that answer, resolve once, and keep the name in the Host header.
    port = receiver.server.server_address[1]
    settings = settings.model_copy(update={"webhook_allow_private": True})
    fake_dns.names["pinned.example.com"] = ["127.0.0.1"]
    rec = subscribed_recruiter(engine, f"http://pinned.example.com:{port}/hooks/fairrecruit")
    fake_dns.asked.clear()
    suspend(engine, rec)
    result = delivery.dispatch_due(engine, settings)
    assert result.delivered == 1
    assert fake_dns.asked == ["pinned.example.com"]
    (hit,) = receiver.received
    assert hit["headers"]["Host"] == f"pinned.example.com:{port}"
    assert hit["path"] == "/hooks/fairrecruit"


def test_redirects_are_not_followed(settings, engine, receiver):
    settings = settings.model_copy(update={"webhook_allow_private": True})
    receiver.script = [307]
    rec = subscribed_recruiter(engine, receiver.url)
    suspend(engine, rec)
    result = delivery.dispatch_due(engine, settings)
    assert result.failed == 1 and receiver.count() == 1
    with Session(engine) as s:
        (msg,) = s.scalars(select(OutboxMessage)).all()
    assert msg.last_error == "http_error:307"


def test_the_pinned_request_keeps_the_name_for_tls():
    target = webhook_targets.Target(
        "https://hooks.example.com/in?x=1",
        "https",
        "hooks.example.com",
        443,
        webhook_targets.ipaddress.ip_address(PUBLIC_TEST_ADDRESS),
    )
    url, headers, extensions = webhook_targets.pinned_request(target)
    assert url == f"https://{PUBLIC_TEST_ADDRESS}/in?x=1"
    assert headers == {"Host": "hooks.example.com"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
