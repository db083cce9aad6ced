"""Connecting Canvas through its OAuth2 flow, through the pages, with the real HTTP path to
the fake Canvas on 127.0.0.1: consent, the signed and session-bound state, the token
exchange, the preview and confirm, and the refresh on expiry and on a 401."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import time_machine
from django.db import connection as db_connection
from django.urls import reverse

from courses.models import Assessment, Course
from integrations import tasks
from integrations.lms.services import LMS_SYNC_INTERVAL
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
CLIENT_ID = "10000000000042"
CLIENT_SECRET = "canvas-developer-key-secret"
INDEX = reverse("integrations:index")
START = reverse("integrations:canvas_oauth_start")
CONFIRM = reverse("integrations:lms_connect_confirm")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def tasks_run_in_process(monkeypatch):
    from planner.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


@pytest.fixture
def canvas(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    settings.CANVAS_CLIENT_ID = CLIENT_ID
    settings.CANVAS_CLIENT_SECRET = CLIENT_SECRET
    server = FakeCanvas().start()
    server.add_oauth_client(CLIENT_ID, CLIENT_SECRET)
    course_id = server.add_course(code="CHEM 110", name="Chemistry", apply_group_weights=True)
    group = server.add_group(course_id, name="Problem sets", weight=100.0)
    server.add_assignment(
        course_id, group, name="Problem set 1", due_at="2026-10-20T23:59:00Z", points=20
    )
    yield server
    server.stop()


def authorise(client, canvas, *, decision: str = "authorize") -> str:
    """From the page's button, through Canvas's consent page, to our callback URL."""
    start = client.post(START, {"canvas-base_url": canvas.base_url})
    assert start.status_code == 302, start.content
    location = urlparse(start["Location"])
    assert location.path == "/login/oauth2/auth"
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/integrations/lms/canvas/callback"]
    assert query["state"][0]
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 200 and "requesting access" in consent.text
    link = consent.text.split(f"id='{decision}' href='")[1].split("'")[0].replace("&amp;", "&")
    decided = requests.get(canvas.base_url + link, allow_redirects=False, timeout=5)
    callback = urlparse(decided.headers["Location"])
    assert callback.path == "/integrations/lms/canvas/callback"
    return f"{callback.path}?{callback.query}"


def _nothing_stored(user):
    assert not LmsConnection.objects.filter(user=user).exists()
    assert not Course.objects.filter(user=user).exists()


def test_the_button_is_offered_only_when_a_developer_key_is_configured(logged_in_client, settings):
    settings.CANVAS_CLIENT_ID = settings.CANVAS_CLIENT_SECRET = ""
    assert "Connect with Canvas" not in logged_in_client.get(INDEX).content.decode()
    refused = logged_in_client.post(START, {"canvas-base_url": "https://school.example.edu"})
    assert refused.status_code == 400
    settings.CANVAS_CLIENT_ID, settings.CANVAS_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    assert "Connect with Canvas" in logged_in_client.get(INDEX).content.decode()


def test_sign_in_then_preview_then_confirm_keeps_the_tokens_encrypted(
    logged_in_client, user, canvas
):
    preview = logged_in_client.get(authorise(logged_in_client, canvas))

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "What will be imported from Canvas" in html and "Problem set 1: due" in html
    _nothing_stored(user)  # nothing until the student confirms
    [exchange] = canvas.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == "http://testserver/integrations/lms/canvas/callback"

    done = logged_in_client.post(CONFIRM, follow=True)

    assert "Canvas connected" in done.content.decode()
    stored = LmsConnection.objects.get(user=user)
    assert stored.access_token in canvas.tokens
    assert stored.refresh_token in canvas.refresh_tokens
    assert stored.token_expires_at == NOW + timedelta(hours=1)
    assert Assessment.objects.get(course__user=user).name == "Problem set 1"
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_lmsconnection WHERE id = %s",
            [stored.pk.hex if db_connection.vendor == "sqlite" else stored.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert raw_access.startswith("enc1:") and stored.access_token not in raw_access
    assert raw_refresh.startswith("enc1:") and stored.refresh_token not in raw_refresh


def test_a_forged_state_is_refused_before_any_token_is_asked_for(logged_in_client, user, canvas):
    callback = authorise(logged_in_client, canvas)
    forged = callback.replace("state=", "state=x")
    response = logged_in_client.get(forged, follow=True)
    assert "expired or was not started here" in response.content.decode()
    assert canvas.token_requests == []
    _nothing_stored(user)


def test_a_state_is_bound_to_the_student_and_their_session(client, user, other_user, canvas):
    client.force_login(user)
    callback = authorise(client, canvas)
    client.force_login(other_user)  # someone else opens the student's callback link
    response = client.get(callback, follow=True)
    assert "expired or was not started here" in response.content.decode()
    assert canvas.token_requests == []
    assert not LmsConnection.objects.exists()
    client.force_login(user)  # a new session: the nonce of the old one is gone
    again = client.get(callback, follow=True)
    assert "expired or was not started here" in again.content.decode()
    assert canvas.token_requests == []


def test_a_callback_is_used_once(logged_in_client, user, canvas):
    callback = authorise(logged_in_client, canvas)
    assert logged_in_client.get(callback).status_code == 200
    replay = logged_in_client.get(callback, follow=True)
    assert "expired or was not started here" in replay.content.decode()
    assert len(canvas.token_requests) == 1


def test_a_denied_consent_connects_nothing(logged_in_client, user, canvas):
    callback = authorise(logged_in_client, canvas, decision="cancel")
    assert "error=access_denied" in callback
    response = logged_in_client.get(callback, follow=True)
    assert "Canvas was not connected: access was not allowed." in response.content.decode()
    assert canvas.token_requests == []
    _nothing_stored(user)


def test_a_failing_token_exchange_says_why_and_stores_nothing(logged_in_client, user, canvas):
    callback = authorise(logged_in_client, canvas)
    canvas.codes.clear()  # Canvas no longer knows the code
    response = logged_in_client.get(callback, follow=True)
    html = response.content.decode()
    assert "Canvas did not connect: Canvas refused the authorisation (code is invalid)." in html
    _nothing_stored(user)
    assert "integrations_lms_pending" not in logged_in_client.session


def test_a_canvas_failing_on_its_token_endpoint_is_a_clear_message(logged_in_client, user, canvas):
    callback = authorise(logged_in_client, canvas)
    canvas.inject_fault(method="POST", path_contains="/login/oauth2/token", status=502)
    response = logged_in_client.get(callback, follow=True)
    assert "Canvas failed on its side (HTTP 502)" in response.content.decode()
    _nothing_stored(user)


@pytest.fixture
def oauth_connected(logged_in_client, user, canvas):
    logged_in_client.get(authorise(logged_in_client, canvas))
    logged_in_client.post(CONFIRM)
    canvas.token_requests.clear()
    return LmsConnection.objects.get(user=user)


def test_an_expired_access_token_is_refreshed_before_the_sync(user, canvas, oauth_connected):
    old_access, refresh = oauth_connected.access_token, oauth_connected.refresh_token
    canvas.expire_access_tokens()  # the hour has passed
    later = NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        assert tasks.lms_sync_sweep() == 1

    stored = LmsConnection.objects.get(pk=oauth_connected.pk)
    assert [r["grant_type"] for r in canvas.token_requests] == ["refresh_token"]
    assert canvas.token_requests[0]["refresh_token"] == refresh
    assert stored.access_token != old_access and stored.access_token in canvas.tokens
    assert stored.refresh_token == refresh  # Canvas keeps the refresh token
    assert stored.token_expires_at == later + timedelta(hours=1)
    assert stored.last_error == "" and stored.last_sync_at == later


def test_a_401_before_the_expiry_refreshes_once_and_goes_on(user, canvas, oauth_connected):
    LmsConnection.objects.filter(pk=oauth_connected.pk).update(
        token_expires_at=NOW + timedelta(days=30)
    )
    canvas.expire_access_tokens()
    later = NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert tasks.lms_sync_sweep() == 1
    stored = LmsConnection.objects.get(pk=oauth_connected.pk)
    assert [r["grant_type"] for r in canvas.token_requests] == ["refresh_token"]
    assert stored.last_error == "" and stored.access_token in canvas.tokens


def test_a_revoked_grant_is_noted_for_the_student_and_not_retried(
    logged_in_client, user, canvas, oauth_connected
):
    canvas.expire_access_tokens()
    canvas.revoke_refresh_tokens()
    later = NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert tasks.lms_sync(str(oauth_connected.pk)) is False
    stored = LmsConnection.objects.get(pk=oauth_connected.pk)
    assert "no longer accepts this app's access; connect again" in stored.last_error
    assert len(canvas.token_requests) == 1
    page = logged_in_client.get(INDEX).content.decode()
    assert "connect again" in page
    assert Assessment.objects.filter(course__user=user).count() == 1  # imported data stays
