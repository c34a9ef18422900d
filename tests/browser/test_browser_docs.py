"""The API documentation page (``/api/docs``) in a real Chromium: Swagger UI from the server's
own files shows the API's operations under the app's Content-Security-Policy, with no CSP
violation and no script error (issue 11, finding 9: it was blank, Swagger from a CDN)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import Server

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

#: Collects the page's CSP violations (the securitypolicyviolation event names the directive
#: and what was blocked), installed before any of the page's scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_docs_show_the_operations_under_the_csp(page: Page, server: Server) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto(server.url + "/api/docs")
    expect(page.get_by_text("/api/checkins", exact=True).first).to_be_visible()
    expect(page.get_by_text("/api/history", exact=True).first).to_be_visible()

    # Open one operation and run it with "Try it out": the request goes to this server.
    operation = page.locator("#operations-security-csrf_token_api_csrf_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".live-responses-table tbody .response-col_status").first
    ).to_contain_text("200")

    # "Try it out" adds the CSRF token to unsafe requests, as the app's own scripts do.
    header = page.evaluate(
        """async () => {
            const request = await window.ui.getConfigs().requestInterceptor(
                {method: "POST", url: "/api/checkins", headers: {}});
            return request.headers["X-Vagus-CSRF"] || "";
        }"""
    )
    assert header

    violations = page.evaluate("window.__cspViolations")
    assert violations == []
    assert problems == []
    assert all(url.startswith(server.url) for url in requested), requested
