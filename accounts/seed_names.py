"""The specification's names for our fields, and the refusal of fields nobody knows.

Seed 000 and its Modules 2-3 (docs/seed-api.md lists every request shape) name some fields
differently from this API: `difficulty` for a topic's `estimated_difficulty`, `weight` for an
assessment's `weight_percent`, `assessment_id` and `time_spent` for a performance record's
`assessment` and `time_spent_min`, and a `user_id` in bodies and paths. A client written against
either set of names works:

- A seed name is moved onto our name before validation, so every rule, bound and error message
  is the one our name already has. Both spellings with the same value are fine; with different
  values the request is a 400 naming the seed's spelling, since guessing which one was meant
  would write something the caller did not ask for.
- The seed's units are ours: `weight` is a percent of the course grade (seed 000: "Sum of all
  assessment weights per course must equal 100%"), not a fraction, and `time_spent` is minutes
  (seed 000: "Time spent: > 0 minutes"; the column is `time_spent_min`). So no conversion.
- A `user_id` may only be the caller's own: anything else is a 404, as another student's object
  is, so the answer never tells whether that user exists.
- A field the serializer does not declare is a 400 naming it. Before this, a misspelt or
  foreign field name (the seed's `difficulty` was one) answered 201 and was silently dropped.

accounts is the lowest layer, so every app's serializers may use this.
"""

from __future__ import annotations

import copy
from typing import Any

from django.http import QueryDict
from rest_framework import exceptions, serializers

UNKNOWN_FIELD = "Unknown field: this endpoint does not accept it."
USER_ID_HELP = "Seed 000's owner id: optional, and if given it must be your own id (else 404)."


def alias_help(canonical: str) -> str:
    return f"The specification's name for `{canonical}`; send either (same value if both)."


def conflict_message(alias: str, canonical: str) -> str:
    return f"`{alias}` and `{canonical}` are the same field; they were given different values."


def _alias_field(field: serializers.Field, canonical: str) -> serializers.Field:
    """A documented, optional copy of `field` under the seed's name (it is never bound to data:
    normalise_input moves its value onto the canonical name first)."""
    # Deep copies, as DRF's own Field.__deepcopy__ does: a child field is bound to its parent.
    args = copy.deepcopy(getattr(field, "_args", ()))
    kwargs = copy.deepcopy(dict(getattr(field, "_kwargs", {})))
    for key in ("default", "source", "read_only"):
        kwargs.pop(key, None)
    kwargs.update(required=False, write_only=True, help_text=alias_help(canonical))
    return type(field)(*args, **kwargs)


def add_seed_fields(serializer, fields: dict) -> dict:
    """Declares the seed's aliases (and `user_id`) so the schema documents both names."""
    for alias, canonical in getattr(serializer, "seed_aliases", {}).items():
        if canonical in fields and alias not in fields:
            fields[alias] = _alias_field(fields[canonical], canonical)
    if getattr(serializer, "accepts_seed_user_id", False) and "user_id" not in fields:
        fields["user_id"] = serializers.UUIDField(
            required=False, write_only=True, help_text=USER_ID_HELP
        )
    return fields


def check_caller_user_id(request, value: Any) -> None:
    """The seed's `user_id` (body or path) names the caller, or the object "is not there"."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or str(value).lower() != str(user.pk).lower():
        raise exceptions.NotFound("Not found.")


def _same_value(field: serializers.Field, first: Any, second: Any) -> bool:
    try:
        return field.to_internal_value(first) == field.to_internal_value(second)
    except (serializers.ValidationError, exceptions.ValidationError, TypeError, ValueError):
        return first == second


def normalise_input(serializer, data: dict) -> dict:
    """Seed names onto ours, the `user_id` checked and removed, unknown names refused."""
    # A QueryDict's copy is mutable and keeps its lists (multipart repeats a key).
    data = data.copy() if isinstance(data, QueryDict) else dict(data)
    fields = serializer.fields
    errors: dict[str, list[str]] = {}
    for alias, canonical in getattr(serializer, "seed_aliases", {}).items():
        if alias not in data:
            continue
        value = data.pop(alias)
        if isinstance(data, QueryDict):
            value = value[-1] if isinstance(value, list) and value else value
        if canonical in data:
            if not _same_value(fields[canonical], data[canonical], value):
                errors[alias] = [conflict_message(alias, canonical)]
        else:
            data[canonical] = value
    if getattr(serializer, "accepts_seed_user_id", False) and "user_id" in data:
        value = data.pop("user_id")
        check_caller_user_id(serializer.context.get("request"), value)
    if getattr(serializer, "reject_unknown_fields", True):
        known = set(fields)
        for name in data:
            if name not in known:
                errors[str(name)] = [UNKNOWN_FIELD]
    if errors:
        raise serializers.ValidationError(errors)
    return data
