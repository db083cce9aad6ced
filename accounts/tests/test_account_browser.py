"""The account pages in real Chromium: a label on every control, and no Content-Security-Policy
violation (the TOTP page's QR code included)."""

import pytest

from accounts.tests.factories import UserFactory
from planner.testing.a11y import unlabelled_controls
from planner.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""


def check(page, path: str) -> dict:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return {
        "unlabelled": unlabelled_controls(page),
        "csp": page.evaluate("window.__cspViolations"),
    }


def test_account_pages_label_every_control_and_keep_the_policy(page):
    page.add_init_script(COLLECT_VIOLATIONS)
    UserFactory(email="ada@example.org")
    clean = {"unlabelled": [], "csp": []}
    found = {
        path: check(page, path)
        for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/")
    }
    log_in(page, "ada@example.org", PASSWORD)
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        found[path] = check(page, path)
    # Turning on the second factor asks for the password again, then shows the QR code.
    page.goto("/accounts/2fa/totp/activate/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    found["/accounts/reauthenticate/"] = check(page, page.url)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    found["/accounts/2fa/totp/activate/"] = check(page, "/accounts/2fa/totp/activate/")
    assert page.get_by_role("img").first.is_visible()
    assert {path: result for path, result in found.items() if result != clean} == {}
