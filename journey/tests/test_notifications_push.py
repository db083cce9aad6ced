"""Web Push with the real pywebpush library against a fake push service on 127.0.0.1: the
request is VAPID-signed for that service, the payload is encrypted for the browser's keys (and
decrypts with them), and a service that forgets the subscription makes us forget it too."""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import TestCase
from py_vapid import Vapid01

from journey.notifications import sweeps
from journey.notifications.kinds import DeliveryState
from journey.notifications.models import Notification, PushSubscription
from journey.notifications.services import push_subscription_save
from journey.tests.notify_helpers import CHICAGO, block, eager_tasks, student  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakePushService:
    """Answers every POST with `status` and keeps what it received."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                service.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """A browser's push keys: the ECDH pair and the auth secret it hands to the site."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"

    def keys(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def push_service(settings):
    vapid = Vapid01()
    vapid.generate_keys()
    raw_private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(raw_private)
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@example.org"
    settings.WEBPUSH_ENDPOINT_HOSTS = ["127.0.0.1"]
    settings.WEBPUSH_ALLOW_HTTP = True
    with FakePushService() as service:
        yield service


def remind(now):
    with time_machine.travel(now, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return sweeps.reminders_run(batch=50)


def test_reminder_is_pushed_signed_and_encrypted_for_the_browser(push_service, smtp):
    user = student(zone=CHICAGO, reminder_minutes_before=10)
    browser = Browser()
    push_subscription_save(user=user, endpoint=f"{push_service.base}/send/abc", **browser.keys())
    start = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)  # 09:00 CDT
    block(user, start=start, title="Enzymes", code="CHEM 110")
    assert remind(start - timedelta(minutes=10)).created == 1
    [request] = push_service.requests
    assert request["path"] == "/send/abc"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    # VAPID: a JWT for this push service's origin, signed by our key.
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    token = dict(part.split("=", 1) for part in params.split(", "))["t"]
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert claims["aud"] == push_service.base and claims["sub"] == "mailto:ops@example.org"
    payload = browser.decrypt(request["body"])
    assert payload["title"].startswith("At 09:00") and "Enzymes" in payload["body"]
    row = Notification.objects.for_user(user).get()
    assert row.push_state == DeliveryState.SENT
    # The email went too, once.
    assert len(smtp.sent_to(user.email)) == 1


def test_a_forgotten_subscription_is_deleted(push_service, smtp):
    push_service.status = 410
    user = student(reminder_minutes_before=10)
    push_subscription_save(user=user, endpoint=f"{push_service.base}/send/gone", **Browser().keys())
    start = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    block(user, start=start)
    remind(start - timedelta(minutes=5))
    assert len(push_service.requests) == 1
    assert not PushSubscription.objects.for_user(user).exists()
    assert Notification.objects.for_user(user).get().push_state == DeliveryState.UNKNOWN


def test_no_push_without_a_subscription_and_none_for_other_kinds(push_service, smtp):
    user = student(reminder_minutes_before=10)
    start = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    block(user, start=start)
    remind(start - timedelta(minutes=5))
    assert push_service.requests == []
    assert Notification.objects.for_user(user).get().push_state == DeliveryState.SKIPPED
