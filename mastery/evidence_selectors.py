"""How much evidence each mastery number rests on, for the mastery pages and the API.

A number is only as good as what went into it: "3 answers, last 12 days ago" tells a student
whether to trust a 90. The fold counts its own steps into the MasteryRecord beside the state
they produced (mastery/services/recompute.py), so the counts describe exactly the evidence
behind the stored number, and a page reads them with the number instead of aggregating the
history: N topics cost the same queries as one, however long their history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    DateTimeField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.timezones import user_zone
from mastery.models import EVIDENCE_COLUMNS, MasteryRecord

# Below this many answers an estimate is a rough one (the diagnostic asks this many per topic).
FEW_ANSWERS = 3


def _record_column(user, name: str, output_field) -> Subquery:
    return Subquery(
        MasteryRecord.objects.filter(user=user, topic_id=OuterRef("pk")).values(name)[:1],
        output_field=output_field,
    )


def evidence_annotations(user) -> dict:
    """A topic's evidence counts and the moment of its latest evidence, as annotations."""
    return {
        "evidence_answers": Coalesce(
            _record_column(user, "evidence_answers", IntegerField()), Value(0)
        ),
        "evidence_grades": Coalesce(
            _record_column(user, "evidence_grades", IntegerField()), Value(0)
        ),
        "evidence_self_ratings": Coalesce(
            _record_column(user, "evidence_self_ratings", IntegerField()), Value(0)
        ),
        "evidence_last_at": _record_column(user, "evidence_last_at", DateTimeField()),
    }


def with_evidence(topics: QuerySet, *, user) -> QuerySet:
    """Annotate each topic with its evidence counts and the moment of its latest evidence."""
    return topics.annotate(**evidence_annotations(user))


def attach_evidence(topics, *, user) -> list:
    """The same counts as `with_evidence`, set on already-read topics by one query."""
    topics = list(topics)
    rows = MasteryRecord.objects.filter(user=user, topic__in=[topic.pk for topic in topics]).values(
        "topic_id", *EVIDENCE_COLUMNS
    )
    by_topic = {row["topic_id"]: row for row in rows}
    for topic in topics:
        row = by_topic.get(topic.pk, {})
        topic.evidence_answers = row.get("evidence_answers") or 0
        topic.evidence_grades = row.get("evidence_grades") or 0
        topic.evidence_self_ratings = row.get("evidence_self_ratings") or 0
        topic.evidence_last_at = row.get("evidence_last_at")
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
