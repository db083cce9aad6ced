"""The diagnostic's self-rating where a topic has no questions, and the evidence
behind every mastery number on the pages and in the API."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.errors import ApplicationError
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import quiz_services
from mastery.models import EvidenceSource, MasteryRecord, PerformanceRecord
from mastery.tests.quiz_factories import bank, give_evidence

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 4, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def course(user):
    return CourseFactory(user=user)


@pytest.fixture
def quizzed(course):
    topic = TopicFactory(course=course, name="Limits", order_index=0)
    bank(topic)
    return topic


@pytest.fixture
def unquizzed(course):
    return TopicFactory(course=course, name="Series", order_index=1)


def _rate(user, course, ratings):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return quiz_services.diagnostic_self_ratings_record(
            user=user, course=course, ratings=ratings, now=NOW
        )


# --- service -----------------------------------------------------------------------------------


def test_a_self_rating_is_weak_evidence_with_a_wide_interval(user, course, quizzed, unquizzed):
    records = _rate(user, course, {str(unquizzed.pk): 5})
    assert [r.source for r in records] == [EvidenceSource.SELF_RATING]
    mastery = MasteryRecord.objects.get(user=user, topic=unquizzed)
    # The top rating moves the neutral prior only a little and leaves a wide interval.
    assert 50 < mastery.mastery_score <= 60
    assert mastery.confidence_interval >= 15
    low = TopicFactory(course=course, name="Sequences", order_index=2)
    _rate(user, course, {str(low.pk): 1})
    assert 40 <= MasteryRecord.objects.get(user=user, topic=low).mastery_score < 50


@pytest.mark.parametrize("rating", [0, 6, 2.5, "3", True, None])
def test_a_bad_rating_is_refused_and_nothing_is_written(user, course, unquizzed, rating):
    other = TopicFactory(course=course, name="Other", order_index=3)
    with pytest.raises(ApplicationError) as error:
        _rate(user, course, {str(other.pk): 3, str(unquizzed.pk): rating})
    assert str(unquizzed.pk) in error.value.field_errors
    assert not PerformanceRecord.objects.exists()


def test_topics_with_questions_and_other_courses_topics_cannot_be_self_rated(
    user, other_user, course, quizzed
):
    foreign = TopicFactory(course=CourseFactory(user=other_user))
    for topic in (quizzed, foreign):
        with pytest.raises(ApplicationError):
            _rate(user, course, {str(topic.pk): 3})
    with pytest.raises(ApplicationError):
        _rate(user, course, {})
    with pytest.raises(ApplicationError):
        quiz_services.diagnostic_self_ratings_record(
            user=other_user, course=course, ratings={str(quizzed.pk): 3}
        )
    assert not PerformanceRecord.objects.exists()


# --- API ---------------------------------------------------------------------------------------


def test_self_ratings_over_the_api(api_client, user, course, quizzed, unquizzed):
    path = reverse("api:quiz-diagnostic-self-ratings", kwargs={"course_id": course.pk})
    response = api_client.post(path, {"ratings": {str(unquizzed.pk): 4}}, format="json")
    assert response.status_code == 201
    assert response.json() == [
        {
            "performance_record_id": str(PerformanceRecord.objects.get().pk),
            "topic_id": str(unquizzed.pk),
            "rating": 4,
        }
    ]
    bad = api_client.post(path, {"ratings": {str(unquizzed.pk): 9}}, format="json")
    assert bad.status_code == 400 and str(unquizzed.pk) in bad.json()
    assert api_client.post(path, {"ratings": "x"}, format="json").status_code == 400
    assert PerformanceRecord.objects.count() == 1


def test_another_users_course_is_a_404_for_self_ratings(api_client, other_user):
    course = CourseFactory(user=other_user)
    topic = TopicFactory(course=course)
    path = reverse("api:quiz-diagnostic-self-ratings", kwargs={"course_id": course.pk})
    response = api_client.post(path, {"ratings": {str(topic.pk): 3}}, format="json")
    assert response.status_code == 404


def test_the_mastery_api_says_what_each_number_rests_on(api_client, user, quizzed, unquizzed):
    give_evidence(user, quizzed, correct=2, total=3, at=NOW - timedelta(days=12))
    rows = {
        row["topic_name"]: row for row in api_client.get("/api/mastery/topics").json()["results"]
    }
    assert rows["Limits"]["evidence"] == {
        "answer_count": 3,
        "grade_count": 0,
        "self_rating_count": 0,
        "last_evidence_at": "2026-04-08T15:00:00Z",
    }
    assert rows["Series"]["evidence"]["last_evidence_at"] is None
    detail = api_client.get(f"/api/mastery/topics/{quizzed.pk}").json()
    assert detail["evidence"]["answer_count"] == 3


def test_self_ratings_and_grades_are_counted_apart_from_answers(
    api_client, user, course, quizzed, unquizzed, other_user
):
    from django.test import TestCase

    from mastery.services import performance_record_create_self_rating

    give_evidence(user, quizzed, correct=2, total=3, at=NOW - timedelta(days=12))
    # A study block's self-rating on a quizzed topic, the diagnostic's on an unquizzed one.
    with TestCase.captureOnCommitCallbacks(execute=True):
        performance_record_create_self_rating(
            user=user,
            course=course,
            topics=[quizzed],
            rating=4,
            time_spent_min=30,
            completed_at=NOW - timedelta(days=2),
        )
    _rate(user, course, {str(unquizzed.pk): 2})
    # Another student's self-rating on their own topic touches none of these counts.
    other_course = CourseFactory(user=other_user)
    _rate(other_user, other_course, {str(TopicFactory(course=other_course).pk): 3})
    rows = {
        row["topic_name"]: row["evidence"]
        for row in api_client.get("/api/mastery/topics").json()["results"]
    }
    assert rows["Limits"]["answer_count"] == 3
    assert rows["Limits"]["self_rating_count"] == 1
    assert rows["Limits"]["grade_count"] == 0
    assert rows["Series"]["answer_count"] == 0
    assert rows["Series"]["self_rating_count"] == 1
    for topic in (quizzed, unquizzed):
        detail = api_client.get(f"/api/mastery/topics/{topic.pk}").json()
        assert detail["evidence"] == rows[topic.name]


# --- pages -------------------------------------------------------------------------------------


def test_the_course_page_asks_for_self_ratings_and_records_them(
    logged_in_client, user, course, quizzed, unquizzed
):
    page = logged_in_client.get(reverse("mastery:course", args=[course.pk])).content.decode()
    assert "Take the diagnostic (1 topic)" in page
    assert "Rate your confidence" in page and f"rating_{unquizzed.pk}" in page
    assert f"rating_{quizzed.pk}" not in page
    path = reverse("mastery:self-rating", args=[course.pk])
    nothing = logged_in_client.post(path, {})
    assert nothing.status_code == 400 and "Rate at least one topic." in nothing.content.decode()
    out_of_range = logged_in_client.post(path, {f"rating_{unquizzed.pk}": "7"})
    assert out_of_range.status_code == 400
    assert not PerformanceRecord.objects.exists()
    with time_machine.travel(NOW, tick=False):
        done = logged_in_client.post(path, {f"rating_{unquizzed.pk}": "2"})
    assert done.status_code == 302
    record = PerformanceRecord.objects.get()
    assert (record.source, record.score) == (EvidenceSource.SELF_RATING, 2.0)


def test_a_long_course_asks_for_a_few_ratings_at_a_time_the_unrated_first(
    logged_in_client, user, course
):
    from mastery.views import SELF_RATINGS_SHOWN

    topics = [
        TopicFactory(course=course, name=f"Unit {n}", order_index=n)
        for n in range(SELF_RATINGS_SHOWN + 2)
    ]
    page = logged_in_client.get(reverse("mastery:course", args=[course.pk])).content.decode()
    asked = [topic for topic in topics if f"rating_{topic.pk}" in page]
    assert asked == topics[:SELF_RATINGS_SHOWN]
    assert "2 more topics to rate" in page

    from django.test import TestCase

    # The ratings are folded into mastery on commit, as the worker would fold them.
    with time_machine.travel(NOW, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        response = logged_in_client.post(
            reverse("mastery:self-rating", args=[course.pk]),
            {f"rating_{topic.pk}": "3" for topic in asked},
        )
    assert response.status_code == 302
    page = logged_in_client.get(reverse("mastery:course", args=[course.pk])).content.decode()
    asked_next = [topic for topic in topics if f"rating_{topic.pk}" in page]
    assert set(topics[SELF_RATINGS_SHOWN:]) <= set(asked_next)
    assert len(asked_next) == SELF_RATINGS_SHOWN
    assert "more topics to rate" not in page


def test_another_users_course_is_a_404_for_the_self_rating_page(client, other_user, course):
    client.force_login(other_user)
    response = client.post(reverse("mastery:self-rating", args=[course.pk]), {})
    assert response.status_code == 404


def test_pages_show_the_evidence_behind_each_number(logged_in_client, user, quizzed, unquizzed):
    user.timezone = "America/Los_Angeles"
    user.save()
    give_evidence(user, quizzed, correct=3, total=3, at=datetime(2026, 4, 8, 18, tzinfo=UTC))
    _rate(user, quizzed.course, {str(unquizzed.pk): 3})
    mastery = MasteryRecord.objects.get(user=user, topic=quizzed)
    # 01:00 on April 21 in UTC is still April 20 in Los Angeles: 12 days after April 8 there.
    with time_machine.travel("2026-04-21T01:00:00+00:00", tick=False):
        pages = [
            logged_in_client.get(reverse("mastery:overview")).content.decode(),
            logged_in_client.get(
                reverse("mastery:course", args=[quizzed.course.pk])
            ).content.decode(),
            logged_in_client.get(reverse("mastery:topic", args=[quizzed.pk])).content.decode(),
        ]
        series = logged_in_client.get(reverse("mastery:topic", args=[unquizzed.pk]))
        # The course overview of the journey shows the same heatmap.
        pages.append(
            logged_in_client.get(f"/courses/{quizzed.course.pk}/overview").content.decode()
        )
    for page in pages:
        assert "3 answers, last 12 days ago" in page
        assert f"± {mastery.confidence_interval:.0f}" in page
    # A self-rating alone is shown as such, with its interval and a warning it is rough.
    assert "1 self-rating, last today (a rough estimate)" in pages[0]
    assert "1 self-rating" in series.content.decode()
    assert "Self-rating (50%)" in series.content.decode()  # a rating of 3 of 5 in its history


def test_a_topic_without_evidence_shows_no_number(logged_in_client, user, quizzed):
    page = logged_in_client.get(reverse("mastery:topic", args=[quizzed.pk])).content.decode()
    assert "No evidence yet" in page and "out of 100" not in page
    overview = logged_in_client.get(reverse("mastery:overview")).content.decode()
    assert "No evidence yet" in overview and "±" not in overview.split("Limits")[1]


def test_an_estimate_from_one_or_two_answers_shows_its_interval_and_count(
    logged_in_client, user, quizzed
):
    give_evidence(user, quizzed, correct=1, total=1, at=NOW, source="diagnostic")
    mastery = MasteryRecord.objects.get(user=user, topic=quizzed)
    with time_machine.travel(NOW, tick=False):
        page = logged_in_client.get(reverse("mastery:topic", args=[quizzed.pk])).content.decode()
    assert f"± {mastery.confidence_interval:.0f}" in page
    assert "1 answer, last today" in page and "rough estimate" in page


def test_the_diagnostic_result_points_to_the_self_rating(logged_in_client, user, course, quizzed):
    TopicFactory(course=course, name="Series", order_index=1)
    attempt = quiz_services.diagnostic_start(user=user, course=course)
    quiz_services.quiz_answer(
        attempt=attempt, question_id=attempt.items.get().question_id, raw_answer="a"
    )
    quiz_services.quiz_finish(attempt=attempt)
    page = logged_in_client.get(reverse("mastery:quiz-result", args=[attempt.pk]))
    body = page.content.decode()
    assert "1 topic has too few questions to quiz you on" in body
    assert "rate your confidence in it" in body
