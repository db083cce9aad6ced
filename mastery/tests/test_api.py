from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import AssessmentTopic
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from mastery.models import MasteryRecord, PerformanceRecord
from mastery.tests.factories import PerformanceRecordFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:performance-list")


@pytest.fixture
def course(user):
    return CourseFactory(user=user)


@pytest.fixture
def topic(course):
    return TopicFactory(course=course)


@pytest.fixture
def assessment(course):
    return AssessmentFactory(course=course, max_score=20)


def valid_payload(course, topic, assessment=None):
    payload = {
        "course": str(course.pk),
        "score": 15,
        "max_score": 20,
        "time_spent_min": 25,
        "completed_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": 6, "total": 8, "time_min": 12}},
        "question_data": [
            {"question_id": "q1", "correct": True, "time_sec": 45, "difficulty": "medium"}
        ],
    }
    if assessment is not None:
        payload["assessment"] = str(assessment.pk)
    return payload


def detail_url(record):
    return reverse("api:performance-detail", args=[record.pk])


def test_create_computes_percentage_and_attempt_number_and_recomputes_mastery(
    api_client, user, course, topic, assessment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(LIST_URL, valid_payload(course, topic, assessment), format="json")
        second = api_client.post(LIST_URL, valid_payload(course, topic, assessment), format="json")
    assert first.status_code == 201, first.data
    assert first.data["percentage"] == pytest.approx(75.0)
    assert (first.data["attempt_number"], second.data["attempt_number"]) == (1, 2)
    assert first.data["source"] == "api"
    mastery = MasteryRecord.objects.get(user=user, topic=topic)
    assert mastery.observation_count == 2


def test_max_score_defaults_to_the_assessments(api_client, course, topic, assessment):
    payload = valid_payload(course, topic, assessment)
    del payload["max_score"]
    response = api_client.post(LIST_URL, payload, format="json")
    assert response.status_code == 201
    assert response.data["max_score"] == 20


def _breakdown(topic, **entry):
    return {str(topic.pk): {"correct": 1, "total": 2, "time_min": 1} | entry}


INVALID = {
    "score above max": ({"score": 21}, "score"),
    "negative score": ({"score": -1}, "score"),
    "zero max": ({"max_score": 0}, "max_score"),
    "zero time": ({"time_spent_min": 0}, "time_spent_min"),
    "not a number": ({"score": "lots"}, "score"),
    "future": ({"completed_at": (timezone.now() + timedelta(hours=2)).isoformat()}, "completed_at"),
    "unknown topic": (
        {"topic_breakdown": {"8b0c2d1e-5b7a-4d2b-9c1e-000000000000": {"correct": 1, "total": 1}}},
        "topic_breakdown",
    ),
    "breakdown not object": ({"topic_breakdown": ["x"]}, "topic_breakdown"),
    "question_data not list": ({"question_data": {"q": 1}}, "question_data"),
    "question bad difficulty": (
        {
            "question_data": [
                {"question_id": "q1", "correct": True, "time_sec": 4, "difficulty": "impossible"}
            ]
        },
        "question_data",
    ),
    "question missing correct": (
        {"question_data": [{"question_id": "q1", "time_sec": 4, "difficulty": "easy"}]},
        "question_data",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_every_rule_is_a_400_with_field_errors_and_nothing_written(api_client, course, topic, case):
    overrides, field = INVALID[case]
    response = api_client.post(LIST_URL, valid_payload(course, topic) | overrides, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not PerformanceRecord.objects.exists()


@pytest.mark.parametrize(
    ("entry", "message_part"),
    [
        ({"correct": 3, "total": 2}, "correct"),
        ({"total": 0, "correct": 0}, "total"),
        ({"time_min": -1}, "time_min"),
        ({"correct": True}, "correct"),
    ],
)
def test_breakdown_entry_rules(api_client, course, topic, entry, message_part):
    payload = valid_payload(course, topic) | {"topic_breakdown": _breakdown(topic, **entry)}
    response = api_client.post(LIST_URL, payload, format="json")
    assert response.status_code == 400
    assert any(message_part in message for message in response.data["topic_breakdown"])
    assert not PerformanceRecord.objects.exists()


def test_topic_of_another_course_is_rejected(api_client, user, course, topic):
    other_course_topic = TopicFactory(course=CourseFactory(user=user))
    payload = valid_payload(course, topic) | {
        "topic_breakdown": {str(other_course_topic.pk): {"correct": 1, "total": 1}}
    }
    assert api_client.post(LIST_URL, payload, format="json").status_code == 400
    assert not PerformanceRecord.objects.exists()


def test_assessment_must_belong_to_the_course(api_client, user, course, topic):
    elsewhere = AssessmentFactory(course=CourseFactory(user=user))
    response = api_client.post(LIST_URL, valid_payload(course, topic, elsewhere), format="json")
    assert response.status_code == 400
    assert "assessment" in response.data
    assert not PerformanceRecord.objects.exists()


def test_another_users_course_or_assessment_is_a_400(api_client, other_user, course, topic):
    foreign_course = CourseFactory(user=other_user)
    foreign_assessment = AssessmentFactory(course=foreign_course)
    for payload, field in [
        (valid_payload(course, topic) | {"course": str(foreign_course.pk)}, "course"),
        (valid_payload(course, topic, foreign_assessment), "assessment"),
    ]:
        response = api_client.post(LIST_URL, payload, format="json")
        assert response.status_code == 400
        assert field in response.data
    assert not PerformanceRecord.objects.exists()


def test_list_filters_orders_and_paginates(api_client, user, course, assessment):
    now = timezone.now()
    old = PerformanceRecordFactory(
        user=user, course=course, completed_at=now - timedelta(days=10), score=50
    )
    graded = PerformanceRecordFactory(
        user=user, course=course, assessment=assessment, score=10, max_score=20
    )
    other_course = PerformanceRecordFactory(user=user, course=CourseFactory(user=user))

    def ids(query):
        response = api_client.get(LIST_URL, query)
        assert response.status_code == 200
        return [row["id"] for row in response.data["results"]]

    assert set(ids({"course": str(course.pk)})) == {str(old.pk), str(graded.pk)}
    assert ids({"assessment": str(assessment.pk)}) == [str(graded.pk)]
    assert ids({"completed_before": (now - timedelta(days=5)).isoformat()}) == [str(old.pk)]
    assert str(old.pk) not in ids({"completed_after": (now - timedelta(days=5)).isoformat()})
    assert ids({"ordering": "score", "course": str(course.pk)}) == [str(graded.pk), str(old.pk)]
    assert ids({"ordering": "-completed_at"})[-1] == str(old.pk)
    assert api_client.get(LIST_URL).data["count"] == 3
    assert str(other_course.pk) in ids({})


def test_date_filters_take_any_iso_offset_and_refuse_instants_out_of_range(
    api_client, user, course
):
    record = PerformanceRecordFactory(
        user=user, course=course, completed_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    )
    # +20:57 is valid ISO 8601 but beyond PostgreSQL's offset range: it is read as an instant.
    wide_offset = api_client.get(LIST_URL, {"completed_after": "2026-03-01T23:00:00+20:57"})
    assert wide_offset.status_code == 200
    assert [row["id"] for row in wide_offset.data["results"]] == [str(record.pk)]
    too_early = api_client.get(LIST_URL, {"completed_after": "0001-01-01T00:00:00+01:00"})
    assert too_early.status_code == 400
    assert "completed_after" in too_early.data


def test_list_shows_only_own_records(api_client, other_user):
    PerformanceRecordFactory(course=CourseFactory(user=other_user))
    response = api_client.get(LIST_URL)
    assert response.data["count"] == 0


def test_list_query_count_is_constant(api_client, user, course, django_assert_num_queries):
    PerformanceRecordFactory(user=user, course=course)
    with django_assert_num_queries(2) as one_row:
        api_client.get(LIST_URL)
    PerformanceRecordFactory.create_batch(10, user=user, course=course)
    with django_assert_num_queries(len(one_row.captured_queries)):
        response = api_client.get(LIST_URL)
    assert response.data["count"] == 11


# A new practice record's write: the course and the breakdown's topics read (both checked as
# the student's own), the record and its history row inserted, and one insert of every topic's
# recompute request, all in one transaction. The topics are not looked up again for the
# requests, and no savepoint wraps them. Practice is always attempt 1, so no lock is taken.
# The transaction's two ends count too (here a savepoint and its release, in the test's
# transaction).
CREATE_QUERIES = 7
# A graded attempt of an assessment adds the assessment's read, the lock on the user row that
# numbers retakes one at a time, the attempt count and the assessment's question counts.


def test_create_costs_the_same_queries_for_one_topic_or_many(
    api_client, course, topic, django_assert_num_queries
):
    payload = valid_payload(course, topic)
    with django_assert_num_queries(CREATE_QUERIES):
        assert api_client.post(LIST_URL, payload, format="json").status_code == 201
    more = TopicFactory.create_batch(9, course=course)
    payload["topic_breakdown"] |= {
        str(other.pk): {"correct": 1, "total": 2, "time_min": 3} for other in more
    }
    with django_assert_num_queries(CREATE_QUERIES):
        assert api_client.post(LIST_URL, payload, format="json").status_code == 201
    assert PerformanceRecord.objects.count() == 2


# Dates are relative to now: the clock sweep runs it again at its three frozen instants.
@pytest.mark.clock
def test_a_retake_locks_the_student_and_takes_the_next_attempt_number(
    api_client, course, topic, django_assert_num_queries
):
    assessment = AssessmentFactory(course=course)
    AssessmentTopic.objects.create(assessment=assessment, topic=topic)
    payload = valid_payload(course, topic, assessment)
    with django_assert_num_queries(CREATE_QUERIES + 5) as captured:
        first = api_client.post(LIST_URL, payload, format="json")
    assert first.status_code == 201, first.data
    assert any('FROM "accounts_user"' in q["sql"] for q in captured.captured_queries)
    second = api_client.post(LIST_URL, payload, format="json")
    practice = api_client.post(LIST_URL, valid_payload(course, topic), format="json")
    assert (first.data["attempt_number"], second.data["attempt_number"]) == (1, 2)
    assert practice.data["attempt_number"] == 1


def test_retrieve_update_delete_and_history(
    api_client, user, course, topic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(LIST_URL, valid_payload(course, topic), format="json")
    record = PerformanceRecord.objects.get(pk=created.data["id"])
    assert api_client.get(detail_url(record)).data["score"] == 15

    with django_capture_on_commit_callbacks(execute=True):
        patched = api_client.patch(
            detail_url(record),
            {"score": 20, "topic_breakdown": _breakdown(topic, correct=2, total=2)},
            format="json",
        )
    assert patched.status_code == 200, patched.data
    assert patched.data["percentage"] == pytest.approx(100.0)
    assert MasteryRecord.objects.get(topic=topic).memory["success_count"] == 1

    put = api_client.put(
        detail_url(record), valid_payload(course, topic) | {"score": 5}, format="json"
    )
    assert put.status_code == 200
    assert put.data["score"] == 5

    bad = api_client.patch(detail_url(record), {"score": 999}, format="json")
    assert bad.status_code == 400
    record.refresh_from_db()
    assert record.score == 5

    history = api_client.get(reverse("api:performance-history", args=[record.pk]))
    assert history.status_code == 200
    assert [row["history_type"] for row in history.data] == ["~", "~", "+"]
    assert [row["score"] for row in history.data] == [5, 20, 15]

    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(detail_url(record)).status_code == 204
    assert not PerformanceRecord.objects.exists()
    assert not MasteryRecord.objects.filter(topic=topic).exists()


def test_changing_assessment_renumbers_the_attempt(api_client, user, course, topic, assessment):
    PerformanceRecordFactory(user=user, course=course, assessment=assessment, score=1)
    record = PerformanceRecordFactory(user=user, course=course, score=1)
    response = api_client.patch(
        detail_url(record), {"assessment": str(assessment.pk)}, format="json"
    )
    assert response.status_code == 200
    assert response.data["attempt_number"] == 2


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("get", "detail", None),
        ("put", "detail", "full"),
        ("patch", "detail", {"score": 1}),
        ("delete", "detail", None),
        ("get", "history", None),
    ],
)
def test_another_users_record_is_a_404_for_every_route_and_method(
    other_api_client, user, course, topic, method, route, body
):
    record = PerformanceRecordFactory(user=user, course=course, score=42)
    url = reverse(f"api:performance-{route}", args=[record.pk])
    if body == "full":
        body = valid_payload(course, topic)
    response = getattr(other_api_client, method)(url, body, format="json")
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.score == 42


@pytest.mark.parametrize(
    ("method", "url_name", "needs_record"),
    [
        ("get", "performance-list", False),
        ("post", "performance-list", False),
        ("get", "performance-detail", True),
        ("patch", "performance-detail", True),
        ("delete", "performance-detail", True),
        ("get", "performance-history", True),
        ("post", "import-grades", False),
    ],
)
def test_anonymous_is_refused(anon_api_client, user, course, method, url_name, needs_record):
    record = PerformanceRecordFactory(user=user, course=course)
    url = reverse(f"api:{url_name}", args=[record.pk] if needs_record else [])
    response = getattr(anon_api_client, method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert PerformanceRecord.objects.count() == 1


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "8B0C2D1E-5B7A-4D2B-9C1E-00000000000Z"])
def test_malformed_id_is_a_404(api_client, bad_id):
    assert api_client.get(f"/api/performance/{bad_id}").status_code == 404
    assert api_client.get(f"/api/performance/{bad_id}/history").status_code == 404


def test_options_on_another_users_record_is_a_404(other_api_client, user, course):
    record = PerformanceRecordFactory(user=user, course=course)
    assert other_api_client.options(detail_url(record)).status_code == 404
