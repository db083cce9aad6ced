"""Output serializers that render a list's rows without DRF's generic per-field walk.

DRF pays twice for every response of a list. Once per request it builds the serializer's
fields (a ModelSerializer reads its model's metadata, and the hygiene bounds walk every
field), and once per field of every row it takes the same generic steps: a Mapping check, a
callable check, a PKOnlyObject check and, for a datetime, a lookup of the active time zone.
On a list of fifty rows of twenty fields that, not the database, is most of the request.

A serializer with `LeanOutputMixin` compiles one reader per field: a plain attribute getter
and, for the field types whose conversion is a builtin (`str`, `int`, `float`), that builtin;
a datetime is converted with the time zone read once per response. Every other case (a
missing attribute, a callable, a mapping row, a field type not listed here) takes DRF's own
path, so the output is exactly DRF's (planner/tests/test_api_lean.py compares the two on every
serializer that uses the mixin).

The readers are kept on the class when every field is of a DRF type whose rendering reads
nothing from the request (no hyperlinks, no files, no context-dependent defaults); a method
field is then called on the serializer of the current response. Otherwise they are built per
serializer, as DRF builds its fields.

Only for output: input validation is untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

# Field types whose to_representation is exactly this builtin applied to a non-None value.
_BUILTIN_CONVERSIONS: dict[type, Callable[[Any], Any]] = {
    serializers.CharField: str,
    serializers.IntegerField: int,
    serializers.FloatField: float,
}
# DRF field types whose rendering depends only on the value and the field's own arguments.
_CONTEXT_FREE_TYPES = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.IntegerField,
    serializers.JSONField,
    serializers.ReadOnlyField,
    serializers.UUIDField,
)

_MISSING = object()
# How a reader reads its field.
_PLAIN, _DATETIME, _KEY, _METHOD, _DRF = range(5)


def _is_drf_type(field) -> bool:
    return type(field).__module__.startswith("rest_framework.")


def _is_context_free(field: serializers.Field) -> bool:
    default = field.default
    if default is not empty and callable(default):
        return False
    if isinstance(field, serializers.ListField):
        return _is_drf_type(field) and _is_context_free(field.child)
    if isinstance(field, serializers.SerializerMethodField):
        return True  # called on the current response's serializer, see _FieldReader
    if _is_key(field):
        return True
    if isinstance(field, LeanOutputMixin) and not isinstance(field, serializers.ListSerializer):
        readers = field._lean_compile()
        return field._lean_is_context_free and not any(r.kind == _METHOD for r in readers)
    return _is_drf_type(field) and isinstance(field, _CONTEXT_FREE_TYPES)


def _is_key(field: serializers.Field) -> bool:
    """A model's foreign key rendered as its raw value (ModelSerializer's default)."""
    return (
        type(field) is serializers.PrimaryKeyRelatedField
        and field.pk_field is None
        and len(field.source_attrs) == 1
    )


def _conversion(field: serializers.Field) -> Callable[[Any], Any]:
    if type(field) is serializers.UUIDField and field.uuid_format == "hex_verbose":
        return str
    return _BUILTIN_CONVERSIONS.get(type(field), field.to_representation)


class _FieldReader:
    __slots__ = ("convert", "field", "getter", "key_name", "kind", "method_name", "name")

    def __init__(self, name: str, field: serializers.Field):
        self.name = name
        self.field = field
        self.getter = None
        self.method_name = None
        self.key_name = None
        self.convert = _conversion(field)
        if isinstance(field, serializers.SerializerMethodField):
            self.kind = _METHOD
            self.method_name = field.method_name
        elif _is_key(field):
            # RelatedField.get_attribute's "pk only" path: the row's own key column.
            self.kind = _KEY
            self.key_name = field.source_attrs[0]
        elif (
            not field.source_attrs
            or isinstance(field, serializers.RelatedField | serializers.BaseSerializer)
            or not _is_drf_type(field)
        ):
            # Nested serializers read the row itself; relations read the key, not the object.
            self.kind = _DRF
        else:
            self.getter = attrgetter(".".join(field.source_attrs))
            is_iso_datetime = (
                type(field) is serializers.DateTimeField
                and not hasattr(field, "timezone")
                and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
            )
            self.kind = _DATETIME if is_iso_datetime else _PLAIN

    def drf(self, instance) -> Any:
        """serializers.Serializer.to_representation, for one field (_MISSING: skipped)."""
        try:
            attribute = self.field.get_attribute(instance)
        except SkipField:
            return _MISSING
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        if check_for_none is None:
            return None
        return self.field.to_representation(attribute)


def _iso_datetime(value, zone) -> str:
    # DRF's DateTimeField.to_representation for an aware value and an ISO 8601 format.
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class LeanOutputMixin:
    """Put first in the bases of an output serializer."""

    def _lean_compile(self) -> list[_FieldReader]:
        cls = type(self)
        readers = cls.__dict__.get("_lean_class_readers")
        if readers is not None:
            return readers
        readers = self.__dict__.get("_lean_readers")
        if readers is not None:
            return readers
        readers = [_FieldReader(field.field_name, field) for field in self._readable_fields]
        self._lean_readers = readers
        self._lean_is_context_free = all(_is_context_free(r.field) for r in readers)
        if self._lean_is_context_free:
            # Bound to this first serializer, but nothing they render reads from it.
            cls._lean_class_readers = readers
            cls._lean_is_context_free = True
        return readers

    def to_representation(self, instance) -> dict[str, Any]:
        readers = self._lean_compile()
        # Read at most once per row, never kept: a serializer bound on the class (a nested
        # one) serves every response, each under its own active time zone.
        zone = _MISSING
        is_mapping = isinstance(instance, Mapping)
        representation = {}
        for reader in readers:
            kind = reader.kind
            if kind == _METHOD:
                representation[reader.name] = getattr(self, reader.method_name)(instance)
                continue
            if kind == _KEY and not is_mapping:
                try:
                    value = instance.serializable_value(reader.key_name)
                except Exception:
                    value = _MISSING
                if value is not _MISSING and not callable(value):
                    representation[reader.name] = value
                    continue
            if kind != _DRF and not is_mapping:
                try:
                    value = reader.getter(instance)
                except Exception:
                    value = _MISSING
                if value is not _MISSING and not callable(value):
                    if value is None:
                        representation[reader.name] = None
                        continue
                    if kind == _PLAIN:
                        representation[reader.name] = reader.convert(value)
                        continue
                    is_aware = isinstance(value, datetime) and value.utcoffset() is not None
                    if is_aware and zone is _MISSING:
                        zone = timezone.get_current_timezone() if settings.USE_TZ else None
                    if zone is not None and is_aware:
                        try:
                            representation[reader.name] = _iso_datetime(value, zone)
                            continue
                        except OverflowError:
                            pass  # DRF's own path raises its "overflow" error
                    representation[reader.name] = reader.convert(value)
                    continue
            value = reader.drf(instance)
            if value is not _MISSING:
                representation[reader.name] = value
        return representation
