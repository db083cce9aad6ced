"""How much evidence each mastery number rests on, for the mastery pages and the API.

A number is only as good as what went into it: "3 answers, last 12 days ago" tells a student
whether to trust a 90. The counts come from the fold's own steps (MasteryObservation), so they
describe exactly the evidence behind the stored number. They are read as subqueries annotated
on the topics query: N topics cost the same queries as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.timezones import user_zone
from mastery.models import EvidenceSource, MasteryObservation, PerformanceRecord

# Below this many answers an estimate is a rough one (the diagnostic asks this many per topic).
FEW_ANSWERS = 3


def _is_self_rating(user) -> Q:
    """An observation whose evidence is a self-rating. Matched against the student's few
    self-rating records (a partial index holds them) rather than by joining every
    observation to its record: the join hashes all of the student's records, ten times the
    cost of the counts themselves at ten thousand records. An observation's record is always
    its own student's."""
    self_ratings = PerformanceRecord.objects.filter(
        user=user, source=EvidenceSource.SELF_RATING
    ).values("id")
    return Q(performance_record_id__in=self_ratings)


def _per_topic(user, aggregate, *, only: Q | None = None, output_field=None) -> Subquery:
    observations = MasteryObservation.objects.filter(user=user, topic_id=OuterRef("pk"))
    if only is not None:
        observations = observations.filter(only)
    return Subquery(
        observations.order_by().values("topic_id").annotate(value=aggregate).values("value")[:1],
        output_field=output_field or IntegerField(),
    )


def with_evidence(topics: QuerySet, *, user) -> QuerySet:
    """Annotate each topic with its evidence counts and the moment of its latest evidence."""
    self_rating = _is_self_rating(user)
    return topics.annotate(
        evidence_answers=Coalesce(
            _per_topic(user, Sum("question_count"), only=~self_rating), Value(0)
        ),
        # A grade imported without item counts folds as question_count 0: count it as a grade.
        evidence_grades=Coalesce(
            _per_topic(user, Count("id"), only=~self_rating & Q(question_count=0)), Value(0)
        ),
        evidence_self_ratings=Coalesce(_per_topic(user, Count("id"), only=self_rating), Value(0)),
        evidence_last_at=_per_topic(user, Max("observed_at"), output_field=DateTimeField()),
    )


def attach_evidence(topics, *, user) -> list:
    """The same counts as `with_evidence`, set on already-read topics by one grouped query:
    each observation is read once, where the annotation's four subqueries read it four times."""
    topics = list(topics)
    self_rating = _is_self_rating(user)
    rows = (
        MasteryObservation.objects.filter(user=user, topic__in=[topic.pk for topic in topics])
        .order_by()
        .values("topic_id")
        .annotate(
            answers=Sum("question_count", filter=~self_rating),
            grades=Count("id", filter=~self_rating & Q(question_count=0)),
            self_ratings=Count("id", filter=self_rating),
            last_at=Max("observed_at"),
        )
    )
    by_topic = {row["topic_id"]: row for row in rows}
    for topic in topics:
        row = by_topic.get(topic.pk, {})
        topic.evidence_answers = row.get("answers") or 0
        topic.evidence_grades = row.get("grades") or 0
        topic.evidence_self_ratings = row.get("self_ratings") or 0
        topic.evidence_last_at = row.get("last_at")
    return topics


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class EvidenceSummary:
    answer_count: int
    grade_count: int
    self_rating_count: int
    last_at: datetime | None
    days_ago: int | None

    @property
    def has_evidence(self) -> bool:
        return self.last_at is not None

    @property
    def is_thin(self) -> bool:
        """Fewer answers than a topic's diagnostic asks, and no grade to back them."""
        return self.has_evidence and self.answer_count < FEW_ANSWERS and not self.grade_count

    @property
    def when_text(self) -> str:
        if self.days_ago is None:
            return ""
        if self.days_ago <= 0:
            return "today"
        if self.days_ago == 1:
            return "yesterday"
        return f"{self.days_ago} days ago"

    @property
    def text(self) -> str:
        if not self.has_evidence:
            return "No evidence yet"
        parts = []
        if self.answer_count:
            parts.append(_plural(self.answer_count, "answer"))
        if self.grade_count:
            parts.append(_plural(self.grade_count, "grade"))
        if self.self_rating_count:
            parts.append(_plural(self.self_rating_count, "self-rating"))
        return ", ".join([*parts, f"last {self.when_text}"])


def evidence_summary(topic, *, today: date, zone) -> EvidenceSummary:
    """The summary of a topic annotated by `with_evidence`, dated in the student's zone."""
    last_at = getattr(topic, "evidence_last_at", None)
    days_ago = (today - timezone.localdate(last_at, zone)).days if last_at else None
    return EvidenceSummary(
        answer_count=getattr(topic, "evidence_answers", 0) or 0,
        grade_count=getattr(topic, "evidence_grades", 0) or 0,
        self_rating_count=getattr(topic, "evidence_self_ratings", 0) or 0,
        last_at=last_at,
        days_ago=days_ago,
    )


def student_today(user) -> tuple[date, object]:
    zone = user_zone(user)
    return timezone.localdate(timezone.now(), zone), zone
