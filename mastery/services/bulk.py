"""The mastery fold for many topics at once: read in bulk, fold in memory, write in bulk.

A full recompute (the backfill command, the admin action, the scaled bench student) used to
fold topic by topic, each with its own reads and writes: about seven queries a topic and as
many history inserts as steps. Here the whole batch costs a fixed number of queries whatever
the number of records (the writes go in batches of WRITE_BATCH rows), and the result is the
same fold: the same engine over the same evidence in the same order, checked by a test
against the per-topic path. The single-record fast path stays in recompute.py for the one
grade that arrives on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.timezones import user_zone
from courses.models import Topic
from mastery import engine
from mastery.card_selectors import student_parameters
from mastery.models import (
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.selectors import record_observation, with_assessment_map
from mastery.services.recompute import (
    TRANSIENT_ERRORS,
    _moved_snapshot,
    _observation_row,
    _shortest_interval,
    _state_columns,
    fold_failure_record,
)
from mastery.services.rollups import course_mastery_days_refresh
from mastery.signals import mastery_changed

# Rows per INSERT/UPDATE/DELETE statement: large enough that 10,000 records take a handful of
# statements, small enough to stay far below PostgreSQL's 65,535 bind parameters a statement.
WRITE_BATCH = 2000
STATE_FIELDS = (
    "mastery_score",
    "confidence_interval",
    "trend",
    "review_interval_days",
    "next_review_date",
    "last_practiced_at",
    "practice_count",
    "quiz_count",
    "memory",
    "observation_count",
)


# The columns `_observation_identity` compares, in its order.
IDENTITY_FIELDS = (
    "sequence",
    "performance_record_id",
    "observed_at",
    "kind",
    "score_percent",
    "question_count",
    "alpha",
    "mastery_before",
    "mastery_after",
    "confidence_after",
    "trend_after",
)


def _step_identity(*, record, sequence, observation, before, after) -> tuple:
    """What `_observation_identity` gives for the row `_observation_row` would build."""
    return (
        sequence,
        record.pk,
        observation.observed_at,
        observation.kind,
        observation.score_percent,
        observation.question_count,
        after.last_alpha,
        None if before is None else before.mastery_score,
        after.mastery_score,
        after.confidence_interval,
        after.trend,
    )


def _first_change(existing: list[tuple], wanted: list[tuple]) -> int:
    return next(
        (
            index
            for index, (old, new) in enumerate(zip(existing, wanted, strict=False))
            if old != new
        ),
        min(len(existing), len(wanted)),
    )


def mastery_recompute_bulk(*, user, topic_ids: Iterable | None = None) -> list[str]:
    """Fold every topic of the user (or those named) in one pass; returns the ids that moved.

    Like the per-topic path it locks the topics for the fold, answers the recompute requests
    committed before it, writes nothing for a topic whose history is unchanged, records and
    skips a topic whose fold fails deterministically, and announces the moved topics on commit.
    """
    with transaction.atomic():
        topics_query = (
            Topic.objects.for_user(user)
            .select_for_update(no_key=True, of=("self",))
            .select_related("course")
            .order_by("pk")
        )
        if topic_ids is not None:
            topics_query = topics_query.filter(pk__in=[str(pk) for pk in topic_ids])
        topics = list(topics_query)
        if not topics:
            return []
        answered = list(
            MasteryRecomputeRequest.objects.filter(user=user, topic__in=topics).values_list(
                "pk", flat=True
            )
        )
        zone = user_zone(user)
        min_interval_days = _shortest_interval(user)
        parameters = student_parameters(user=user)
        course_ids = {topic.course_id for topic in topics}
        # One pass over the records, in fold order, files each under the topics it may inform,
        # so every topic's list is already in fold order.
        candidates: dict = defaultdict(list)
        records = with_assessment_map(
            PerformanceRecord.objects.for_user(user)
            .filter(course_id__in=course_ids)
            .order_by("completed_at", "created_at", "id")
        )
        for record in records:
            if record.topic_breakdown:
                keys = record.topic_breakdown.keys()
            elif record.assessment is not None:
                keys = {str(link.topic_id) for link in record.assessment.assessment_topics.all()}
            else:
                continue
            for key in keys:
                candidates[(record.course_id, str(key))].append(record)
        # The stored history as plain tuples (pk, identity): no model instances to build.
        history: dict = defaultdict(list)
        for pk, topic_id, *identity in (
            MasteryObservation.objects.filter(user=user, topic__in=topics)
            .order_by("topic_id", "sequence")
            .values_list("pk", "topic_id", *IDENTITY_FIELDS)
        ):
            history[topic_id].append((pk, tuple(identity)))
        stored = {
            row.topic_id: row for row in MasteryRecord.objects.filter(user=user, topic__in=topics)
        }

        stale_steps: list = []
        new_steps: list[MasteryObservation] = []
        created: list[MasteryRecord] = []
        updated: list[MasteryRecord] = []
        emptied: list = []
        moved: list[str] = []
        for topic in topics:
            row = stored.get(topic.pk)
            try:
                topic_key = str(topic.pk)
                steps = [
                    (record, observation)
                    for record in candidates[(topic.course_id, topic_key)]
                    if (observation := record_observation(record, topic=topic, zone=zone))
                    is not None
                ]
                states = engine.replay(
                    (observation for _, observation in steps),
                    min_interval_days=min_interval_days,
                    parameters=parameters,
                )
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                fold_failure_record(
                    user=user, topic=topic, exc=exc, task_name="mastery.recompute_bulk"
                )
                continue
            wanted = [
                _step_identity(
                    record=record,
                    sequence=index + 1,
                    observation=observation,
                    before=states[index - 1] if index else None,
                    after=states[index],
                )
                for index, (record, observation) in enumerate(steps)
            ]
            existing = history.get(topic.pk, [])
            first_change = _first_change([identity for _, identity in existing], wanted)
            stale_steps += [pk for pk, _ in existing[first_change:]]
            # Model rows only for the steps that are written.
            new_steps += [
                _observation_row(
                    user=user,
                    topic=topic,
                    record=record,
                    sequence=index + 1,
                    observation=observation,
                    before=states[index - 1] if index else None,
                    after=states[index],
                )
                for index, (record, observation) in enumerate(steps)
                if index >= first_change
            ]
            before = _moved_snapshot(row)
            if not states:
                if row is not None:
                    emptied.append(row.pk)
                after = None
            else:
                columns = _state_columns(states[-1], len(states))
                if row is None:
                    row = MasteryRecord(user=user, topic=topic, **columns)
                    created.append(row)
                elif any(getattr(row, name) != value for name, value in columns.items()):
                    for name, value in columns.items():
                        setattr(row, name, value)
                    updated.append(row)
                after = _moved_snapshot(row)
            if after != before:
                moved.append(topic_key)

        for start in range(0, len(stale_steps), WRITE_BATCH):
            MasteryObservation.objects.filter(
                pk__in=stale_steps[start : start + WRITE_BATCH]
            ).delete()
        MasteryObservation.objects.bulk_create(new_steps, batch_size=WRITE_BATCH)
        if emptied:
            MasteryRecord.objects.filter(pk__in=emptied).delete()
        if created:
            bulk_create_with_history(created, MasteryRecord, batch_size=WRITE_BATCH)
        if updated:
            bulk_update_with_history(updated, MasteryRecord, STATE_FIELDS, batch_size=WRITE_BATCH)
        if answered:
            MasteryRecomputeRequest.objects.filter(pk__in=answered).delete()
        course_mastery_days_refresh(user=user, course_ids=course_ids)
        if moved:
            user_id, moved_ids = str(user.pk), sorted(moved)
            transaction.on_commit(
                lambda: mastery_changed.send(
                    sender=MasteryRecord, user_id=user_id, topic_ids=moved_ids
                )
            )
    return sorted(moved)
