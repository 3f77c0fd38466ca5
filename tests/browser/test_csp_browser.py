"""The pages work under the Content-Security-Policy: headless Chromium walks the public pages, the API
docs and the admin panel of the demo registry (charts, forms, confirmation dialogs, copy buttons, the
second-factor QR code) and no policy violation or script error occurs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Records every violation the page reports (an init script runs before the page's own and is not
# subject to the page's policy).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


class Watcher:
    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))

    def _console(self, msg) -> None:
        if (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            return  # pages without an icon link: the browser asks for one
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.problems.append(f"console {msg.type}: {msg.text} ({(msg.location or {}).get('url')})")

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.__violations || []")
        assert not violations, f"{where}: CSP violations {violations}"
        assert not self.problems, f"{where}: {self.problems}"


def css(page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"e => getComputedStyle(e).{prop}")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_public_and_admin_pages_work_under_the_csp(live_server, page_factory, cli, backend):
    result = cli("seed", "--demo")
    assert result.exit_code == 0, result.output
    email, password = re.search(r"admin login:\s+(\S+) / (\S+)", result.output).groups()
    base = live_server
    page = page_factory()
    watch = Watcher(page)

    # Public pages and the API documentation: the stylesheets apply.
    response = page.goto(base + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.get_by_role("searchbox").first.fill("Himal")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/verify\?q="))
    watch.check("public search")
    page.goto(base + "/api/docs")
    assert css(page, "section.op", "borderTopLeftRadius") == "6px"
    watch.check("API docs")

    # Admin: sign in (the demo login needs no second factor), the dashboard's charts.
    page.goto(base + "/admin/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert css(page, ".topbar", "backgroundColor") == "rgb(15, 23, 42)"
    assert page.locator("svg.chart").count() == 3
    watch.check("dashboard")

    # A recruiter, its certificate and the public card it links to.
    page.locator("#sidenav").get_by_role("link", name="Recruiters").click()
    page.locator("#recruiters a.mono").first.click()
    expect(page.locator("#status")).to_be_visible()
    watch.check("recruiter")

    # A form that creates something, then a reload: Post/Redirect/Get with a one-time secret.
    page.locator("#sidenav").get_by_role("link", name="Companies & API").click()
    page.get_by_role("link", name=re.compile("Northwind")).click()
    page.get_by_label("Key name").fill("browser check")
    page.get_by_role("button", name="Create API key").click()
    key = page.locator("#new-key-value")
    expect(key).to_contain_text("fr_live_")
    plaintext = key.inner_text().strip()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    copy = page.locator("#new-key button[data-copy]")
    copy.click()
    expect(copy).to_have_text("Copied")  # the static script runs under the policy
    page.reload()
    expect(page.locator("#new-key")).to_contain_text("already shown")
    assert plaintext not in page.content()
    watch.check("companies")

    # A confirmation dialog from the static script, then the revocation it confirms.
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    prefix = plaintext.split("_")[2]
    row = page.locator("#keys tr", has_text=prefix)
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flashes")).to_contain_text("revoked")
    assert dialogs and prefix in dialogs[0]
    watch.check("revoke")

    # One's account: the second-factor page with its inline SVG QR code.
    page.locator("#sidenav").get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Turn on the second factor").click()
    expect(page.locator("#totp-qr svg")).to_be_visible()
    watch.check("second factor")

    # Signing out ends the session; the browser lands on the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flashes")).to_contain_text("You are signed out.")
    page.goto(base + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    watch.check("sign-out")
