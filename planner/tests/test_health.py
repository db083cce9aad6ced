"""The probes need nothing: /healthz answers with the database refusing every connection and a
session cookie on the request, and /readyz always answers JSON naming what failed."""

from __future__ import annotations

import contextlib
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from planner.testing.services import free_port

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_down():
    """Every new cursor fails as it does while PostgreSQL restarts."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", refuse):
        yield


def dead_redis_settings() -> dict:
    url = f"redis://127.0.0.1:{free_port()}/0"
    return {
        "REDIS_URL": url,
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
            }
        },
    }


@pytest.mark.parametrize("signed_in", [False, True])
def test_healthz_answers_with_the_database_down_whatever_the_cookies(client, user, signed_in):
    if signed_in:
        client.force_login(user)
    client.cookies["csrftoken"] = "stale"
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("signed_in", [False, True])
def test_readyz_names_the_database_when_it_is_down(client, user, signed_in):
    if signed_in:
        client.force_login(user)
    with database_down():
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["database"] == "unavailable"
    assert body["failed"] == ["database"]


def test_readyz_names_redis_when_it_is_unreachable(client):
    with override_settings(**dead_redis_settings()):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert response.json()["failed"] == ["redis"]


def test_readyz_with_everything_up_is_ready(logged_in_client):
    response = logged_in_client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert (body["ready"], body["failed"], body["checks"]["database"]) == (True, [], "ok")
    assert set(body["checks"].values()) == {"ok"}


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_over_plain_http_are_not_redirected(client):
    assert client.get("/healthz").status_code == 200
