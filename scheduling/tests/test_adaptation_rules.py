"""Module 3's adaptation rules, through the services and the API."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.services import preferences_get_current
from mastery.models import EvidenceSource, MasteryRecord
from mastery.services import performance_record_create
from scheduling import rules, services
from scheduling.models import StudyTask, TaskStatus
from scheduling.tests.conftest import NOW
from scheduling.tests.factories import MasteryRecordFactory

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def items_by_key(outcome):
    return {item.key: item for item in outcome.items}


# -- Skipped or missed: x1.2 -------------------------------------------------------------------


def test_skipped_work_comes_back_at_1_2_times_its_priority(setup):
    first = services.plan_regenerate(user=setup.user)
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    before = items_by_key(first)[task.work_key].priority
    services.study_task_skip(task=task, reason="ill")
    again = items_by_key(services.plan_regenerate(user=setup.user))[task.work_key]
    assert again.priority == pytest.approx(before * 1.2)
    assert "skipped or missed before: priority x1.2" in again.reason


def test_missed_work_comes_back_at_1_2_times_its_priority(setup):
    first = services.plan_regenerate(user=setup.user)
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    before = items_by_key(first)[task.work_key].priority
    outcome = services.plan_regenerate(
        user=setup.user, now=task.scheduled_end + timedelta(minutes=1)
    )
    assert str(task.pk) in outcome.missed
    # Same moment, same inputs but the miss: compare with a plan made then without it.
    boosted = items_by_key(outcome)[task.work_key]
    assert "priority x1.2" in boosted.reason
    assert boosted.priority > before  # closer deadline and x1.2 both raise it


# -- A poor result: 3 x 30 min, medium, x1.5 ---------------------------------------------------


def test_a_score_under_60_gives_three_medium_30_minute_sessions(
    setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_create(
            user=setup.user,
            course=setup.course,
            score=5,
            max_score=10,  # 50%
            time_spent_min=20,
            topic_breakdown={str(setup.topic_a.pk): {"correct": 5, "total": 10}},
            source=EvidenceSource.QUIZ,
        )
    outcome = services.plan_regenerate(user=setup.user)
    sessions = [i for i in outcome.items if i.key.startswith(f"practice:{setup.topic_a.pk}:")]
    assert len(sessions) == 3
    assert {(s.minutes, s.difficulty, s.is_splittable) for s in sessions} == {(30, "medium", False)}
    assert all("priority x1.5" in s.reason for s in sessions)
    assert "score under 60%" in sessions[0].reason
    # The three sessions follow each other, a day apart at the earliest.
    assert sessions[1].predecessors == [sessions[0].key]
    assert sessions[2].release - sessions[0].release >= timedelta(days=2)
    blocks = StudyTask.objects.for_user(setup.user).filter(
        work_key__startswith=f"practice:{setup.topic_a.pk}:", status=TaskStatus.SCHEDULED
    )
    assert blocks.count() == 3
    assert {b.estimated_duration_min for b in blocks} == {30}
    assert {b.difficulty for b in blocks} == {"medium"}


def test_practice_priority_is_one_and_a_half_times_the_formula(setup):
    from courses.tests.factories import TopicFactory

    topic = TopicFactory(course=setup.course, name="Series")
    MasteryRecordFactory(
        topic=topic,
        mastery_score=35,
        confidence_interval=10,
        trend="declining",
        last_practiced_at=NOW - timedelta(days=2),
    )
    outcome = services.plan_regenerate(user=setup.user)
    first = items_by_key(outcome)[f"practice:{topic.pk}:1"]
    # Anchored on the last practice: due 7 days after it, 5 days from now.
    assert first.deadline == NOW + timedelta(days=5)
    formula = rules.priority(
        rules.PriorityInputs(
            weight=rules.PRACTICE_WEIGHT,
            mastery=35,
            days_until_due=5,
            confidence_interval=10,
            days_since_practice=2,
        )
    )
    assert first.priority == pytest.approx(formula * 1.5)


def test_a_good_score_gives_no_practice(setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_create(
            user=setup.user,
            course=setup.course,
            score=9,
            max_score=10,
            time_spent_min=20,
            topic_breakdown={str(setup.topic_a.pk): {"correct": 9, "total": 10}},
            source=EvidenceSource.QUIZ,
        )
    outcome = services.plan_regenerate(user=setup.user)
    assert not any(i.key.startswith(f"practice:{setup.topic_a.pk}") for i in outcome.items)


# -- min_review_interval_days --------------------------------------------------------------------


def test_min_review_interval_holds_for_spaced_and_exam_reviews(setup):
    prefs = preferences_get_current(user=setup.user)
    prefs.min_review_interval_days = 10
    prefs.save()
    yesterday = NOW - timedelta(days=1)
    MasteryRecord.objects.filter(user=setup.user).update(
        last_practiced_at=yesterday, next_review_date=date(2026, 12, 2)
    )
    outcome = services.plan_regenerate(user=setup.user)
    earliest = yesterday + timedelta(days=10) - timedelta(hours=24)
    reviews = [i for i in outcome.items if i.kind in ("review", "examreview")]
    for review in reviews:
        assert review.release >= earliest, review.key
    # Ten days after yesterday lies beyond the final (6 days away): no review before it.
    assert not [r for r in reviews if r.kind == "examreview"]

    prefs.min_review_interval_days = 1
    prefs.save()
    outcome = services.plan_regenerate(user=setup.user)
    assert [i for i in outcome.items if i.kind in ("review", "examreview")]


# -- Reschedule: availability and busy time, unless forced --------------------------------------


def test_api_reschedule_outside_availability_is_a_400_unless_forced(api_client, setup):
    services.plan_regenerate(user=setup.user)
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    url = reverse("api:task_reschedule", args=[task.pk])
    # 03:00 on Thursday in New York: nobody's availability.
    night = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    refused = api_client.put(url, {"new_start_time": night.isoformat()}, format="json")
    assert refused.status_code == 400
    assert "outside your study availability" in refused.json()["new_start_time"][0]
    task.refresh_from_db()
    assert task.scheduled_start != night and not task.is_pinned
    forced = api_client.put(
        url, {"new_start_time": night.isoformat(), "force": True}, format="json"
    )
    assert forced.status_code == 200, forced.json()
    assert forced.json()["is_pinned"] is True
    assert datetime.fromisoformat(forced.json()["scheduled_start"]) == night


def test_api_reschedule_onto_busy_time_is_a_400_unless_forced(api_client, setup):
    services.plan_regenerate(user=setup.user)
    saturday_noon = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)  # inside Saturday's 09-21
    StudyTask.objects.for_user(setup.user).filter(
        scheduled_start__lt=saturday_noon + timedelta(hours=2),
        scheduled_end__gt=saturday_noon - timedelta(hours=1),
    ).delete()
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    services.busy_intervals_replace(
        user=setup.user,
        source="google",
        intervals=[(saturday_noon, saturday_noon + timedelta(hours=1))],
    )
    url = reverse("api:task_reschedule", args=[task.pk])
    refused = api_client.put(url, {"new_start_time": saturday_noon.isoformat()}, format="json")
    assert refused.status_code == 400
    assert "busy time" in refused.json()["new_start_time"][0]
    forced = api_client.put(
        url, {"new_start_time": saturday_noon.isoformat(), "force": "true"}, format="json"
    )
    assert forced.status_code == 200


def test_page_move_form_refuses_then_accepts_with_the_checkbox(logged_in_client, setup):
    services.plan_regenerate(user=setup.user)
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    url = reverse("scheduling:task_move", args=[task.pk])
    refused = logged_in_client.post(url, {"new_start_time": "2026-12-03T03:00"})
    assert refused.status_code == 400
    assert "outside your study availability" in refused.content.decode()
    moved = logged_in_client.post(url, {"new_start_time": "2026-12-03T03:00", "force": "on"})
    assert moved.status_code == 302
    task.refresh_from_db()
    assert task.scheduled_start == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_another_students_block_cannot_be_forced(other_api_client, setup):
    services.plan_regenerate(user=setup.user)
    task = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.SCHEDULED).first()
    url = reverse("api:task_reschedule", args=[task.pk])
    body = {"new_start_time": "2026-12-03T08:00:00Z", "force": True}
    assert other_api_client.put(url, body, format="json").status_code == 404
