"""The mastery fold for many topics at once: read in bulk, fold in memory, write in bulk.

A full recompute (the backfill command, the admin action, the demo and bench students) folds
every topic in one pass over plain rows: the evidence is read as column tuples (no model
instance per record), the engine folds each topic in memory, and every write is one statement
per table, whatever the number of topics and records (bulk_writes.py says how):

* the new history steps, one INSERT; the stale ones, one DELETE per few thousand topics;
* the state rows (MasteryRecord), one INSERT for the new ones and one UPDATE for the changed
  ones, each followed by one INSERT … SELECT of their simple_history rows.

Date-times are read as ISO text and parsed by `datetime.fromisoformat`: Django's PostgreSQL
loader for timestamptz is psycopg's pure-Python one (a regular expression per value), which
at ten thousand rows costs more than the query. The daily rollup is computed from the folded
history in memory instead of reading it back.

The result is the same fold: the same engine over the same evidence in the same order,
checked by a test against the per-topic path on a randomized history. The single-record
fast path stays in recompute.py for the one grade that arrives on its own.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.timezones import user_zone
from courses.models import Assessment, Topic
from mastery import engine
from mastery.card_selectors import student_parameters
from mastery.models import (
    EVIDENCE_COLUMNS,
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.selectors import record_observation
from mastery.services.bulk_writes import history_copy, insert_rows, update_rows
from mastery.services.recompute import (
    MOVED_FIELDS,
    TRANSIENT_ERRORS,
    _evidence_columns,
    _shortest_interval,
    _state_columns,
    fold_failure_record,
)
from mastery.services.rollups import course_mastery_days_refresh
from mastery.signals import mastery_changed

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
    *EVIDENCE_COLUMNS,
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
# A written step: which topic's it is and its identity (its id, user and date are added).
STEP_COLUMNS = ("topic_id", *IDENTITY_FIELDS)
# The moved columns' places in a state row (STATE_FIELDS order).
MOVED_INDEXES = tuple(STATE_FIELDS.index(name) for name in MOVED_FIELDS)

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


def _moment(text: str | None) -> datetime | None:
    """A date-time read as text: PostgreSQL writes it in the session's zone, UTC, with its
    offset; SQLite stores it in UTC without one."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_text(name: str) -> Cast:
    return Cast(name, output_field=CharField())


class _Evidence:
    """A PerformanceRecord's columns that the fold reads, without a model instance.

    `record_observation` reads these attributes; `question_data` is fetched only for the
    records whose observation needs it (no breakdown, scored through an assessment).
    """

    __slots__ = (*EVIDENCE_FIELDS, "pk", "assessment", "question_data")

    def __init__(self, values: Sequence, assessments: dict) -> None:
        (
            self.id,
            self.course_id,
            self.assessment_id,
            self.source,
            completed_at,
            self.topic_breakdown,
            self.time_spent_min,
            self.score,
            self.percentage,
        ) = values
        self.completed_at = _moment(completed_at)
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
    columns = ["completed_at_text" if name == "completed_at" else name for name in EVIDENCE_FIELDS]
    records = [
        _Evidence(values, assessments)
        for values in evidence.annotate(completed_at_text=_as_text("completed_at"))
        .order_by("completed_at", "created_at", "id")
        .values_list(*columns)
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


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector paused for one fold, and restored as it was.

    A fold of ten thousand records allocates tens of thousands of small objects (rows, states,
    steps) that live until its end; each few hundred allocations trigger a collection, and the
    older generations' passes walk the whole process heap again and again. Reference counting
    still frees them; any cyclic garbage waits for the next collection after the fold. The
    collector changes no result, and in the benchmark it took a fifth (from nothing) to a half
    (nothing changed) of the fold's CPU time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def mastery_recompute_bulk(*, user, topic_ids: Iterable | None = None) -> list[str]:
    """Fold every topic of the user (or those named) in one pass; returns the ids that moved.

    Like the per-topic path it locks the topics for the fold, answers the recompute requests
    committed before it, writes nothing for a topic whose history is unchanged, records and
    skips a topic whose fold fails deterministically, and announces the moved topics on commit.
    """
    with _cyclic_gc_paused():
        return _recompute_bulk(user=user, topic_ids=topic_ids)


def _recompute_bulk(*, user, topic_ids: Iterable | None) -> list[str]:
    with transaction.atomic():
        topics_query = (
            Topic.objects.for_user(user)
            .select_for_update(no_key=True, of=("self",))
            .only("id", "course_id", "estimated_difficulty")
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
        observed_at = IDENTITY_FIELDS.index("observed_at")
        history: dict = defaultdict(list)
        for topic_id, *identity in (
            MasteryObservation.objects.filter(user=user, **scope)
            .annotate(observed_at_text=_as_text("observed_at"))
            .order_by("topic_id", "sequence")
            .values_list(
                "topic_id",
                *(
                    "observed_at_text" if name == "observed_at" else name
                    for name in IDENTITY_FIELDS
                ),
            )
        ):
            identity[observed_at] = _moment(identity[observed_at])
            history[topic_id].append(tuple(identity))
        # The stored state rows as (id, STATE_FIELDS values), by topic.
        stored = {
            topic_id: (pk, tuple(values))
            for pk, topic_id, *values in MasteryRecord.objects.filter(
                user=user, **scope
            ).values_list("pk", "topic_id", *STATE_FIELDS)
        }

        now = timezone.now()
        stale: dict = {}
        new_steps: list[tuple] = []
        # Every topic's history after the fold, for the daily rollup:
        # (course, topic, observed at, sequence, mastery after).
        folded: list[tuple] = []
        created: list[tuple] = []
        updated: list[tuple] = []
        changed: list = []  # the topics of the updated rows
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
            new_steps += [(topic.pk, *identity) for identity in wanted[first_change:]]
            folded += [
                (topic.course_id, topic.pk, identity[2], identity[0], identity[8])
                for identity in wanted
            ]
            before = None if row is None else _moved(row[1])
            if not states:
                if row is not None:
                    emptied.append(row[0])
                after = None
            else:
                columns = _state_columns(states[-1], len(states), _evidence_columns(steps))
                values = tuple(columns[name] for name in STATE_FIELDS)
                if row is None:
                    created.append((topic.pk, *values))
                elif values != row[1]:
                    updated.append((row[0], *values))
                    changed.append(topic.pk)
                after = _moved(values)
            if after != before:
                moved.append(topic_key)

        if stale:
            _delete_steps(user, stale)
        insert_rows(
            MasteryObservation,
            columns=STEP_COLUMNS,
            rows=new_steps,
            constants={"user_id": user.pk, "created_at": now},
        )
        if emptied:
            MasteryRecord.objects.filter(pk__in=emptied).delete()
        # As a save() would: created_at and updated_at now, and a history row each.
        insert_rows(
            MasteryRecord,
            columns=("topic_id", *STATE_FIELDS),
            rows=created,
            constants={"user_id": user.pk, "created_at": now, "updated_at": now},
        )
        history_copy(
            MasteryRecord,
            user=user,
            topic_ids=[row[0] for row in created],
            history_type="+",
            history_date=now,
        )
        update_rows(
            MasteryRecord,
            key="id",
            columns=STATE_FIELDS,
            rows=updated,
            constants={"updated_at": now},
        )
        history_copy(
            MasteryRecord,
            user=user,
            topic_ids=changed,
            history_type="~",
            history_date=now,
        )
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


def _moved(values: tuple) -> tuple:
    """The columns that define "mastery moved", from a state row in STATE_FIELDS order."""
    return tuple(values[index] for index in MOVED_INDEXES)
