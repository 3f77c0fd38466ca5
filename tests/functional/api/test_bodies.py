"""Hostile bodies are cheap to refuse: per-operation size limits (checked before reading, and on the
stream), a nesting limit, unknown keys refused before validation, and at most 20 errors listed."""

from __future__ import annotations

import io
import json
import time

import pytest

from registry.api import bodies
from tests.functional.api.test_auth import assert_problem

VERIFY = "/api/v1/recruiters/verify"


def post_raw(client, auth, path: str, raw: bytes, method: str = "POST", **environ):
    return client.open(
        path,
        method=method,
        data=raw,
        headers={**auth, "Content-Type": "application/json"},
        environ_overrides=environ,
    )


def timed(call):
    started = time.perf_counter()
    resp = call()
    return resp, time.perf_counter() - started


def test_the_largest_legal_bodies_fit_their_limits():
    """Limits are sized to the largest legal body: every character escaped, pretty-printed."""
    digits = "१२३४५६७८९०" * 8  # 80 Devanagari digits: 6 bytes each as \u escapes
    licences = {"licences": [{"country": "NP", "number": digits}] * bodies.MAX_ITEMS}
    assert len(json.dumps(licences, indent=4)) <= bodies.VERIFY_BODY_LIMIT
    ids = {"ids": ["\u0930" * bodies.MAX_ID_LENGTH] * bodies.MAX_ITEMS}
    assert len(json.dumps(ids, indent=4)) <= bodies.SUPPLIER_IDS_BODY_LIMIT <= bodies.VERIFY_BODY_LIMIT
    hook = {"url": "https://hooks.example.com/" + "\u00e9" * 470, "events": ["recruiter.status_changed"] * 3}
    assert len(json.dumps(hook, indent=4)) <= bodies.WEBHOOK_BODY_LIMIT
    # ... and nothing much larger gets through: an order of magnitude below the old 8 MB everywhere
    assert bodies.VERIFY_BODY_LIMIT < 7 * 1024 * 1024 and bodies.WEBHOOK_BODY_LIMIT < 8 * 1024


def test_a_legal_bulk_body_of_10000_entries_is_answered(client, auth, world):
    ids = [world.accredited.public_id.lower()] * 9_999 + ["RA-" + "Z" * 37]
    resp = client.post(
        VERIFY, headers=auth, data=json.dumps({"ids": ids}, indent=4), content_type="application/json"
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert (body["found"], body["unknown"]) == (9_999, 1)


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, auth, world):
    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

    for path, method, limit in (
        (VERIFY, "POST", bodies.VERIFY_BODY_LIMIT),
        ("/api/v1/suppliers", "PUT", bodies.SUPPLIER_IDS_BODY_LIMIT),
        ("/api/v1/webhooks", "POST", bodies.WEBHOOK_BODY_LIMIT),
    ):
        resp = client.open(
            path,
            method=method,
            headers={**auth, "Content-Type": "application/json"},
            input_stream=Unreadable(b""),
            environ_overrides={"CONTENT_LENGTH": str(limit)},
        )
        body = assert_problem(resp, 413)
        assert f"at most {limit - 1} bytes" in body["detail"]


def test_a_body_without_length_is_cut_off_at_the_limit(client, auth, world):
    raw = b'{"url": "https://hooks.example.com/' + b"a" * (bodies.WEBHOOK_BODY_LIMIT + 10) + b'"}'
    resp = client.open(
        "/api/v1/webhooks",
        method="POST",
        headers={**auth, "Content-Type": "application/json"},
        input_stream=io.BytesIO(raw),
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )
    assert_problem(resp, 413)


def test_200000_unknown_keys_are_refused_at_once_with_20_errors(client, auth, world):
    hostile = {"ids": ["RA-7K3Q9"], **{f"k{i:06d}": i for i in range(200_000)}}
    raw = json.dumps(hostile).encode()
    assert len(raw) > 3_000_000
    resp, seconds = timed(lambda: post_raw(client, auth, VERIFY, raw))
    body = assert_problem(resp, 422)
    assert len(body["errors"]) == 20 and body["error_count"] == 200_000
    assert all(e["type"] == "extra_forbidden" for e in body["errors"])
    assert "200000 errors" in body["detail"]
    assert len(resp.get_data()) < 5_000
    assert seconds < 2.0, seconds  # full validation of such a body took 3 s; loaded machines get slack


def test_unknown_keys_inside_entries_are_refused_before_validation(client, auth, world):
    entry = {"country": "NP", "number": "1", **{f"x{i}": 0 for i in range(20)}}
    raw = json.dumps({"licences": [entry] * 10_000}).encode()
    resp, seconds = timed(lambda: post_raw(client, auth, VERIFY, raw))
    body = assert_problem(resp, 422)
    assert body["error_count"] == 200_000 and len(body["errors"]) == 20
    assert body["errors"][0]["field"].startswith("licences.0.x")
    assert seconds < 2.0, seconds  # full validation of such a body took 3 s; loaded machines get slack


def test_many_invalid_entries_list_20_errors_and_count_them_all(client, auth, world):
    resp = client.post(VERIFY, headers=auth, json={"ids": list(range(10_000))})
    body = assert_problem(resp, 422)
    # (the union of the two body forms adds the other form's complaints: "licences" missing, "ids" unknown)
    assert len(body["errors"]) == 20 and 10_000 <= body["error_count"] <= 10_002
    assert body["errors"][0] == {
        "field": "ids.0",
        "message": "Input should be a valid string",
        "type": "string_type",
    }
    # a few errors are all listed, and not counted separately
    body = assert_problem(client.post(VERIFY, headers=auth, json={"ids": [1, 2]}), 422)
    assert 2 <= len(body["errors"]) == body["error_count"] <= 4
    assert "errors; the first" not in body["detail"]


def test_overlong_ids_are_refused(client, auth, world):
    body = assert_problem(client.post(VERIFY, headers=auth, json={"ids": ["RA-" + "X" * 100]}), 422)
    assert body["errors"][0]["field"] == "ids.0" and body["errors"][0]["type"] == "string_too_long"


@pytest.mark.parametrize("depth", [9, 50, 100_000])
def test_deeply_nested_json_is_a_400(client, auth, world, depth):
    raw = b'{"ids": ' + b"[" * depth + b"]" * depth + b"}"
    resp, seconds = timed(lambda: post_raw(client, auth, VERIFY, raw))
    body = assert_problem(resp, 400)
    assert "nests deeper than 8 levels" in body["detail"]
    assert seconds < 2.0  # full validation of such a body took 3 s; loaded machines get slack


def test_nesting_within_the_limit_reaches_validation(client, auth, world):
    raw = b'{"ids": ' + b"[" * 7 + b"]" * 7 + b"}"  # 8 levels: allowed, then refused by the model
    body = assert_problem(post_raw(client, auth, VERIFY, raw), 422)
    assert body["errors"][0]["field"] == "ids.0"


def test_problem_documents_the_error_count(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    problem = doc["components"]["schemas"]["Problem"]["properties"]
    assert "error_count" in problem
    verify = doc["paths"][VERIFY]["post"]["responses"]
    assert {"400", "413", "415", "422", "503"} <= set(verify)
    assert "Retry-After" in verify["503"]["headers"]
