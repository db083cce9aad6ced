"""Benchmark of integrations sync: HTTP requests per push, counted by the fake servers.

A 14-day plan of 40 blocks is pushed to the fake Google Calendar and fake Notion through the
real client libraries: a first push, a re-push with nothing changed (target 0 requests), and a
re-push after one block moved (target 1 request). Runs on a throwaway test database.

Run: `.venv/bin/python -m bench.bench_sync`.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

BLOCKS = 40
HORIZON_DAYS = 14


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()


def _plan(user):
    from django.utils import timezone

    from courses.tests.factories import CourseFactory
    from integrations.tests.factories import StudyTaskFactory

    course = CourseFactory(user=user)
    start = timezone.now().replace(hour=18, minute=0, second=0, microsecond=0)
    tasks = []
    for index in range(BLOCKS):
        begin = start + timedelta(days=index % HORIZON_DAYS, hours=index // HORIZON_DAYS)
        tasks.append(
            StudyTaskFactory(
                user=user,
                course=course,
                scheduled_start=begin,
                scheduled_end=begin + timedelta(minutes=50),
            )
        )
    return tasks


def _measure(server, push, tasks) -> dict:
    server.reset_counts()
    push(tasks)
    first = server.total_requests()
    server.reset_counts()
    push(tasks)
    unchanged = server.total_requests()
    moved = tasks[7]
    moved.scheduled_start += timedelta(hours=1)
    moved.scheduled_end += timedelta(hours=1)
    moved.save()
    server.reset_counts()
    push(tasks)
    return {
        "first_push": first,
        "repush_unchanged": unchanged,
        "repush_one_moved": server.total_requests(),
    }


def run() -> list[dict]:
    _setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from accounts.tests.factories import UserFactory
    from integrations import ratelimit
    from integrations.google import services as google_services
    from integrations.models import IntegrationSettings
    from integrations.notion import services as notion_services
    from integrations.testing.demo import DEMO_NOTION_TOKEN, start_demo_providers

    logging.getLogger("httpx").setLevel(logging.WARNING)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    providers = start_demo_providers()
    ratelimit.pause = lambda seconds: None  # count requests, not pacing
    try:
        user = UserFactory()
        access, refresh = providers.google.issue_tokens()
        integration = IntegrationSettings.objects.create(
            user=user,
            google_calendar_enabled=True,
            google_access_token=access,
            google_refresh_token=refresh,
        )
        tasks = _plan(user)
        google_client = google_services.google_client_for(integration)
        google_services.google_calendar_ensure(client=google_client, integration=integration)

        def google_push(batch):
            google_services.google_tasks_push(
                client=google_client, integration=integration, task_ids=[str(t.pk) for t in batch]
            )

        notion_integration = notion_services.notion_connect(
            user=user, token=DEMO_NOTION_TOKEN, parent_page_id=providers.notion_parent_page_id
        )
        notion_client = notion_services.notion_client_for(notion_integration)

        def notion_push(batch):
            notion_services.notion_tasks_push(
                client=notion_client,
                integration=notion_integration,
                task_ids=[str(t.pk) for t in batch],
            )

        measured = {
            "google": _measure(providers.google, google_push, tasks),
            "notion": _measure(providers.notion, notion_push, tasks),
        }
        rows = []
        for provider, counts in measured.items():
            rows += [
                {
                    "name": f"{provider}: requests for a first push of {BLOCKS} blocks",
                    "value": counts["first_push"],
                    "unit": "requests",
                },
                {
                    "name": f"{provider}: requests for a re-push with no change",
                    "value": counts["repush_unchanged"],
                    "unit": "requests (target 0)",
                },
                {
                    "name": f"{provider}: requests for a re-push after one block moved",
                    "value": counts["repush_one_moved"],
                    "unit": "requests (target 1)",
                },
            ]
        return rows
    finally:
        providers.google.stop()
        providers.notion.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    for result in run():
        print(result)
