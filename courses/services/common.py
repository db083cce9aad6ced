"""Helpers every courses service shares: field validation, the course lock, events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import ApplicationError
from courses.models import Assessment, Course
from courses.signals import assessment_changed


def _validate_fields(instance, *, exclude: Iterable[str] = ()) -> None:
    """Field-level model validation (ranges, choices, lengths) as one ApplicationError.

    Constraints that need the database are checked by the services themselves, with messages
    that say which row is in the way.
    """
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise ApplicationError("Invalid input.", field_errors=exc.message_dict) from exc


def _unknown_fields(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(unknown)}.")


def _send_assessment_changed(*, user_id, assessment_ids: Iterable) -> None:
    """Tell the layers above, after commit, which assessments changed (ids as strings: the
    receivers hand them to Celery, which serializes JSON)."""
    ids = sorted({str(assessment_id) for assessment_id in assessment_ids})
    if not ids:
        return
    user_id = str(user_id)
    transaction.on_commit(
        lambda: assessment_changed.send(sender=Assessment, user_id=user_id, assessment_ids=ids)
    )


def _lock_course(course: Course) -> Course:
    """Row lock on the course: serializes weight checks and prerequisite-graph edits."""
    return Course.objects.select_for_update().get(pk=course.pk)


def _normalize_topic_ids(raw_ids: Iterable, *, field: str) -> list[str]:
    normalized: list[str] = []
    for raw in raw_ids or []:
        try:
            topic_id = str(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise ApplicationError(
                f"{raw!s} is not a topic id.", field_errors={field: [f"{raw!s} is not a topic id."]}
            ) from exc
        if topic_id not in normalized:
            normalized.append(topic_id)
    return normalized
