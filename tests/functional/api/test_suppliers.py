"""Supplier lists: replace, add, remove, list with a cursor, and the risk report as JSON and CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlmodel import Session

from registry.models import AuditLogEntry, SupplierLink
from tests import factories
from tests.functional.api.test_auth import assert_problem


def test_replace_add_remove(client, auth, keys, engine, world):
    a, s_, p = world.accredited.public_id, world.suspended.public_id, world.applicant.public_id
    resp = client.put("/api/v1/suppliers", headers=auth, json={"ids": [a, s_, a.lower()]})
    assert resp.status_code == 200 and resp.get_json() == {"added": 2, "removed": 0, "total": 2}
    assert client.put("/api/v1/suppliers", headers=auth, json={"ids": [s_, p]}).get_json() == {
        "added": 1,
        "removed": 1,
        "total": 2,
    }
    listed = client.get("/api/v1/suppliers", headers=auth).get_json()
    assert {i["public_id"] for i in listed["items"]} == {s_, p} and listed["total"] == 2

    resp = client.post(f"/api/v1/suppliers/{a}", headers=auth)
    assert resp.status_code == 201 and resp.get_json() == {"public_id": a, "created": True}
    again = client.post(f"/api/v1/suppliers/{a}", headers=auth)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert client.delete(f"/api/v1/suppliers/{p}", headers=auth).status_code == 204
    assert_problem(client.delete(f"/api/v1/suppliers/{p}", headers=auth), 404)
    assert_problem(client.post("/api/v1/suppliers/RA-ZZZZZ", headers=auth), 404)
    listed = client.get("/api/v1/suppliers", headers=auth).get_json()
    assert {i["public_id"] for i in listed["items"]} == {a, s_}
    # changes are attributed to the company in the audit log
    with Session(engine) as s:
        actors = set(s.scalars(select(AuditLogEntry.actor).where(AuditLogEntry.entity == "supplier_link")))
    assert actors == {f"company:{keys.company_id}"}


def test_unknown_ids_change_nothing(client, auth, engine, world):
    client.put("/api/v1/suppliers", headers=auth, json={"ids": [world.accredited.public_id]})
    body = assert_problem(
        client.put("/api/v1/suppliers", headers=auth, json={"ids": [world.suspended.public_id, "RA-NOPE2"]}),
        404,
    )
    assert "RA-NOPE2" in body["detail"] and body["unknown_ids"] == ["RA-NOPE2"]
    with Session(engine) as s:
        assert len(s.scalars(select(SupplierLink)).all()) == 1
    assert_problem(client.put("/api/v1/suppliers", headers=auth, json={"ids": "RA-22222"}), 422)
    assert_problem(client.put("/api/v1/suppliers", headers=auth, json={"ids": ["x"] * 10_001}), 413)
    assert_problem(client.put("/api/v1/suppliers", headers=auth, data="x", content_type="text/plain"), 415)


def test_lists_are_per_company(client, auth, keys, world):
    other = keys.headers(keys.make("Other Buyer Co"))
    client.put("/api/v1/suppliers", headers=auth, json={"ids": [world.accredited.public_id]})
    assert client.get("/api/v1/suppliers", headers=other).get_json()["items"] == []
    assert_problem(client.delete(f"/api/v1/suppliers/{world.accredited.public_id}", headers=other), 404)


def test_list_pages(client, auth, engine, world):
    with Session(engine) as s:
        ids = [factories.recruiter(s, name=f"Supplier Paging {i} Co").public_id for i in range(5)]
        s.commit()
    client.put("/api/v1/suppliers", headers=auth, json={"ids": ids})
    seen, cursor = [], None
    for _ in range(10):
        body = client.get(
            "/api/v1/suppliers",
            headers=auth,
            query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
        ).get_json()
        seen += [i["public_id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert_problem(client.get("/api/v1/suppliers?cursor=%%%", headers=auth), 422)


def test_report_json_and_csv(client, auth, world):
    client.put(
        "/api/v1/suppliers",
        headers=auth,
        json={"ids": [world.accredited.public_id, world.suspended.public_id, world.applicant.public_id]},
    )
    body = client.get("/api/v1/suppliers/report", headers=auth).get_json()
    assert body["total"] == 3 and body["at_risk"] == 2
    by_id = {i["public_id"]: i for i in body["items"]}
    sus = by_id[world.suspended.public_id]
    assert sus["status"] == "suspended" and sus["open_major_findings"] == 1
    assert "accreditation_suspended" in sus["risks"] and sus["fee_signal_level"] == "elevated"
    assert by_id[world.accredited.public_id]["risks"] == []
    assert by_id[world.applicant.public_id]["risks"] == ["not_accredited"]

    for resp in (
        client.get("/api/v1/suppliers/report", headers={**auth, "Accept": "text/csv"}),
        client.get("/api/v1/suppliers/report?format=csv", headers=auth),
    ):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert {r["public_id"] for r in rows} == set(by_id)
        row = next(r for r in rows if r["public_id"] == world.suspended.public_id)
        assert row["status"] == "suspended" and "open_major_findings" in row["risks"].split(";")
    assert_problem(client.get("/api/v1/suppliers/report", headers={**auth, "Accept": "image/png"}), 406)
    assert_problem(client.get("/api/v1/suppliers/report?format=xml", headers=auth), 422)
