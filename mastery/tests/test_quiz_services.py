"""Question bank import, the adaptive diagnostic, practice at the recommended level, grading
into a PerformanceRecord, and the diagnostic initializing mastery."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.tests.factories import UserPreferencesFactory
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery import quiz_services
from mastery.models import (
    AttemptQuestion,
    EvidenceSource,
    MasteryRecord,
    PerformanceRecord,
    Question,
    QuizStatus,
)
from mastery.quiz_selectors import current_item, question_bank_export
from mastery.tests.quiz_factories import QuestionFactory, bank

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def answer(attempt, *, correct: bool, now=None):
    item = current_item(attempt)
    return quiz_services.quiz_answer(
        attempt=attempt,
        question_id=item.question_id,
        raw_answer="a" if correct else "b",
        now=now,
    )


# --- import / export -------------------------------------------------------------------------

DOCUMENT = {
    "quiz": {
        "title": "Limits",
        "questions": [
            {
                "question_id": "mc",
                "type": "multiple_choice",
                "question_text": "2 + 2?",
                "options": [{"id": "a", "text": "4"}, {"id": "b", "text": "5"}],
                "correct_answer": "a",
                "explanation": "Arithmetic.",
                "difficulty": "easy",
            },
            {
                "question_id": "ms",
                "type": "multiple_select",
                "question_text": "Primes?",
                "options": [
                    {"id": "a", "text": "2"},
                    {"id": "b", "text": "4"},
                    {"id": "c", "text": "5"},
                ],
                "correct_answer": ["a", "c"],
                "explanation": "4 = 2·2.",
                "difficulty": "medium",
            },
            {
                "question_id": "tf",
                "type": "true_false",
                "question_text": "The sky is green.",
                "correct_answer": False,
                "explanation": "It is blue.",
                "difficulty": "easy",
            },
            {
                "question_id": "num",
                "type": "numeric",
                "question_text": "Pi to two places?",
                "correct_answer": 3.14,
                "tolerance": 0.005,
                "explanation": "3.14159…",
                "difficulty": "hard",
            },
            {
                "question_id": "sa",
                "type": "short_answer",
                "question_text": "Capital of France?",
                "correct_answer": "Paris",
                "accepted_answers": ["Paree"],
                "explanation": "Paris.",
                "difficulty": "exam_level",
            },
        ],
    }
}


def test_import_then_export_round_trips(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    result = quiz_services.question_bank_import(user=user, topic=topic, document=DOCUMENT)
    assert (result.created, result.updated) == (5, 0)
    exported = question_bank_export(topic=topic)
    assert [q["question_id"] for q in exported["quiz"]["questions"]] == [
        "mc",
        "ms",
        "tf",
        "num",
        "sa",
    ]
    by_id = {q["question_id"]: q for q in exported["quiz"]["questions"]}
    assert by_id["num"]["tolerance"] == 0.005
    assert by_id["sa"]["accepted_answers"] == ["Paree"]
    assert by_id["tf"]["options"] == [
        {"id": "true", "text": "True"},
        {"id": "false", "text": "False"},
    ]
    before = list(Question.objects.filter(topic=topic).values_list("id", "correct_answer"))

    again = quiz_services.question_bank_import(user=user, topic=topic, document=exported)
    assert (again.created, again.updated) == (0, 5)
    assert list(Question.objects.filter(topic=topic).values_list("id", "correct_answer")) == before
    assert question_bank_export(topic=topic) == exported


def test_import_is_all_or_nothing_with_per_question_errors(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    questions = [dict(q) for q in DOCUMENT["quiz"]["questions"]]
    questions[1]["correct_answer"] = ["a", "zz"]
    questions[3]["correct_answer"] = "three"
    questions.append(dict(questions[0]))  # duplicate id
    with pytest.raises(ApplicationError) as excinfo:
        quiz_services.question_bank_import(
            user=user, topic=topic, document={"quiz": {"questions": questions}}
        )
    problems = excinfo.value.field_errors["questions"]
    assert any(p.startswith("Question 2 (ms): correct_answer") for p in problems)
    assert any(p.startswith("Question 4 (num): correct_answer") for p in problems)
    assert any(p.startswith("Question 6 (mc): question_id") for p in problems)
    assert Question.objects.count() == 0


@pytest.mark.parametrize("document", [[], {"questions": []}, {"quiz": {"questions": []}}, "x"])
def test_import_rejects_malformed_documents(user, document):
    topic = TopicFactory(course=CourseFactory(user=user))
    with pytest.raises(ApplicationError):
        quiz_services.question_bank_import(user=user, topic=topic, document=document)
    assert Question.objects.count() == 0


def test_import_refuses_another_users_topic(user, other_user):
    topic = TopicFactory(course=CourseFactory(user=other_user))
    with pytest.raises(ApplicationError):
        quiz_services.question_bank_import(user=user, topic=topic, document=DOCUMENT)
    assert Question.objects.count() == 0


# --- diagnostic --------------------------------------------------------------------------------


def course_with_bank(user, *, topics=5, per_level=2):
    course = CourseFactory(user=user)
    for index in range(topics):
        bank(TopicFactory(course=course, order_index=index), per_level=per_level)
    return course


def test_diagnostic_adapts_within_each_topic(user):
    course = course_with_bank(user, topics=3)
    attempt = quiz_services.diagnostic_start(user=user, course=course)
    assert attempt.question_count == 9  # 3 topics x 3 questions
    pattern = [True, True, True, False, False, False, True, False, True]
    served = []
    for is_correct in pattern:
        item = current_item(attempt)
        served.append((item.question.topic.order_index, item.difficulty))
        answer(attempt, correct=is_correct)
    assert served == [
        (0, "medium"),  # each topic starts at medium
        (0, "hard"),  # after right
        (0, "exam_level"),  # after right
        (1, "medium"),  # a new topic starts again at medium, whatever came before
        (1, "easy"),  # after wrong
        (1, "easy"),  # after wrong: already the easiest
        (2, "medium"),
        (2, "hard"),  # after right
        (2, "medium"),  # after wrong
    ]
    attempt.refresh_from_db()
    assert attempt.status == QuizStatus.COMPLETED


def test_diagnostic_asks_three_questions_on_every_topic_one_topic_at_a_time(user):
    course = course_with_bank(user, topics=5)
    attempt = quiz_services.diagnostic_start(user=user, course=course)
    for _ in range(attempt.question_count):
        answer(attempt, correct=True)
    topics = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("question__topic__order_index", flat=True)
    )
    assert topics == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


@pytest.mark.parametrize(("topics", "expected"), [(1, 3), (7, 21), (15, 45)])
def test_diagnostic_has_three_questions_per_topic(user, topics, expected):
    course = course_with_bank(user, topics=topics, per_level=1)
    attempt = quiz_services.diagnostic_start(user=user, course=course)
    assert attempt.question_count == expected


def test_topics_with_fewer_than_three_questions_are_left_to_a_self_rating(user):
    course = CourseFactory(user=user)
    quizzed = TopicFactory(course=course, order_index=0)
    bank(quizzed, levels=("easy", "medium", "hard"))
    thin = TopicFactory(course=course, order_index=1)
    bank(thin, levels=("easy", "medium"))
    empty = TopicFactory(course=course, order_index=2)
    attempt = quiz_services.diagnostic_start(user=user, course=course)
    assert attempt.question_count == 3
    for _ in range(3):
        assert current_item(attempt).question.topic_id == quizzed.pk
        answer(attempt, correct=True)
    attempt.refresh_from_db()
    assert attempt.status == QuizStatus.COMPLETED
    assert set(attempt.performance_record.topic_breakdown) == {str(quizzed.pk)}
    assert quiz_services.self_rated_topics(user=user, course=course) == [thin, empty]


def test_a_course_without_quizzable_topics_has_no_diagnostic_quiz(user):
    course = CourseFactory(user=user)
    bank(TopicFactory(course=course), levels=("easy", "medium"))
    with pytest.raises(ApplicationError, match="rate your confidence"):
        quiz_services.diagnostic_start(user=user, course=course)


def test_diagnostic_start_resumes_the_running_attempt(user):
    course = course_with_bank(user)
    first = quiz_services.diagnostic_start(user=user, course=course)
    assert quiz_services.diagnostic_start(user=user, course=course) == first


def test_diagnostic_becomes_a_record_and_initializes_mastery(
    user, django_capture_on_commit_callbacks
):
    course = course_with_bank(user, topics=5)
    topics = list(course.topics.order_by("order_index"))
    start = timezone.now() - timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = quiz_services.diagnostic_start(user=user, course=course, now=start)
        for index in range(attempt.question_count):
            item = current_item(attempt)
            # Right on the first topic only, so mastery differs per topic.
            is_correct = item.question.topic_id == topics[0].pk
            answer(attempt, correct=is_correct, now=start + timedelta(seconds=30 * (index + 1)))
    attempt.refresh_from_db()
    record = attempt.performance_record
    assert record.source == EvidenceSource.DIAGNOSTIC
    assert record.assessment is None
    assert (record.score, record.max_score) == (3.0, 15.0)
    assert record.time_spent_min == 8  # 7.5 minutes, rounded up to whole minutes
    assert record.topic_breakdown[str(topics[0].pk)] == {"correct": 3, "total": 3, "time_min": 1.5}
    assert record.topic_breakdown[str(topics[1].pk)]["correct"] == 0
    assert len(record.question_data) == 15
    assert {"question_id", "correct", "time_sec", "difficulty"} <= set(record.question_data[0])
    assert record.question_data[0]["time_sec"] == 30.0
    assert attempt.score_percent == 20.0
    assert attempt.is_passed is False

    masteries = {m.topic_id: m for m in MasteryRecord.objects.filter(user=user)}
    assert set(masteries) == {topic.pk for topic in topics}
    assert masteries[topics[0].pk].mastery_score == pytest.approx(100.0)
    assert masteries[topics[1].pk].mastery_score == pytest.approx(0.0)
    assert masteries[topics[0].pk].trend == "new"


# --- practice ----------------------------------------------------------------------------------


def test_practice_uses_the_engines_recommended_difficulty(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic, per_level=3)
    UserPreferencesFactory(user=user, difficulty_curve="balanced")
    MasteryRecord.objects.create(user=user, topic=topic, mastery_score=85.0, trend="stable")
    attempt = quiz_services.practice_start(user=user, topic=topic)
    assert attempt.target_difficulty == "exam_level"
    assert attempt.question_count == quiz_services.PRACTICE_QUESTION_COUNT
    for _ in range(attempt.question_count):
        assert current_item(attempt).difficulty == "exam_level" or attempt.items.count() > 3
        answer(attempt, correct=False)
    attempt.refresh_from_db()
    assert attempt.target_difficulty == "exam_level"  # practice does not adapt
    assert attempt.performance_record.source == EvidenceSource.QUIZ


def test_practice_drops_to_medium_when_an_exam_is_imminent_and_mastery_low(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic)
    MasteryRecord.objects.create(user=user, topic=topic, mastery_score=20.0, trend="stable")
    exam = AssessmentFactory(
        course=topic.course, type="midterm", due_date=timezone.now() + timedelta(days=2)
    )
    AssessmentTopicFactory(assessment=exam, topic=topic)
    attempt = quiz_services.practice_start(user=user, topic=topic)
    assert attempt.target_difficulty == "medium"


def test_practice_without_questions_is_refused(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    with pytest.raises(ApplicationError):
        quiz_services.practice_start(user=user, topic=topic)


@pytest.mark.parametrize(("correct", "passed"), [(4, True), (3, False)])
def test_pass_is_70_percent_or_more(user, correct, passed):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic, per_level=2)
    attempt = quiz_services.practice_start(user=user, topic=topic)
    for index in range(5):
        answer(attempt, correct=index < correct)
    attempt.refresh_from_db()
    assert attempt.score_percent == correct * 20
    assert attempt.is_passed is passed
    assert attempt.answered_count == 5


def test_time_per_question_is_measured_on_the_server(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic)
    with time_machine.travel("2026-03-02T10:00:00+00:00", tick=False):
        attempt = quiz_services.practice_start(user=user, topic=topic)
    with time_machine.travel("2026-03-02T10:00:42+00:00", tick=False):
        item = answer(attempt, correct=True)
    assert item.time_spent_sec == 42.0
    assert current_item(attempt).shown_at.second == 42


def test_answer_for_a_stale_question_is_refused_and_changes_nothing(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    questions = bank(topic)
    attempt = quiz_services.practice_start(user=user, topic=topic)
    current = current_item(attempt)
    other = next(q for q in questions if q.pk != current.question_id)
    with pytest.raises(ApplicationError):
        quiz_services.quiz_answer(attempt=attempt, question_id=other.pk, raw_answer="a")
    with pytest.raises(ApplicationError) as excinfo:
        quiz_services.quiz_answer(attempt=attempt, question_id=current.question_id, raw_answer="q")
    assert "answer" in excinfo.value.field_errors
    attempt.refresh_from_db()
    assert attempt.answered_count == 0
    assert current_item(attempt).pk == current.pk


def test_finish_early_grades_the_answered_questions(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    bank(topic, per_level=2)
    attempt = quiz_services.practice_start(user=user, topic=topic)
    with pytest.raises(ApplicationError):
        quiz_services.quiz_finish(attempt=attempt)
    answer(attempt, correct=True)
    answer(attempt, correct=False)
    attempt = quiz_services.quiz_finish(attempt=attempt)
    assert attempt.status == QuizStatus.COMPLETED
    assert (attempt.answered_count, attempt.correct_count) == (2, 1)
    assert attempt.items.count() == 2
    assert PerformanceRecord.objects.get().max_score == 2.0
    with pytest.raises(ApplicationError, match="finished"):
        quiz_services.quiz_answer(attempt=attempt, question_id=uuid.uuid4(), raw_answer="a")


def test_grading_is_deterministic_across_identical_attempts(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    QuestionFactory(
        topic=topic,
        type="numeric",
        options=[],
        correct_answer=2.5,
        tolerance=0.1,
        external_id="n",
    )
    results = []
    for _ in range(2):
        attempt = quiz_services.practice_start(user=user, topic=topic)
        item = current_item(attempt)
        graded = quiz_services.quiz_answer(
            attempt=attempt, question_id=item.question_id, raw_answer="2.58"
        )
        results.append((graded.is_correct, graded.response))
    assert results == [(True, 2.58), (True, 2.58)]
