"""Security headers on every surface (public pages, admin, API, API docs, static files, errors), HSTS
in production only, and templates the Content-Security-Policy can allow (no inline script or style)."""

from __future__ import annotations

import re

import pytest

from registry.settings import PROJECT_ROOT

URLS = [
    "/",
    "/verify?q=anything",
    "/healthz",
    "/admin/login",
    "/admin/",
    "/api/v1/recruiters",
    "/api/v1/openapi.json",
    "/api/docs",
    "/static/admin.css",
    "/no-such-page",
]


def _check(resp, url: str) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'self'", url
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", url
    assert directives.get("script-src") == "script-src 'self'", url  # no 'unsafe-inline'
    assert "unsafe" not in csp, url
    assert resp.headers.get("X-Frame-Options") == "DENY", url
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", url
    assert resp.headers.get("Referrer-Policy") == "same-origin", url


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_surface_sends_the_security_headers(client, backend):
    for url in URLS:
        resp = client.get(url)
        assert resp.status_code < 500, url
        _check(resp, url)
        assert "Strict-Transport-Security" not in resp.headers, f"{url}: HSTS outside production"
        resp.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_hsts_in_production(engine, tmp_path, backend):
    from registry import create_app
    from registry.settings import Settings

    app = create_app(
        Settings(
            env="production",
            database_url=engine.url.render_as_string(hide_password=False),
            secret_key="kT3vQ9xLm2Rb7YcNf5WjHs8Ud4PaZe6G",
            pseudonym_key="Hq7Zr2Mx9Ld4Vb6Nc8Kf3Wt5Yj1Ps0Ga",
            public_base_url="https://fairrecruit.example.org",
            var_dir=tmp_path,
        ).check(),
        engine=engine,
    )
    client = app.test_client()
    for url in URLS:
        resp = client.get(url, base_url="https://localhost")
        _check(resp, url)
        assert resp.headers["Strict-Transport-Security"].startswith("max-age="), url
        resp.close()


TEMPLATES = [
    *sorted((PROJECT_ROOT / "registry" / "web" / "templates").rglob("*.html")),
    *sorted((PROJECT_ROOT / "registry" / "api" / "templates").rglob("*.html")),
]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    assert len(TEMPLATES) > 20
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {what}"
        for path in TEMPLATES
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, "the Content-Security-Policy would block: " + "; ".join(found)
