"""Feed fetches: the guard's refusals reach the student as field errors, and fetches are
rate-limited per student (429 with Retry-After in the API, a form error on the page)."""

import pytest
from django.urls import reverse

from accounts.netguard import REFUSED_MESSAGE

CLOSED_LOOPBACK_PORT = "http://127.0.0.1:1/feed.ics"
REDIS_ON_LOOPBACK = "http://127.0.0.1:6379/"


@pytest.fixture
def two_fetches_an_hour(settings):
    settings.LMS_FEED_FETCHES_PER_HOUR = 2
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = False


def test_api_refuses_loopback_ports_with_one_message(api_client):
    messages = []
    for url in (
        CLOSED_LOOPBACK_PORT,
        REDIS_ON_LOOPBACK,
        "http://[::1]/",
        "http://169.254.169.254/",
    ):
        response = api_client.post("/api/import/lms", {"url": url}, format="json")
        assert response.status_code == 400
        messages.append(response.json()["url"][0])
    assert set(messages) == {REFUSED_MESSAGE}
    # The URL field already refuses these spellings of 127.0.0.1; the guard would too.
    for url in ("http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/"):
        response = api_client.post("/api/import/lms", {"url": url}, format="json")
        assert response.status_code == 400


def test_api_feed_fetches_are_limited_per_student(
    api_client, other_api_client, two_fetches_an_hour
):
    for _ in range(2):
        response = api_client.post("/api/import/lms", {"url": CLOSED_LOOPBACK_PORT}, format="json")
        assert response.status_code == 400
    response = api_client.post("/api/import/lms", {"url": CLOSED_LOOPBACK_PORT}, format="json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many feed downloads" in response.json()["url"][0]
    # An uploaded file fetches nothing and is not limited; another student is not limited.
    response = other_api_client.post(
        "/api/import/lms", {"url": CLOSED_LOOPBACK_PORT}, format="json"
    )
    assert response.status_code == 400


def test_page_feed_fetches_are_limited_per_student(logged_in_client, two_fetches_an_hour):
    url = reverse("courses:import_lms")
    for _ in range(2):
        response = logged_in_client.post(url, {"url": CLOSED_LOOPBACK_PORT})
        assert REFUSED_MESSAGE in response.content.decode()
    response = logged_in_client.post(url, {"url": CLOSED_LOOPBACK_PORT})
    assert response.status_code == 200
    assert "Too many feed downloads" in response.context["form"].errors["url"][0]
