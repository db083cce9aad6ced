from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from courses import services
from courses.models import Assessment, AssessmentTopic, Course, Topic
from courses.signals import assessment_changed
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def received():
    """Every assessment_changed event, as (user_id, assessment_ids)."""
    events = []

    def receiver(sender, user_id, assessment_ids, **kwargs):
        events.append((user_id, assessment_ids))

    assessment_changed.connect(receiver)
    yield events
    assessment_changed.disconnect(receiver)


def due(days=10):
    return timezone.now() + timedelta(days=days)


# --- courses --------------------------------------------------------------------------------


def test_course_create_strips_and_saves(user):
    course = services.course_create(
        user=user,
        name=" Calculus I ",
        code=" MATH 2413 ",
        semester="Fall 2026",
        start_date=date(2026, 8, 24),
        end_date=date(2026, 12, 18),
    )
    course.refresh_from_db()
    assert (course.name, course.code, course.user) == ("Calculus I", "MATH 2413", user)


def test_course_end_before_start_is_rejected_and_nothing_written(user):
    with pytest.raises(ApplicationError) as excinfo:
        services.course_create(
            user=user,
            name="Calculus",
            code="MATH 2413",
            semester="Fall 2026",
            start_date=date(2026, 9, 1),
            end_date=date(2026, 8, 1),
        )
    assert "end_date" in excinfo.value.field_errors
    assert Course.objects.count() == 0


def test_course_duplicate_code_semester_is_a_code_error(user):
    CourseFactory(user=user, code="MATH 2413", semester="Fall 2026")
    with pytest.raises(ApplicationError) as excinfo:
        services.course_create(
            user=user,
            name="Again",
            code="MATH 2413",
            semester="Fall 2026",
            start_date=date(2026, 8, 24),
            end_date=date(2026, 12, 18),
        )
    assert "already exists" in excinfo.value.field_errors["code"][0]
    assert Course.objects.count() == 1


def test_same_code_for_another_user_is_fine(user, other_user):
    CourseFactory(user=other_user, code="MATH 2413", semester="Fall 2026")
    services.course_create(
        user=user,
        name="Calculus",
        code="MATH 2413",
        semester="Fall 2026",
        start_date=date(2026, 8, 24),
        end_date=date(2026, 12, 18),
    )
    assert Course.objects.filter(code="MATH 2413").count() == 2


def test_course_update_rejects_unknown_fields(user):
    course = CourseFactory(user=user)
    with pytest.raises(ApplicationError):
        services.course_update(course=course, user=None)


def test_course_archive_and_delete_notify(user, received, django_capture_on_commit_callbacks):
    course = CourseFactory(user=user)
    assessment = AssessmentFactory(course=course)
    services.course_archive(course=course)
    course.refresh_from_db()
    assert course.is_archived
    with django_capture_on_commit_callbacks(execute=True):
        services.course_delete(course=course)
    assert not Course.objects.filter(pk=course.pk).exists()
    assert received == [(str(user.pk), [str(assessment.pk)])]


# --- topics ---------------------------------------------------------------------------------


def test_topic_create_appends_order_and_keeps_prerequisites(user):
    course = CourseFactory(user=user)
    limits = services.topic_create(course=course, name="Limits")
    continuity = services.topic_create(
        course=course, name="Continuity", prerequisite_topic_ids=[limits.pk]
    )
    assert continuity.order_index == limits.order_index + 1
    assert Topic.objects.get(pk=continuity.pk).prerequisite_topic_ids == [str(limits.pk)]


def test_prerequisite_cycle_is_named_by_topic_names(user):
    course = CourseFactory(user=user)
    limits = services.topic_create(course=course, name="Limits")
    continuity = services.topic_create(
        course=course, name="Continuity", prerequisite_topic_ids=[limits.pk]
    )
    with pytest.raises(ApplicationError) as excinfo:
        services.topic_update(topic=limits, prerequisite_topic_ids=[continuity.pk])
    message = excinfo.value.field_errors["prerequisite_topic_ids"][0]
    assert "Limits → Continuity → Limits" in message
    limits.refresh_from_db()
    assert limits.prerequisite_topic_ids == []


def test_longer_cycle_is_found(user):
    course = CourseFactory(user=user)
    a = services.topic_create(course=course, name="A")
    b = services.topic_create(course=course, name="B", prerequisite_topic_ids=[a.pk])
    c = services.topic_create(course=course, name="C", prerequisite_topic_ids=[b.pk])
    with pytest.raises(ApplicationError) as excinfo:
        services.topic_update(topic=a, prerequisite_topic_ids=[c.pk])
    assert "A → C → B → A" in excinfo.value.message


def test_topic_cannot_be_its_own_prerequisite(user):
    topic = TopicFactory(course=CourseFactory(user=user), name="Limits")
    with pytest.raises(ApplicationError) as excinfo:
        services.topic_update(topic=topic, prerequisite_topic_ids=[topic.pk])
    assert "Limits → Limits" in excinfo.value.message


def test_prerequisite_from_another_course_or_user_is_rejected_by_id(user, other_user):
    course = CourseFactory(user=user)
    foreign = TopicFactory(course=CourseFactory(user=other_user))
    sibling_course_topic = TopicFactory(course=CourseFactory(user=user))
    for bad in (foreign, sibling_course_topic):
        with pytest.raises(ApplicationError) as excinfo:
            services.topic_create(course=course, name="X", prerequisite_topic_ids=[bad.pk])
        assert str(bad.pk) in excinfo.value.field_errors["prerequisite_topic_ids"][0]
    assert not Topic.objects.filter(course=course).exists()


def test_topic_bad_resource_links_rejected(user):
    course = CourseFactory(user=user)
    with pytest.raises(ApplicationError) as excinfo:
        services.topic_create(
            course=course, name="X", resource_links=[{"type": "podcast", "url": "ftp://x"}]
        )
    assert "resource_links" in excinfo.value.field_errors
    assert not Topic.objects.exists()


def test_topic_delete_removes_it_from_prerequisites_and_notifies(
    user, received, django_capture_on_commit_callbacks
):
    course = CourseFactory(user=user)
    limits = services.topic_create(course=course, name="Limits")
    continuity = services.topic_create(
        course=course, name="Continuity", prerequisite_topic_ids=[limits.pk]
    )
    quiz = AssessmentFactory(course=course)
    AssessmentTopic.objects.create(assessment=quiz, topic=limits)
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_delete(topic=limits)
    continuity.refresh_from_db()
    assert continuity.prerequisite_topic_ids == []
    assert received == [(str(user.pk), [str(quiz.pk)])]


# --- assessments ----------------------------------------------------------------------------


def test_assessment_create_maps_topics_with_weights_and_notifies_on_commit(
    user, received, django_capture_on_commit_callbacks
):
    course = CourseFactory(user=user)
    limits, continuity = TopicFactory(course=course), TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assessment = services.assessment_create(
            course=course,
            name="Midterm",
            type="midterm",
            weight_percent=30,
            due_date=due(),
            topic_ids=[limits.pk, continuity.pk],
            topic_weights={str(limits.pk): 60, str(continuity.pk): 40},
        )
    assert received == []
    for callback in callbacks:
        callback()
    assert received == [(str(user.pk), [str(assessment.pk)])]
    weights = dict(
        AssessmentTopic.objects.filter(assessment=assessment).values_list(
            "topic_id", "weight_in_assessment"
        )
    )
    assert weights == {limits.pk: 60.0, continuity.pk: 40.0}


def test_assessment_weights_may_not_exceed_100(user):
    course = CourseFactory(user=user)
    AssessmentFactory(course=course, weight_percent=80)
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_create(
            course=course, name="Final", type="final", weight_percent=25, due_date=due()
        )
    assert "105" in excinfo.value.field_errors["weight_percent"][0]
    assert Assessment.objects.filter(course=course).count() == 1
    # Exactly 100 is allowed, and so is float drift within the tolerance.
    services.assessment_create(
        course=course, name="Final", type="final", weight_percent=20.005, due_date=due()
    )


def test_assessment_update_checks_weights_excluding_itself(user):
    course = CourseFactory(user=user)
    a = AssessmentFactory(course=course, weight_percent=50)
    AssessmentFactory(course=course, weight_percent=50)
    services.assessment_update(assessment=a, weight_percent=50, name="Renamed")
    with pytest.raises(ApplicationError):
        services.assessment_update(assessment=a, weight_percent=51)
    a.refresh_from_db()
    assert (a.weight_percent, a.name) == (50, "Renamed")


def test_assessment_topic_from_another_course_rejected(user, other_user):
    course = CourseFactory(user=user)
    foreign = TopicFactory(course=CourseFactory(user=other_user))
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_create(
            course=course,
            name="Quiz",
            type="quiz",
            weight_percent=5,
            due_date=due(),
            topic_ids=[foreign.pk],
        )
    assert str(foreign.pk) in excinfo.value.field_errors["topic_ids"][0]
    assert not Assessment.objects.exists()


def test_topic_weight_for_unlisted_topic_rejected(user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_create(
            course=course,
            name="Quiz",
            type="quiz",
            weight_percent=5,
            due_date=due(),
            topic_weights={str(topic.pk): 50},
        )
    assert "topic_weights" in excinfo.value.field_errors


def test_assessment_update_replaces_topic_map(user, received, django_capture_on_commit_callbacks):
    course = CourseFactory(user=user)
    first, second = TopicFactory(course=course), TopicFactory(course=course)
    assessment = services.assessment_create(
        course=course, name="Q", type="quiz", weight_percent=5, due_date=due(), topic_ids=[first.pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_update(assessment=assessment, topic_ids=[second.pk])
    assert list(assessment.assessment_topics.values_list("topic_id", flat=True)) == [second.pk]
    assert received == [(str(user.pk), [str(assessment.pk)])]


def test_assessment_delete_notifies(user, received, django_capture_on_commit_callbacks):
    assessment = AssessmentFactory(course=CourseFactory(user=user))
    assessment_id = str(assessment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_delete(assessment=assessment)
    assert received == [(str(user.pk), [assessment_id])]
    assert not Assessment.objects.exists()


def _item(name, weight, **extra):
    return {
        "name": name,
        "type": "assignment",
        "weight_percent": weight,
        "due_date": due(),
        **extra,
    }


def test_schema_replace_updates_matches_deletes_the_rest_and_creates_new(user):
    course = CourseFactory(user=user)
    keep_by_id = AssessmentFactory(course=course, name="Midterm", weight_percent=40)
    keep_by_name = AssessmentFactory(course=course, name="Homework", weight_percent=20)
    dropped = AssessmentFactory(course=course, name="Old quiz", weight_percent=10)
    results = services.assessment_schema_replace(
        course=course,
        items=[
            _item("Midterm exam", 30, id=str(keep_by_id.pk), type="midterm"),
            _item("homework", 30),
            _item("Final", 40, type="final"),
        ],
    )
    assert [a.pk for a in results[:2]] == [keep_by_id.pk, keep_by_name.pk]
    assert not Assessment.objects.filter(pk=dropped.pk).exists()
    keep_by_id.refresh_from_db()
    assert (keep_by_id.name, keep_by_id.weight_percent) == ("Midterm exam", 30)
    assert Course.objects.with_weights_total().get(pk=course.pk).weights_complete


@pytest.mark.parametrize("weights", [[30, 30], [60, 50], [99.98]])
def test_schema_replace_must_total_exactly_100_and_writes_nothing_otherwise(user, weights):
    course = CourseFactory(user=user)
    original = AssessmentFactory(course=course, name="Only", weight_percent=10)
    items = [_item(f"A{i}", weight) for i, weight in enumerate(weights)]
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_schema_replace(course=course, items=items)
    assert "100" in excinfo.value.field_errors["weight_percent"][0]
    assert list(Assessment.objects.filter(course=course)) == [original]


def test_schema_replace_rejects_foreign_ids_and_duplicate_names(user, other_user):
    course = CourseFactory(user=user)
    foreign = AssessmentFactory(course=CourseFactory(user=other_user))
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_schema_replace(
            course=course, items=[_item("A", 50, id=str(foreign.pk)), _item("B", 50)]
        )
    assert str(foreign.pk) in excinfo.value.field_errors["assessments"][0]
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_schema_replace(course=course, items=[_item("A", 50), _item("a", 50)])
    assert "twice" in excinfo.value.field_errors["assessments"][0]
    foreign.refresh_from_db()
    assert foreign.course.user == other_user


def test_schema_replace_rolls_back_on_a_bad_item(user):
    course = CourseFactory(user=user)
    original = AssessmentFactory(course=course, name="Kept", weight_percent=100)
    items = [_item("Kept", 50), _item("Broken", 50, type="essay")]
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_schema_replace(course=course, items=items)
    assert excinfo.value.message.startswith("Item 2")
    original.refresh_from_db()
    assert original.weight_percent == 100
    assert Assessment.objects.filter(course=course).count() == 1


def test_history_records_every_change(user):
    course = CourseFactory(user=user, name="Calculus")
    services.course_update(course=course, name="Calculus I")
    from courses.selectors import history_entries, history_queryset

    entries = history_entries(list(history_queryset(course)))
    assert [entry.history_type for entry in entries] == ["changed", "created"]
    assert entries[0].changes == [{"field": "name", "old": "Calculus", "new": "Calculus I"}]


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_cannot_push_weights_over_100(require_postgres):
    import threading

    from django.db import connection

    from accounts.tests.factories import UserFactory

    course = CourseFactory(user=UserFactory())
    start_together = threading.Barrier(2)
    outcomes = []

    def create(name):
        try:
            start_together.wait()
            services.assessment_create(
                course=course, name=name, type="quiz", weight_percent=60, due_date=due()
            )
            outcomes.append("created")
        except ApplicationError:
            outcomes.append("rejected")
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "rejected"]
    assert Course.objects.with_weights_total().get(pk=course.pk).weights_total == 60
