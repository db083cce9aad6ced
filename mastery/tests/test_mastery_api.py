"""Quiz, question bank and mastery endpoints: scoping, 400s for bad input, query counts."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.tests.factories import CourseFactory, TopicFactory
from mastery import quiz_services
from mastery.models import MasteryRecord, PerformanceRecord, Question, QuizAttempt
from mastery.quiz_selectors import current_item
from mastery.tests.quiz_factories import bank

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def topic(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic, per_level=2)
    return topic


@pytest.fixture
def attempt(user, topic):
    return quiz_services.practice_start(user=user, topic=topic)


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def test_practice_quiz_flow_over_the_api(api_client, topic):
    response = api_client.post(url("quiz-practice-start", topic_id=topic.pk))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress"
    current = body["current"]["question"]
    assert "correct_answer" not in current and "explanation" not in current
    attempt_id = body["id"]
    for _ in range(body["question_count"]):
        question = api_client.get(url("quiz-question", attempt_id=attempt_id)).json()
        question_id = question["current"]["question"]["id"]
        response = api_client.post(
            url("quiz-answer", attempt_id=attempt_id),
            {"question_id": question_id, "answer": "a"},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["graded"]["is_correct"] is True
        assert response.json()["graded"]["explanation"]
    result = api_client.get(url("quiz-result", attempt_id=attempt_id))
    assert result.status_code == 200
    assert result.json()["attempt"]["is_passed"] is True
    assert len(result.json()["items"]) == 5
    assert api_client.get(url("quiz-question", attempt_id=attempt_id)).status_code == 409


@pytest.mark.parametrize("bad", ["zz", ["a"], 3, None, {"x": 1}])
def test_bad_answers_are_400_not_500(api_client, attempt, bad):
    item = current_item(attempt)
    response = api_client.post(
        url("quiz-answer", attempt_id=attempt.pk),
        {"question_id": str(item.question_id), "answer": bad},
        format="json",
    )
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.answered_count == 0


def test_malformed_number_is_400(api_client, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    Question.objects.create(
        topic=topic,
        external_id="n",
        type="numeric",
        question_text="1+1?",
        correct_answer=2,
        explanation="Two.",
    )
    attempt = quiz_services.practice_start(user=user, topic=topic)
    response = api_client.post(
        url("quiz-answer", attempt_id=attempt.pk),
        {"question_id": str(current_item(attempt).question_id), "answer": "two"},
        format="json",
    )
    assert response.status_code == 400
    assert "answer" in response.json()


def test_missing_fields_and_stale_question_are_400(api_client, attempt):
    response = api_client.post(url("quiz-answer", attempt_id=attempt.pk), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"question_id", "answer"}
    response = api_client.post(
        url("quiz-answer", attempt_id=attempt.pk),
        {"question_id": str(uuid.uuid4()), "answer": "a"},
        format="json",
    )
    assert response.status_code == 400


def test_finish_and_result(api_client, attempt):
    assert api_client.post(url("quiz-finish", attempt_id=attempt.pk)).status_code == 400
    assert api_client.get(url("quiz-result", attempt_id=attempt.pk)).status_code == 409
    item = current_item(attempt)
    api_client.post(
        url("quiz-answer", attempt_id=attempt.pk),
        {"question_id": str(item.question_id), "answer": "b"},
        format="json",
    )
    response = api_client.post(url("quiz-finish", attempt_id=attempt.pk))
    assert response.status_code == 200
    assert response.json()["attempt"]["score_percent"] == 0.0
    assert response.json()["items"][0]["correct_answer"] == "Right"


def test_diagnostic_start_over_the_api(api_client, user):
    course = CourseFactory(user=user)
    for _ in range(3):
        bank(TopicFactory(course=course))
    response = api_client.post(url("quiz-diagnostic-start", course_id=course.pk))
    assert response.status_code == 201
    assert response.json()["kind"] == "diagnostic"
    assert response.json()["current"]["question"]["difficulty"] == "medium"
    empty = CourseFactory(user=user)
    assert api_client.post(url("quiz-diagnostic-start", course_id=empty.pk)).status_code == 400


def test_import_and_export_endpoints(api_client, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    document = {
        "quiz": {
            "questions": [
                {
                    "question_id": "q1",
                    "type": "true_false",
                    "question_text": "True?",
                    "correct_answer": True,
                    "explanation": "Yes.",
                }
            ]
        }
    }
    response = api_client.post(
        url("question-bank-import", topic_id=topic.pk), document, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0}
    exported = api_client.get(url("question-bank-export", topic_id=topic.pk)).json()
    assert exported["quiz"]["questions"][0]["question_id"] == "q1"
    response = api_client.post(
        url("question-bank-import", topic_id=topic.pk), exported, format="json"
    )
    assert response.json() == {"created": 0, "updated": 1}

    bad = {"quiz": {"questions": [*document["quiz"]["questions"], {"question_id": "q2"}]}}
    response = api_client.post(url("question-bank-import", topic_id=topic.pk), bad, format="json")
    assert response.status_code == 400
    assert any("q2" in line for line in response.json()["questions"])
    assert Question.objects.filter(external_id="q2").count() == 0
    response = api_client.post(
        url("question-bank-import", topic_id=topic.pk), {"nope": 1}, format="json"
    )
    assert response.status_code == 400


def test_every_endpoint_is_404_for_another_users_objects(other_api_client, user, topic, attempt):
    course = topic.course
    calls = [
        ("post", url("quiz-diagnostic-start", course_id=course.pk), None),
        ("post", url("quiz-practice-start", topic_id=topic.pk), None),
        ("get", url("quiz-detail", attempt_id=attempt.pk), None),
        ("get", url("quiz-question", attempt_id=attempt.pk), None),
        (
            "post",
            url("quiz-answer", attempt_id=attempt.pk),
            {"question_id": str(current_item(attempt).question_id), "answer": "a"},
        ),
        ("post", url("quiz-finish", attempt_id=attempt.pk), None),
        ("get", url("quiz-result", attempt_id=attempt.pk), None),
        ("post", url("question-bank-import", topic_id=topic.pk), {"quiz": {"questions": []}}),
        ("get", url("question-bank-export", topic_id=topic.pk), None),
        ("get", url("mastery-topic-detail", topic_id=topic.pk), None),
    ]
    for method, path, data in calls:
        response = getattr(other_api_client, method)(path, data, format="json")
        assert response.status_code == 404, path
    attempt.refresh_from_db()
    assert attempt.answered_count == 0
    assert QuizAttempt.objects.count() == 1
    assert Question.objects.filter(topic=topic).count() == 8
    listed = other_api_client.get(url("mastery-topic-list")).json()
    assert listed["count"] == 0
    assert other_api_client.get(url("mastery-reviews-due")).json()["count"] == 0


def test_anonymous_is_refused(anon_api_client, topic):
    for path in [url("mastery-topic-list"), url("mastery-reviews-due")]:
        assert anon_api_client.get(path).status_code in (401, 403)
    response = anon_api_client.post(url("quiz-practice-start", topic_id=topic.pk))
    assert response.status_code in (401, 403)


def make_topics(user, count):
    course = CourseFactory(user=user)
    for _ in range(count):
        topic = TopicFactory(course=course)
        MasteryRecord.objects.create(
            user=user, topic=topic, mastery_score=60, next_review_date=date(2020, 1, 1)
        )


@pytest.mark.parametrize("name", ["mastery-topic-list", "mastery-reviews-due"])
def test_list_query_counts_are_constant(api_client, user, django_assert_num_queries, name):
    make_topics(user, 1)
    with CaptureQueriesContext(connection) as one_row:
        assert api_client.get(url(name)).json()["count"] == 1
    make_topics(user, 10)
    with django_assert_num_queries(len(one_row.captured_queries)):
        assert api_client.get(url(name)).json()["count"] == 11


def test_topic_list_reports_mastery_and_filters_by_course(api_client, user):
    course = CourseFactory(user=user)
    with_record = TopicFactory(course=course, name="A")
    TopicFactory(course=course, name="B")
    MasteryRecord.objects.create(
        user=user, topic=with_record, mastery_score=72.5, confidence_interval=8, trend="improving"
    )
    TopicFactory(course=CourseFactory(user=user))
    body = api_client.get(url("mastery-topic-list"), {"course": str(course.pk)}).json()
    assert body["count"] == 2
    first, second = body["results"]
    assert (first["mastery_score"], first["trend"], first["has_evidence"]) == (
        72.5,
        "improving",
        True,
    )
    assert (second["mastery_score"], second["has_evidence"]) == (None, False)
    assert api_client.get(url("mastery-topic-list"), {"course": "x"}).status_code == 400


def test_topic_detail_has_history(api_client, user, django_capture_on_commit_callbacks):
    from mastery.services import performance_record_create

    topic = TopicFactory(course=CourseFactory(user=user))
    with django_capture_on_commit_callbacks(execute=True):
        for score, days_ago in [(60, 3), (90, 1)]:
            performance_record_create(
                user=user,
                course=topic.course,
                score=score,
                max_score=100,
                time_spent_min=10,
                completed_at=datetime.now(UTC) - timedelta(days=days_ago),
                topic_breakdown={str(topic.pk): {"correct": score // 10, "total": 10}},
                source="quiz",
            )
    body = api_client.get(url("mastery-topic-detail", topic_id=topic.pk)).json()
    assert [step["score_percent"] for step in body["history"]] == [60.0, 90.0]
    assert body["history"][0]["source"] == "quiz"
    assert body["mastery_score"] == pytest.approx(body["history"][-1]["mastery_after"])
    assert body["recommended_difficulty"] in ("easy", "medium", "hard", "exam_level")
    assert PerformanceRecord.objects.count() == 2


def test_reviews_due_uses_the_students_timezone(api_client, user):
    user.timezone = "Pacific/Auckland"  # UTC+13 in January
    user.save()
    topic = TopicFactory(course=CourseFactory(user=user))
    MasteryRecord.objects.create(user=user, topic=topic, next_review_date=date(2026, 1, 16))
    # 12:00 UTC on the 15th is already 01:00 on the 16th in Auckland.
    with time_machine.travel("2026-01-15T12:00:00+00:00", tick=False):
        assert api_client.get(url("mastery-reviews-due")).json()["count"] == 1
    user.timezone = "America/Los_Angeles"  # still the 15th there
    user.save()
    with time_machine.travel("2026-01-15T12:00:00+00:00", tick=False):
        assert api_client.get(url("mastery-reviews-due")).json()["count"] == 0
