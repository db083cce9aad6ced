"""The audit trail across the layers: integrations, export and account deletion are recorded
with the client's address through the real pages, no row ever holds a secret, and deletion
keeps the trail but removes the student's login attempts."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from integrations import ratelimit
from integrations.models import IntegrationSettings
from integrations.testing.fake_google import FakeGoogle
from integrations.testing.fake_notion import FakeNotion
from journey import exports

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
WRONG_PASSWORD = "hunter2-wrong-guess"
NOTION_TOKEN = "secret_notion_integration_token_for_audit"
BROWSER = {"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "AuditBrowser/2.0"}


@pytest.fixture
def fake_google(settings, monkeypatch):
    server = FakeGoogle().start()
    settings.GOOGLE_API_ENDPOINT = server.base_url
    settings.GOOGLE_TOKEN_URI = f"{server.base_url}/token"
    settings.GOOGLE_AUTH_URI = f"{server.base_url}/o/oauth2/auth"
    settings.GOOGLE_REVOKE_URI = f"{server.base_url}/revoke"
    settings.GOOGLE_CLIENT_ID = "test-client.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "test-client-secret"
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server.auto_approve = True
    yield server
    server.stop()


@pytest.fixture
def fake_notion(settings, monkeypatch):
    server = FakeNotion().start()
    settings.NOTION_BASE_URL = server.base_url
    ratelimit.reset()
    monkeypatch.setattr(ratelimit, "pause", lambda seconds: None)
    yield server
    server.stop()
    ratelimit.reset()


@pytest.fixture
def student(db):
    return UserFactory(email="ada@example.org", password=PASSWORD)


def connect_google(client) -> str:
    """The OAuth dance through the page and the fake consent screen; returns the code."""
    start = client.post(reverse("integrations:google_connect"), **BROWSER)
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    approved = requests.get(
        urlparse(start["Location"])._replace(path="", query="").geturl()
        + consent.headers["Location"],
        allow_redirects=False,
        timeout=5,
    )
    callback = urlparse(approved.headers["Location"])
    done = client.get(f"{callback.path}?{callback.query}", **BROWSER)
    assert done.status_code == 302
    return parse_qs(callback.query)["code"][0]


def test_every_action_is_recorded_with_its_origin_and_no_secret(
    client, student, fake_google, fake_notion, django_capture_on_commit_callbacks
):
    login = reverse("accounts:login")
    client.post(login, {"login": student.email, "password": WRONG_PASSWORD}, **BROWSER)
    client.post(login, {"login": student.email, "password": PASSWORD}, **BROWSER)
    created = client.post(
        "/api/tokens", {"name": "cli"}, content_type="application/json", **BROWSER
    )
    raw_key = created.json()["key"]
    client.delete(f"/api/tokens/{created.json()['id']}", **BROWSER)
    with django_capture_on_commit_callbacks(execute=True):
        code = connect_google(client)
    google_refresh = IntegrationSettings.objects.get(user=student).google_refresh_token
    fake_notion.add_token(NOTION_TOKEN)
    parent = fake_notion.add_parent_page()
    with django_capture_on_commit_callbacks(execute=True):
        notion = client.post(
            reverse("integrations:notion_connect"),
            {"token": NOTION_TOKEN, "parent_page_id": parent},
            **BROWSER,
        )
    assert notion.status_code == 302
    for provider in ("google", "notion"):
        disconnect = reverse("integrations:disconnect", args=[provider])
        assert client.post(disconnect, **BROWSER).status_code == 302
    assert client.get(reverse("journey:data_export"), **BROWSER).status_code == 200

    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.detail.get("provider")) for e in events] == [
        (AuditAction.LOGIN_FAILED, None),
        (AuditAction.LOGIN_SUCCEEDED, None),
        (AuditAction.TOKEN_CREATED, None),
        (AuditAction.TOKEN_REVOKED, None),
        (AuditAction.INTEGRATION_CONNECTED, "google"),
        (AuditAction.INTEGRATION_CONNECTED, "notion"),
        (AuditAction.INTEGRATION_DISCONNECTED, "google"),
        (AuditAction.INTEGRATION_DISCONNECTED, "notion"),
        (AuditAction.DATA_EXPORTED, None),
    ]
    for event in events:
        assert (event.ip_address, event.user_agent) == ("203.0.113.9", "AuditBrowser/2.0")
        assert event.user_id_snapshot == (None if event.user is None else student.pk)
    secrets = [PASSWORD, WRONG_PASSWORD, raw_key, NOTION_TOKEN, code, google_refresh]
    assert all(secrets)
    for row in AuditEvent.objects.values():
        text = repr(row)
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (row["action"], leaked)


def test_the_export_holds_the_students_own_audit_events_only(logged_in_client, user, other_user):
    logged_in_client.force_login(other_user)
    logged_in_client.force_login(user)
    payload = exports.user_data_export(user=user)
    rows = payload["tables"]["accounts.AuditEvent"]
    assert {row["user_id"] for row in rows} == {user.pk}
    assert {row["action"] for row in rows} == {AuditAction.LOGIN_SUCCEEDED}


def test_deletion_keeps_the_trail_and_removes_the_students_login_attempts(client, settings):
    student = UserFactory(email="gone@example.org", password=PASSWORD)
    other = UserFactory(email="stays@example.org", password=PASSWORD)
    login = reverse("accounts:login")
    for email in ("Gone@Example.org", other.email):
        client.post(login, {"login": email, "password": WRONG_PASSWORD}, **BROWSER)
    client.post(login, {"login": student.email, "password": PASSWORD}, **BROWSER)
    assert AccessLog.objects.filter(username=student.email).exists()
    student_id = student.pk

    response = client.post(
        reverse("journey:account_delete"), {"password": PASSWORD, "confirm": "on"}, **BROWSER
    )

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=student_id).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.ACCOUNT_DELETED)
    assert deleted.user is None and deleted.user_id_snapshot == student_id
    assert deleted.ip_address == "203.0.113.9"
    assert AuditEvent.objects.filter(user_id_snapshot=student_id).count() == 2
    assert not AccessAttempt.objects.filter(username__iexact=student.email).exists()
    assert not AccessLog.objects.filter(username__iexact=student.email).exists()
    assert AccessAttempt.objects.filter(username=other.email).exists()
