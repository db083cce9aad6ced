import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from accounts.errors import ApplicationError
from accounts.services import preferences_get_current
from mastery.models import EvidenceSource, PerformanceRecord
from scheduling import rules, services
from scheduling.models import StudyTask, TaskStatus
from scheduling.signals import plan_changed
from scheduling.tests.conftest import NOW, make_setup
from scheduling.tests.factories import DailyCheckInFactory, MasteryRecordFactory

pytestmark = pytest.mark.clock


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

    plan_changed.connect(listener, dispatch_uid="test-listener")
    yield events
    plan_changed.disconnect(dispatch_uid="test-listener")


def placed(user):
    return list(
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED)
        .order_by("scheduled_start")
    )


def blocks_of(user, prefix):
    return [t for t in placed(user) if t.work_key.startswith(prefix)]


# -- Task generation ---------------------------------------------------------------------------


def test_generated_tasks_have_type_difficulty_gain_duration_and_reason(setup):
    services.plan_regenerate(user=setup.user)
    final_b = blocks_of(setup.user, f"study:{setup.final.pk}:{setup.topic_b.pk}")
    assert final_b, "the final's weakest topic gets study blocks"
    for task in final_b:
        assert task.reason == "30% of Final on Dec 7 · mastery 55 ± 12 · 6 days left"
        assert task.task_type == "problem_set"  # mastery 55 is the middle level
        assert task.difficulty in {"easy", "medium", "hard", "exam_level"}
        assert 0 < task.expected_mastery_gain <= 100
        assert task.estimated_duration_min <= 60  # about one preferred block (50) each
        assert task.scheduled_end - task.scheduled_start == timedelta(
            minutes=task.estimated_duration_min
        )
    assert sum(t.estimated_duration_min for t in final_b) > 60


def test_study_mode_preferences_choose_the_type(setup):
    prefs = preferences_get_current(user=setup.user)
    prefs.study_mode_preferences = {str(setup.course.pk): ["flashcards", "review"]}
    prefs.save()
    services.plan_regenerate(user=setup.user)
    study = [t for t in placed(setup.user) if t.work_key.startswith("study:")]
    assert study and {t.task_type for t in study} == {"flashcards"}


def test_weak_prerequisite_is_scheduled_first_with_raised_priority(setup):
    outcome = services.plan_regenerate(user=setup.user)
    items = {item.key: item for item in outcome.items}
    prereq_key = f"prereq:{setup.topic_a.pk}"
    dependant_key = f"study:{setup.final.pk}:{setup.topic_b.pk}"
    assert prereq_key in items[dependant_key].predecessors
    assert items[prereq_key].priority > items[dependant_key].priority
    assert "prerequisite of Derivatives" in items[prereq_key].reason
    prereq_blocks = blocks_of(setup.user, prereq_key)
    dependant_blocks = blocks_of(setup.user, dependant_key)
    assert prereq_blocks and dependant_blocks
    assert max(b.scheduled_end for b in prereq_blocks) <= min(
        b.scheduled_start for b in dependant_blocks
    )


def test_strong_prerequisite_adds_no_work(user, frozen):
    setup = make_setup(user)
    record = setup.topic_a.mastery_records.get()
    record.mastery_score = 75
    record.save()
    outcome = services.plan_regenerate(user=user)
    assert not [i for i in outcome.items if i.key.startswith("prereq:")]


def test_due_reviews_become_short_blocks(setup):
    record = setup.topic_c.mastery_records.get()
    record.next_review_date = (NOW + timedelta(days=2)).date()
    record.save()
    services.plan_regenerate(user=setup.user)
    reviews = blocks_of(setup.user, f"review:{setup.topic_c.pk}")
    assert len(reviews) == 1
    assert 10 <= reviews[0].estimated_duration_min <= 15
    assert reviews[0].task_type == "review"


def test_exam_reviews_and_readiness_are_reported(setup):
    outcome = services.plan_regenerate(user=setup.user)
    exam_reviews = blocks_of(setup.user, f"examreview:{setup.final.pk}")
    assert exam_reviews
    assert all(t.scheduled_end <= setup.final.due_date for t in exam_reviews)
    (readiness,) = outcome.snapshot.readiness
    assert readiness["assessment_name"] == "Final"
    assert 0 < readiness["p_ready_now"] < readiness["p_ready_planned"] <= 1


def test_readiness_uses_the_fitted_forecast(setup):
    from mastery import engine
    from mastery.models import ForecastModel

    # A fit that learned nothing but a base rate: every topic is a coin flip on exam day.
    weights = [0.0] * len(engine.PREDICT_FEATURE_NAMES)
    ForecastModel.objects.create(
        version=1, feature_names=list(engine.PREDICT_FEATURE_NAMES), weights=weights, n=500
    )
    (readiness,) = services.plan_regenerate(user=setup.user).snapshot.readiness
    assert readiness["p_ready_now"] == pytest.approx(0.5)
    assert readiness["p_ready_planned"] == pytest.approx(0.5)


# -- Planning and saving -------------------------------------------------------------------------


def test_replan_is_idempotent_and_sends_no_event_the_second_time(setup, plan_events):
    first = services.plan_regenerate(user=setup.user)
    assert first.diff.created and not first.diff.moved and not first.diff.deleted
    second = services.plan_regenerate(user=setup.user)
    assert second.diff.is_empty


def test_plan_changed_carries_the_diff_after_commit(
    setup, plan_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.plan_regenerate(user=setup.user)
    assert plan_events == [
        {
            "signal": plan_changed,
            "user_id": str(setup.user.pk),
            "created": outcome.diff.created,
            "moved": [],
            "deleted": [],
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_regenerate(user=setup.user)
    assert len(plan_events) == 1


def test_same_input_gives_the_same_plan(user, other_user, frozen):
    make_setup(user)
    make_setup(other_user)
    services.plan_regenerate(user=user)
    services.plan_regenerate(user=other_user)

    def shape(u):
        return [(t.title, t.scheduled_start, t.scheduled_end) for t in placed(u)]

    assert shape(user) == shape(other_user)
    StudyTask.objects.for_user(user).delete()
    services.plan_regenerate(user=user)
    assert shape(user) == shape(other_user)


def test_unplaceable_work_stays_pending_with_its_reason(setup):
    prefs = preferences_get_current(user=setup.user)
    prefs.weekly_availability = {"sunday": [{"start": "09:00", "end": "10:00"}]}
    prefs.save()
    outcome = services.plan_regenerate(user=setup.user)
    pending = StudyTask.objects.for_user(setup.user).filter(status=TaskStatus.PENDING)
    assert pending.exists()
    for task in pending:
        assert task.scheduled_start is None
        assert task.unscheduled_reason
        assert task.reason
    assert any(c["is_at_risk"] for c in outcome.snapshot.cushions)


def test_stored_busy_time_is_avoided_even_when_the_cached_copy_is_unreadable(setup):
    services.plan_regenerate(user=setup.user)
    first = placed(setup.user)[0]
    services.busy_intervals_replace(
        user=setup.user,
        source="google",
        intervals=[(first.scheduled_start, first.scheduled_end)],
    )
    # Redis only caches busy time: garbage there reads as a miss, PostgreSQL answers.
    cache.set(f"busy:{setup.user.pk}", [["bad"]])
    outcome = services.plan_regenerate(user=setup.user, reason="busy_changed")
    assert outcome.diff.moved or outcome.diff.deleted
    for task in placed(setup.user):
        assert not (
            task.scheduled_start < first.scheduled_end
            and first.scheduled_start < task.scheduled_end
        )


def test_locked_blocks_never_move(setup):
    services.plan_regenerate(user=setup.user)
    blocks = placed(setup.user)
    pinned, started = blocks[0], blocks[1]
    StudyTask.objects.filter(pk=pinned.pk).update(is_pinned=True)
    services.study_task_start(task=started)
    # A heavy change: the student loses every weekday evening.
    prefs = preferences_get_current(user=setup.user)
    prefs.weekly_availability = {"saturday": [{"start": "09:00", "end": "21:00"}]}
    prefs.save()
    services.plan_regenerate(user=setup.user)
    pinned_after = StudyTask.objects.get(pk=pinned.pk)
    started_after = StudyTask.objects.get(pk=started.pk)
    assert (pinned_after.scheduled_start, pinned_after.scheduled_end) == (
        pinned.scheduled_start,
        pinned.scheduled_end,
    )
    assert started_after.status == TaskStatus.IN_PROGRESS
    assert started_after.scheduled_start == started.scheduled_start


def test_small_change_moves_few_blocks(setup):
    services.plan_regenerate(user=setup.user)
    before = placed(setup.user)
    last = before[-1]
    services.busy_intervals_replace(
        user=setup.user, source="google", intervals=[(last.scheduled_start, last.scheduled_end)]
    )
    outcome = services.plan_regenerate(user=setup.user)
    changed = len(outcome.diff.moved) + len(outcome.diff.deleted)
    assert 1 <= changed <= 2
    kept = {t.pk for t in before} - set(map(uuid.UUID, outcome.diff.moved))
    assert len(kept) >= len(before) - 2


def test_missed_block_is_marked_and_its_work_replaced_before_the_deadline(setup):
    services.plan_regenerate(user=setup.user)
    first = placed(setup.user)[0]
    key = first.work_key
    needed = sum(t.estimated_duration_min for t in placed(setup.user) if t.work_key == key)
    with time_machine.travel(first.scheduled_end + timedelta(minutes=5), tick=False):
        outcome = services.plan_regenerate(user=setup.user, reason="missed")
    assert str(first.pk) in outcome.missed
    assert StudyTask.objects.get(pk=first.pk).status == TaskStatus.MISSED
    again = [t for t in placed(setup.user) if t.work_key == key]
    pending = StudyTask.objects.for_user(setup.user).filter(work_key=key, status="pending")
    placed_minutes = sum(t.estimated_duration_min for t in again)
    deadline = min(t.scheduled_end for t in again) if again else None
    assert (
        placed_minutes == needed
        or pending.exists()
        or any(c["is_at_risk"] for c in outcome.snapshot.cushions)
    )
    if again:
        assert deadline <= setup.final.due_date
        assert all(t.scheduled_start > first.scheduled_end for t in again)


def test_poor_result_adds_practice_on_an_uncovered_topic(setup):
    from courses.tests.factories import TopicFactory

    topic = TopicFactory(course=setup.course, name="Series")
    MasteryRecordFactory(topic=topic, mastery_score=35, trend="declining")
    services.plan_regenerate(user=setup.user)
    practice = blocks_of(setup.user, f"practice:{topic.pk}")
    assert practice
    assert "recent result was poor" in practice[0].reason


# -- Learned durations and check-ins ------------------------------------------------------------


def test_learned_durations_scale_future_estimates(setup):
    baseline = services.plan_regenerate(user=setup.user)
    key = f"study:{setup.final.pk}:{setup.topic_b.pk}"
    base_minutes = next(i.minutes for i in baseline.items if i.key == key)
    from scheduling.tests.factories import StudyTaskFactory

    for n in range(6):
        start = NOW - timedelta(days=10 + n)
        StudyTaskFactory(
            user=setup.user,
            course=setup.course,
            task_type="problem_set",
            status=TaskStatus.COMPLETED,
            estimated_duration_min=30,
            scheduled_start=start,
            actual_start=start,
            actual_end=start + timedelta(minutes=60),
            completion_percentage=100,
            work_key="",
        )
    slower = services.plan_regenerate(user=setup.user)
    minutes = next(i.minutes for i in slower.items if i.key == key)
    ratio = rules.duration_ratio(sum_actual_min=360, sum_estimated_min=180, task_count=6)
    assert minutes == pytest.approx(rules.round_up(base_minutes * ratio), abs=5)
    assert minutes > base_minutes


def test_checkin_shortens_blocks_and_eases_difficulty(setup):
    def mean_block():
        blocks = [t.estimated_duration_min for t in placed(setup.user) if t.task_type != "review"]
        return sum(blocks) / len(blocks)

    normal = services.plan_regenerate(user=setup.user)
    normal_difficulty = {i.key: i.difficulty for i in normal.items}
    normal_mean = mean_block()
    DailyCheckInFactory(user=setup.user, date=NOW.date(), difficulty=5, time_burden=5)
    StudyTask.objects.for_user(setup.user).delete()
    eased = services.plan_regenerate(user=setup.user)
    assert mean_block() < normal_mean
    levels = rules.DIFFICULTY_LEVELS
    for item in eased.items:
        assert levels.index(item.difficulty) <= levels.index(normal_difficulty[item.key])
    assert any(
        levels.index(i.difficulty) < levels.index(normal_difficulty[i.key]) for i in eased.items
    )


def test_checkin_submit_validates_and_replaces_the_days_checkin(setup):
    first = services.checkin_submit(user=setup.user, difficulty=2, time_burden=4)
    second = services.checkin_submit(user=setup.user, difficulty=3, time_burden=3, mood=5)
    assert first.pk == second.pk and second.mood == 5
    assert second.date == NOW.astimezone(ZoneInfo("America/New_York")).date()
    with pytest.raises(ApplicationError) as error:
        services.checkin_submit(user=setup.user, difficulty=6, time_burden=0)
    assert set(error.value.field_errors) == {"difficulty", "time_burden"}


# -- Lifecycle ---------------------------------------------------------------------------------


def test_start_complete_with_self_rating_records_evidence(setup):
    services.plan_regenerate(user=setup.user)
    task = blocks_of(setup.user, f"study:{setup.final.pk}:{setup.topic_b.pk}")[0]
    started = services.study_task_start(task=task)
    assert started.status == TaskStatus.IN_PROGRESS and started.actual_start == NOW
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False):
        done = services.study_task_complete(task=started, completion_percentage=80, self_rating=4)
    assert done.status == TaskStatus.COMPLETED
    assert done.actual_end == NOW + timedelta(minutes=40)
    assert done.completion_percentage == 80 and done.self_rating == 4
    record = PerformanceRecord.objects.get(user=setup.user)
    assert record.source == EvidenceSource.SELF_RATING
    assert record.score == 4 and record.max_score == 5 and record.time_spent_min == 40
    assert set(record.topic_breakdown) == {str(setup.topic_b.pk)}


def test_lifecycle_rejects_wrong_transitions_and_bad_values(setup):
    services.plan_regenerate(user=setup.user)
    task = placed(setup.user)[0]
    with pytest.raises(ApplicationError):
        services.study_task_complete(task=task, completion_percentage=0)
    with pytest.raises(ApplicationError):
        services.study_task_complete(task=task, self_rating=6)
    services.study_task_complete(task=task)
    for action in (services.study_task_start, services.study_task_skip):
        with pytest.raises(ApplicationError):
            action(task=task)
    assert StudyTask.objects.get(pk=task.pk).status == TaskStatus.COMPLETED


def test_skip_records_the_reason_and_replans(setup, django_capture_on_commit_callbacks):
    services.plan_regenerate(user=setup.user)
    task = placed(setup.user)[0]
    key = task.work_key
    with django_capture_on_commit_callbacks(execute=True):
        skipped = services.study_task_skip(task=task, reason="felt sick")
    assert skipped.status == TaskStatus.SKIPPED and skipped.skip_reason == "felt sick"
    # The replan re-placed the skipped work under a new block.
    others = StudyTask.objects.for_user(setup.user).filter(work_key=key).exclude(pk=task.pk)
    assert others.filter(status__in=["scheduled", "pending"]).exists()


def test_reschedule_pins_the_block_and_refuses_conflicts(setup):
    services.plan_regenerate(user=setup.user)
    first, second = placed(setup.user)[:2]
    with pytest.raises(ApplicationError) as clash:
        services.study_task_reschedule(task=first, new_start=second.scheduled_start)
    assert second.title in clash.value.message
    with pytest.raises(ApplicationError):
        services.study_task_reschedule(task=first, new_start=NOW - timedelta(hours=1))
    free_start = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # 21:00 local Saturday
    services.busy_intervals_replace(
        user=setup.user, source="google", intervals=[(free_start, free_start + timedelta(hours=1))]
    )
    with pytest.raises(ApplicationError) as busy:
        services.study_task_reschedule(task=first, new_start=free_start)
    assert "busy time" in busy.value.message
    later = free_start + timedelta(hours=2)
    # 23:00 is past Saturday's availability: refused unless the student forces it.
    with pytest.raises(ApplicationError) as outside:
        services.study_task_reschedule(task=first, new_start=later)
    assert "outside your study availability" in outside.value.message
    moved = services.study_task_reschedule(task=first, new_start=later, force=True)
    assert moved.is_pinned and moved.scheduled_start == later
    services.plan_regenerate(user=setup.user)
    assert StudyTask.objects.get(pk=first.pk).scheduled_start == later


def test_feed_token_rotate_and_revoke(user):
    token, raw = services.calendar_feed_rotate(user=user)
    assert token.token_hash == services.hash_feed_token(raw) and raw not in token.token_hash
    second, raw2 = services.calendar_feed_rotate(user=user)
    token.refresh_from_db()
    assert token.revoked_at is not None and second.revoked_at is None and raw2 != raw
    assert services.calendar_feed_revoke(user=user) == 1


def test_a_target_grade_raises_the_priority_of_the_course_work(setup):
    from courses.services import course_target_grade_set

    key = f"study:{setup.final.pk}:{setup.topic_b.pk}"
    services.plan_regenerate(user=setup.user)
    before = blocks_of(setup.user, key)[0].priority_score
    course_target_grade_set(course=setup.course, target_grade=95)
    services.plan_regenerate(user=setup.user)
    after = blocks_of(setup.user, key)[0].priority_score
    assert after == pytest.approx(before * 1.25)


def test_a_refused_move_speaks_the_students_clock(setup):
    """The refusal names times on the student's own 12- or 24-hour clock, in their zone."""
    from accounts.services import preferences_update

    services.plan_regenerate(user=setup.user)
    first = placed(setup.user)[0]
    late = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 23:00 local Saturday, past availability
    with pytest.raises(ApplicationError) as on_24h:
        services.study_task_reschedule(task=first, new_start=late)
    assert "23:00" in on_24h.value.message and "PM" not in on_24h.value.message
    preferences_update(user=setup.user, time_format="12h")
    with pytest.raises(ApplicationError) as on_12h:
        services.study_task_reschedule(task=first, new_start=late)
    assert "11:00 PM" in on_12h.value.message and "23:00" not in on_12h.value.message
