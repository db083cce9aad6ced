from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling import services
from scheduling.models import DailyCheckIn, PlanSnapshot, StudyTask, TaskStatus
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


def test_week_page_shows_blocks_reasons_busy_and_availability(logged_in_client, planned):
    block = first_block(planned.user)
    services.busy_intervals_replace(
        user=planned.user,
        source="google",
        intervals=[
            (datetime(2026, 12, 2, 0, 0, tzinfo=UTC), datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
        ],
    )
    response = logged_in_client.get(reverse("scheduling:week"), {"week": "2026-12-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert block.title in html and block.reason in html
    assert "Busy 19:00–20:00" in html  # shown in the student's zone (New York)
    assert "Available 18:00–22:00" in html
    assert "Status: Scheduled" in html
    assert 'type="submit"' in html and "Move" in html


def test_today_and_at_risk_pages(logged_in_client, planned):
    today = logged_in_client.get(reverse("scheduling:today"))
    assert today.status_code == 200
    assert "Most important next" in today.content.decode()
    at_risk = logged_in_client.get(reverse("scheduling:at_risk"))
    html = at_risk.content.decode()
    assert at_risk.status_code == 200
    assert "Final" in html and "On track" in html and "P(ready)" in html


@pytest.mark.parametrize(
    "name", ["scheduling:today", "scheduling:at_risk", "scheduling:week", "home"]
)
def test_pages_never_load_the_snapshots_list_of_unplaced_work(logged_in_client, setup, name):
    """It holds an entry per block that did not fit; the pages list those from the tasks."""
    services.plan_regenerate(user=setup.user)
    PlanSnapshot.objects.filter(user=setup.user).update(
        unscheduled=[{"task_id": str(n), "reason": "No free time"} for n in range(500)]
    )
    with CaptureQueriesContext(connection) as captured:
        assert logged_in_client.get(reverse(name)).status_code == 200
    snapshot_reads = [q["sql"] for q in captured if 'FROM "scheduling_plansnapshot"' in q["sql"]]
    assert snapshot_reads
    assert not any('"scheduling_plansnapshot"."unscheduled"' in sql for sql in snapshot_reads)


def test_start_complete_skip_without_js_redirect_back(logged_in_client, planned):
    task = first_block(planned.user)
    back = reverse("scheduling:week") + "?week=2026-12-01"
    response = logged_in_client.post(
        reverse("scheduling:task_start", args=[task.pk]), {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    response = logged_in_client.post(
        reverse("scheduling:task_complete", args=[task.pk]),
        {"completion_percentage": "100", "self_rating": "4", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("scheduling:week")
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.self_rating == 4
    other = first_block(planned.user)
    logged_in_client.post(reverse("scheduling:task_skip", args=[other.pk]), {"reason": "tired"})
    other.refresh_from_db()
    assert other.status == TaskStatus.SKIPPED and other.skip_reason == "tired"


def test_htmx_action_returns_the_block_partial(logged_in_client, planned):
    task = first_block(planned.user)
    response = logged_in_client.post(
        reverse("scheduling:task_start", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="task-{task.pk}"' in html and "Status: In progress" in html
    again = logged_in_client.post(
        reverse("scheduling:task_start", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 200 and "cannot be started" in again.content.decode()


@pytest.mark.parametrize("action", ["task_complete", "task_skip"])
def test_a_blocks_complete_and_skip_forms_come_when_asked_for(logged_in_client, planned, action):
    task = first_block(planned.user)
    week = logged_in_client.get(reverse("scheduling:week"), {"week": "2026-12-01"})
    url = reverse(f"scheduling:{action}", args=[task.pk])
    # The card links to the form instead of carrying it.
    assert f'hx-get="{url}?next=' in week.content.decode()
    assert f'id="task-{task.pk}-form"' in week.content.decode()

    fragment = logged_in_client.get(url, {"next": "/plan/"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and f'hx-target="#task-{task.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'value="/plan/"' in html

    page = logged_in_client.get(url).content.decode()
    assert "<html" in page and task.title in page and f'action="{url}"' in page

    # The form posts as before and the block is answered.
    field = {"task_complete": {"completion_percentage": "100"}, "task_skip": {"reason": "ill"}}
    logged_in_client.post(url, field[action])
    task.refresh_from_db()
    assert task.status in (TaskStatus.COMPLETED, TaskStatus.SKIPPED)
    done = logged_in_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "nothing to" in done and "<html" not in done and 'method="post"' not in done
    page = logged_in_client.get(url).content.decode()
    assert "<html" in page and "nothing to" in page


def test_another_students_block_form_is_a_404(client, planned, other_user):
    task = first_block(planned.user)
    client.force_login(other_user)
    for action in ("task_complete", "task_skip"):
        url = reverse(f"scheduling:{action}", args=[task.pk])
        assert client.get(url).status_code == 404
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(reverse("scheduling:task_start", args=[task.pk])).status_code == 405


def test_move_form_works_without_js_and_shows_conflicts(logged_in_client, planned):
    first, second = StudyTask.objects.for_user(planned.user).filter(status="scheduled")[:2]
    url = reverse("scheduling:task_move", args=[first.pk])
    form_page = logged_in_client.get(url)
    assert form_page.status_code == 200
    local_first = first.scheduled_start.astimezone(ZoneInfo("America/New_York"))
    assert f'value="{local_first:%Y-%m-%dT%H:%M}"' in form_page.content.decode()
    local_second = second.scheduled_start.astimezone(ZoneInfo("America/New_York"))
    clash = logged_in_client.post(url, {"new_start_time": local_second.strftime("%Y-%m-%dT%H:%M")})
    assert clash.status_code == 400
    assert "Conflicts with" in clash.content.decode()
    bad = logged_in_client.post(url, {"new_start_time": "tomorrow"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    StudyTask.objects.for_user(planned.user).exclude(pk=first.pk).filter(
        scheduled_start__date="2026-12-05"
    ).delete()
    ok = logged_in_client.post(url, {"new_start_time": "2026-12-05T14:00"})
    assert ok.status_code == 302
    first.refresh_from_db()
    assert first.is_pinned
    assert first.scheduled_start.isoformat() == "2026-12-05T19:00:00+00:00"  # 14:00 EST


def test_checkin_form(logged_in_client, user, frozen):
    url = reverse("scheduling:checkin")
    assert logged_in_client.get(url).status_code == 200
    invalid = logged_in_client.post(url, {"difficulty": "9"})
    assert invalid.status_code == 200 and "errorlist" in invalid.content.decode()
    assert not DailyCheckIn.objects.exists()
    response = logged_in_client.post(url, {"difficulty": "4", "time_burden": "5", "mood": ""})
    assert response.status_code == 302
    checkin = DailyCheckIn.objects.get(user=user)
    assert (checkin.difficulty, checkin.time_burden, checkin.mood) == (4, 5, None)


def test_replan_button(logged_in_client, planned):
    response = logged_in_client.post(reverse("scheduling:replan"), follow=True)
    assert "Plan updated: 0 new, 0 moved, 0 removed." in response.content.decode()


@pytest.mark.parametrize(
    "name,method,data",
    [
        ("scheduling:task_start", "post", {}),
        ("scheduling:task_complete", "post", {"completion_percentage": "100"}),
        ("scheduling:task_skip", "post", {"reason": "x"}),
        ("scheduling:task_move", "get", {}),
        ("scheduling:task_move", "post", {"new_start_time": "2026-12-05T14:00"}),
    ],
)
def test_other_users_task_views_are_404(client, other_user, planned, name, method, data):
    client.force_login(other_user)
    task = first_block(planned.user)
    before = (task.status, task.scheduled_start, task.is_pinned)
    response = getattr(client, method)(reverse(name, args=[task.pk]), data)
    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.status, task.scheduled_start, task.is_pinned) == before


def test_pages_show_only_own_blocks(client, other_user, planned):
    client.force_login(other_user)
    task = first_block(planned.user)
    for name in ("scheduling:week", "scheduling:today", "scheduling:at_risk"):
        html = client.get(reverse(name), {"week": "2026-12-01"}).content.decode()
        assert task.title not in html


@pytest.mark.parametrize(
    "name",
    [
        "scheduling:week",
        "scheduling:today",
        "scheduling:at_risk",
        "scheduling:checkin",
        "scheduling:feed",
    ],
)
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


def test_week_page_query_count_is_constant(
    logged_in_client, setup, django_assert_num_queries, settings
):
    # The page's own cost, as a cold cache renders it (a warm one skips the body's queries).
    settings.DASHBOARD_CACHE_ENABLED = False

    def add(count):
        for n in range(count):
            StudyTaskFactory(
                user=setup.user,
                course=setup.course,
                scheduled_start=NOW + timedelta(days=1, hours=n),
            )

    url = reverse("scheduling:week")
    add(1)
    logged_in_client.get(url, {"week": "2026-12-01"})
    with CaptureQueriesContext(connection) as one:
        logged_in_client.get(url, {"week": "2026-12-01"})
    add(10)
    with django_assert_num_queries(len(one.captured_queries)):
        response = logged_in_client.get(url, {"week": "2026-12-01"})
    assert response.content.decode().count('class="task task-') == 11


def pending_blocks(user, course, count, *, first_priority=100.0):
    """Blocks the planner could not place, the most urgent first: "Unplaced 0" leads."""
    return [
        StudyTaskFactory(
            user=user,
            course=course,
            title=f"Unplaced {index}",
            status=TaskStatus.PENDING,
            scheduled_start=None,
            estimated_duration_min=30,
            priority_score=first_priority - index,
            unscheduled_reason="No free time before the deadline",
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("name", ["scheduling:today", "scheduling:at_risk"])
def test_work_that_did_not_fit_lists_the_most_urgent_and_counts_all(
    logged_in_client, setup, other_setup, name
):
    from scheduling.selectors import UNSCHEDULED_SHOWN

    total = UNSCHEDULED_SHOWN + 7
    pending_blocks(setup.user, setup.course, total)
    # Another student's unplaced work is neither listed nor counted.
    pending_blocks(other_setup.user, other_setup.course, 3, first_priority=1000.0)
    html = logged_in_client.get(reverse(name)).content.decode()
    listed = {index for index in range(total) if f"Unplaced {index}<" in html}
    assert listed == set(range(UNSCHEDULED_SHOWN))
    assert f"{total} blocks not placed ({total * 30} min)" in html
    assert "7 less urgent blocks not listed here" in html


@pytest.mark.parametrize("name", ["scheduling:today", "scheduling:at_risk"])
def test_a_short_list_of_work_that_did_not_fit_is_listed_whole(logged_in_client, setup, name):
    pending_blocks(setup.user, setup.course, 2)
    html = logged_in_client.get(reverse(name)).content.decode()
    assert "Unplaced 0<" in html and "Unplaced 1<" in html
    assert "2 blocks not placed (60 min)" in html
    assert "not listed here" not in html
