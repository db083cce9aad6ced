"""The mastery fold for many topics at once: read in bulk, fold in memory, write in bulk.

A full recompute (the backfill command, the admin action, the demo and bench students) folds
every topic in one pass over plain rows: the evidence is read as column tuples (no model
instance per record), the engine folds each topic in memory, and the history is written by
one statement per table, not one per row or per batch of rows:

* PostgreSQL: the new history steps are one ``INSERT … SELECT FROM unnest(array, …)``, one
  array parameter per column, and the stale steps one ``DELETE`` per few thousand changed
  topics; the queries are a constant number plus O(topics / 3000), whatever the records.
* SQLite: the steps go through one prepared ``INSERT`` run once per row in-process
  (``executemany``, which Django counts as one query). SQLite has no round trip to save and
  its bound-parameter limit would otherwise split the rows into statements that grow with
  them; the row count then shows in the time, not in the count of statements.

The per-topic state rows (MasteryRecord, with their simple_history rows) are one per topic
and go through Django's bulk helpers in batches, so they cost O(topics) statements on SQLite
(its limit of 999 parameters) and a constant few on PostgreSQL. The daily rollup is computed
from the folded history in memory instead of reading it back.

The result is the same fold: the same engine over the same evidence in the same order,
checked by a test against the per-topic path on a randomized history. The single-record
fast path stays in recompute.py for the one grade that arrives on its own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.timezones import user_zone
from courses.models import Assessment, Topic
from mastery import engine
from mastery.card_selectors import student_parameters
from mastery.models import (
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.selectors import record_observation
from mastery.services.recompute import (
    TRANSIENT_ERRORS,
    _moved_snapshot,
    _shortest_interval,
    _state_columns,
    fold_failure_record,
)
from mastery.services.rollups import course_mastery_days_refresh
from mastery.signals import mastery_changed

# Rows per statement for the per-topic state rows (Django caps it further by the backend's
# parameter limit): a topic is one row, so these statements are O(topics).
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

# The columns of a history step the fold decides, in `_observation_identity`'s order; a
# stored step equal to the wanted one on all of them is kept as it is.
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
# A written step: its own id, whose and which topic's it is, the identity, and when.
STEP_COLUMNS = ("id", "user_id", "topic_id", *IDENTITY_FIELDS, "created_at")

# What `record_observation` and the fold order read of a PerformanceRecord.
EVIDENCE_FIELDS = (
    "id",
    "course_id",
    "assessment_id",
    "source",
    "completed_at",
    "topic_breakdown",
    "time_spent_min",
    "score",
    "percentage",
)


class _Evidence:
    """A PerformanceRecord's columns that the fold reads, without a model instance.

    `record_observation` reads these attributes; `question_data` is fetched only for the
    records whose observation needs it (no breakdown, scored through an assessment).
    """

    __slots__ = (*EVIDENCE_FIELDS, "pk", "assessment", "question_data")

    def __init__(self, values: Sequence, assessments: dict) -> None:
        for name, value in zip(EVIDENCE_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.pk = self.id
        self.assessment = assessments.get(self.assessment_id)
        self.question_data = []


def _read_evidence(user, course_ids: set) -> list[_Evidence]:
    """The user's records in these courses, in fold order, in a constant number of queries."""
    assessments = {
        assessment.pk: assessment
        for assessment in Assessment.objects.filter(course__user=user, course_id__in=course_ids)
        .only("id", "type")
        .prefetch_related("assessment_topics")
    }
    evidence = PerformanceRecord.objects.for_user(user).filter(course_id__in=course_ids)
    records = [
        _Evidence(values, assessments)
        for values in evidence.order_by("completed_at", "created_at", "id").values_list(
            *EVIDENCE_FIELDS
        )
    ]
    if any(not record.topic_breakdown and record.assessment for record in records):
        by_id = {record.pk: record for record in records}
        for pk, question_data in (
            evidence.filter(Q(topic_breakdown={}) | Q(topic_breakdown__isnull=True))
            .exclude(assessment=None)
            .values_list("id", "question_data")
        ):
            by_id[pk].question_data = question_data
    return records


def _first_change(existing: list[tuple], wanted: list[tuple]) -> int:
    return next(
        (
            index
            for index, (old, new) in enumerate(zip(existing, wanted, strict=False))
            if old != new
        ),
        min(len(existing), len(wanted)),
    )


def _column_adapter(field):
    """A plain value as the driver takes it for this column (None: as it is).

    The same conversions Django's bulk_create makes, for the column types a history step
    has, without building a model instance per row."""
    if connection.vendor != "sqlite":
        return None  # psycopg takes UUIDs, aware datetimes, numbers and strings as they are
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind == "UUIDField":
        return lambda value: None if value is None else value.hex
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    return None


def _insert_steps(rows: list[tuple], *, constants: dict) -> None:
    """Insert history steps with one statement: `rows` are tuples in STEP_COLUMNS order, less
    the `constants` ({column: value}), which are the same for every row and adapted once."""
    if not rows:
        return
    meta = MasteryObservation._meta
    fixed = [meta.get_field(name.removesuffix("_id")) for name in constants]
    varying = [
        meta.get_field(name.removesuffix("_id")) for name in STEP_COLUMNS if name not in constants
    ]
    fixed_values = [
        value if (adapt := _column_adapter(field)) is None else adapt(value)
        for field, value in zip(fixed, constants.values(), strict=True)
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, field in enumerate(varying):
        if (adapt := _column_adapter(field)) is not None:
            columns[index] = [adapt(value) for value in columns[index]]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in (*fixed, *varying))
    table = quote(meta.db_table)
    # Table and column names come from the model and are quoted; every value is a parameter.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            scalars = ", ".join(f"%s::{field.db_type(connection)}" for field in fixed)
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in varying)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {scalars}, * FROM unnest({arrays})",  # noqa: S608
                [*fixed_values, *columns],
            )
        else:
            marks = ", ".join(["%s"] * (len(fixed) + len(varying)))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                [(*fixed_values, *row) for row in zip(*columns, strict=True)],
            )


def _delete_steps(user, stale: dict) -> None:
    """Delete each topic's steps from its first changed sequence on ({topic id: sequence})."""
    # Two parameters a topic plus the user's; a batch stays under the backend's limit
    # (PostgreSQL's is 65,535 bound parameters a statement).
    limit = connection.features.max_query_params or 65_535
    per_statement = max(1, (limit - 1) // 2)
    items = list(stale.items())
    for start in range(0, len(items), per_statement):
        conditions = reduce(
            or_,
            (
                Q(topic_id=topic_id, sequence__gte=sequence)
                for topic_id, sequence in items[start : start + per_statement]
            ),
        )
        MasteryObservation.objects.filter(conditions, user=user).delete()


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
        # Every topic of the user: filter by the user alone, not by a list of thousands of ids.
        scope = {} if topic_ids is None else {"topic__in": topics}
        answered = list(
            MasteryRecomputeRequest.objects.filter(user=user, **scope).values_list("pk", flat=True)
        )
        zone = user_zone(user)
        min_interval_days = _shortest_interval(user)
        parameters = student_parameters(user=user)
        course_ids = {topic.course_id for topic in topics}
        # One pass over the records, in fold order, files each under the topics it may inform,
        # so every topic's list is already in fold order.
        candidates: dict = defaultdict(list)
        for record in _read_evidence(user, course_ids):
            if record.topic_breakdown:
                keys = record.topic_breakdown.keys()
            elif record.assessment is not None:
                keys = {str(link.topic_id) for link in record.assessment.assessment_topics.all()}
            else:
                continue
            for key in keys:
                candidates[(record.course_id, str(key))].append(record)
        # The stored history as plain tuples, in sequence order: no model instances to build.
        history: dict = defaultdict(list)
        for topic_id, *identity in (
            MasteryObservation.objects.filter(user=user, **scope)
            .order_by("topic_id", "sequence")
            .values_list("topic_id", *IDENTITY_FIELDS)
        ):
            history[topic_id].append(tuple(identity))
        stored = {row.topic_id: row for row in MasteryRecord.objects.filter(user=user, **scope)}

        now = timezone.now()
        stale: dict = {}
        new_steps: list[tuple] = []
        # Every topic's history after the fold, for the daily rollup:
        # (course, topic, observed at, sequence, mastery after).
        folded: list[tuple] = []
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
                # The history stays as it was, so the rollup keeps counting it.
                folded += [
                    (topic.course_id, topic.pk, identity[2], identity[0], identity[8])
                    for identity in history.get(topic.pk, [])
                ]
                continue
            wanted = [
                (
                    index + 1,
                    record.pk,
                    observation.observed_at,
                    observation.kind,
                    observation.score_percent,
                    observation.question_count,
                    after.last_alpha,
                    states[index - 1].mastery_score if index else None,
                    after.mastery_score,
                    after.confidence_interval,
                    after.trend,
                )
                for index, ((record, observation), after) in enumerate(
                    zip(steps, states, strict=True)
                )
            ]
            existing = history.get(topic.pk, [])
            first_change = _first_change(existing, wanted)
            if first_change < len(existing):
                stale[topic.pk] = first_change + 1
            new_steps += [(uuid.uuid4(), topic.pk, *identity) for identity in wanted[first_change:]]
            folded += [
                (topic.course_id, topic.pk, identity[2], identity[0], identity[8])
                for identity in wanted
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

        if stale:
            _delete_steps(user, stale)
        _insert_steps(new_steps, constants={"user_id": user.pk, "created_at": now})
        if emptied:
            MasteryRecord.objects.filter(pk__in=emptied).delete()
        if created:
            bulk_create_with_history(created, MasteryRecord, batch_size=WRITE_BATCH)
        if updated:
            bulk_update_with_history(updated, MasteryRecord, STATE_FIELDS, batch_size=WRITE_BATCH)
        if answered:
            MasteryRecomputeRequest.objects.filter(pk__in=answered).delete()
        # The folded history is the whole history of these courses only when every topic of
        # theirs was folded; otherwise the rollup reads the stored history.
        whole = topic_ids is None
        course_mastery_days_refresh(
            user=user, course_ids=course_ids, steps=folded if whole else None
        )
        if moved:
            user_id, moved_ids = str(user.pk), sorted(moved)
            transaction.on_commit(
                lambda: mastery_changed.send(
                    sender=MasteryRecord, user_id=user_id, topic_ids=moved_ids
                )
            )
    return sorted(moved)
