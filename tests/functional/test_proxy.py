"""Behind the docker-compose nginx (FAIRRECRUIT_PROXY_COUNT=1) the client's address and scheme come from
the proxy's X-Forwarded-* headers; without a proxy configured, those headers are ignored."""

from __future__ import annotations

from flask import jsonify, request

from registry import create_app

FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "registry.example.org",
}


def _seen(settings, engine, proxies: int) -> dict:
    app = create_app(settings.model_copy(update={"proxy_count": proxies}), engine=engine)

    @app.get("/_client")
    def _client():
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    return (
        app.test_client()
        .get("/_client", headers=FORWARDED, environ_base={"REMOTE_ADDR": "172.18.0.5"})
        .get_json()
    )


def test_one_trusted_proxy(settings, sqlite_engine):
    assert _seen(settings, sqlite_engine, 1) == {
        "addr": "203.0.113.9",
        "scheme": "https",
        "host": "registry.example.org",
    }


def test_no_proxy_trusts_no_header(settings, sqlite_engine):
    assert _seen(settings, sqlite_engine, 0) == {"addr": "172.18.0.5", "scheme": "http", "host": "localhost"}
