import pytest
from django.urls import reverse

from integrations.models import IntegrationSettings
from integrations.tests.factories import (
    CalendarBlockFactory,
    IntegrationSettingsFactory,
    NotionTaskFactory,
    StudyTaskFactory,
)

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/integrations"


def connected(user, **extra):
    return IntegrationSettingsFactory(
        user=user,
        google_calendar_enabled=True,
        google_access_token="ya29.token",
        google_refresh_token="1//refresh",
        **extra,
    )


def test_paths_match_the_issue():
    assert reverse("api:integrations") == STATUS_URL
    assert reverse("api:integrations-sync", args=["google"]) == "/api/integrations/google/sync"
    assert (
        reverse("api:integrations-disconnect", args=["notion"])
        == "/api/integrations/notion/disconnect"
    )


def test_status_shows_connection_and_per_block_errors(api_client, user):
    connected(user, google_error="")
    CalendarBlockFactory(
        study_task=StudyTaskFactory(user=user, title="Chapter 3"),
        sync_error="Google Calendar answered 400",
    )
    response = api_client.get(STATUS_URL)
    assert response.status_code == 200
    google, notion = response.json()["providers"]
    assert (google["provider"], google["is_connected"], notion["is_connected"]) == (
        "google",
        True,
        False,
    )
    assert google["errors"] == [
        {
            "title": "Chapter 3",
            "error": "Google Calendar answered 400",
            "when": google["errors"][0]["when"],
        }
    ]


def test_status_query_count_is_constant(api_client, user, django_assert_num_queries):
    connected(user)
    CalendarBlockFactory(study_task=StudyTaskFactory(user=user), sync_error="x")
    NotionTaskFactory(study_task=StudyTaskFactory(user=user), sync_error="y")
    with django_assert_num_queries(3) as first:
        api_client.get(STATUS_URL)
    for _ in range(10):
        CalendarBlockFactory(study_task=StudyTaskFactory(user=user), sync_error="x")
        NotionTaskFactory(study_task=StudyTaskFactory(user=user), sync_error="y")
    with django_assert_num_queries(len(first.captured_queries)):
        api_client.get(STATUS_URL)


def test_status_never_shows_another_students_data(other_api_client, user):
    connected(user)
    CalendarBlockFactory(study_task=StudyTaskFactory(user=user), sync_error="secret")
    google, _ = other_api_client.get(STATUS_URL).json()["providers"]
    assert google["is_connected"] is False and google["errors"] == []


def test_sync_enqueues_after_commit(api_client, user, django_capture_on_commit_callbacks):
    connected(user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post("/api/integrations/google/sync")
    assert response.status_code == 202
    assert len(callbacks) == 1


def test_sync_of_unconnected_provider_is_400(api_client, user):
    response = api_client.post("/api/integrations/notion/sync")
    assert response.status_code == 400
    assert "not connected" in response.json()["detail"]


def test_unknown_provider_is_404(api_client):
    assert api_client.post("/api/integrations/outlook/sync").status_code == 404
    assert api_client.post("/api/integrations/outlook/disconnect").status_code == 404


def test_disconnect_revokes_and_deletes_tokens(api_client, user, fake_google):
    connected(user)
    response = api_client.post("/api/integrations/google/disconnect")
    assert response.status_code == 200
    assert response.json()["is_connected"] is False
    stored = IntegrationSettings.objects.get(user=user)
    assert stored.google_access_token == stored.google_refresh_token == ""
    assert fake_google.revoked == ["1//refresh"]


def test_disconnect_by_another_student_leaves_mine(other_api_client, user, fake_google):
    connected(user)
    assert other_api_client.post("/api/integrations/google/disconnect").status_code == 200
    stored = IntegrationSettings.objects.get(user=user)
    assert stored.google_calendar_enabled and stored.google_refresh_token == "1//refresh"
    assert fake_google.revoked == []


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", STATUS_URL),
        ("post", "/api/integrations/google/sync"),
        ("post", "/api/integrations/google/disconnect"),
    ],
)
def test_anonymous_is_refused(anon_api_client, method, url):
    assert getattr(anon_api_client, method)(url).status_code in (401, 403)
