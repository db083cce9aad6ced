"""Production settings fail fast without secrets; the embedded default needs no services."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_settings(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    env.update(env_overrides)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(  # noqa: S603 (fixed interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "planner.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_production_requires_each_secret(missing):
    present = {"SECRET_KEY": "x" * 60, "FIELD_ENCRYPTION_KEY": "k1:" + "A" * 43 + "="}
    present.pop(missing)
    result = run_settings(DEBUG="false", **present)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_both_secrets():
    result = run_settings(
        DEBUG="false", SECRET_KEY="x" * 60, FIELD_ENCRYPTION_KEY="k1:" + "A" * 43 + "="
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_celery_is_configured_for_safe_delivery():
    from planner.celery import app

    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
    # Mail has its own queue, so a slow SMTP relay never holds back a recompute or a replan.
    assert {route["queue"] for route in conf.task_routes.values()} == {
        "mastery",
        "planning",
        "sync",
        "notify",
    }


def test_embedded_default_uses_no_broker_when_none_is_configured():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            "print(settings.CELERY_TASK_ALWAYS_EAGER, settings.DATABASES['default']['ENGINE']);"
            # An eager task still acquires a producer: it must not reach for an AMQP host.
            "from planner.celery import app;"
            "print(app.connection_for_write().as_uri())",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "planner.settings",
            "HOME": os.environ.get("HOME", "/tmp"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    eager, engine, broker = result.stdout.split()
    assert (eager, engine) == ("True", "django.db.backends.sqlite3")
    assert broker.startswith("memory://")
    assert "No hostname was supplied" not in result.stderr


def test_health_endpoints(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert settings.ROOT_URLCONF == "planner.urls"


def test_login_page_and_dashboard_redirect(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    login = client.get(response.url)
    assert login.status_code == 200
    assert b'name="login"' in login.content


def test_admin_shows_history_for_demo_data(admin_client):
    from django.core.management import call_command

    from courses.models import Course

    call_command("seed_demo")
    course = Course.objects.first()
    changelist = admin_client.get("/admin/courses/course/")
    assert changelist.status_code == 200
    assert course.code.encode() in changelist.content
    history = admin_client.get(f"/admin/courses/course/{course.pk}/history/")
    assert history.status_code == 200
    assert b"Created" in history.content or b"created" in history.content.lower()


def test_pages_render_times_in_the_students_timezone(logged_in_client, user):
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils import timezone as dj_timezone

    from planner.middleware import StudentTimezoneMiddleware

    seen = {}

    def view(request):
        seen["zone"] = str(dj_timezone.get_current_timezone())
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user
    StudentTimezoneMiddleware(view)(request)
    assert seen["zone"] == user.timezone == "America/New_York"
    assert str(dj_timezone.get_current_timezone()) == "UTC"


def _email_settings(**env_overrides) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, sep='|')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(  # noqa: S603 (fixed interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **env_overrides, "DJANGO_SETTINGS_MODULE": "planner.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


def test_development_prints_mail_and_production_reads_the_relay_from_email_url():
    assert _email_settings(DEBUG="true")[0] == "django.core.mail.backends.console.EmailBackend"
    assert _email_settings(
        DEBUG="true", EMAIL_URL="smtp+tls://planner:s3cret@smtp.example.org:587"
    ) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "587",
        "planner",
        "True",
        "False",
    ]
    assert _email_settings(
        DEBUG="true", EMAIL_HOST="relay.example.org", EMAIL_PORT="465", EMAIL_USE_SSL="true"
    )[1:] == ["relay.example.org", "465", "", "False", "True"]
