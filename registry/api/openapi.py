"""The OpenAPI 3.1 document, generated from the operation table and the same pydantic models that
validate requests and shape responses."""

from __future__ import annotations

import copy
import re
from http import HTTPStatus

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from registry.api import schemas as s
from registry.api.core import OPERATIONS, PROBLEM_BASE, PROBLEM_JSON, PROBLEM_SLUGS, Operation

REF = "#/components/schemas/{model}"

ERROR_DESCRIPTIONS = {
    400: (
        "Malformed request: the body is not valid JSON",
        "the body is not valid JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    401: ("No API key, or an unknown or revoked one", "the API key is unknown or has been revoked"),
    403: ("The API key lacks the scope this operation needs", "this API key lacks the 'suppliers' scope"),
    404: ("Not found (or not yours)", "no recruiter with public id 'RA-XXXXX'"),
    406: (
        "None of the accepted media types can be produced",
        "this report is available as application/json or text/csv",
    ),
    409: (
        "Conflicts with the current state",
        "a webhook for https://hooks.example.com/fairrecruit already exists",
    ),
    413: (
        "Too many entries (more than 10,000), or a body larger than this operation's largest legal body",
        "at most 10000 entries in 'ids' per request (got 10001); split the list into several requests",
    ),
    415: ("The body must be sent as application/json", "send the body as application/json (got text/plain)"),
    422: ("Invalid input; `errors` lists each invalid field", "the request body is invalid"),
    429: (
        "Rate limit for this API key exceeded; retry after `Retry-After` seconds",
        "rate limit exceeded (600 per 1 minute); retry after 37 s",
    ),
    503: (
        "The registry's database cannot be reached at the moment; retry after `Retry-After` seconds",
        "the registry's database cannot be reached at the moment; nothing was changed. Retry after 10 s",
    ),
}

ERROR_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "Bearer challenge",
            "schema": {"type": "string"},
            "example": 'Bearer realm="FairRecruit API", error="invalid_token"',
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the limit resets",
            "schema": {"type": "integer"},
            "example": 37,
        }
    },
    405: {"Allow": {"description": "Methods this path supports", "schema": {"type": "string"}}},
    503: {
        "Retry-After": {
            "description": "Seconds after which to try again",
            "schema": {"type": "integer"},
            "example": 10,
        }
    },
}

DESCRIPTION = """\
Supply-chain API of the FairRecruit registry of ethically accredited labour recruiters.

**Authentication.** Send `Authorization: Bearer <key>`. Keys are created by the registry operator
(`fairrecruit api-keys create --company NAME --scopes read,suppliers,webhooks`), shown once, stored
hashed and revocable. Each key has scopes: `read` (recruiters), `suppliers` (your supplier list),
`webhooks` (your webhook endpoints).

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status` and `detail`;
validation errors (422) also list each invalid field in `errors`. A method a path does not support
answers 405 with an `Allow` header.

**Rate limit.** Each key may make a limited number of requests per minute (all operations together);
beyond it the answer is 429 with `Retry-After` (seconds until the window resets) and
`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (unix time).

**Pagination.** Lists return `next_cursor`; pass it back as `cursor` for the next page.

**Webhooks.** Deliveries are `POST` requests with a JSON body `{id, type, created_at, data}` and the header
`FairRecruit-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. Verify the signature
over the raw body, reject timestamps older than 5 minutes, and de-duplicate on `id` (delivery is at
least once).

**Privacy.** The API carries registry data and aggregates only, never a worker's identity.
"""


class WebhookEvent(BaseModel):
    """The body of every webhook delivery."""

    id: str
    type: str
    created_at: str
    data: dict


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def example_of(model: type[BaseModel] | None):
    if model is None:
        return None
    extra = model.model_config.get("json_schema_extra") or {}
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return copy.deepcopy(examples[0]) if isinstance(examples, list) and examples else None


def _param_schema(prop: dict) -> dict:
    prop = dict(prop)
    if "anyOf" in prop:
        options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        else:
            prop["anyOf"] = options
    prop.pop("title", None)
    if prop.get("default", 0) is None:
        prop.pop("default")
    return prop


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        p = _param_schema(prop)
        description = p.pop("description", "")
        examples = p.pop("examples", None)
        param = {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": description,
            "schema": p,
        }
        if examples:
            param["example"] = examples[0]
        params.append(param)
    return params


def _problem_example(code: int, detail: str) -> dict:
    example = {
        "type": PROBLEM_BASE + PROBLEM_SLUGS.get(code, str(code)),
        "title": HTTPStatus(code).phrase,
        "status": code,
        "detail": detail,
    }
    if code == 422:
        example["errors"] = [
            {"field": "ids.0", "message": "Input should be a valid string", "type": "string_type"}
        ]
    if code == 403:
        example["required_scope"] = "suppliers"
    if code == 429:
        example["retry_after"] = 37
    if code == 503:
        example["retry_after"] = 10
    return example


def build(*, title: str = "FairRecruit supply-chain API", version: str = "1.0.0") -> dict:
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (s.Problem, "serialization"),
        (WebhookEvent, "validation"),
    ]
    for op in OPERATIONS:
        if op.body is not None:
            inputs.append((op.body, "validation"))
        for model, _desc in op.responses.values():
            if model is not None:
                inputs.append((model, "serialization"))
    inputs = list(dict.fromkeys(inputs))
    refs, top = models_json_schema(inputs, ref_template=REF)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(_openapi_path(op.rule), {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/", "description": "This registry"}],
        "tags": [
            {
                "name": "Recruiters",
                "description": "Look up, search and bulk-verify recruiters (scope `read`)",
            },
            {
                "name": "Suppliers",
                "description": "Your supplier list and its risk report (scope `suppliers`)",
            },
            {
                "name": "Webhooks",
                "description": "Be told when a recruiter you list changes (scope `webhooks`)",
            },
        ],
        "paths": paths,
        "webhooks": {
            "recruiterEvent": {
                "post": {
                    "summary": "A change to a recruiter on your supplier list",
                    "description": "Sent to each of your endpoints subscribed to the event type. Verify "
                    "`FairRecruit-Signature` before trusting the body.",
                    "parameters": [
                        {
                            "name": "FairRecruit-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": refs[(WebhookEvent, "validation")],
                                "example": {
                                    "id": "msg_5f0c3b1e9d2a4c7b8e6f1a2b3c4d5e6f",
                                    "type": "recruiter.status_changed",
                                    "created_at": "2026-03-01T10:00:00Z",
                                    "data": {
                                        "recruiter": {
                                            "public_id": "RA-7K3Q9",
                                            "legal_name": "Himal Bright Overseas Pvt. Ltd.",
                                            "country": "NP",
                                        },
                                        "from": "accredited",
                                        "to": "suspended",
                                        "reason": "major finding overdue",
                                        "at": "2026-03-01T10:00:00Z",
                                        "status": "suspended",
                                        "valid_until": "2028-06-01",
                                        "licence_status": "valid",
                                    },
                                },
                            }
                        },
                    },
                    "responses": {
                        "2XX": {"description": "Received; any other answer is retried with backoff"}
                    },
                }
            },
        },
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: `fr_live_<prefix>_<secret>`",
                }
            },
        },
    }


def _operation(op: Operation, refs: dict) -> dict:
    params = []
    for name, spec in op.path_params.items():
        params.append({"name": name, "in": "path", "required": True, **copy.deepcopy(spec)})
    if op.query is not None:
        params.extend(_query_parameters(op.query))
    out: dict = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": op.description + (f"\n\nRequires scope `{op.scope}`." if op.scope else ""),
        "tags": [op.tag],
        "parameters": params,
        "responses": {},
    }
    if op.scope:
        out["security"] = [{"bearerAuth": []}]
        out["x-required-scope"] = op.scope
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": refs[(op.body, "validation")], "example": example_of(op.body)}
            },
        }
    for code, (model, description) in sorted(op.responses.items()):
        resp: dict = {"description": description}
        if model is not None:
            content = {"application/json": {"schema": refs[(model, "serialization")]}}
            if (example := example_of(model)) is not None:
                content["application/json"]["example"] = example
            content.update(op.extra_content.get(code, {}))
            resp["content"] = content
        out["responses"][str(code)] = resp
    for code in op.errors:
        description, detail = ERROR_DESCRIPTIONS[code]
        resp = {
            "description": description,
            "content": {
                PROBLEM_JSON: {
                    "schema": refs[(s.Problem, "serialization")],
                    "example": _problem_example(code, detail),
                }
            },
        }
        if code in ERROR_HEADERS:
            resp["headers"] = copy.deepcopy(ERROR_HEADERS[code])
        out["responses"][str(code)] = resp
    return out
