"""Checks of incoming evidence, shared by performance records and the grade import.

Each returns field errors rather than raising, so one request reports every problem at once.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import hygiene
from courses.models import Assessment, Course, Difficulty, Topic

# Devices disagree about the time by a little; a record "completed" a few minutes ahead of the
# server clock is clock skew, not a future grade.
MAX_CLOCK_SKEW = timedelta(minutes=5)

# A quiz with more items than this is a data error, and the JSON is stored on every record.
MAX_QUESTION_DATA_ITEMS = 1000

DEFAULT_MAX_SCORE = 100.0

QUESTION_DIFFICULTIES = frozenset(Difficulty.values)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _canonical_uuid(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw)))
    except (TypeError, ValueError, AttributeError):
        return None


def _breakdown_errors(
    breakdown: Any, *, course: Course
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Messages, and the breakdown keyed by canonical topic id when it is valid."""
    if not isinstance(breakdown, Mapping):
        return ["Must be an object keyed by topic id."], {}
    errors: list[str] = []
    normalized: dict[str, dict[str, Any]] = {}
    for raw_key, entry in breakdown.items():
        key = _canonical_uuid(raw_key)
        if key is None:
            errors.append(f"{raw_key}: not a topic id.")
            continue
        if key in normalized:
            errors.append(f"{raw_key}: the topic is listed twice.")
            continue
        if not isinstance(entry, Mapping):
            errors.append(f"{raw_key}: must be an object with correct, total and time_min.")
            continue
        correct, total = entry.get("correct"), entry.get("total")
        time_min = entry.get("time_min", 0)
        if not _is_whole(total) or total < 1:
            errors.append(f"{raw_key}: total must be a whole number of at least 1.")
        elif not _is_whole(correct) or not 0 <= correct <= total:
            errors.append(f"{raw_key}: correct must be a whole number from 0 to total.")
        if not _is_number(time_min) or time_min < 0:
            errors.append(f"{raw_key}: time_min must be a number of at least 0.")
        normalized[key] = {**entry, "correct": correct, "total": total}
    if normalized:
        # Unordered: the model's ordering (by course) would join the course table for nothing.
        known = {
            str(pk)
            for pk in Topic.objects.filter(course=course, pk__in=list(normalized))
            .order_by()
            .values_list("pk", flat=True)
        }
        errors.extend(
            f"{key}: not a topic of this course." for key in normalized if key not in known
        )
    return errors, normalized


def _question_data_errors(question_data: Any) -> list[str]:
    if not isinstance(question_data, list):
        return ["Must be a list of questions."]
    if len(question_data) > MAX_QUESTION_DATA_ITEMS:
        return [f"At most {MAX_QUESTION_DATA_ITEMS} questions."]
    errors = []
    for index, item in enumerate(question_data):
        if not isinstance(item, Mapping):
            errors.append(f"[{index}]: must be an object.")
            continue
        question_id = item.get("question_id")
        has_question_id = isinstance(question_id, int | str) and not isinstance(question_id, bool)
        if not has_question_id or not str(question_id).strip():
            errors.append(f"[{index}]: question_id is required (a string).")
        if not isinstance(item.get("correct"), bool):
            errors.append(f"[{index}]: correct must be true or false.")
        time_sec = item.get("time_sec")
        if not _is_number(time_sec) or time_sec < 0:
            errors.append(f"[{index}]: time_sec must be a number of at least 0.")
        if item.get("difficulty") not in QUESTION_DIFFICULTIES:
            allowed = ", ".join(sorted(QUESTION_DIFFICULTIES))
            errors.append(f"[{index}]: difficulty must be one of {allowed}.")
    return errors


def _score_errors(*, score: Any, max_score: Any) -> dict[str, list[str]]:
    if not _is_number(max_score) or max_score <= 0:
        return {"max_score": ["The maximum score must be a number above 0."]}
    if not _is_number(score) or not 0 <= score <= max_score:
        return {"score": [f"The score must be between 0 and the maximum score ({max_score:g})."]}
    return {}


def _completed_at_errors(completed_at: Any, *, now: datetime) -> dict[str, list[str]]:
    if not isinstance(completed_at, datetime) or timezone.is_naive(completed_at):
        return {"completed_at": ["A date and time with a time zone is required."]}
    if completed_at > now + MAX_CLOCK_SKEW:
        return {"completed_at": ["The completion time cannot be in the future."]}
    if not hygiene.is_date_in_range(completed_at):
        # The fold orders records in the learner's local time; year 1 has no such time.
        return {"completed_at": [hygiene.DATE_REFUSED]}
    return {}


def _performance_errors(
    *,
    user,
    course: Course,
    assessment: Assessment | None,
    score: Any,
    max_score: Any,
    time_spent_min: Any,
    completed_at: Any,
    topic_breakdown: Any,
    question_data: Any,
    now: datetime,
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    errors: dict[str, list[str]] = {}
    if course.user_id != user.pk:
        errors["course"] = ["Not one of your courses."]
        return errors, {}
    if assessment is not None and assessment.course_id != course.pk:
        errors["assessment"] = ["The assessment must belong to the course."]
    errors.update(_score_errors(score=score, max_score=max_score))
    if not _is_whole(time_spent_min) or time_spent_min <= 0:
        errors["time_spent_min"] = ["Time spent must be a whole number of minutes above 0."]
    errors.update(_completed_at_errors(completed_at, now=now))
    breakdown_errors, breakdown = _breakdown_errors(topic_breakdown, course=course)
    if breakdown_errors:
        errors["topic_breakdown"] = breakdown_errors
    question_errors = _question_data_errors(question_data)
    if question_errors:
        errors["question_data"] = question_errors
    return errors, breakdown


def _lock_user(user) -> None:
    """Serializes attempt numbering per user. NO KEY UPDATE still lets other transactions
    insert rows that reference the user (their foreign-key checks take KEY SHARE)."""
    # Only the key: the lock is the point, and the row's columns are never read.
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user.pk)
        .values_list("pk", flat=True)
    )
