"""Fake provider servers driven by the real client libraries, and a guard that no test can
reach the internet."""

import ipaddress
import socket
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from integrations import ratelimit
from integrations.models import IntegrationSettings
from integrations.testing.fake_google import FakeGoogle
from integrations.testing.fake_moodle import MOODLE_TOKEN, FakeMoodle, unix
from integrations.testing.fake_notion import FakeNotion

_real_connect = socket.socket.connect


def _loopback_only_connect(sock, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            is_loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            is_loopback = host == "localhost"
        if not is_loopback:
            raise ConnectionRefusedError(f"tests may not reach {host}")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def block_non_loopback_sockets(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)


@pytest.fixture(autouse=True)
def fresh_cache_and_buckets(monkeypatch):
    cache.clear()
    ratelimit.reset()
    waits: list[float] = []
    monkeypatch.setattr(ratelimit, "pause", waits.append)
    yield waits
    ratelimit.reset()


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
    yield server
    server.stop()


@pytest.fixture
def fake_notion(settings):
    server = FakeNotion().start()
    settings.NOTION_BASE_URL = server.base_url
    yield server
    server.stop()


@pytest.fixture
def google_connected(user, fake_google):
    access, refresh = fake_google.issue_tokens()
    return IntegrationSettings.objects.create(
        user=user,
        google_calendar_enabled=True,
        google_access_token=access,
        google_refresh_token=refresh,
    )


NOTION_TOKEN = "secret_test_integration_token"


@pytest.fixture
def notion_connected(user, fake_notion):
    from integrations.notion.services import notion_connect

    fake_notion.add_token(NOTION_TOKEN)
    parent = fake_notion.add_parent_page()
    return notion_connect(user=user, token=NOTION_TOKEN, parent_page_id=parent)


# --- a real sync worker (see sync_worker.py) ------------------------------------------------------
@pytest.fixture(scope="module")
def fakes():
    """Module-scoped fakes for a real worker: started before it, reset per test."""
    google, notion = FakeGoogle().start(), FakeNotion().start()
    yield google, notion
    google.stop()
    notion.stop()


@pytest.fixture(scope="module")
def require_worker_services(django_db_setup):
    """PostgreSQL (the worker must see the test database) and a private redis-server for the
    worker's broker, so parallel test sessions never share a queue."""
    import shutil

    from django.db import connection

    from conftest import require
    from integrations.tests import sync_worker
    from planner.testing.services import PrivateRedis

    require(shutil.which("redis-server") is not None, "needs redis-server on PATH")
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL or CI=true)")
    server = PrivateRedis()
    server.start()
    sync_worker._current_broker["url"] = server.url
    yield server.url
    sync_worker._current_broker.clear()
    server.close()


@pytest.fixture(scope="module")
def sync_worker(require_worker_services, fakes):
    from integrations.tests.sync_worker import start_sync_worker
    from planner.testing.workers import stop_worker

    handle = start_sync_worker(*fakes)
    yield handle
    stop_worker(handle)


@pytest.fixture
def publish_to_worker():
    """This process publishes to the test worker's broker instead of running tasks eagerly."""
    from integrations.tests.sync_worker import worker_broker_url
    from planner.testing.services import publishing_to

    with publishing_to(worker_broker_url()) as celery_app:
        yield celery_app


@pytest.fixture
def google(fakes, settings):
    """The module's fake Google, fresh for this test, with this process pointed at it."""
    server = fakes[0]
    server.reset()
    settings.GOOGLE_API_ENDPOINT = server.base_url
    settings.GOOGLE_TOKEN_URI = f"{server.base_url}/token"
    settings.GOOGLE_CLIENT_ID = "test-client.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "test-client-secret"
    return server


@pytest.fixture
def notion(fakes, settings):
    """The module's fake Notion, fresh for this test, with this process pointed at it."""
    server = fakes[1]
    server.reset()
    settings.NOTION_BASE_URL = server.base_url
    return server


@pytest.fixture
def worker(sync_worker, publish_to_worker):
    """The module's sync worker, with this process publishing to it; the test ends only when
    the worker is idle, so no task of this test runs into the next one or the flush."""
    from integrations.tests.sync_worker import wait_idle

    yield sync_worker
    wait_idle(sync_worker)


@pytest.fixture
def moodle(settings):
    """A fake Moodle with one physics course: a graded lab report (75%) and a quiz (25%)."""
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    server = FakeMoodle().start()
    server.add_token(MOODLE_TOKEN)
    course_id = server.add_course(
        shortname="PHYS 201",
        fullname="Physics II",
        startdate=unix(datetime(2026, 9, 1, tzinfo=UTC)),
        enddate=unix(datetime(2026, 12, 20, tzinfo=UTC)),
    )
    server.ids = {
        "course": course_id,
        "report": server.add_assignment(
            course_id,
            name="Lab report",
            duedate=unix(datetime(2026, 10, 10, 22, 0, tzinfo=UTC)),
            grade=100,
            weight=0.75,
        ),
        "quiz": server.add_quiz(
            course_id,
            name="Quiz 1",
            timeclose=unix(datetime(2026, 10, 30, 22, 0, tzinfo=UTC)),
            grade=10,
            weight=0.25,
        ),
    }
    server.grade(
        course_id,
        "assign",
        server.ids["report"],
        score=82,
        at=unix(datetime(2026, 10, 12, tzinfo=UTC)),
    )
    yield server
    server.stop()
