"""Recruiters: list with cursor and filters, detail with historic status, bulk verify, fee statistics."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlmodel import Session

from registry.services import accreditation, auditlog
from registry.timeutil import utcnow
from tests import factories
from tests.functional.api.test_auth import assert_problem


def test_list_pages_with_a_cursor(client, auth, engine, world):
    with Session(engine) as s:
        for i in range(4):
            factories.recruiter(s, name=f"Paging Test Agency {i}", country="BD")
        s.commit()
    seen, cursor, pages = [], None, 0
    while True:
        resp = client.get(
            "/api/v1/recruiters",
            headers=auth,
            query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        assert resp.status_code == 200
        body = resp.get_json()
        seen += [i["public_id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 4 and len(seen) == len(set(seen)) == 7


def test_list_filters(client, auth, world):
    def ids(**params):
        resp = client.get("/api/v1/recruiters", headers=auth, query_string=params)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return {i["public_id"] for i in resp.get_json()["items"]}

    assert ids(country="PH") == {world.applicant.public_id}
    assert ids(country="np", status="suspended") == {world.suspended.public_id}
    assert ids(status="accredited") == {world.accredited.public_id}
    assert ids(licence_number="np-2002/78") == {world.suspended.public_id}
    assert world.suspended.public_id in ids(q="Blue Lotus Overseas")
    assert ids(q="Blu Lotas", country="PH") == set()


def test_list_bad_parameters(client, auth, world):
    body = assert_problem(client.get("/api/v1/recruiters?limit=0&status=dormant", headers=auth), 422)
    assert {e["field"] for e in body["errors"]} == {"limit", "status"}
    assert_problem(client.get("/api/v1/recruiters?cursor=not-a-cursor", headers=auth), 422)


def test_detail(client, auth, world, settings):
    resp = client.get(f"/api/v1/recruiters/{world.suspended.public_id.lower()}", headers=auth)
    assert resp.status_code == 200
    d = resp.get_json()
    assert d["public_id"] == world.suspended.public_id
    assert d["status"] == "suspended"
    assert d["open_major_findings"] == 1
    assert d["last_audit_date"] == datetime.now(UTC).date().isoformat()
    assert d["licence_status"] == "unknown"
    assert d["fee_signal_level"] == "elevated"  # 9 independent reporters, none substantiated yet
    assert {"accreditation_suspended", "open_major_findings", "fee_signal_elevated"} <= set(d["risks"])
    assert d["verify_url"].endswith(f"/verify/{world.suspended.public_id}")
    assert d["status_at"] is None
    ok = client.get(f"/api/v1/recruiters/{world.accredited.public_id}", headers=auth).get_json()
    assert (
        ok["status"] == "accredited"
        and ok["valid_until"]
        and ok["risks"] == []
        and ok["fee_signal_level"] == "none"
    )
    assert_problem(client.get("/api/v1/recruiters/RA-ZZZZZ", headers=auth), 404)


def test_detail_status_at_a_past_moment(client, auth, engine, world):
    before = utcnow()
    time.sleep(0.05)
    with Session(engine) as s:
        auditlog.set_actor(s, "test")
        rec = s.get(type(world.accredited), world.accredited.id)
        accreditation.decide(s, rec, "suspend", actor="test", reason="overdue corrective action")
        s.commit()
    url = f"/api/v1/recruiters/{world.accredited.public_id}"
    now = client.get(url, headers=auth).get_json()
    assert now["status"] == "suspended"
    then = client.get(url, headers=auth, query_string={"at": before.isoformat()}).get_json()
    assert then["status"] == "suspended" and then["status_at"]["status"] == "accredited"
    naive = client.get(
        url, headers=auth, query_string={"at": before.replace(tzinfo=None).isoformat()}
    ).get_json()
    assert naive["status_at"]["status"] == "accredited"
    long_ago = client.get(url, headers=auth, query_string={"at": "2001-01-01T00:00:00Z"}).get_json()
    assert long_ago["status_at"]["status"] == "not_registered"
    body = assert_problem(client.get(url, headers=auth, query_string={"at": "yesterday-ish"}), 422)
    assert body["errors"][0]["field"] == "at"


def test_bulk_verify_ids_in_input_order(client, auth, world):
    ids = [
        world.applicant.public_id,
        "RA-NOPE2",
        world.accredited.public_id.lower(),
        world.applicant.public_id,
        "",
    ]
    resp = client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": ids})
    assert resp.status_code == 200
    body = resp.get_json()
    assert [r["input"] for r in body["results"]] == ids
    assert [r["status"] for r in body["results"]] == [
        "applicant",
        "unknown",
        "accredited",
        "applicant",
        "unknown",
    ]
    assert [r["found"] for r in body["results"]] == [True, False, True, True, False]
    assert body["found"] == 3 and body["unknown"] == 2
    assert body["results"][2]["public_id"] == world.accredited.public_id


def test_bulk_verify_licences(client, auth, world):
    licences = [
        {"country": "NP", "number": "np-2002/78"},
        {"country": "PH", "number": "NP-2002/78"},
        {"country": "ph", "number": " PH-3003 "},
        {"country": "NP", "number": "0000"},
    ]
    body = client.post("/api/v1/recruiters/verify", headers=auth, json={"licences": licences}).get_json()
    assert [r["input"] for r in body["results"]] == licences
    assert [r["public_id"] for r in body["results"]] == [
        world.suspended.public_id,
        None,
        world.applicant.public_id,
        None,
    ]
    assert body["results"][0]["status"] == "suspended"


def test_bulk_verify_limits_and_bad_bodies(client, auth, world):
    ok = client.post(
        "/api/v1/recruiters/verify", headers=auth, json={"ids": [world.accredited.public_id] * 10_000}
    )
    assert ok.status_code == 200 and len(ok.get_json()["results"]) == 10_000
    body = assert_problem(
        client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": ["RA-22222"] * 10_001}), 413
    )
    assert "10000" in body["detail"]
    assert_problem(
        client.post(
            "/api/v1/recruiters/verify",
            headers=auth,
            data="ids=RA-22222",
            content_type="application/x-www-form-urlencoded",
        ),
        415,
    )
    assert_problem(
        client.post(
            "/api/v1/recruiters/verify", headers=auth, data="{not json", content_type="application/json"
        ),
        400,
    )
    body = assert_problem(
        client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": [1, "RA-22222"]}), 422
    )
    assert body["errors"][0]["field"].startswith("ids.0")
    assert_problem(
        client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": [], "licences": []}), 422
    )
    # a body over the server's size limit
    assert_problem(
        client.post(
            "/api/v1/recruiters/verify",
            headers=auth,
            data=b"[" + b" " * (9 * 1024 * 1024) + b"]",
            content_type="application/json",
        ),
        413,
    )


def test_method_not_allowed_is_a_problem_with_allow(client, auth):
    resp = client.delete("/api/v1/recruiters", headers=auth)
    body = assert_problem(resp, 405)
    assert "GET" in resp.headers["Allow"] and "DELETE" in body["detail"]
    assert_problem(client.get("/api/v1/no-such-thing", headers=auth), 404)


def test_fee_stats_suppress_small_buckets(client, auth, world):
    resp = client.get(f"/api/v1/recruiters/{world.suspended.public_id}/fee-stats", headers=auth)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["min_bucket_size"] == 5
    assert [(b["category"], b["reports"]) for b in body["by_category"]] == [("recruitment_fee", 6)]
    assert (
        body["by_category"][0]["total_usd"] == "6000.00"
        and body["by_category"][0]["average_usd"] == "1000.00"
    )
    assert [(b["origin"], b["destination"], b["reports"]) for b in body["by_corridor"]] == [("NP", "QA", 8)]
    assert body["suppressed_buckets"] == 3  # medical (2), deposit_or_bond (1), NP->AE (1)
    empty = client.get(f"/api/v1/recruiters/{world.accredited.public_id}/fee-stats", headers=auth).get_json()
    assert empty["by_category"] == [] and empty["by_corridor"] == [] and empty["suppressed_buckets"] == 0
    assert_problem(client.get("/api/v1/recruiters/RA-ZZZZZ/fee-stats", headers=auth), 404)


def test_only_reports_that_count_are_aggregated(client, auth, engine, world):
    from sqlalchemy import select

    from registry.models import FeeReport
    from registry.services import reports

    def triage(status):
        with Session(engine) as s:
            auditlog.set_actor(s, "test")
            report = s.scalars(
                select(FeeReport)
                .where(FeeReport.category == "recruitment_fee", FeeReport.triage_status == "new")
                .order_by(FeeReport.id)
            ).first()
            reports.triage(s, report, status=status, note="checked", actor="test")
            s.commit()

    url = f"/api/v1/recruiters/{world.suspended.public_id}"
    triage("unsubstantiated")
    triage("substantiated")
    body = client.get(url + "/fee-stats", headers=auth).get_json()
    assert [(b["category"], b["reports"], b["substantiated"]) for b in body["by_category"]] == [
        ("recruitment_fee", 5, 1)
    ]
    assert client.get(url, headers=auth).get_json()["fee_signal_level"] == "high"
    triage("duplicate")
    body = client.get(url + "/fee-stats", headers=auth).get_json()
    assert body["by_category"] == []  # 4 left: below the bucket size
