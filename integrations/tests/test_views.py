from urllib.parse import urlparse

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import CalendarBlock, IntegrationSettings
from integrations.tests.conftest import NOTION_TOKEN
from integrations.tests.factories import (
    CalendarBlockFactory,
    IntegrationSettingsFactory,
    StudyTaskFactory,
)

pytestmark = pytest.mark.django_db

INDEX = "/integrations/"


def test_page_requires_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and "login" in response["Location"]


def test_page_shows_both_providers_unconnected(logged_in_client):
    response = logged_in_client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Connect Google Calendar" in html and "Connect Notion" in html
    assert 'for="id_token"' in html  # every control has a label


def test_page_query_count_is_constant(logged_in_client, user, django_assert_num_queries):
    IntegrationSettingsFactory(user=user, google_calendar_enabled=True)
    CalendarBlockFactory(study_task=StudyTaskFactory(user=user), sync_error="bad")
    logged_in_client.get(INDEX)
    with CaptureQueriesContext(connection) as first:
        logged_in_client.get(INDEX)
    # Six for the page; the shell's "Continue setup" link comes from the cache once warm.
    # Counted now: the next request empties the connection's query log.
    few_blocks = len(first.captured_queries)
    assert 0 < few_blocks <= 7
    for _ in range(10):
        CalendarBlockFactory(study_task=StudyTaskFactory(user=user), sync_error="bad")
    # Warm, as the measured visit before it: the page shell's state is cached per student.
    logged_in_client.get(INDEX)
    with django_assert_num_queries(few_blocks):
        logged_in_client.get(INDEX)


def test_page_shows_only_my_errors(client, other_user, user):
    CalendarBlockFactory(study_task=StudyTaskFactory(user=user, title="Mine"), sync_error="x")
    client.force_login(other_user)
    assert "Mine" not in client.get(INDEX).content.decode()


def test_connect_google_end_to_end_pushes_existing_blocks(
    logged_in_client, user, fake_google, django_capture_on_commit_callbacks
):
    task = StudyTaskFactory(user=user)
    fake_google.auto_approve = True
    response = logged_in_client.post("/integrations/google/connect")
    assert response.status_code == 302
    consent = requests.get(response["Location"], allow_redirects=False, timeout=5)
    approved = requests.get(
        fake_google.base_url + consent.headers["Location"], allow_redirects=False, timeout=5
    )
    callback = urlparse(approved.headers["Location"])
    with django_capture_on_commit_callbacks(execute=True):
        done = logged_in_client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302
    assert IntegrationSettings.objects.get(user=user).google_calendar_enabled
    block = CalendarBlock.objects.get(study_task=task)
    assert block.is_synced
    assert len(fake_google.live_events(block.google_calendar_id)) == 1


def test_callback_with_forged_state_shows_an_error(logged_in_client, fake_google):
    response = logged_in_client.get(
        "/integrations/google/callback?code=x&state=forged", follow=True
    )
    assert "expired or was not started here" in response.content.decode()


def test_revoked_token_message_is_shown(logged_in_client, user):
    IntegrationSettingsFactory(
        user=user, google_error="Google Calendar access was revoked or expired. Please reconnect."
    )
    html = logged_in_client.get(INDEX).content.decode()
    assert "Please reconnect" in html and "Connect Google Calendar" in html


def test_notion_connect_form_errors_next_to_fields(logged_in_client, fake_notion):
    response = logged_in_client.post("/integrations/notion/connect", {"token": "whatever"})
    assert response.status_code == 400
    assert "Give an existing database id" in response.content.decode()


def test_notion_connect_with_bad_token_shows_field_error(logged_in_client, user, fake_notion):
    parent = fake_notion.add_parent_page()
    response = logged_in_client.post(
        "/integrations/notion/connect", {"token": "wrong", "parent_page_id": parent}
    )
    assert response.status_code == 400
    assert "Notion refused the saved token" in response.content.decode()
    assert not IntegrationSettings.objects.filter(user=user, notion_enabled=True).exists()


def test_notion_connect_creates_database(logged_in_client, user, fake_notion):
    fake_notion.add_token(NOTION_TOKEN)
    parent = fake_notion.add_parent_page()
    response = logged_in_client.post(
        "/integrations/notion/connect",
        {"token": NOTION_TOKEN, "parent_page_id": parent, "two_way_sync": "on"},
    )
    assert response.status_code == 302
    stored = IntegrationSettings.objects.get(user=user)
    assert stored.notion_enabled and stored.notion_two_way_sync and stored.notion_data_source_id


def test_sync_now_with_htmx_returns_the_partial(
    logged_in_client, user, django_capture_on_commit_callbacks
):
    IntegrationSettingsFactory(user=user, google_calendar_enabled=True)
    with django_capture_on_commit_callbacks() as callbacks:
        response = logged_in_client.post("/integrations/google/sync", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="integration-google"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert len(callbacks) == 1


def test_disconnect_from_page_deletes_tokens(logged_in_client, user, fake_google):
    IntegrationSettingsFactory(user=user, google_calendar_enabled=True, google_refresh_token="1//r")
    response = logged_in_client.post("/integrations/google/disconnect")
    assert response.status_code == 302
    stored = IntegrationSettings.objects.get(user=user)
    assert not stored.google_calendar_enabled and stored.google_refresh_token == ""
    assert fake_google.revoked == ["1//r"]


def test_unknown_provider_page_is_404(logged_in_client):
    assert logged_in_client.post("/integrations/outlook/sync").status_code == 404


def test_busy_calendar_picker_saves_choice(logged_in_client, user, fake_google):
    access, refresh = fake_google.issue_tokens()
    IntegrationSettingsFactory(
        user=user,
        google_calendar_enabled=True,
        google_access_token=access,
        google_refresh_token=refresh,
        google_calendar_id="ours@group.calendar.google.com",
    )
    fake_google.add_calendar("work@example.org", "Work")
    page = logged_in_client.get("/integrations/google/calendars")
    assert "Work" in page.content.decode()
    response = logged_in_client.post(
        "/integrations/google/calendars", {"calendars": ["work@example.org"]}
    )
    assert response.status_code == 302
    stored = IntegrationSettings.objects.get(user=user)
    assert stored.google_monitored_calendars == ["work@example.org"]


def test_busy_calendar_picker_rejects_unknown_calendar(logged_in_client, user, fake_google):
    access, refresh = fake_google.issue_tokens()
    IntegrationSettingsFactory(
        user=user,
        google_calendar_enabled=True,
        google_access_token=access,
        google_refresh_token=refresh,
    )
    response = logged_in_client.post(
        "/integrations/google/calendars", {"calendars": ["someone-else@example.org"]}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_demo_providers_serve_consent_and_calendar_overview(settings, monkeypatch):
    from django.conf import settings as django_settings

    from integrations.testing.demo import DEMO_NOTION_TOKEN, start_demo_providers

    # The demo rewrites settings in place; restore them for the tests that follow.
    for name in (
        "GOOGLE_API_ENDPOINT",
        "GOOGLE_TOKEN_URI",
        "GOOGLE_AUTH_URI",
        "GOOGLE_REVOKE_URI",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "NOTION_BASE_URL",
        "NOTION_AUTH_URI",
        "NOTION_CLIENT_ID",
        "NOTION_CLIENT_SECRET",
    ):
        monkeypatch.setattr(django_settings, name, getattr(django_settings, name))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    providers = start_demo_providers()
    try:
        assert f"{providers.google.base_url}/token" == settings.GOOGLE_TOKEN_URI
        assert providers.notion.base_url == settings.NOTION_BASE_URL
        assert DEMO_NOTION_TOKEN in providers.notion.tokens
        assert settings.NOTION_AUTH_URI.startswith(providers.notion.base_url)
        assert providers.notion.oauth_clients == {
            settings.NOTION_CLIENT_ID: settings.NOTION_CLIENT_SECRET
        }
        overview = requests.get(providers.google.base_url + "/", timeout=5)
        assert "Fake Google Calendar" in overview.text and "Personal" in overview.text
    finally:
        providers.google.stop()
        providers.notion.stop()
