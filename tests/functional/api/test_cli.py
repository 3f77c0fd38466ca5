"""`fairrecruit api-keys create|list|revoke`."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from registry.models import Company
from registry.services import companies


def test_create_key_for_a_new_company_prints_it_once(cli, engine, client):
    result = cli("api-keys", "create", "--company", "Northwind Apparel", "--scopes", "read,suppliers")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("fr_live_") and result.output.count(key) == 1
    assert "created company Northwind Apparel" in result.stderr
    with Session(engine) as s:
        found = companies.authenticate(s, key)
        assert found is not None and found.scopes == ["read", "suppliers"]
        assert s.scalars(select(Company.name)).all() == ["Northwind Apparel"]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/suppliers", headers=headers).status_code == 200
    assert client.get("/api/v1/webhooks", headers=headers).status_code == 403

    again = cli("api-keys", "create", "--company", "Northwind Apparel")
    assert again.exit_code == 0 and again.stdout.strip() != key and "created company" not in again.stderr
    listing = cli("api-keys", "list", "--company", "Northwind Apparel").stdout
    assert listing.count("Northwind Apparel") == 2 and key not in listing

    prefix = key.split("_")[2]
    assert cli("api-keys", "revoke", prefix).exit_code == 0
    assert client.get("/api/v1/suppliers", headers=headers).status_code == 401


def test_bad_scopes_and_names_are_refused(cli):
    bad = cli("api-keys", "create", "--company", "Northwind Apparel", "--scopes", "read,admin")
    assert bad.exit_code == 2 and "read, suppliers, webhooks" in bad.output and "fr_live_" not in bad.output
    result = cli("api-keys", "create", "--company", " x ")
    assert result.exit_code != 0 and "at least 2 characters" in result.output
