"""Mastery pages and the quiz pages, with and without htmx."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.tests.factories import CourseFactory, TopicFactory
from mastery import quiz_services
from mastery.models import MasteryRecord, Question, QuizAttempt, QuizStatus
from mastery.quiz_selectors import current_item
from mastery.tests.quiz_factories import bank, give_evidence
from mastery.views import OVERVIEW_CELLS_PER_COURSE

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def topic(user):
    topic = TopicFactory(course=CourseFactory(user=user), name="Limits")
    bank(topic, per_level=2)
    return topic


@pytest.fixture
def attempt(user, topic):
    return quiz_services.practice_start(user=user, topic=topic)


def test_pages_render_for_the_owner(logged_in_client, user, topic, attempt):
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    give_evidence(user, topic, correct=4, total=4, at=moment, source="diagnostic")
    give_evidence(user, topic, correct=0, total=4, at=moment + timedelta(days=1))
    record = MasteryRecord.objects.get(user=user, topic=topic)
    assert record.trend == "declining"
    overview = logged_in_client.get(reverse("mastery:overview"))
    assert overview.status_code == 200
    body = overview.content.decode()
    assert "Limits" in body and f"{record.mastery_score:.0f}" in body
    assert f"± {record.confidence_interval:.0f}" in body
    assert "Declining" in body  # trend in words, not only colour
    assert (
        logged_in_client.get(reverse("mastery:course", args=[topic.course.pk])).status_code == 200
    )
    page = logged_in_client.get(reverse("mastery:topic", args=[topic.pk]))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    assert logged_in_client.get(reverse("mastery:reviews-due")).status_code == 200
    assert logged_in_client.get(reverse("mastery:quiz", args=[attempt.pk])).status_code == 200


def test_every_page_is_404_for_another_user(client, other_user, topic, attempt):
    client.force_login(other_user)
    gets = [
        reverse("mastery:course", args=[topic.course.pk]),
        reverse("mastery:topic", args=[topic.pk]),
        reverse("mastery:quiz", args=[attempt.pk]),
        reverse("mastery:quiz-result", args=[attempt.pk]),
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    posts = [
        reverse("mastery:diagnostic-start", args=[topic.course.pk]),
        reverse("mastery:practice-start", args=[topic.pk]),
        reverse("mastery:quiz", args=[attempt.pk]),
        reverse("mastery:quiz-finish", args=[attempt.pk]),
    ]
    for path in posts:
        assert client.post(path, {"answer": "a"}).status_code == 404, path
    attempt.refresh_from_db()
    assert attempt.answered_count == 0
    assert QuizAttempt.objects.count() == 1
    assert "Limits" not in client.get(reverse("mastery:overview")).content.decode()


def test_pages_need_login(client, topic):
    response = client.get(reverse("mastery:overview"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_quiz_without_javascript_post_redirect_get(logged_in_client, attempt):
    quiz_url = reverse("mastery:quiz", args=[attempt.pk])
    for _ in range(attempt.question_count):
        item = current_item(attempt)
        response = logged_in_client.post(
            quiz_url, {"question_id": str(item.question_id), "answer": "a"}
        )
        assert response.status_code == 302
    assert response["Location"] == reverse("mastery:quiz-result", args=[attempt.pk])
    result = logged_in_client.get(response["Location"])
    body = result.content.decode()
    assert "5 of 5 correct" in body and "passed" in body
    assert "Because a is right." in body  # explanations on the results page


def test_quiz_with_htmx_swaps_the_panel_and_shows_feedback(logged_in_client, attempt):
    quiz_url = reverse("mastery:quiz", args=[attempt.pk])
    item = current_item(attempt)
    response = logged_in_client.post(
        quiz_url, {"question_id": str(item.question_id), "answer": "b"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="quiz-panel"')
    assert "Not quite" in body and "Correct answer: Right" in body
    assert "Question 2 of 5" in body
    for _ in range(attempt.question_count - 1):
        item = current_item(attempt)
        response = logged_in_client.post(
            quiz_url, {"question_id": str(item.question_id), "answer": "a"}, **HTMX
        )
    assert response["HX-Redirect"] == reverse("mastery:quiz-result", args=[attempt.pk])


@pytest.mark.parametrize("bad", ["zz", ""])
def test_bad_choice_is_a_form_error(logged_in_client, attempt, bad):
    item = current_item(attempt)
    response = logged_in_client.post(
        reverse("mastery:quiz", args=[attempt.pk]),
        {"question_id": str(item.question_id), "answer": bad},
    )
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.answered_count == 0


def test_malformed_number_is_a_form_error(logged_in_client, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    Question.objects.create(
        topic=topic,
        external_id="n",
        type="numeric",
        question_text="Half of 5?",
        correct_answer=2.5,
        explanation="5/2.",
    )
    attempt = quiz_services.practice_start(user=user, topic=topic)
    item = current_item(attempt)
    response = logged_in_client.post(
        reverse("mastery:quiz", args=[attempt.pk]),
        {"question_id": str(item.question_id), "answer": "2,5"},
    )
    assert response.status_code == 200
    assert "Enter a number" in response.content.decode()
    response = logged_in_client.post(
        reverse("mastery:quiz", args=[attempt.pk]),
        {"question_id": str(item.question_id), "answer": " 2.5 "},
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == QuizStatus.COMPLETED and attempt.is_passed


def test_stale_question_is_a_form_error(logged_in_client, attempt, topic):
    other = Question.objects.exclude(pk=current_item(attempt).question_id).first()
    response = logged_in_client.post(
        reverse("mastery:quiz", args=[attempt.pk]), {"question_id": str(other.pk), "answer": "a"}
    )
    assert response.status_code == 200
    assert "earlier question" in response.content.decode()


def test_start_pages_redirect_to_the_quiz_or_explain(logged_in_client, user, topic):
    response = logged_in_client.post(reverse("mastery:practice-start", args=[topic.pk]))
    attempt = QuizAttempt.objects.get()
    assert response["Location"] == reverse("mastery:quiz", args=[attempt.pk])
    response = logged_in_client.post(reverse("mastery:diagnostic-start", args=[topic.course.pk]))
    diagnostic = QuizAttempt.objects.get(kind="diagnostic")
    assert response["Location"] == reverse("mastery:quiz", args=[diagnostic.pk])
    thin = TopicFactory(course=CourseFactory(user=user))
    bank(thin, levels=("easy", "medium"))
    response = logged_in_client.post(
        reverse("mastery:diagnostic-start", args=[thin.course.pk]), follow=True
    )
    assert "rate your confidence in each topic instead" in response.content.decode()


def test_finish_early_page(logged_in_client, attempt):
    finish = reverse("mastery:quiz-finish", args=[attempt.pk])
    response = logged_in_client.post(finish, follow=True)
    assert "Answer at least one question" in response.content.decode()
    item = current_item(attempt)
    logged_in_client.post(
        reverse("mastery:quiz", args=[attempt.pk]),
        {"question_id": str(item.question_id), "answer": "a"},
    )
    response = logged_in_client.post(finish)
    assert response["Location"] == reverse("mastery:quiz-result", args=[attempt.pk])


AN_EARLY_DAY = datetime(2020, 1, 1, 12, tzinfo=UTC)


def _topics(user, count):
    course = CourseFactory(user=user)
    for _ in range(count):
        give_evidence(user, TopicFactory(course=course), correct=1, total=2, at=AN_EARLY_DAY)
    return course


@pytest.mark.parametrize("page", ["overview", "reviews-due", "course"])
def test_page_query_counts_are_constant(
    logged_in_client, user, django_assert_num_queries, page, settings
):
    # The pages' own cost, as a cold cache renders them (a warm one skips the body's queries).
    settings.DASHBOARD_CACHE_ENABLED = False
    course = _topics(user, 1)
    path = reverse(f"mastery:{page}", args=[course.pk] if page == "course" else [])
    logged_in_client.get(path)
    with CaptureQueriesContext(connection) as one_row:
        logged_in_client.get(path)
    for _ in range(10):
        topic = TopicFactory(course=course)
        give_evidence(user, topic, correct=4, total=5, at=AN_EARLY_DAY, source="diagnostic")
    with django_assert_num_queries(len(one_row.captured_queries)):
        response = logged_in_client.get(path)
    body = response.content.decode()
    if page == "overview":
        # The overview shows the weakest cells (the 50% topic, then 80s) and links to the rest.
        assert body.count('class="heat-cell') == OVERVIEW_CELLS_PER_COURSE
        assert body.count("80") >= OVERVIEW_CELLS_PER_COURSE - 1
        assert "All 11 topics" in body
    else:
        assert body.count("80") >= 10


def test_reviews_page_uses_the_students_today(logged_in_client, user):
    user.timezone = "Asia/Tokyo"
    user.save()
    topic = TopicFactory(course=CourseFactory(user=user), name="Stoichiometry")
    MasteryRecord.objects.create(user=user, topic=topic, next_review_date=date(2026, 4, 2))
    with time_machine.travel("2026-04-01T16:00:00+00:00", tick=False):  # 01:00 on April 2 in Tokyo
        body = logged_in_client.get(reverse("mastery:reviews-due")).content.decode()
    assert "Stoichiometry" in body and "Thursday 2 April" in body
    with time_machine.travel("2026-04-01T14:00:00+00:00", tick=False):  # 23:00 on April 1 in Tokyo
        body = logged_in_client.get(reverse("mastery:reviews-due")).content.decode()
    assert "Stoichiometry" not in body


def test_reviews_due_come_a_page_at_a_time_the_longest_overdue_first(
    logged_in_client, user, other_user
):
    from mastery.views import ReviewsDueView

    per_page = ReviewsDueView.paginate_by
    course = CourseFactory(user=user)
    today = date(2026, 4, 10)
    total = per_page + 3
    for index in range(total):
        topic = TopicFactory(course=course, name=f"Due topic {index:03d}")
        # Topic 000 is the longest overdue.
        MasteryRecord.objects.create(
            user=user, topic=topic, next_review_date=today - timedelta(days=total - index)
        )
    # Another student's reviews are neither listed nor counted.
    theirs = TopicFactory(course=CourseFactory(user=other_user), name="Their topic")
    MasteryRecord.objects.create(user=other_user, topic=theirs, next_review_date=today)
    url = reverse("mastery:reviews-due")
    with time_machine.travel(datetime(2026, 4, 10, 12, tzinfo=UTC), tick=False):
        first = logged_in_client.get(url).content.decode()
        second = logged_in_client.get(url, {"page": 2}).content.decode()
        beyond = logged_in_client.get(url, {"page": "999"}).content.decode()
        malformed = logged_in_client.get(url, {"page": "x"})

    def shown(body):
        return {index for index in range(total) if f"Due topic {index:03d}<" in body}

    assert shown(first) == set(range(per_page))
    assert shown(second) == set(range(per_page, total))
    assert shown(beyond) == shown(second)
    assert malformed.status_code == 200 and shown(malformed.content.decode()) == shown(first)
    assert f"{total} reviews due; showing 1–{per_page}, the longest overdue first." in first
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert "Their topic" not in first + second


def test_the_overview_shows_a_page_of_courses_at_a_time(logged_in_client, user, settings):
    from mastery.views import OVERVIEW_COURSES_PER_PAGE

    settings.DASHBOARD_CACHE_ENABLED = False
    codes = [f"C{n:02}" for n in range(OVERVIEW_COURSES_PER_PAGE + 2)]
    for code in codes:
        TopicFactory(course=CourseFactory(user=user, code=code))
    TopicFactory(course=CourseFactory(code="ZZZ 999"))  # another student's
    path = reverse("mastery:overview")
    logged_in_client.get(path)  # the session's first request reads what later ones keep

    with CaptureQueriesContext(connection) as first_page:
        first = logged_in_client.get(path).content.decode()
    with CaptureQueriesContext(connection) as second_page:
        second = logged_in_client.get(path + "?page=2").content.decode()

    assert first.count('class="mastery-course"') == OVERVIEW_COURSES_PER_PAGE
    assert all(code in first for code in codes[:OVERVIEW_COURSES_PER_PAGE])
    assert f"Page 1 of 2 ({len(codes)} courses)" in first and 'rel="next"' in first
    assert second.count('class="mastery-course"') == 2
    assert all(code in second for code in codes[OVERVIEW_COURSES_PER_PAGE:])
    assert "ZZZ 999" not in first + second
    assert len(first_page.captured_queries) == len(second_page.captured_queries)
    # A page past the end shows the last one rather than an error.
    assert "C07" in logged_in_client.get(path + "?page=99").content.decode()


def test_a_long_courses_heatmap_is_paged_at_the_same_cost_per_page(logged_in_client, user):
    from mastery.views import HEATMAP_TOPICS_PER_PAGE

    course = CourseFactory(user=user)
    topics = [
        TopicFactory(course=course, name=f"Unit {n:02d}", order_index=n)
        for n in range(HEATMAP_TOPICS_PER_PAGE + 5)
    ]
    # Another student's topics never show, on any page.
    TopicFactory(course=CourseFactory(), name="Unit 99")
    path = reverse("mastery:course", args=[course.pk])
    logged_in_client.get(path)  # a first view also sets up the student's once-only rows
    pages, queries = [], []
    for number in (1, 2):
        with CaptureQueriesContext(connection) as captured:
            response = logged_in_client.get(path, {"page": number})
        queries.append(len(captured.captured_queries))
        body = response.content.decode()
        pages.append([topic for topic in topics if f">{topic.name}</a>" in body])
        assert "Unit 99" not in body
        assert f"Page {number} of 2 ({len(topics)} topics)" in body
    assert pages == [topics[:HEATMAP_TOPICS_PER_PAGE], topics[HEATMAP_TOPICS_PER_PAGE:]]
    assert queries[0] == queries[1]
    # A page past the end shows the last one.
    past = logged_in_client.get(path, {"page": 9}).content.decode()
    assert "Page 2 of 2" in past
