"""Security headers and cookies on pages, the API and the admin, and the production settings
that `check --deploy` accepts."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
STRICT_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
}
NONCE_RE = re.compile(r"'nonce-([^']+)'")


def policy_of(response) -> dict[str, set[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def without_nonce(policy: dict[str, set[str]]) -> dict[str, set[str]]:
    return {name: {s for s in sources if not NONCE_RE.match(s)} for name, sources in policy.items()}


def test_a_page_has_the_strict_policy_with_a_nonce_on_its_script(logged_in_client):
    response = logged_in_client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    policy = policy_of(response)
    assert without_nonce(policy) == STRICT_POLICY
    (nonce,) = NONCE_RE.findall(" ".join(policy["script-src"]))
    html = response.content.decode()
    # The only script tags are external, and carry the response's nonce or none at all.
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert f'nonce="{nonce}"' in html
    assert ' style="' not in html
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_api_and_the_admin_have_the_strict_policy(api_client, client):
    for response in (api_client.get("/api/me"), client.get(reverse("admin:login"))):
        assert response.status_code == 200
        assert without_nonce(policy_of(response)) == STRICT_POLICY
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_relax_only_styles_and_workers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["style-src"] == {"'self'", "'unsafe-inline'"}
    assert policy["worker-src"] == {"'self'", "blob:"}
    assert policy["script-src"] == {"'self'"}
    assert {k: v for k, v in policy.items() if k not in ("style-src", "worker-src")} == {
        k: v for k, v in STRICT_POLICY.items() if k != "style-src"
    }
    # No inline script: Swagger's start-up script is its own request.
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts and all("src=" in tag for tag in scripts)


def test_cookies_are_httponly_and_samesite_lax(client, user):
    login = client.get(reverse("accounts:login"))
    csrf = login.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("accounts:login"), {"login": user.email, "password": "correct-horse-battery"}
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_htmx_requests_carry_the_csrf_token_from_the_page(user):
    """The CSRF cookie is HttpOnly, so htmx must send the token base.html renders."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    (token,) = re.findall(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page)
    refused = client.post(reverse("accounts:logout"), HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = client.post(
        reverse("accounts:logout"), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 302


PRODUCTION_PROBE = """
import django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
      settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_HTTPONLY)
"""


def test_production_settings_pass_check_deploy_with_hsts_and_secure_cookies():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "DEBUG"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="planner.settings",
        DEBUG="false",
        SECRET_KEY="check-deploy-" + "x7Qp2" * 12,
        FIELD_ENCRYPTION_KEY="k1:ZGV2LWtleS1uZXZlci11c2UtaW4tcHJvZHVjdGlvbiE=",
        DATABASE_URL="sqlite:///:memory:",
        ALLOWED_HOSTS="planner.example.org",
    )
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["31536000", "True", "True", "True", "True"]
