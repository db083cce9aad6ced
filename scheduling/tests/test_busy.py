"""Busy time: PostgreSQL holds it (`BusyInterval`), Redis only caches it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.errors import ApplicationError
from integrations.google import services as google_services
from integrations.models import IntegrationSettings
from integrations.testing.fake_google import FakeGoogle
from scheduling import selectors, services
from scheduling.models import BusyInterval, StudyTask
from scheduling.tests.conftest import NOW

pytestmark = pytest.mark.clock

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake_google(settings, monkeypatch):
    server = FakeGoogle().start()
    settings.GOOGLE_API_ENDPOINT = server.base_url
    settings.GOOGLE_TOKEN_URI = f"{server.base_url}/token"
    settings.GOOGLE_CLIENT_ID = "test-client.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "test-client-secret"
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    yield server
    server.stop()


def planned(user) -> list[tuple]:
    return sorted(
        StudyTask.objects.for_user(user)
        .filter(status="scheduled")
        .values_list("work_key", "scheduled_start", "scheduled_end")
    )


def stored(user) -> list[tuple]:
    return list(
        BusyInterval.objects.for_user(user).order_by("start").values_list("source", "start", "end")
    )


def test_a_google_pull_is_stored_and_a_redis_flush_does_not_change_the_plan(setup, fake_google):
    access, refresh = fake_google.issue_tokens()
    integration = IntegrationSettings.objects.create(
        user=setup.user,
        google_calendar_enabled=True,
        google_access_token=access,
        google_refresh_token=refresh,
        google_monitored_calendars=["work@example.org"],
    )
    services.plan_regenerate(user=setup.user)
    _, start, end = planned(setup.user)[0]
    fake_google.add_calendar("work@example.org", "Work")
    fake_google.add_busy_event("work@example.org", start, end)

    google_services.google_busy_refresh(
        client=google_services.google_client_for(integration), integration=integration
    )

    assert stored(setup.user) == [("google", start, end)]
    services.plan_regenerate(user=setup.user, reason="busy_changed")
    with_busy = planned(setup.user)
    assert all(not (s < end and start < e) for _, s, e in with_busy)

    cache.clear()
    outcome = services.plan_regenerate(user=setup.user, reason="after a flush")

    assert outcome.diff.is_empty
    assert planned(setup.user) == with_busy


def test_replace_touches_only_its_source_inside_the_window(user):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    services.busy_intervals_replace(
        user=user, source="notion", intervals=[(day + 20 * HOUR, day + 21 * HOUR)]
    )
    services.busy_intervals_replace(
        user=user,
        source="google",
        intervals=[(day - 30 * HOUR, day - 29 * HOUR), (day + 10 * HOUR, day + 11 * HOUR)],
        window_start=day - 48 * HOUR,
        window_end=day + 48 * HOUR,
    )
    services.busy_intervals_replace(
        user=user,
        source="google",
        intervals=[(day + 12 * HOUR, day + 13 * HOUR, "evt-1", "Dentist")],
        window_start=day,
        window_end=day + 48 * HOUR,
    )

    # The old google row inside the window is gone, the one before it is history (pruned),
    # and notion's row is untouched.
    assert stored(user) == [
        ("google", day + 12 * HOUR, day + 13 * HOUR),
        ("notion", day + 20 * HOUR, day + 21 * HOUR),
    ]
    row = BusyInterval.objects.get(user=user, source="google")
    assert (row.external_id, row.label) == ("evt-1", "Dentist")


def test_intervals_outside_the_window_are_ignored(user):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    services.busy_intervals_replace(
        user=user,
        source="google",
        intervals=[(day - 2 * HOUR, day - HOUR), (day + HOUR, day + 2 * HOUR)],
        window_start=day,
        window_end=day + 24 * HOUR,
    )
    assert stored(user) == [("google", day + HOUR, day + 2 * HOUR)]


def test_one_students_busy_time_is_not_anothers(user, other_user):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    services.busy_intervals_replace(user=user, source="google", intervals=[(day, day + HOUR)])
    services.busy_intervals_replace(user=other_user, source="google", intervals=[])

    assert stored(user) == [("google", day, day + HOUR)]
    assert selectors.busy_intervals_for(other_user.pk) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"intervals": [(datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10))]}, "aware"),
        ({"intervals": [("9:00", "10:00")]}, "datetimes"),
        ({"source": " "}, "source"),
        (
            {
                "window_start": datetime(2026, 12, 2, tzinfo=UTC),
                "window_end": datetime(2026, 12, 1, tzinfo=UTC),
            },
            "window",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(user, kwargs, message):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    services.busy_intervals_replace(user=user, source="google", intervals=[(day, day + HOUR)])
    arguments = {"user": user, "source": "google", "intervals": [], **kwargs}
    with pytest.raises(ApplicationError, match=message):
        services.busy_intervals_replace(**arguments)
    assert stored(user) == [("google", day, day + HOUR)]


def test_the_database_refuses_an_interval_that_ends_before_it_starts(user):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusyInterval.objects.create(user=user, source="google", start=day, end=day)


def test_the_selector_reads_a_range_and_refills_the_cache(user, django_assert_num_queries):
    day = datetime(2026, 12, 1, tzinfo=UTC)
    services.busy_intervals_replace(
        user=user,
        source="google",
        intervals=[(day, day + HOUR), (day + 5 * HOUR, day + 6 * HOUR)],
    )
    with django_assert_num_queries(1):
        everything = selectors.busy_intervals_for(user.pk)
    with django_assert_num_queries(0):
        late = selectors.busy_intervals_for(user.pk, start=day + 2 * HOUR, end=day + 24 * HOUR)
    assert [(i.start, i.end) for i in everything] == [
        (day, day + HOUR),
        (day + 5 * HOUR, day + 6 * HOUR),
    ]
    assert [(i.start, i.end) for i in late] == [(day + 5 * HOUR, day + 6 * HOUR)]


def test_a_replace_is_seen_at_once_by_the_next_read(user):
    services.busy_intervals_replace(user=user, source="google", intervals=[(NOW, NOW + HOUR)])
    assert [(i.start, i.end) for i in selectors.busy_intervals_for(user.pk)] == [(NOW, NOW + HOUR)]
    services.busy_intervals_replace(user=user, source="google", intervals=[])
    assert selectors.busy_intervals_for(user.pk) == []


def test_the_sweep_notices_changed_busy_time_in_one_query(
    setup, other_setup, django_assert_num_queries
):
    services.plan_regenerate(user=setup.user)
    services.plan_regenerate(user=other_setup.user)
    assert services.users_with_changed_busy() == []
    services.busy_intervals_replace(
        user=other_setup.user, source="google", intervals=[(NOW, NOW + HOUR)]
    )
    with django_assert_num_queries(2):
        assert services.users_with_changed_busy() == [str(other_setup.user.pk)]
