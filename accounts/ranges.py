"""The one check that a range (of dates, times or datetimes) runs forward and is not too long.

Courses, the study day, and the API's planning and schedule windows all ask it. Each caller
keeps its own field name and wording, because students and API clients already see them. The
result is a dict of field errors, which a model's `ValidationError`, a form's `add_error(None,
...)` and a serializer's `ValidationError` all take as it is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def range_errors(
    start: Any,
    end: Any,
    *,
    field: str,
    order_message: str,
    may_end_at_start: bool = False,
    longest: timedelta | None = None,
    length_message: str = "",
) -> dict[str, list[str]]:
    """`{field: [message]}` for the first rule the range breaks, else `{}`.

    A missing bound is not an error here: the required-field checks report it.
    """
    if start is None or end is None:
        return {}
    if end < start or (end == start and not may_end_at_start):
        return {field: [order_message]}
    if longest is not None and end - start > longest:
        return {field: [length_message]}
    return {}
