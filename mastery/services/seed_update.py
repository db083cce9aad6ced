"""Module 2's `POST /api/mastery/{user_id}/update`: one quiz result for one topic, answered with
the mastery before and after it.

Mastery here is never set directly: it is a fold over evidence (see mastery.services). So the
update is recorded as evidence, a practice-quiz performance record for the topic, and the topic
is recomputed at once (announcing the move, so the plan follows) and the answer carries the
new value; the usual recompute after commit then finds nothing to change (it is idempotent).

How the request maps onto the record:
- `quiz_score` (0-100) is the record's score out of 100.
- `question_count` questions, of which round(quiz_score% of them) were right, become the topic's
  breakdown and one `question_data` item each, carrying `difficulty_level`. The fold reads the
  breakdown, so the evidence is the nearest whole number of correct answers: 75 on 3 questions
  counts as 2 of 3. That is what a quiz of 3 questions can have measured.
- `time_spent_min` is minutes, split evenly over the questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from courses.models import Topic
from mastery.models import EvidenceSource, MasteryRecord
from mastery.services.performance import performance_record_create
from mastery.services.recompute import mastery_recompute_topics

QUIZ_SCORE_MAX = 100.0


@dataclass(frozen=True)
class SeedMasteryUpdate:
    topic_id: str
    old_mastery: float | None
    new_mastery: float | None
    confidence_interval: float | None
    trend: str | None
    next_review_date: date | None
    performance_record_id: str


def mastery_update_from_quiz(
    *,
    user,
    topic: Topic,
    quiz_score: float,
    question_count: int,
    time_spent_min: int,
    difficulty_level: str,
    completed_at: datetime | None = None,
) -> SeedMasteryUpdate:
    before = MasteryRecord.objects.filter(user=user, topic=topic).first()
    correct = round(quiz_score / QUIZ_SCORE_MAX * question_count)
    seconds_each = time_spent_min * 60 / question_count
    record = performance_record_create(
        user=user,
        course=topic.course,
        score=quiz_score,
        max_score=QUIZ_SCORE_MAX,
        time_spent_min=time_spent_min,
        completed_at=completed_at,
        topic_breakdown={
            str(topic.pk): {"correct": correct, "total": question_count, "time_min": time_spent_min}
        },
        question_data=[
            {
                "question_id": f"q{position + 1}",
                "correct": position < correct,
                "time_sec": seconds_each,
                "difficulty": difficulty_level,
            }
            for position in range(question_count)
        ],
        source=EvidenceSource.API,
    )
    # The recompute that announces the move (so the plan follows), run now for the answer.
    mastery_recompute_topics(user=user, topic_ids=[topic.pk], new_record_id=record.pk)
    after = MasteryRecord.objects.filter(user=user, topic=topic).first()
    return SeedMasteryUpdate(
        topic_id=str(topic.pk),
        old_mastery=before.mastery_score if before is not None else None,
        new_mastery=after.mastery_score if after is not None else None,
        confidence_interval=after.confidence_interval if after is not None else None,
        trend=after.trend if after is not None else None,
        next_review_date=after.next_review_date if after is not None else None,
        performance_record_id=str(record.pk),
    )
