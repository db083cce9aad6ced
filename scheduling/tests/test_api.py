from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from scheduling import services
from scheduling.models import DailyCheckIn, StudyTask, TaskStatus
from scheduling.tests.conftest import NOW
from scheduling.tests.factories import StudyTaskFactory

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def planned(setup):
    services.plan_regenerate(user=setup.user)
    return setup


def first_block(user):
    return (
        StudyTask.objects.for_user(user).filter(status="scheduled").order_by("scheduled_start")[0]
    )


def test_generate_returns_schedule_unscheduled_hours_and_daily_breakdown(api_client, setup):
    response = api_client.post(
        reverse("api:schedule_generate"),
        {"start_date": "2026-12-01", "end_date": "2026-12-07"},
        format="json",
    )
    assert response.status_code == 200, response.data
    body = response.json()
    assert body["schedule"] and all(t["reason"] for t in body["schedule"])
    assert body["unscheduled"] == []
    minutes = sum(t["estimated_duration_min"] for t in body["schedule"])
    assert body["total_hours"] == pytest.approx(minutes / 60, abs=0.01)
    assert sum(d["hours"] for d in body["daily_breakdown"]) == pytest.approx(minutes / 60, abs=0.05)
    assert {c["assessment_name"] for c in body["at_risk"]} == {"Final", "Quiz 3"}
    assert body["readiness"][0]["assessment_name"] == "Final"
    assert len(body["changes"]["created"]) == len(body["schedule"])


@pytest.mark.parametrize(
    "payload",
    [
        {"start_date": "2026-12-07", "end_date": "2026-12-01"},
        {"start_date": "2026-12-01"},
        {"start_date": "nope", "end_date": "2026-12-01"},
        {"start_date": "2026-12-01", "end_date": "2027-06-01"},
        {"start_date": "2026-11-01", "end_date": "2026-11-02"},
    ],
)
def test_generate_rejects_bad_windows(api_client, setup, payload):
    response = api_client.post(reverse("api:schedule_generate"), payload, format="json")
    assert response.status_code == 400
    assert not StudyTask.objects.exists()


def test_generate_while_a_replan_runs_is_a_409(api_client, setup):
    with services.plan_lock(setup.user.pk):
        response = api_client.post(
            reverse("api:schedule_generate"),
            {"start_date": "2026-12-01", "end_date": "2026-12-03"},
            format="json",
        )
    assert response.status_code == 409


def test_replan(api_client, planned):
    response = api_client.post(reverse("api:schedule_replan"), {"reason": "felt behind"})
    assert response.status_code == 200
    assert response.json()["changes"] == {"created": [], "moved": [], "deleted": []}
    assert api_client.post(reverse("api:schedule_replan"), {}).status_code == 400


def test_schedule_list_window_and_validation(api_client, planned):
    response = api_client.get(reverse("api:schedule"), {"start": "2026-12-01", "end": "2026-12-03"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    assert all(r["scheduled_start"] < "2026-12-03T05:00:00Z" for r in results)
    assert all(r["reason"] for r in results)
    bad = api_client.get(reverse("api:schedule"), {"start": "2026-12-03", "end": "2026-12-01"})
    assert bad.status_code == 400 and "end" in bad.json()
    assert api_client.get(reverse("api:schedule"), {"start": "garbage"}).status_code == 400


def test_next_tasks_are_prioritized_with_reasons(api_client, planned):
    response = api_client.get(reverse("api:tasks_next"))
    assert response.status_code == 200
    results = response.json()["results"]
    priorities = [r["priority_score"] for r in results]
    assert priorities == sorted(priorities, reverse=True)
    assert all(r["reason"] for r in results)


def test_start_complete_skip(api_client, planned):
    task = first_block(planned.user)
    start = api_client.post(reverse("api:task_start", args=[task.pk]))
    assert start.status_code == 200 and start.json()["status"] == "in_progress"
    complete = api_client.post(
        reverse("api:task_complete", args=[task.pk]),
        {"completion_percentage": 100, "self_rating": 3},
        format="json",
    )
    assert complete.status_code == 200 and complete.json()["self_rating"] == 3
    again = api_client.post(reverse("api:task_start", args=[task.pk]))
    assert again.status_code == 400
    other = first_block(planned.user)
    skip = api_client.post(reverse("api:task_skip", args=[other.pk]), {"reason": "sick"})
    assert skip.status_code == 200 and skip.json()["skip_reason"] == "sick"
    bad = api_client.post(
        reverse("api:task_complete", args=[first_block(planned.user).pk]),
        {"self_rating": 9},
        format="json",
    )
    assert bad.status_code == 400 and "self_rating" in bad.json()


def test_reschedule_conflict_is_a_400_that_names_the_clash(api_client, planned):
    first, second = StudyTask.objects.for_user(planned.user).filter(status="scheduled")[:2]
    url = reverse("api:task_reschedule", args=[first.pk])
    clash = api_client.put(
        url, {"new_start_time": second.scheduled_start.isoformat()}, format="json"
    )
    assert clash.status_code == 400
    assert second.title in clash.json()["new_start_time"][0]
    first.refresh_from_db()
    assert not first.is_pinned
    target = NOW + timedelta(days=4, hours=2)  # Saturday 14:00 local
    StudyTask.objects.for_user(planned.user).filter(
        scheduled_start__lt=target + timedelta(hours=2), scheduled_end__gt=target
    ).exclude(pk=first.pk).delete()
    ok = api_client.put(url, {"new_start_time": target.isoformat()}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["is_pinned"] is True
    assert api_client.put(url, {"new_start_time": "soon"}, format="json").status_code == 400


def test_checkins(api_client, user, frozen):
    created = api_client.post(
        reverse("api:checkins"), {"difficulty": 4, "time_burden": 2, "note": "ok"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["date"] == "2026-12-01"
    invalid = api_client.post(reverse("api:checkins"), {"difficulty": 0}, format="json")
    assert invalid.status_code == 400
    assert set(invalid.json()) >= {"difficulty", "time_burden"}
    listed = api_client.get(reverse("api:checkins"))
    assert [c["difficulty"] for c in listed.json()["results"]] == [4]


def test_streak(api_client, user, frozen):
    for days_ago in (0, 1, 2, 5):
        end = NOW - timedelta(days=days_ago)
        StudyTaskFactory(
            course__user=user,
            status=TaskStatus.COMPLETED,
            scheduled_start=end - timedelta(hours=1),
            actual_start=end - timedelta(hours=1),
            actual_end=end,
        )
    body = api_client.get(reverse("api:streak")).json()
    assert body == {"current": 3, "longest": 3, "active_days": 4, "last_active": "2026-12-01"}


# -- Auth and cross-user -------------------------------------------------------------------------


TASK_ENDPOINTS = [
    ("put", "api:task_reschedule", {"new_start_time": "2026-12-05T15:00:00Z"}),
    ("post", "api:task_start", {}),
    ("post", "api:task_complete", {}),
    ("post", "api:task_skip", {"reason": "x"}),
]


@pytest.mark.parametrize("method,name,payload", TASK_ENDPOINTS)
def test_other_users_task_is_a_404_and_unchanged(other_api_client, planned, method, name, payload):
    task = first_block(planned.user)
    before = (task.status, task.scheduled_start, task.is_pinned)
    response = getattr(other_api_client, method)(
        reverse(name, args=[task.pk]), payload, format="json"
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.status, task.scheduled_start, task.is_pinned) == before


def test_lists_never_show_other_users_rows(other_api_client, planned):
    for name in ("api:schedule", "api:tasks_next", "api:checkins"):
        assert (
            other_api_client.get(
                reverse(name), {"start": "2026-12-01"} if name == "api:schedule" else {}
            ).json()["results"]
            == []
        )
    assert other_api_client.get(reverse("api:streak")).json()["active_days"] == 0
    DailyCheckIn.objects.create(user=planned.user, date=NOW.date(), difficulty=3, time_burden=3)
    assert other_api_client.get(reverse("api:checkins")).json()["results"] == []


@pytest.mark.parametrize(
    "method,name,args",
    [
        ("get", "api:schedule", []),
        ("post", "api:schedule_generate", []),
        ("post", "api:schedule_replan", []),
        ("get", "api:tasks_next", []),
        ("get", "api:checkins", []),
        ("post", "api:checkins", []),
        ("get", "api:streak", []),
        ("post", "api:task_start", ["00000000-0000-0000-0000-000000000001"]),
    ],
)
def test_anonymous_is_rejected(anon_api_client, method, name, args):
    response = getattr(anon_api_client, method)(reverse(name, args=args))
    assert response.status_code in (401, 403)


# -- Query counts --------------------------------------------------------------------------------


def _make_blocks(user, course, count):
    for n in range(count):
        start = NOW + timedelta(days=1, hours=n)
        StudyTaskFactory(user=user, course=course, scheduled_start=start)


@pytest.mark.parametrize("name", ["api:schedule", "api:tasks_next"])
def test_list_query_count_is_constant(api_client, setup, django_assert_num_queries, name):
    params = {"start": "2026-12-01", "end": "2026-12-08"} if name == "api:schedule" else {}
    api_client.get(reverse(name), params)  # warm-up: session, content types
    # After the warm-up, so the list is computed here rather than answered from its cache.
    _make_blocks(setup.user, setup.course, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert api_client.get(reverse(name), params).status_code == 200
    _make_blocks(setup.user, setup.course, 10)
    with django_assert_num_queries(len(one.captured_queries)):
        response = api_client.get(reverse(name), params)
    assert response.json()["count"] == 11


def test_malformed_task_id_is_a_json_404_and_anonymous_is_refused_first(
    api_client, anon_api_client, planned
):
    url = "/api/schedule/tasks/not-a-uuid/start"
    response = api_client.post(url)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert anon_api_client.post(url).status_code in (401, 403)


def test_options_on_another_users_task_is_a_404(other_api_client, planned):
    task = first_block(planned.user)
    response = other_api_client.options(reverse("api:task_start", args=[task.pk]))
    assert response.status_code == 404
