import re
import uuid
import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.ranges import range_errors

# ISO 639-1 codes are two lowercase letters; an optional region keeps "en-GB" usable.
LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


@lru_cache(maxsize=1)
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_iana_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA timezone such as Europe/London.",
            code="invalid_timezone",
            params={"value": value},
        )


def validate_language_code(value: str) -> None:
    if not LANGUAGE_CODE_RE.match(value or ""):
        raise ValidationError(
            "Use an ISO 639-1 language code such as en or fr.", code="invalid_language"
        )


def field_bounds(model, field_name: str) -> tuple[float | None, float | None]:
    """The (min, max) a model field's validators allow, so forms and serializers render and
    check the same limits the model enforces without restating them."""
    lowest = highest = None
    for validator in model._meta.get_field(field_name).validators:
        if isinstance(validator, MinValueValidator):
            lowest = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            highest = validator.limit_value
    return lowest, highest


# A study mode is a short slug such as "reading" or "problem_sets"; the courses app owns the list.
STUDY_MODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def validate_study_mode_preferences(value: object) -> None:
    """The seed's shape: {"<course uuid>": ["reading", "problem_sets", ...], ...}."""
    if not isinstance(value, dict):
        raise ValidationError("Study modes must map course ids to lists of modes.")
    problems: list[str] = []
    for course_id, modes in value.items():
        try:
            uuid.UUID(str(course_id))
        except ValueError:
            problems.append(f"{course_id!r} is not a course id.")
            continue
        if not isinstance(modes, list) or not all(
            isinstance(mode, str) and STUDY_MODE_RE.match(mode) for mode in modes
        ):
            problems.append(f"Modes of course {course_id} must be a list of names like reading.")
        elif len(set(modes)) != len(modes):
            problems.append(f"Modes of course {course_id} must not repeat.")
    if problems:
        raise ValidationError(problems)


STUDY_DAY_MESSAGE = "The latest end must be after the earliest start."


def study_day_errors(earliest_start, latest_end) -> dict[str, list[str]]:
    """`{"latest_end_time": [...]}` unless the study day ends after it starts."""
    return range_errors(
        earliest_start, latest_end, field="latest_end_time", order_message=STUDY_DAY_MESSAGE
    )
