"""A worker killed with SIGKILL mid-sync: the change still reaches Google exactly once.

Its own module: the kill needs the only worker on the broker to be the one that dies, so this
module never starts the shared scenario worker (that one lives in test_worker_sync.py).
"""

from __future__ import annotations

import time

import pytest

from integrations import tasks
from integrations.google import services as google_services
from integrations.models import CalendarBlock, OutboxEntry
from integrations.tests.factories import StudyTaskFactory
from integrations.tests.sync_worker import (
    calendar_of,
    google_student,
    inserts,
    plan_changed,
    start_sync_worker,
    wait_for,
)
from planner.testing.workers import stop_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Google takes this long to answer the insert: far longer than the test waits before the kill.
SLOW_INSERT_SECONDS = 30
# The dead worker's lock expires quickly here (in production it lasts 150 s), and the sweep
# takes every pending row (in production it leaves rows younger than 60 s to their own enqueue).
FAST_RECOVERY_ENV = {"SYNC_LOCK_TIMEOUT_SECONDS": "2", "SYNC_OUTBOX_GRACE_SECONDS": "0"}


def test_worker_killed_mid_sync_still_delivers_the_change_once(
    require_worker_services, publish_to_worker, fakes, google
):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    # The calendar exists already, so the kill lands on the event insert itself.
    google_services.google_calendar_ensure(
        client=google_services.google_client_for(integration), integration=integration
    )
    # Google makes the event at once but answers late: the worker dies after the provider
    # accepted the insert and before the mapping could record it.
    google.inject_delay(method="POST", path_contains="/events", seconds=SLOW_INSERT_SECONDS)
    workers = [start_sync_worker(*fakes, **FAST_RECOVERY_ENV)]
    try:
        plan_changed(integration, created=[task])
        wait_for(lambda: len(inserts(google)) == 1, workers[0], "the insert to reach Google")
        workers[0].kill()
        assert len(google.live_events(calendar_of(integration))) == 1
        block = CalendarBlock.objects.get(study_task=task)
        assert not block.is_synced and block.google_etag == ""  # the answer never arrived
        assert OutboxEntry.objects.filter(user=integration.user).pending().count() == 1

        workers.append(start_sync_worker(*fakes, **FAST_RECOVERY_ENV))

        def delivered() -> bool:
            # What beat does every two minutes: the sweep resends what the outbox still holds.
            tasks.outbox_sweep.delay()
            time.sleep(0.5)
            return not OutboxEntry.objects.filter(user=integration.user).pending().exists()

        wait_for(delivered, workers[1], "the sweep to deliver the change")
    finally:
        for handle in workers:
            stop_worker(handle)

    [event] = google.live_events(calendar_of(integration))
    block = CalendarBlock.objects.get(study_task=task)
    assert block.is_synced and event["id"] == block.google_event_id
    task.refresh_from_db()
    assert event["start"]["dateTime"] == task.scheduled_start.isoformat()
    assert len(inserts(google)) == 2  # the interrupted insert and the replay that got 409
