"""Browser tests: the real app in a werkzeug server thread (port 0), driven by Debian's headless Chromium."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture(scope="module")
def browser(chromium):
    """Debian's headless Chromium (the shared fixture in tests/conftest.py)."""
    return chromium


@pytest.fixture
def live_server(app):
    """The app served over a real socket; yields its base URL."""
    app.extensions["fairrecruit.settings"].login_failure_delay_seconds = 0.05
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page_factory(browser):
    contexts = []

    def make(width=1280, height=800):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())  # confirmation of destructive actions: answer yes
        return page

    yield make
    for ctx in contexts:
        ctx.close()
