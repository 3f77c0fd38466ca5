"""The OpenAPI document (/api/v1/openapi.json) and the human documentation (/api/docs), both served
from the package: no CDN, no JavaScript needed."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, current_app, render_template
from markupsafe import Markup, escape

from registry.api import openapi
from registry.api.core import bp

docs_bp = Blueprint("api_docs", __name__, template_folder="templates")


def document() -> dict:
    doc = current_app.extensions.get("fairrecruit.openapi")
    if doc is None:
        doc = current_app.extensions["fairrecruit.openapi"] = openapi.build()
    return doc


@bp.get("/openapi.json")
def openapi_json():
    body = current_app.extensions.get("fairrecruit.openapi_json")
    if body is None:
        body = current_app.extensions["fairrecruit.openapi_json"] = json.dumps(document(), indent=1).encode()
    return Response(
        body,
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def inline_markdown(text: str) -> Markup:
    """The little Markdown the descriptions use: paragraphs, **strong** and `code`."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text or ""):
        html = str(escape(" ".join(para.split())))
        html = _CODE.sub(r"<code>\1</code>", html)
        html = _STRONG.sub(r"<strong>\1</strong>", html)
        if html:
            paragraphs.append(f"<p>{html}</p>")
    return Markup("\n".join(paragraphs))  # noqa: S704 - built from escaped text only


def _resolve(doc: dict, schema: dict | None) -> dict:
    if schema and "$ref" in schema:
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema or {}


def _type_of(doc: dict, schema: dict) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " | ".join(_type_of(doc, x) for x in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if schema.get("type") == "array":
        return f"array of {_type_of(doc, schema.get('items', {}))}"
    t = schema.get("type", "")
    if schema.get("format"):
        t += f" ({schema['format']})"
    return t


@docs_bp.get("/api/docs")
def api_docs():
    doc = document()
    base = current_app.extensions["fairrecruit.settings"].public_base_url.rstrip("/")
    operations = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            operations.append({"path": path, "method": method.upper(), **op})
    tags = [(t, [o for o in operations if t["name"] in o["tags"]]) for t in doc["tags"]]
    return render_template(
        "api/docs.html",
        doc=doc,
        tags=tags,
        base=base,
        json=json,
        md=inline_markdown,
        resolve=lambda sch: _resolve(doc, sch),
        type_of=lambda sch: _type_of(doc, sch),
    )
