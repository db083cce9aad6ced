"""Composed reads for quizzes, the question bank and the mastery pages and API.

Every function takes the user and scopes by it; each runs a fixed number of queries whatever
the number of rows (prefetching instead of per-row lookups).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from accounts.models import UserPreferences
from accounts.timezones import user_zone
from courses.models import Assessment, AssessmentType, Course, Topic
from mastery import engine, evidence_selectors, grading
from mastery.models import (
    AttemptQuestion,
    MasteryObservation,
    MasteryRecord,
    Question,
    QuizAttempt,
)

# Timed, closed-book assessments: the ones practice should get a student ready for.
EXAM_TYPES = (AssessmentType.QUIZ, AssessmentType.MIDTERM, AssessmentType.FINAL)
SECONDS_PER_DAY = 86_400
EXPORT_FORMAT_VERSION = 1


def question_spec(question: Question) -> grading.QuestionSpec:
    return grading.QuestionSpec(
        type=question.type,
        correct_answer=question.correct_answer,
        options=tuple(question.options or ()),
        tolerance=question.tolerance,
        accepted_answers=tuple(question.accepted_answers or ()),
    )


def question_to_document(question: Question) -> dict:
    """One question in the import/export format (see docs/question_bank.md)."""
    document = {
        "question_id": question.external_id,
        "type": question.type,
        "question_text": question.question_text,
        "options": list(question.options),
        "correct_answer": question.correct_answer,
        "explanation": question.explanation,
        "difficulty": question.difficulty,
    }
    if question.type == grading.NUMERIC:
        document["tolerance"] = question.tolerance
    if question.type == grading.SHORT_ANSWER:
        document["accepted_answers"] = list(question.accepted_answers)
    return document


def question_bank_export(*, topic: Topic) -> dict:
    """The topic's bank as one quiz document; importing it again changes nothing."""
    questions = Question.objects.filter(topic=topic).order_by("order_index", "external_id")
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "quiz": {
            "title": f"{topic.name} question bank",
            "topic": topic.name,
            "questions": [question_to_document(question) for question in questions],
        },
    }


# --- Mastery reads ---------------------------------------------------------------------------


def user_today(user) -> date:
    """The calendar date where the student is, not where the server is."""
    return timezone.localdate(timezone.now(), user_zone(user))


def topics_with_mastery(*, user, course: Course | None = None) -> QuerySet[Topic]:
    """The user's topics, each with `mastery` (their MasteryRecord or None) after iteration.

    Three queries at most: topics with their course, then one prefetch of mastery records.
    """
    topics = (
        Topic.objects.for_user(user)
        .select_related("course")
        .prefetch_related(
            Prefetch(
                "mastery_records",
                queryset=MasteryRecord.objects.for_user(user),
                to_attr="user_mastery_records",
            )
        )
        .order_by("course__code", "course__name", "order_index", "name")
    )
    if course is not None:
        topics = topics.filter(course=course)
    return topics


@dataclass(frozen=True)
class SelfRatingQueue:
    """The topics the diagnostic cannot quiz that the course page asks about now, and the
    counts it states."""

    asked: list[Topic]
    # Self-ratable topics past `asked` that were never rated: they come up later.
    later: int
    quizzable_count: int


def self_rating_queue(
    *, user, course: Course, questions_per_topic: int, shown: int
) -> SelfRatingQueue:
    """The course's topics whose banks hold too few questions for the diagnostic, the least
    evidenced `shown` first (never self-rated, then without any evidence), in two queries
    whatever the number of topics."""
    bank_size = Coalesce(
        Subquery(
            Question.objects.filter(topic=OuterRef("pk"))
            .order_by()
            .values("topic")
            .annotate(count=Count("pk"))
            .values("count")
        ),
        0,
    )
    topics = (
        Topic.objects.for_user(user)
        .filter(course=course)
        .annotate(bank_size=bank_size)
        .annotate(**evidence_selectors.evidence_annotations(user))
    )
    self_ratable = topics.filter(bank_size__lt=questions_per_topic)
    asked = list(
        self_ratable.annotate(
            has_evidence=Case(
                When(evidence_last_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("evidence_self_ratings", "has_evidence", "order_index", "name", "id")[:shown]
    )
    counts = topics.aggregate(
        quizzable=Count("pk", filter=Q(bank_size__gte=questions_per_topic)),
        unrated=Count("pk", filter=Q(bank_size__lt=questions_per_topic, evidence_self_ratings=0)),
    )
    return SelfRatingQueue(
        asked=asked,
        later=counts["unrated"] - sum(1 for topic in asked if not topic.evidence_self_ratings),
        quizzable_count=counts["quizzable"],
    )


# The record's columns a topic's mastery list item shows.
MASTERY_FIGURES = (
    "mastery_score",
    "confidence_interval",
    "trend",
    "next_review_date",
    "review_interval_days",
    "last_practiced_at",
    "practice_count",
    "quiz_count",
)


@dataclass(frozen=True)
class CourseLabel:
    code: str
    name: str


@dataclass(frozen=True)
class MasteryFigures:
    mastery_score: float
    confidence_interval: float
    trend: str
    next_review_date: date | None
    review_interval_days: int
    last_practiced_at: datetime | None
    practice_count: int
    quiz_count: int


@dataclass
class TopicMasteryItem:
    """One topic of the mastery list: `mastery` is None before any evidence."""

    pk: uuid.UUID
    name: str
    course_id: uuid.UUID
    course: CourseLabel
    mastery: MasteryFigures | None

    @property
    def id(self) -> uuid.UUID:
        return self.pk


def topic_mastery_rows(*, user) -> QuerySet:
    """The user's topics in list order as plain rows: each with its course's code and name
    and its record's figures, joined in one query (a record is unique per student and topic,
    so the join adds no rows). Only these columns are read: not the topics' descriptions and
    links nor the engine's memory. `topic_mastery_items` turns a page of rows into items."""
    return (
        Topic.objects.for_user(user)
        .annotate(
            own_mastery=FilteredRelation("mastery_records", condition=Q(mastery_records__user=user))
        )
        .order_by("course__code", "course__name", "order_index", "name")
        .values(
            "id",
            "name",
            "course_id",
            "course__code",
            "course__name",
            "own_mastery__id",
            *(f"own_mastery__{name}" for name in MASTERY_FIGURES),
        )
    )


def topic_mastery_items(rows) -> list[TopicMasteryItem]:
    return [
        TopicMasteryItem(
            pk=row["id"],
            name=row["name"],
            course_id=row["course_id"],
            course=CourseLabel(code=row["course__code"], name=row["course__name"]),
            mastery=None
            if row["own_mastery__id"] is None
            else MasteryFigures(**{name: row[f"own_mastery__{name}"] for name in MASTERY_FIGURES}),
        )
        for row in rows
    ]


def course_mastery_summaries(*, user) -> QuerySet[Course]:
    """Active courses, each with `topic_count` and `mean_mastery` (None before any evidence),
    aggregated by the database in one query."""
    own_records = Q(topics__mastery_records__user=user)
    return (
        Course.objects.for_user(user)
        .active()
        .annotate(
            topic_count=Count("topics", distinct=True),
            mean_mastery=Avg("topics__mastery_records__mastery_score", filter=own_records),
        )
        .order_by("code", "name")
    )


def weakest_topic_ids(*, user, per_course: int, course_ids=None) -> QuerySet:
    """The ids of each active course's `per_course` weakest topics (of `course_ids` only, when
    given): unassessed first, then by mastery from the lowest, ranked by the database."""
    score = (
        MasteryRecord.objects.for_user(user)
        .filter(topic=OuterRef("pk"))
        .values("mastery_score")[:1]
    )
    topics = Topic.objects.for_user(user).filter(course__is_archived=False)
    if course_ids is not None:
        topics = topics.filter(course_id__in=course_ids)
    ranked = topics.annotate(
        score=Subquery(score),
        rank=Window(
            RowNumber(),
            partition_by=[F("course_id")],
            order_by=[F("score").asc(nulls_first=True), F("order_index"), F("name")],
        ),
    ).filter(rank__lte=per_course)
    return ranked.values("pk")


def mastery_of(topic: Topic) -> MasteryRecord | None:
    records = getattr(topic, "user_mastery_records", None)
    if records is None:
        return MasteryRecord.objects.filter(topic=topic, user=topic.course.user_id).first()
    return records[0] if records else None


def mastery_history(*, user, topic: Topic) -> list[MasteryObservation]:
    """Every step of the mastery fold for the topic, oldest first, with its evidence."""
    return list(
        MasteryObservation.objects.for_user(user)
        .filter(topic=topic)
        .select_related("performance_record__assessment")
        .order_by("sequence")
    )


def reviews_due(*, user, on_date: date | None = None) -> QuerySet[MasteryRecord]:
    """Mastery records whose review falls on or before the student's today (overdue included)."""
    on_date = on_date or user_today(user)
    return (
        MasteryRecord.objects.for_user(user)
        .due_for_review(on_date)
        .select_related("topic__course")
        .order_by("next_review_date", "mastery_score", "topic__name")
    )


# --- Practice difficulty -----------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeDifficulty:
    difficulty: str
    mastery_score: float
    trend: str
    curve: str
    days_until_exam: float | None
    exam: Assessment | None


def practice_difficulty(*, user, topic: Topic, now: datetime | None = None) -> PracticeDifficulty:
    """The engine's recommended level from mastery, trend, the student's curve and next exam."""
    now = now or timezone.now()
    record = MasteryRecord.objects.for_user(user).filter(topic=topic).first()
    preferences = UserPreferences.objects.for_user(user).order_by("-created_at").first()
    exam = (
        Assessment.objects.for_user(user)
        .upcoming(now)
        .filter(type__in=EXAM_TYPES, assessment_topics__topic=topic)
        .first()
    )
    mastery_score = record.mastery_score if record else engine.PRIOR_MASTERY
    trend = record.trend if record else engine.Trend.NEW.value
    curve = preferences.difficulty_curve if preferences else engine.DifficultyCurve.BALANCED.value
    days_until_exam = (exam.due_date - now).total_seconds() / SECONDS_PER_DAY if exam else None
    return PracticeDifficulty(
        difficulty=engine.recommend_difficulty(
            mastery_score=mastery_score, trend=trend, curve=curve, days_until_exam=days_until_exam
        ),
        mastery_score=mastery_score,
        trend=trend,
        curve=curve,
        days_until_exam=days_until_exam,
        exam=exam,
    )


# --- Quiz reads --------------------------------------------------------------------------------


def quiz_attempts(*, user) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.for_user(user).select_related("course", "topic")


def current_item(attempt: QuizAttempt) -> AttemptQuestion | None:
    """The question being shown (served, not yet answered), if the attempt is running."""
    return (
        attempt.items.filter(answered_at__isnull=True)
        .select_related("question")
        .order_by("position")
        .first()
    )


def last_answered_item(attempt: QuizAttempt) -> AttemptQuestion | None:
    return (
        attempt.items.filter(answered_at__isnull=False)
        .select_related("question")
        .order_by("-position")
        .first()
    )


def answered_items(attempt: QuizAttempt) -> list[AttemptQuestion]:
    return list(
        attempt.items.filter(answered_at__isnull=False)
        .select_related("question__topic")
        .order_by("position")
    )
