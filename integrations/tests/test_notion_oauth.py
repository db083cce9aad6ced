"""Connecting Notion through OAuth (a public integration), against the fake Notion server."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.db import connection

from accounts.models import AuditEvent
from integrations.models import IntegrationSettings, OAuthState, Provider

pytestmark = pytest.mark.django_db

INDEX = "/integrations/"
CLIENT_ID = "notion-public-client"
CLIENT_SECRET = "notion-public-secret"


@pytest.fixture
def notion_oauth(fake_notion, settings):
    settings.NOTION_CLIENT_ID = CLIENT_ID
    settings.NOTION_CLIENT_SECRET = CLIENT_SECRET
    settings.NOTION_AUTH_URI = f"{fake_notion.base_url}/v1/oauth/authorize"
    fake_notion.add_oauth_client(CLIENT_ID, CLIENT_SECRET)
    fake_notion.auto_approve = True
    return fake_notion


def authorise(client, fake_notion) -> str:
    """Starts from the page's button and follows Notion's consent back to our callback URL."""
    start = client.post("/integrations/notion/oauth")
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["response_type"] == ["code"] and query["owner"] == ["user"]
    assert query["client_id"] == [CLIENT_ID] and query["state"]
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    approved = requests.get(
        fake_notion.base_url + consent.headers["Location"], allow_redirects=False, timeout=5
    )
    callback = urlparse(approved.headers["Location"])
    assert callback.path == "/integrations/notion/callback"
    return f"{callback.path}?{callback.query}"


def test_connect_button_only_when_oauth_is_configured(logged_in_client, settings):
    settings.NOTION_CLIENT_ID = settings.NOTION_CLIENT_SECRET = ""
    assert "Connect with Notion" not in logged_in_client.get(INDEX).content.decode()
    assert logged_in_client.post("/integrations/notion/oauth").status_code == 302
    assert not OAuthState.objects.exists()
    settings.NOTION_CLIENT_ID, settings.NOTION_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    html = logged_in_client.get(INDEX).content.decode()
    assert "Connect with Notion" in html and "Internal integration token" in html


def test_oauth_then_pick_database_connects_and_pushes(
    logged_in_client, user, notion_oauth, django_capture_on_commit_callbacks
):
    from integrations.tests.factories import StudyTaskFactory

    task = StudyTaskFactory(user=user)
    done = logged_in_client.get(authorise(logged_in_client, notion_oauth), follow=True)
    assert "Notion authorised" in done.content.decode()
    assert "Use this database" in done.content.decode()
    stored = IntegrationSettings.objects.get(user=user)
    assert not stored.notion_enabled and stored.notion_access_token in notion_oauth.tokens
    assert not OAuthState.objects.filter(user=user).exists()  # the state is single-use

    parent = notion_oauth.add_parent_page()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(
            "/integrations/notion/database", {"parent_page_id": parent, "two_way_sync": "on"}
        )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.notion_enabled and stored.notion_two_way_sync and stored.notion_data_source_id
    [row] = notion_oauth.rows(stored.notion_data_source_id)
    assert row["properties"]["Planner ID"]["rich_text"][0]["text"]["content"] == str(task.pk)
    event = AuditEvent.objects.get(user=user, action="integration_connected")
    assert event.detail == {"provider": Provider.NOTION, "method": "oauth"}


def test_token_is_encrypted_at_rest(logged_in_client, user, notion_oauth):
    logged_in_client.get(authorise(logged_in_client, notion_oauth))
    integration = IntegrationSettings.objects.get(user=user)
    token = integration.notion_access_token
    assert token.startswith("ntn_")
    pk = integration.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notion_access_token FROM integrations_integrationsettings WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        [raw] = cursor.fetchone()
    assert token not in raw and raw.startswith("enc1:")


def test_state_mismatch_is_rejected(logged_in_client, user, notion_oauth):
    callback = authorise(logged_in_client, notion_oauth)
    forged = callback.replace("state=", "state=forged")
    response = logged_in_client.get(forged, follow=True)
    assert "expired or was not started here" in response.content.decode()
    assert not IntegrationSettings.objects.filter(user=user).exclude(notion_access_token="")


def test_provider_error_is_shown_to_the_student(logged_in_client, user, notion_oauth):
    callback = authorise(logged_in_client, notion_oauth)
    notion_oauth.codes.clear()  # Notion no longer knows the code
    response = logged_in_client.get(callback, follow=True)
    assert "Notion did not accept the authorisation" in response.content.decode()
    assert not IntegrationSettings.objects.filter(user=user).exclude(notion_access_token="")


def test_callback_cannot_attach_to_another_user(client, user, other_user, notion_oauth):
    client.force_login(user)
    callback = authorise(client, notion_oauth)
    client.force_login(other_user)  # someone else opens the victim's callback link

    response = client.get(callback, follow=True)

    assert "expired or was not started here" in response.content.decode()
    assert not IntegrationSettings.objects.exclude(notion_access_token="").exists()
    assert OAuthState.objects.filter(user=user, provider=Provider.NOTION).exists()


def test_database_step_needs_an_authorisation_first(logged_in_client, notion_oauth):
    response = logged_in_client.post(
        "/integrations/notion/database", {"parent_page_id": "p"}, follow=True
    )
    assert "Connect with Notion first" in response.content.decode()
    assert not IntegrationSettings.objects.filter(notion_enabled=True).exists()


def test_database_step_shows_field_errors_next_to_the_field(logged_in_client, notion_oauth):
    logged_in_client.get(authorise(logged_in_client, notion_oauth))
    response = logged_in_client.post(
        "/integrations/notion/database", {"parent_page_id": "not-shared"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "share it with the integration first" in html and "Use this database" in html


def test_denied_consent_connects_nothing(logged_in_client, user, notion_oauth):
    response = logged_in_client.get(
        "/integrations/notion/callback?error=access_denied&state=x", follow=True
    )
    assert "Notion was not connected" in response.content.decode()
    assert not IntegrationSettings.objects.filter(user=user).exclude(notion_access_token="")


# --- picking the database from what Notion shares ----------------------------


def _shared_workspace(fake_notion):
    """Two databases and three pages shared with the app, with a row in one database; a search
    page holds two results, so the list takes several pages."""
    fake_notion.max_search_page_size = 2
    courses = fake_notion.add_database({"Name": {"title": {}}}, title="Courses")
    tasks = fake_notion.add_database({"Name": {"title": {}}}, title="Assignments")
    home = fake_notion.add_parent_page("Semester home")
    fake_notion.add_parent_page("Reading notes")
    source = fake_notion.databases[courses]["data_sources"][0]["id"]
    fake_notion.pages["row-1"] = {
        "object": "page",
        "id": "row-1",
        "parent": {"type": "data_source_id", "data_source_id": source},
        "in_trash": False,
        "properties": {"Name": {"type": "title", "title": [{"plain_text": "A row"}]}},
        "last_edited_time": "2026-09-01T10:00:00.000Z",
    }
    return {"courses": courses, "tasks": tasks, "home": home}


def test_after_oauth_the_student_picks_a_shared_database_from_the_list(
    logged_in_client, user, notion_oauth
):
    shared = _shared_workspace(notion_oauth)
    page = logged_in_client.get(authorise(logged_in_client, notion_oauth), follow=True)
    html = page.content.decode()
    assert "Use the database “Assignments”" in html and "Use the database “Courses”" in html
    assert "in the page “Semester home”" in html and "in the page “Reading notes”" in html
    assert "A row" not in html  # a database row is not somewhere tasks can go
    searches = [path for method, path in notion_oauth.request_log if path == "/v1/search"]
    assert len(searches) > 2  # every page of the search was followed

    response = logged_in_client.post(
        "/integrations/notion/database", {"target": f"database:{shared['tasks']}"}
    )

    assert response.status_code == 302
    stored = IntegrationSettings.objects.get(user=user)
    assert stored.notion_enabled and stored.notion_database_id == shared["tasks"]


def test_picking_a_page_creates_the_study_tasks_database_in_it(
    logged_in_client, user, notion_oauth
):
    shared = _shared_workspace(notion_oauth)
    logged_in_client.get(authorise(logged_in_client, notion_oauth))
    response = logged_in_client.post(
        "/integrations/notion/database", {"target": f"page:{shared['home']}"}
    )
    assert response.status_code == 302
    stored = IntegrationSettings.objects.get(user=user)
    database = notion_oauth.databases[stored.notion_database_id]
    assert database["parent"]["page_id"] == shared["home"]


def test_a_target_notion_does_not_share_is_refused_as_a_form_error(
    logged_in_client, user, notion_oauth
):
    _shared_workspace(notion_oauth)
    logged_in_client.get(authorise(logged_in_client, notion_oauth))
    response = logged_in_client.post(
        "/integrations/notion/database", {"target": "database:not-shared-with-us"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not IntegrationSettings.objects.get(user=user).notion_enabled


def test_a_notion_error_while_listing_is_shown_and_the_id_fallback_stays(
    logged_in_client, user, notion_oauth
):
    logged_in_client.get(authorise(logged_in_client, notion_oauth))
    notion_oauth.inject_fault(
        method="POST",
        path_contains="/v1/search",
        status=503,
        body={"object": "error", "status": 503, "code": "service_unavailable", "message": "down"},
    )
    html = logged_in_client.get(INDEX).content.decode()
    assert "Notion could not list what is shared with this app" in html
    assert "Paste an id instead" in html and 'name="parent_page_id"' in html
    assert not IntegrationSettings.objects.get(user=user).notion_enabled


def test_the_list_is_only_the_students_own_authorisation(client, user, other_user, notion_oauth):
    _shared_workspace(notion_oauth)
    client.force_login(user)
    client.get(authorise(client, notion_oauth))
    client.force_login(other_user)
    html = client.get(INDEX).content.decode()
    assert "Semester home" not in html and "Use the database" not in html
    searches = len(notion_oauth.request_log)
    response = client.post("/integrations/notion/database", {"target": "page:x"}, follow=True)
    assert "Connect with Notion first" in response.content.decode()
    assert len(notion_oauth.request_log) == searches  # nothing asked of Notion in their name
    assert not IntegrationSettings.objects.filter(notion_enabled=True).exists()
