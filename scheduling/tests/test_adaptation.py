"""End to end in-process (eager Celery): evidence -> mastery -> replan -> plan_changed; DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from accounts.services import preferences_get_current
from accounts.tests.factories import UserFactory
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery.models import EvidenceSource, MasteryRecord
from mastery.services import performance_record_create
from mastery.tests.factories import PerformanceRecordFactory
from scheduling import selectors, services, tasks
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus
from scheduling.signals import plan_changed
from scheduling.tests.factories import StudyTaskFactory

pytestmark = pytest.mark.clock

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def plan_events():
    events = []

    def listener(sender, **kwargs):
        events.append(kwargs)

    plan_changed.connect(listener, dispatch_uid="adaptation-listener")
    yield events
    plan_changed.disconnect(dispatch_uid="adaptation-listener")


def minutes_on(user, topic):
    return sum(
        t.estimated_duration_min
        for t in StudyTask.objects.for_user(user).filter(status__in=["scheduled", "pending"])
        if str(topic.pk) in t.topic_ids
    )


def test_poor_grade_lowers_mastery_and_the_replan_adds_practice(
    setup, plan_events, django_capture_on_commit_callbacks
):
    services.plan_regenerate(user=setup.user)
    before_minutes = minutes_on(setup.user, setup.topic_c)
    before_ids = set(StudyTask.objects.for_user(setup.user).values_list("pk", flat=True))
    mastery_before = MasteryRecord.objects.get(topic=setup.topic_c).mastery_score

    with django_capture_on_commit_callbacks(execute=True):
        performance_record_create(
            user=setup.user,
            course=setup.course,
            score=2,
            max_score=10,
            time_spent_min=20,
            topic_breakdown={str(setup.topic_c.pk): {"correct": 2, "total": 10}},
            source=EvidenceSource.QUIZ,
        )

    assert MasteryRecord.objects.get(topic=setup.topic_c).mastery_score < mastery_before
    assert minutes_on(setup.user, setup.topic_c) > before_minutes
    assert len(plan_events) == 1
    event = plan_events[0]
    assert event["user_id"] == str(setup.user.pk)
    assert event["created"] or event["moved"]
    new_ids = {
        str(pk) for pk in StudyTask.objects.for_user(setup.user).values_list("pk", flat=True)
    }
    assert set(event["created"]) == new_ids - {str(pk) for pk in before_ids}
    created_topics = {
        tid for t in StudyTask.objects.filter(pk__in=event["created"]) for tid in t.topic_ids
    }
    assert str(setup.topic_c.pk) in created_topics
    # Only the diff: blocks that did not change are not in the event.
    unchanged = set(map(str, before_ids)) - set(event["moved"]) - set(event["deleted"])
    assert unchanged and not unchanged & set(event["created"])


def test_signals_enqueue_a_replan_only_after_commit(setup, django_capture_on_commit_callbacks):
    from courses.signals import assessment_changed

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assessment_changed.send(sender=None, user_id=setup.user.pk, assessment_ids=[])
    assert not StudyTask.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert StudyTask.objects.for_user(setup.user).exists()


def test_assessment_moved_earlier_replans_before_the_new_date(
    setup, django_capture_on_commit_callbacks
):
    from courses.services import assessment_update

    services.plan_regenerate(user=setup.user)
    new_due = setup.final.due_date - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_update(assessment=setup.final, due_date=new_due)
    final_blocks = StudyTask.objects.for_user(setup.user).filter(
        assessment=setup.final, status="scheduled"
    )
    assert final_blocks.exists()
    assert all(t.scheduled_end <= new_due for t in final_blocks)


# -- Celery tasks ---------------------------------------------------------------------------------


def test_replan_task_is_quiet_for_a_missing_user(db):
    assert tasks.replan_user.delay("00000000-0000-0000-0000-000000000000", "x").get() is None


def test_replan_task_is_idempotent(setup):
    first = tasks.replan_user.delay(str(setup.user.pk), "nightly").get()
    second = tasks.replan_user.delay(str(setup.user.pk), "nightly").get()
    assert first["created"] and second == {"created": [], "moved": [], "deleted": []}


def test_a_locked_user_is_not_replanned_twice_at_once(setup):
    with services.plan_lock(setup.user.pk), pytest.raises(services.PlanLocked):
        services.plan_replan(user=setup.user, reason="x")
    # In-process the task gives way quietly instead of retrying against its own caller.
    with services.plan_lock(setup.user.pk):
        assert tasks.replan_user.delay(str(setup.user.pk), "x").get() is None
    assert not StudyTask.objects.exists()


def test_nightly_sweep_picks_users_at_two_in_their_own_zone(db):
    tokyo = UserFactory(email="tokyo@example.org", timezone="Asia/Tokyo")
    new_york = UserFactory(email="ny@example.org", timezone="America/New_York")
    # 17:05 UTC is 02:05 in Tokyo and 12:05 in New York.
    with time_machine.travel(datetime(2026, 12, 1, 17, 5, tzinfo=UTC), tick=False):
        result = tasks.nightly_replan_sweep.delay().get()
        assert result["nightly"] == [str(tokyo.pk)]
        assert PlanSnapshot.objects.get(user=tokyo).last_nightly_date.isoformat() == "2026-12-02"
        # Beat may fire twice in the hour: the second sweep does not replan again.
        assert tasks.nightly_replan_sweep.delay().get()["nightly"] == []
    assert not PlanSnapshot.objects.filter(user=new_york).exists()


def test_sweep_replans_users_whose_busy_time_changed(setup):
    services.plan_regenerate(user=setup.user)
    block = StudyTask.objects.for_user(setup.user).filter(status="scheduled").first()
    services.busy_intervals_replace(
        user=setup.user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
    )
    result = tasks.nightly_replan_sweep.delay().get()
    assert result["busy_changed"] == [str(setup.user.pk)]
    assert (
        StudyTask.objects.filter(
            user=setup.user, status="scheduled", scheduled_start=block.scheduled_start
        ).count()
        == 0
    )
    assert tasks.nightly_replan_sweep.delay().get()["busy_changed"] == []


def test_mark_missed_blocks_replans_and_replaces_the_work(setup):
    services.plan_regenerate(user=setup.user)
    block = (
        StudyTask.objects.for_user(setup.user)
        .filter(status="scheduled")
        .order_by("scheduled_start")[0]
    )
    with time_machine.travel(block.scheduled_end + timedelta(minutes=1), tick=False):
        assert tasks.mark_missed_blocks.delay().get() == [str(setup.user.pk)]
    block.refresh_from_db()
    assert block.status == TaskStatus.MISSED
    replacement = StudyTask.objects.for_user(setup.user).filter(
        work_key=block.work_key, status__in=["scheduled", "pending"]
    )
    assert replacement.exists()
    for task in replacement.filter(status="scheduled"):
        assert block.scheduled_end < task.scheduled_start
        assert task.scheduled_end <= setup.final.due_date


def test_busy_intervals_set_replans_only_on_change(setup, django_capture_on_commit_callbacks):
    services.plan_regenerate(user=setup.user)
    start = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.busy_intervals_set(
            user=setup.user, intervals=[(start, start + timedelta(hours=3))]
        )
    assert (
        not StudyTask.objects.for_user(setup.user)
        .filter(
            status="scheduled",
            scheduled_start__lt=start + timedelta(hours=3),
            scheduled_end__gt=start,
        )
        .exists()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert not services.busy_intervals_set(
            user=setup.user, intervals=[(start, start + timedelta(hours=3))]
        )


# -- DST ---------------------------------------------------------------------------------------


@time_machine.travel(
    datetime(2026, 10, 29, 16, 0, tzinfo=UTC), tick=False
)  # Thu noon EDT; DST ends Sun Nov 1
def test_dst_week_keeps_blocks_inside_local_availability(user):
    prefs = preferences_get_current(user=user)
    prefs.weekly_availability = {
        day: [{"start": "18:00", "end": "21:00"}]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    prefs.save()
    course = CourseFactory(user=user)
    topics = [TopicFactory(course=course) for _ in range(3)]
    exam = AssessmentFactory(
        course=course,
        type="final",
        weight_percent=40,
        due_date=datetime(2026, 11, 5, 17, 0, tzinfo=UTC),
    )
    for topic in topics:
        AssessmentTopicFactory(assessment=exam, topic=topic)
    services.plan_regenerate(user=user)
    blocks = StudyTask.objects.for_user(user).filter(status="scheduled")
    local_days = set()
    for block in blocks:
        start, end = (
            block.scheduled_start.astimezone(NEW_YORK),
            block.scheduled_end.astimezone(NEW_YORK),
        )
        assert start.date() == end.date()
        assert (start.hour, start.minute) >= (18, 0) and (end.hour, end.minute) <= (21, 0)
        local_days.add(start.date())
    # Blocks on both sides of the change, each at local 18:00-21:00 (UTC offset -4 then -5).
    assert min(local_days).isoformat() < "2026-11-01" < max(local_days).isoformat()
    offsets = {b.scheduled_start.astimezone(NEW_YORK).utcoffset() for b in blocks}
    assert offsets == {timedelta(hours=-4), timedelta(hours=-5)}


@time_machine.travel(datetime(2026, 11, 3, 15, 0, tzinfo=UTC), tick=False)
def test_streak_across_the_dst_change_uses_local_days(user):
    # 23:30 local each evening: on Oct 31 that is 03:30 UTC Nov 1 (EDT), on Nov 1 it is
    # 04:30 UTC Nov 2 (EST). A UTC or fixed-offset reading would merge or split days.
    evenings = [
        datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK),
        datetime(2026, 11, 1, 23, 30, tzinfo=NEW_YORK),
        datetime(2026, 11, 2, 23, 30, tzinfo=NEW_YORK),
    ]
    course = CourseFactory(user=user)
    StudyTaskFactory(
        user=user,
        course=course,
        status=TaskStatus.COMPLETED,
        scheduled_start=evenings[0] - timedelta(hours=1),
        actual_start=evenings[0] - timedelta(hours=1),
        actual_end=evenings[0],
    )
    PerformanceRecordFactory(course=course, completed_at=evenings[1], source=EvidenceSource.QUIZ)
    PerformanceRecordFactory(
        course=course, completed_at=evenings[2], source=EvidenceSource.DIAGNOSTIC
    )
    # Manual grades are not activity.
    PerformanceRecordFactory(course=course, completed_at=evenings[2] + timedelta(hours=12))
    result = selectors.streak_for(user)
    assert (result.current, result.longest, result.active_days) == (3, 3, 3)
    assert result.last_active.isoformat() == "2026-11-02"


def test_preferences_change_replans_within_the_new_limits(
    setup, django_capture_on_commit_callbacks
):
    from accounts.services import preferences_update

    services.plan_regenerate(user=setup.user)
    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=setup.user, max_hours_per_day=1.0)
    per_day: dict = {}
    for task in StudyTask.objects.for_user(setup.user).filter(status="scheduled"):
        day = task.scheduled_start.astimezone(NEW_YORK).date()
        per_day[day] = per_day.get(day, 0) + task.estimated_duration_min
    assert per_day and max(per_day.values()) <= 60


@time_machine.travel(datetime(2026, 11, 3, 15, 0, tzinfo=UTC), tick=False)
def test_streak_reads_each_local_day_once_whatever_the_history(user, django_assert_num_queries):
    course = CourseFactory(user=user)
    for day in (1, 2, 3):
        for minute in range(0, 50, 10):
            PerformanceRecordFactory(
                course=course,
                completed_at=datetime(2026, 11, day, 12, minute, tzinfo=NEW_YORK),
                source=EvidenceSource.QUIZ,
            )
    # One query: the rollup holds one row per local day, however many answers fell on it.
    with django_assert_num_queries(1):
        result = selectors.streak_for(user)
    assert (result.current, result.longest, result.active_days) == (3, 3, 3)
