"""The OpenAPI document covers every route, parameter, response and error, with examples; /api/docs
renders it from the package without any external resource."""

from __future__ import annotations

import re

from markupsafe import escape

from registry.api.core import API_PREFIX


def test_document_is_openapi_31_and_covers_every_route(app, client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    assert len(documented) == 13


def test_every_operation_documents_parameters_responses_errors_with_examples(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op["summary"] and op["description"], where
            assert op["security"] == [{"bearerAuth": []}], where
            for p in op["parameters"]:
                assert (
                    p["description"] and "example" in p or p["in"] == "query" and p["name"] in ("cursor",)
                ), (where, p)
            assert set(re.findall(r"{(\w+)}", path)) == {
                p["name"] for p in op["parameters"] if p["in"] == "path"
            }
            codes = set(op["responses"])
            assert {"401", "403", "429"} <= codes, where
            for code, resp in op["responses"].items():
                assert resp["description"], (where, code)
                for media_type, media in resp.get("content", {}).items():
                    assert "example" in media, (where, code, media_type)
                    if int(code) >= 400:
                        assert media_type == "application/problem+json"
                        assert media["example"]["status"] == int(code)
            if "requestBody" in op:
                assert {"400", "415", "422"} <= codes and op["requestBody"]["content"]["application/json"][
                    "example"
                ]
            assert "429" in codes and "Retry-After" in op["responses"]["429"]["headers"]
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "413" in doc["paths"]["/api/v1/recruiters/verify"]["post"]["responses"]
    assert "text/csv" in doc["paths"]["/api/v1/suppliers/report"]["get"]["responses"]["200"]["content"]


def test_documented_examples_validate_against_the_models(client):
    from registry.api import schemas
    from registry.api.core import OPERATIONS
    from registry.api.openapi import example_of

    for op in OPERATIONS:
        for model in [op.body, *(m for m, _d in op.responses.values())]:
            if model is not None and (example := example_of(model)) is not None:
                model.model_validate(example)
    schemas.Problem.model_validate(example_of(schemas.Problem))


def test_human_docs_are_served_locally(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        assert path in html
        for op in ops.values():
            assert str(escape(op["summary"])) in html
    assert "FairRecruit-Signature" in html and "curl" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html), "no external resources"
