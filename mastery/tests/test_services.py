from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import ApplicationError
from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery import engine
from mastery.models import EvidenceSource, MasteryObservation, MasteryRecord, PerformanceRecord
from mastery.services import (
    mastery_recompute,
    mastery_recompute_topics,
    mastery_recompute_user,
    performance_record_create,
    performance_record_create_self_rating,
    performance_record_delete,
    performance_record_update,
)
from mastery.signals import mastery_changed

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

START = timezone.now() - timedelta(days=60)


@pytest.fixture
def course(user):
    return CourseFactory(user=user)


@pytest.fixture
def topic(course):
    return TopicFactory(course=course, estimated_difficulty="medium")


def breakdown(topic, correct, total=10, time_min=5):
    return {str(topic.pk): {"correct": correct, "total": total, "time_min": time_min}}


def add(user, course, topic, correct, day, *, total=10, assessment=None, source="api"):
    return performance_record_create(
        user=user,
        course=course,
        assessment=assessment,
        score=float(correct),
        max_score=float(total),
        time_spent_min=10,
        completed_at=START + timedelta(days=day),
        topic_breakdown=breakdown(topic, correct, total),
        source=source,
    )


def observation(correct, day, *, total=10, kind="practice", time_min=5):
    return engine.Observation(
        score_percent=correct / total * 100,
        question_count=total,
        time_spent_min=time_min,
        difficulty_level="medium",
        kind=kind,
        observed_at=START + timedelta(days=day),
    )


def assert_state_matches(row, state):
    assert row.mastery_score == pytest.approx(state.mastery_score, abs=1e-9)
    assert row.confidence_interval == pytest.approx(state.confidence_interval, abs=1e-9)
    assert row.trend == state.trend
    assert row.review_interval_days == state.review_interval_days
    assert row.practice_count == state.practice_count
    assert row.quiz_count == state.quiz_count
    assert row.memory["stability_days"] == pytest.approx(state.stability_days, abs=1e-9)


def steps(user, topic):
    return list(MasteryObservation.objects.filter(user=user, topic=topic).order_by("sequence"))


def test_fold_follows_completed_at_not_insertion_order(
    user, course, topic, django_capture_on_commit_callbacks
):
    # (correct answers, day) posted in this order; the fold must run by day.
    posted = [(9, 20), (3, 5), (6, 10)]
    with django_capture_on_commit_callbacks(execute=True):
        records = [add(user, course, topic, correct, day) for correct, day in posted]

    expected = engine.replay(observation(c, d) for c, d in sorted(posted, key=lambda p: p[1]))
    row = MasteryRecord.objects.get(user=user, topic=topic)
    assert_state_matches(row, expected[-1])
    assert row.observation_count == 3
    by_day = sorted(zip(posted, records, strict=True), key=lambda pair: pair[0][1])
    assert [step.performance_record_id for step in steps(user, topic)] == [
        record.pk for _, record in by_day
    ]


def test_late_dated_evidence_is_folded_in_its_place(
    user, course, topic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 4, 1)
        add(user, course, topic, 8, 30)
    with django_capture_on_commit_callbacks(execute=True):
        late = add(user, course, topic, 10, 15)

    history = steps(user, topic)
    assert [step.sequence for step in history] == [1, 2, 3]
    assert history[1].performance_record_id == late.pk
    expected = engine.replay([observation(4, 1), observation(10, 15), observation(8, 30)])
    assert_state_matches(MasteryRecord.objects.get(user=user, topic=topic), expected[-1])
    assert history[2].mastery_before == pytest.approx(expected[1].mastery_score)


def test_history_rows_keep_before_after_alpha_and_the_evidence(
    user, course, topic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = add(user, course, topic, 5, 1)
        second = add(user, course, topic, 9, 2)
    expected = engine.replay([observation(5, 1), observation(9, 2)])
    one, two = steps(user, topic)
    assert (one.performance_record_id, two.performance_record_id) == (first.pk, second.pk)
    assert one.mastery_before is None
    assert one.mastery_after == pytest.approx(expected[0].mastery_score)
    assert two.mastery_before == pytest.approx(expected[0].mastery_score)
    assert two.mastery_after == pytest.approx(expected[1].mastery_score)
    assert two.alpha == pytest.approx(engine.ALPHA_BY_KIND[engine.Kind.PRACTICE])
    assert two.score_percent == pytest.approx(90.0)
    assert two.question_count == 10


def test_edit_and_delete_recompute(user, course, topic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = add(user, course, topic, 2, 1)
        second = add(user, course, topic, 6, 2)
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_update(
            record=first, score=9.0, topic_breakdown=breakdown(topic, 9), completed_at=START
        )
    expected = engine.replay([observation(9, 0), observation(6, 2)])
    assert_state_matches(MasteryRecord.objects.get(user=user, topic=topic), expected[-1])

    with django_capture_on_commit_callbacks(execute=True):
        performance_record_delete(record=second)
    expected = engine.replay([observation(9, 0)])
    assert_state_matches(MasteryRecord.objects.get(user=user, topic=topic), expected[-1])
    assert len(steps(user, topic)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        performance_record_delete(record=PerformanceRecord.objects.get(pk=first.pk))
    assert not MasteryRecord.objects.filter(user=user, topic=topic).exists()
    assert steps(user, topic) == []


def test_moving_a_breakdown_to_another_topic_recomputes_both(
    user, course, topic, django_capture_on_commit_callbacks
):
    other = TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        record = add(user, course, topic, 7, 1)
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_update(record=record, topic_breakdown=breakdown(other, 7))
    assert not MasteryRecord.objects.filter(topic=topic).exists()
    assert MasteryRecord.objects.get(topic=other).observation_count == 1


def test_recompute_is_idempotent(user, course, topic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 3, 1)
        add(user, course, topic, 7, 3)
    row = MasteryRecord.objects.get(user=user, topic=topic)
    step_ids = [step.pk for step in steps(user, topic)]
    versions = row.history.count()

    result = mastery_recompute(user=user, topic=topic)

    assert not result.has_moved
    assert [step.pk for step in steps(user, topic)] == step_ids
    assert row.history.count() == versions
    again = MasteryRecord.objects.get(pk=row.pk)
    assert again.mastery_score == row.mastery_score
    assert again.memory == row.memory


def test_newest_evidence_takes_the_fast_path_and_older_does_not(
    user, course, topic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 3, 1)
    newest = PerformanceRecord.objects.create(
        user=user,
        course=course,
        score=8,
        max_score=10,
        time_spent_min=5,
        completed_at=START + timedelta(days=9),
        topic_breakdown=breakdown(topic, 8),
    )
    assert mastery_recompute(user=user, topic=topic, new_record_id=newest.pk).used_fast_path

    older = PerformanceRecord.objects.create(
        user=user,
        course=course,
        score=5,
        max_score=10,
        time_spent_min=5,
        completed_at=START + timedelta(days=5),
        topic_breakdown=breakdown(topic, 5),
    )
    result = mastery_recompute(user=user, topic=topic, new_record_id=older.pk)
    assert not result.used_fast_path
    expected = engine.replay([observation(3, 1), observation(5, 5), observation(8, 9)])
    assert_state_matches(result.record, expected[-1])


def test_fast_path_refuses_when_other_evidence_is_unfolded(user, course, topic):
    PerformanceRecord.objects.create(
        user=user,
        course=course,
        score=3,
        max_score=10,
        time_spent_min=5,
        completed_at=START,
        topic_breakdown=breakdown(topic, 3),
    )
    mastery_recompute(user=user, topic=topic)
    for day, correct in [(2, 9), (3, 1)]:
        newest = PerformanceRecord.objects.create(
            user=user,
            course=course,
            score=correct,
            max_score=10,
            time_spent_min=5,
            completed_at=START + timedelta(days=day),
            topic_breakdown=breakdown(topic, correct),
        )
    result = mastery_recompute(user=user, topic=topic, new_record_id=newest.pk)
    assert not result.used_fast_path
    assert result.record.observation_count == 3


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    evidence=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10),
            st.integers(min_value=1, max_value=10),
            st.floats(min_value=0.0, max_value=20.0, allow_nan=False),
            st.sampled_from(["api", "diagnostic", "self_rating"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_fast_path_equals_full_fold(user, course, topic, evidence):
    """Appending each new record via the fast path ends exactly where a fresh fold does."""
    with transaction.atomic():
        when = START
        for correct, total, gap_days, source in evidence:
            when += timedelta(days=gap_days)
            record = PerformanceRecord.objects.create(
                user=user,
                course=course,
                score=min(correct, total) if source != "self_rating" else 3,
                max_score=total if source != "self_rating" else 5,
                time_spent_min=5,
                completed_at=when,
                topic_breakdown=breakdown(topic, min(correct, total), total),
                source=source,
            )
            result = mastery_recompute(user=user, topic=topic, new_record_id=record.pk)
            assert result.used_fast_path == (result.record.observation_count > 1)
        fast_row = MasteryRecord.objects.get(user=user, topic=topic)
        fast_steps = [
            (s.performance_record_id, s.alpha, s.mastery_before, s.mastery_after)
            for s in steps(user, topic)
        ]

        MasteryObservation.objects.filter(user=user, topic=topic).delete()
        MasteryRecord.objects.filter(user=user, topic=topic).delete()
        mastery_recompute(user=user, topic=topic)
        full_row = MasteryRecord.objects.get(user=user, topic=topic)

        columns = [
            "mastery_score",
            "confidence_interval",
            "trend",
            "review_interval_days",
            "next_review_date",
            "last_practiced_at",
            "practice_count",
            "quiz_count",
            "memory",
            "observation_count",
        ]
        assert {c: getattr(fast_row, c) for c in columns} == {
            c: getattr(full_row, c) for c in columns
        }
        assert fast_steps == [
            (s.performance_record_id, s.alpha, s.mastery_before, s.mastery_after)
            for s in steps(user, topic)
        ]
        transaction.set_rollback(True)


def test_kind_comes_from_source_then_assessment_type(
    user, course, topic, django_capture_on_commit_callbacks
):
    midterm = AssessmentFactory(course=course, type=AssessmentType.MIDTERM, max_score=10)
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 6, 1, source=EvidenceSource.DIAGNOSTIC)
        add(user, course, topic, 6, 2, assessment=midterm)
        add(user, course, topic, 6, 3)
    kinds = [(s.kind, s.alpha) for s in steps(user, topic)]
    assert kinds == [
        ("diagnostic", engine.ALPHA_FIRST_DIAGNOSTIC),
        ("midterm", engine.ALPHA_BY_KIND[engine.Kind.MIDTERM]),
        ("practice", engine.ALPHA_BY_KIND[engine.Kind.PRACTICE]),
    ]


def test_self_rating_is_weak_review_evidence(
    user, course, topic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 5, 1)
        performance_record_create_self_rating(
            user=user, course=course, topics=[topic], rating=5, time_spent_min=30
        )
    last = steps(user, topic)[-1]
    assert (last.kind, last.question_count) == ("review", 1)
    assert last.score_percent == pytest.approx(100.0)
    assert last.alpha == pytest.approx(engine.ALPHA_SINGLE_QUESTION)
    with pytest.raises(ApplicationError):
        performance_record_create_self_rating(
            user=user, course=course, topics=[topic], rating=6, time_spent_min=30
        )


def test_breakdown_less_record_reaches_every_mapped_topic_by_weight(
    user, course, django_capture_on_commit_callbacks
):
    quiz = AssessmentFactory(course=course, type=AssessmentType.QUIZ, max_score=20)
    heavy, light, unexamined = TopicFactory.create_batch(3, course=course)
    AssessmentTopicFactory(assessment=quiz, topic=heavy, weight_in_assessment=90)
    AssessmentTopicFactory(assessment=quiz, topic=light, weight_in_assessment=10)
    AssessmentTopicFactory(assessment=quiz, topic=unexamined, weight_in_assessment=0)
    questions = [
        {"question_id": f"q{i}", "correct": True, "time_sec": 30, "difficulty": "easy"}
        for i in range(10)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_create(
            user=user,
            course=course,
            assessment=quiz,
            score=15,
            time_spent_min=40,
            completed_at=START,
            question_data=questions,
        )
    (heavy_step,) = steps(user, heavy)
    (light_step,) = steps(user, light)
    assert heavy_step.score_percent == light_step.score_percent == pytest.approx(75.0)
    # 10 items split 90/10: the light topic was one question, so it gets the weak alpha.
    assert (heavy_step.question_count, light_step.question_count) == (9, 1)
    assert heavy_step.kind == "quiz"
    assert light_step.alpha == pytest.approx(engine.ALPHA_SINGLE_QUESTION)
    assert not MasteryRecord.objects.filter(topic=unexamined).exists()


def test_mastery_changed_names_only_topics_that_moved(
    user, course, topic, django_capture_on_commit_callbacks
):
    other = TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        add(user, course, topic, 5, 1)
    received = []

    def receiver(sender, user_id, topic_ids, **kwargs):
        received.append((user_id, topic_ids))

    mastery_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            add(user, course, other, 9, 2)
        with django_capture_on_commit_callbacks(execute=True):
            mastery_recompute_topics(user=user, topic_ids=[topic.pk, other.pk])
    finally:
        mastery_changed.disconnect(receiver)
    assert received == [(str(user.pk), [str(other.pk)])]


def test_recompute_user_backfills_every_topic(user, course, topic):
    other = TopicFactory(course=course)
    for target in (topic, other):
        PerformanceRecord.objects.create(
            user=user,
            course=course,
            score=7,
            max_score=10,
            time_spent_min=5,
            completed_at=START,
            topic_breakdown=breakdown(target, 7),
        )
    moved = mastery_recompute_user(user=user)
    assert sorted(moved) == sorted([str(topic.pk), str(other.pk)])
    assert MasteryRecord.objects.filter(user=user).count() == 2
    assert mastery_recompute_user(user=user) == []


def test_another_users_topic_is_never_folded(user, other_user, topic):
    assert mastery_recompute(user=other_user, topic=topic).record is None
    assert not MasteryRecord.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"score": 11.0}, "score"),
        ({"score": -1.0}, "score"),
        ({"max_score": 0.0}, "max_score"),
        ({"time_spent_min": 0}, "time_spent_min"),
        ({"completed_at": timezone.now() + timedelta(hours=1)}, "completed_at"),
        ({"topic_breakdown": {"nope": {"correct": 1, "total": 1}}}, "topic_breakdown"),
        ({"question_data": [{"question_id": "q1", "correct": "yes"}]}, "question_data"),
    ],
)
def test_create_rejects_each_rule_and_writes_nothing(user, course, topic, overrides, field):
    values = {
        "user": user,
        "course": course,
        "score": 5.0,
        "max_score": 10.0,
        "time_spent_min": 10,
        "topic_breakdown": breakdown(topic, 5),
    } | overrides
    with pytest.raises(ApplicationError) as excinfo:
        performance_record_create(**values)
    assert field in excinfo.value.field_errors
    assert not PerformanceRecord.objects.exists()


def test_small_clock_skew_is_accepted(user, course, topic):
    record = performance_record_create(
        user=user,
        course=course,
        score=5.0,
        max_score=10.0,
        time_spent_min=10,
        completed_at=timezone.now() + timedelta(minutes=2),
    )
    assert record.pk is not None


CONCURRENT_POSTS = 50


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_end_in_the_sequential_result(require_postgres):
    """50 records for one topic created at once, each recomputing on commit in its own thread
    (eager Celery), end exactly where one fold of all 50 in completed_at order does."""
    import random
    import threading

    from django.db import connection

    from accounts.tests.factories import UserFactory

    owner = UserFactory()
    course = CourseFactory(user=owner)
    topic = TopicFactory(course=course)
    rng = random.Random(7)
    plan = [(rng.randint(0, 10), day) for day in range(CONCURRENT_POSTS)]
    rng.shuffle(plan)
    barrier = threading.Barrier(CONCURRENT_POSTS)
    failures = []

    def post(correct, day):
        try:
            barrier.wait()
            add(owner, course, topic, correct, day)
        except Exception as exc:  # reported to the main thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=args) for args in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    row = MasteryRecord.objects.get(user=owner, topic=topic)
    expected = engine.replay(observation(c, d) for c, d in sorted(plan, key=lambda p: p[1]))
    assert row.observation_count == CONCURRENT_POSTS
    assert_state_matches(row, expected[-1])
    history = steps(owner, topic)
    assert [step.sequence for step in history] == list(range(1, CONCURRENT_POSTS + 1))
    assert [step.mastery_after for step in history] == pytest.approx(
        [state.mastery_score for state in expected]
    )
    attempts = PerformanceRecord.objects.filter(user=owner).values_list("attempt_number", flat=True)
    assert set(attempts) == {1}
