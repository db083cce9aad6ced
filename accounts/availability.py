"""Validation of the weekly availability JSON (the seed's format)."""

import itertools
from datetime import time

from django.core.exceptions import ValidationError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_hhmm(value: object) -> time:
    if not isinstance(value, str):
        raise ValueError("must be a time such as 18:00")
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time such as 18:00") from None


def availability_errors(
    availability: object, *, earliest: time | None = None, latest: time | None = None
) -> dict[str, list[str]]:
    """Every problem with the availability, keyed by weekday ("__all__" for the shape)."""
    if not isinstance(availability, dict):
        return {"__all__": ["Availability must map weekdays to lists of time ranges."]}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(availability) - set(WEEKDAYS))
    if unknown:
        errors["__all__"] = [f"Unknown weekday: {', '.join(unknown)}."]
    for day in WEEKDAYS:
        ranges = availability.get(day, [])
        day_errors: list[str] = []
        if not isinstance(ranges, list):
            errors[day] = ["Must be a list of time ranges."]
            continue
        parsed: list[tuple[time, time]] = []
        for position, item in enumerate(ranges, start=1):
            if not isinstance(item, dict) or set(item) != {"start", "end"}:
                day_errors.append(f"Range {position} must have exactly a start and an end.")
                continue
            try:
                start, end = parse_hhmm(item["start"]), parse_hhmm(item["end"])
            except ValueError as exc:
                day_errors.append(f"Range {position}: {exc}.")
                continue
            if start >= end:
                day_errors.append(f"Range {position}: the start must be before the end.")
                continue
            if earliest and start < earliest:
                day_errors.append(
                    f"Range {position} starts before your earliest start time {earliest:%H:%M}."
                )
            if latest and end > latest:
                day_errors.append(
                    f"Range {position} ends after your latest end time {latest:%H:%M}."
                )
            parsed.append((start, end))
        parsed.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(parsed):
            if second_start < first_end:
                day_errors.append("Time ranges on the same day must not overlap.")
                break
        if day_errors:
            errors[day] = day_errors
    return errors


def validate_weekly_availability(
    availability: object, *, earliest: time | None = None, latest: time | None = None
) -> None:
    errors = availability_errors(availability, earliest=earliest, latest=latest)
    if errors:
        messages = [
            f"{day}: {msg}" if day != "__all__" else msg
            for day, msgs in errors.items()
            for msg in msgs
        ]
        raise ValidationError({"weekly_availability": messages})
