"""Writes for the question bank and quizzes.

A diagnostic quiz covers a course's topics one after another, three questions each, and adapts
within each topic: a topic starts at medium, and each answer moves its next question one level
harder (correct) or easier (wrong). A topic whose bank cannot fill three questions is not
quizzed on made-up questions: the student rates their confidence in it instead
(`diagnostic_self_ratings_record`), which the engine weighs as weak evidence. A practice quiz
stays on one topic at the engine's recommended level. Finishing an attempt grades it and turns
it into a PerformanceRecord through `performance_record_create`, which recomputes mastery on
commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import Course, Difficulty, Topic
from mastery import engine, grading
from mastery.models import (
    AttemptQuestion,
    EvidenceSource,
    PerformanceRecord,
    Question,
    QuizAttempt,
    QuizKind,
    QuizStatus,
)
from mastery.quiz_selectors import practice_difficulty, question_spec
from mastery.selectors import SELF_RATING_MAX, SELF_RATING_MIN
from mastery.services import performance_record_create, performance_record_create_self_rating

# One answer set a topic's mastery to 0 or 100. Three answers per topic, adaptive
# within the topic, is the least that tells "knows it" from "guessed once"; a topic whose bank
# holds fewer questions is self-rated instead of quizzed on too little.
DIAGNOSTIC_QUESTIONS_PER_TOPIC = 3
DIAGNOSTIC_START_DIFFICULTY = Difficulty.MEDIUM
# Rating a topic takes seconds; a PerformanceRecord needs at least one whole minute.
SELF_RATING_MINUTES = 1
# A practice session short enough to fit between other study blocks.
PRACTICE_QUESTION_COUNT = 5
PASS_PERCENT = 70.0
# Bounds an import's work and its transaction; a topic's bank is far smaller.
MAX_IMPORT_QUESTIONS = 1000
SECONDS_PER_MINUTE = 60
# Everything an import sets on an existing question; external_id is the match key.
IMPORT_UPDATE_FIELDS = (
    "type",
    "question_text",
    "options",
    "correct_answer",
    "accepted_answers",
    "tolerance",
    "difficulty",
    "explanation",
    "order_index",
)
LEVELS: tuple[str, ...] = tuple(level.value for level in engine.DIFFICULTY_LEVELS)


def step_difficulty(level: str, *, is_correct: bool) -> str:
    """One level harder after a correct answer, one easier after a wrong one, within bounds."""
    index = LEVELS.index(level) + (1 if is_correct else -1)
    return LEVELS[max(0, min(len(LEVELS) - 1, index))]


# --- Question bank -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _document_questions(document: Any) -> list:
    quiz = document.get("quiz") if isinstance(document, dict) else None
    questions = quiz.get("questions") if isinstance(quiz, dict) else None
    if not isinstance(questions, list):
        raise ApplicationError(
            'The file must be a JSON object {"quiz": {"questions": [...]}}.',
            field_errors={"quiz": ["Expected an object with a list of questions."]},
        )
    if not questions:
        raise ApplicationError(
            "The quiz has no questions.", field_errors={"questions": ["Give at least one."]}
        )
    if len(questions) > MAX_IMPORT_QUESTIONS:
        raise ApplicationError(
            f"Import at most {MAX_IMPORT_QUESTIONS} questions at a time.",
            field_errors={"questions": [f"At most {MAX_IMPORT_QUESTIONS} questions."]},
        )
    return questions


def question_document_clean(document: Any) -> list[dict[str, Any]]:
    """Every question of an import document, validated: the clean fields in file order, or an
    ApplicationError listing every problem, one line each. Course templates check their banks
    with it before storing them."""
    raw_questions = _document_questions(document)
    cleaned: list[dict[str, Any]] = []
    problems: list[str] = []
    seen_ids: set[str] = set()
    for number, raw in enumerate(raw_questions, start=1):
        fields, errors = grading.clean_question(raw)
        label = raw.get("question_id") if isinstance(raw, dict) else None
        prefix = f"Question {number}" + (f" ({label})" if label is not None else "")
        if fields and fields["external_id"] in seen_ids:
            errors = {"question_id": ["Appears more than once in this file."]}
        for field_name, messages in errors.items():
            problems.extend(f"{prefix}: {field_name}: {message}" for message in messages)
        if fields and not errors:
            seen_ids.add(fields["external_id"])
            cleaned.append(fields)
    if problems:
        raise ApplicationError(
            f"Nothing was imported: {len(problems)} problem(s) found.",
            field_errors={"questions": problems},
        )
    return cleaned


def question_bank_import(*, user, topic: Topic, document: Any) -> ImportResult:
    """Import a quiz document into the topic's bank: all questions or none.

    A question whose `question_id` already exists in the topic is updated in place; others are
    created. Every question is validated first and every problem reported, one line each.
    """
    if topic.course.user_id != user.pk:
        raise ApplicationError("Topic not found.")
    cleaned = question_document_clean(document)
    seen_ids = {fields["external_id"] for fields in cleaned}
    with transaction.atomic():
        existing = {
            question.external_id: question
            for question in Question.objects.select_for_update().filter(
                topic=topic, external_id__in=seen_ids
            )
        }
        to_create: list[Question] = []
        to_update: list[Question] = []
        for order_index, fields in enumerate(cleaned):
            question = existing.get(fields["external_id"])
            if question is None:
                to_create.append(Question(topic=topic, order_index=order_index, **fields))
                continue
            for name, value in fields.items():
                setattr(question, name, value)
            question.order_index = order_index
            to_update.append(question)
        Question.objects.bulk_create(to_create)
        if to_update:
            now = timezone.now()
            for question in to_update:
                question.updated_at = now
            Question.objects.bulk_update(to_update, [*IMPORT_UPDATE_FIELDS, "updated_at"])
    return ImportResult(created=len(to_create), updated=len(to_update))


# --- Starting a quiz -----------------------------------------------------------------------------


def _running_attempt(*, user, kind: str, course: Course, topic: Topic | None):
    return (
        QuizAttempt.objects.for_user(user)
        .filter(kind=kind, course=course, topic=topic, status=QuizStatus.IN_PROGRESS)
        .first()
    )


def quizzable_topic_ids(course_id) -> list:
    """The course's topics whose banks can fill a topic's diagnostic, in course order."""
    return list(
        Topic.objects.filter(course_id=course_id)
        .annotate(bank_size=Count("questions"))
        .filter(bank_size__gte=DIAGNOSTIC_QUESTIONS_PER_TOPIC)
        .order_by("order_index", "name", "id")
        .values_list("id", flat=True)
    )


def diagnostic_start(*, user, course: Course, now: datetime | None = None) -> QuizAttempt:
    """Start (or resume, if one is running) the course's diagnostic."""
    if course.user_id != user.pk:
        raise ApplicationError("Course not found.")
    now = now or timezone.now()
    with transaction.atomic():
        running = _running_attempt(user=user, kind=QuizKind.DIAGNOSTIC, course=course, topic=None)
        if running:
            return running
        topic_ids = quizzable_topic_ids(course.pk)
        if not topic_ids:
            raise ApplicationError(
                f"No topic of this course has the {DIAGNOSTIC_QUESTIONS_PER_TOPIC} questions a "
                "diagnostic asks per topic: rate your confidence in each topic instead."
            )
        question_count = DIAGNOSTIC_QUESTIONS_PER_TOPIC * len(topic_ids)
        attempt = QuizAttempt.objects.create(
            user=user,
            course=course,
            kind=QuizKind.DIAGNOSTIC,
            question_count=question_count,
            target_difficulty=DIAGNOSTIC_START_DIFFICULTY,
            started_at=now,
        )
        _serve_next(attempt, now=now)
    return attempt


def practice_start(*, user, topic: Topic, now: datetime | None = None) -> QuizAttempt:
    """Start (or resume) a practice quiz on one topic at the engine's recommended level."""
    if topic.course.user_id != user.pk:
        raise ApplicationError("Topic not found.")
    now = now or timezone.now()
    with transaction.atomic():
        running = _running_attempt(
            user=user, kind=QuizKind.PRACTICE, course=topic.course, topic=topic
        )
        if running:
            return running
        available = Question.objects.filter(topic=topic).count()
        if available == 0:
            raise ApplicationError("This topic has no questions yet: import a question bank.")
        recommendation = practice_difficulty(user=user, topic=topic, now=now)
        attempt = QuizAttempt.objects.create(
            user=user,
            course=topic.course,
            topic=topic,
            kind=QuizKind.PRACTICE,
            question_count=min(PRACTICE_QUESTION_COUNT, available),
            target_difficulty=recommendation.difficulty,
            started_at=now,
        )
        _serve_next(attempt, now=now)
    return attempt


# --- Choosing the next question ----------------------------------------------------------------


def _nearest_key(target: str):
    target_index = LEVELS.index(target)

    def key(question: Question) -> tuple:
        level = LEVELS.index(question.difficulty)
        # Nearest level first; between two equally near, the easier one, so a miss in the
        # bank never makes the quiz harder than the student has shown they can handle.
        return (abs(level - target_index), level, question.order_index, question.external_id)

    return key


def _pick(candidates: Iterable[Question], target: str) -> Question | None:
    return min(candidates, key=_nearest_key(target), default=None)


def _choose_question(attempt: QuizAttempt) -> Question | None:
    asked = list(attempt.items.values_list("question_id", "question__topic_id"))
    asked_ids = {question_id for question_id, _ in asked}
    if attempt.kind == QuizKind.PRACTICE:
        # Questions this student has seen least often come first among equally near ones.
        pool = (
            Question.objects.filter(topic=attempt.topic_id)
            .exclude(id__in=asked_ids)
            .annotate(
                times_seen=Count(
                    "attempt_items", filter=Q(attempt_items__attempt__user_id=attempt.user_id)
                )
            )
        )
        nearest = _nearest_key(attempt.target_difficulty)
        return min(pool, key=lambda q: (q.times_seen, *nearest(q)), default=None)

    # Topic by topic in course order, so stopping early leaves whole topics, not one answer
    # on each. The level restarts at medium for each topic and follows only its own answers.
    answered = list(
        attempt.items.filter(answered_at__isnull=False)
        .order_by("position")
        .values_list("question__topic_id", "is_correct")
    )
    asked_per_topic = dict.fromkeys(quizzable_topic_ids(attempt.course_id), 0)
    for _, topic_id in asked:
        if topic_id in asked_per_topic:
            asked_per_topic[topic_id] += 1
    next_topic_id = next(
        (
            topic_id
            for topic_id, count in asked_per_topic.items()
            if count < DIAGNOSTIC_QUESTIONS_PER_TOPIC
        ),
        None,
    )
    if next_topic_id is None:
        return None
    target = DIAGNOSTIC_START_DIFFICULTY.value
    for topic_id, is_correct in answered:
        if topic_id == next_topic_id:
            target = step_difficulty(target, is_correct=bool(is_correct))
    if attempt.target_difficulty != target:
        attempt.target_difficulty = target
        attempt.save(update_fields=["target_difficulty"])
    pool = Question.objects.filter(topic_id=next_topic_id).exclude(id__in=asked_ids)
    return _pick(pool, target)


def _serve_next(attempt: QuizAttempt, *, now: datetime) -> AttemptQuestion | None:
    question = _choose_question(attempt)
    if question is None:
        return None
    return AttemptQuestion.objects.create(
        attempt=attempt,
        question=question,
        position=attempt.items.count() + 1,
        difficulty=question.difficulty,
        shown_at=now,
    )


# --- Answering and finishing -------------------------------------------------------------------


def _locked(attempt: QuizAttempt) -> QuizAttempt:
    return QuizAttempt.objects.select_for_update().get(pk=attempt.pk)


def quiz_answer(
    *,
    attempt: QuizAttempt,
    question_id,
    raw_answer: Any,
    now: datetime | None = None,
) -> AttemptQuestion:
    """Grade the answer to the question being shown and serve the next one.

    `question_id` must be the current question's: a stale page or a repeated submission is
    refused instead of answering a different question. The last answer finishes the attempt.
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        if attempt.status != QuizStatus.IN_PROGRESS:
            raise ApplicationError("This quiz is already finished.")
        item = (
            attempt.items.filter(answered_at__isnull=True)
            .select_related("question")
            .order_by("position")
            .first()
        )
        if item is None:
            raise ApplicationError("There is no question to answer.")
        if str(item.question_id) != str(question_id):
            raise ApplicationError(
                "That question is not the one being asked; reload to see the current one.",
                field_errors={"question_id": ["Not the current question."]},
            )
        try:
            answer, correct = grading.grade(question_spec(item.question), raw_answer)
        except grading.AnswerError as error:
            raise ApplicationError(
                error.message, field_errors={"answer": [error.message]}
            ) from None
        item.response = answer
        item.is_correct = correct
        item.answered_at = max(now, item.shown_at)
        item.time_spent_sec = (item.answered_at - item.shown_at).total_seconds()
        item.save(update_fields=["response", "is_correct", "answered_at", "time_spent_sec"])
        attempt.answered_count += 1
        attempt.correct_count += int(correct)
        attempt.save(update_fields=["answered_count", "correct_count"])
        if (
            attempt.answered_count >= attempt.question_count
            or _serve_next(attempt, now=now) is None
        ):
            _finish(attempt, now=now)
    return item


def quiz_finish(*, attempt: QuizAttempt, now: datetime | None = None) -> QuizAttempt:
    """Finish early: grade what was answered; the question being shown is dropped."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        if attempt.status == QuizStatus.COMPLETED:
            return attempt
        if attempt.answered_count == 0:
            raise ApplicationError("Answer at least one question before finishing.")
        _finish(attempt, now=now)
    return attempt


def _finish(attempt: QuizAttempt, *, now: datetime) -> None:
    attempt.items.filter(answered_at__isnull=True).delete()
    items = list(attempt.items.select_related("question").order_by("position"))
    breakdown: dict[str, dict[str, float | int]] = {}
    question_data = []
    total_seconds = 0.0
    for item in items:
        topic_key = str(item.question.topic_id)
        row = breakdown.setdefault(topic_key, {"correct": 0, "total": 0, "time_min": 0.0})
        row["correct"] += int(bool(item.is_correct))
        row["total"] += 1
        row["time_min"] += (item.time_spent_sec or 0.0) / SECONDS_PER_MINUTE
        total_seconds += item.time_spent_sec or 0.0
        question_data.append(
            {
                "question_id": item.question.external_id,
                "question_uuid": str(item.question_id),
                "topic_id": topic_key,
                "type": item.question.type,
                "correct": bool(item.is_correct),
                "time_sec": round(item.time_spent_sec or 0.0, 1),
                "difficulty": item.difficulty,
            }
        )
    for row in breakdown.values():
        row["time_min"] = round(row["time_min"], 2)
    answered = len(items)
    correct = sum(1 for item in items if item.is_correct)
    attempt.answered_count = answered
    attempt.correct_count = correct
    attempt.score_percent = round(correct / answered * 100, 2)
    attempt.is_passed = attempt.score_percent >= PASS_PERCENT
    attempt.status = QuizStatus.COMPLETED
    attempt.completed_at = now
    attempt.performance_record = performance_record_create(
        user=attempt.user,
        course=attempt.course,
        assessment=None,
        score=float(correct),
        max_score=float(answered),
        # The record counts whole minutes and needs at least one.
        time_spent_min=max(1, math.ceil(total_seconds / SECONDS_PER_MINUTE)),
        completed_at=now,
        topic_breakdown=breakdown,
        question_data=question_data,
        source=(
            EvidenceSource.DIAGNOSTIC
            if attempt.kind == QuizKind.DIAGNOSTIC
            else EvidenceSource.QUIZ
        ),
    )
    attempt.save(
        update_fields=[
            "answered_count",
            "correct_count",
            "score_percent",
            "is_passed",
            "status",
            "completed_at",
            "performance_record",
        ]
    )


# --- Self-rating where the diagnostic has no questions ----------------------------------------


def self_rated_topics(*, user, course: Course) -> list[Topic]:
    """The course's topics the diagnostic cannot quiz, so it asks for a self-rating instead."""
    quizzable = set(quizzable_topic_ids(course.pk))
    topics = Topic.objects.for_user(user).filter(course=course).order_by("order_index", "name")
    return [topic for topic in topics if topic.pk not in quizzable]


def diagnostic_self_ratings_record(
    *, user, course: Course, ratings: Mapping[str, Any], now: datetime | None = None
) -> list[PerformanceRecord]:
    """Record the student's confidence (1 to 5) in topics the diagnostic cannot quiz.

    One self-rating record per topic, all or none. The engine reads a self-rating as one
    question of review evidence: its low weight moves a topic only a few points from the
    neutral prior and leaves a wide interval, which is what a confidence guess is worth.
    A topic that has enough questions is refused: the diagnostic measures it instead.
    """
    if course.user_id != user.pk:
        raise ApplicationError("Course not found.")
    topics = {str(topic.pk): topic for topic in self_rated_topics(user=user, course=course)}
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[Topic, int]] = []
    for topic_id, rating in ratings.items():
        topic = topics.get(str(topic_id))
        if topic is None:
            errors[str(topic_id)] = ["Not a topic of this course that needs a self-rating."]
            continue
        if (
            isinstance(rating, bool)
            or not isinstance(rating, int)
            or not SELF_RATING_MIN <= rating <= SELF_RATING_MAX
        ):
            errors[str(topic_id)] = [
                f"Give a whole number from {SELF_RATING_MIN} to {SELF_RATING_MAX}."
            ]
            continue
        cleaned.append((topic, rating))
    if not ratings:
        errors["ratings"] = ["Rate at least one topic."]
    if errors:
        raise ApplicationError("The self-ratings were not recorded.", field_errors=errors)
    now = now or timezone.now()
    with transaction.atomic():
        return [
            performance_record_create_self_rating(
                user=user,
                course=course,
                topics=[topic],
                rating=rating,
                time_spent_min=SELF_RATING_MINUTES,
                completed_at=now,
            )
            for topic, rating in cleaned
        ]
