"""Input hygiene at the edge: the one place that decides which bytes, numbers and dates may enter.

Every entry point uses these checks: the API's JSON parser and base serializers, the base form
mixin, and the importers (course CSV, grade rows, iCalendar). Each refusal names the field it
found, never the value, and is logged once with the request id (the logging filter adds it).

Why each bound exists:
- NUL characters: PostgreSQL text and jsonb cannot hold U+0000, so the INSERT would fail.
- Lone surrogates (U+D800-U+DFFF unpaired): they cannot be encoded as UTF-8, so the database
  driver, the JSON renderer and the log formatter would all fail on them.
- Integers: a Python int is unbounded, a column is not. The bound comes from the model field's
  column type (Django's own table of ranges, the same on every backend so SQLite tests refuse
  what PostgreSQL would).
- Dates: 1970-01-01 to 2100-12-31, aware. Year 1 or 9999 turn into year 0 or 10000 once a UTC
  offset is applied, which Python cannot represent; a student plans within a lifetime anyway.
  docs/input-limits.md states these for users of the API.
- JSON depth: the parser recurses, so a deeply nested body would exhaust the stack.

accounts is the lowest layer, so every app may import this module.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser

logger = logging.getLogger(__name__)

TEXT_REFUSED = "Text may not contain NUL characters or unpaired surrogates."
DATE_MIN = date(1970, 1, 1)
DATE_MAX = date(2100, 12, 31)
DATETIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
DATETIME_MAX = datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
DATE_REFUSED = "Give a date between 1970-01-01 and 2100-12-31."
DATETIME_NAIVE_REFUSED = "Give a time with its timezone."
# PostgreSQL's `integer`: the column a plain IntegerField maps to, and the default bound for an
# integer that is not tied to a model field.
DEFAULT_INTEGER_RANGE = BaseDatabaseOperations.integer_field_ranges["IntegerField"]

# Error codes of this layer: the refusal logger finds its own errors by them.
CODE_TEXT = "hygiene_text"
CODE_RANGE = "hygiene_range"
CODE_DATE = "hygiene_date"
HYGIENE_CODES = frozenset({CODE_TEXT, CODE_RANGE, CODE_DATE})

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def json_max_depth() -> int:
    return int(getattr(settings, "API_JSON_MAX_DEPTH", 32))


def import_max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 1024 * 1024))


def import_max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 1000))


def import_max_events() -> int:
    return int(getattr(settings, "IMPORT_MAX_EVENTS", 2000))


# --- Checks ----------------------------------------------------------------------------------


def is_clean_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is None


def printable(text: str) -> str:
    """`text` without its NULs and lone surrogates: for echoing a refused value in a report and
    for lookups that must not reach the database with them."""
    return _BAD_TEXT.sub("", text)


def bad_text_paths(data: Any, path: str = "") -> list[str]:
    """Where in a parsed JSON value (keys included) a NUL or a lone surrogate sits.

    Paths are dotted ("resource_links.0.url"); iterative, so depth cannot exhaust the stack.
    """
    found: list[str] = []
    pending: list[tuple[str, Any]] = [(path, data)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if not is_clean_text(value):
                found.append(where)
        elif isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                child = f"{where}.{key_text}" if where else key_text
                if not is_clean_text(key_text):
                    # The key itself is hostile: name the container, not the key.
                    found.append(where or "non_field_errors")
                    continue
                pending.append((child, item))
        elif isinstance(value, list | tuple):
            pending.extend(
                (f"{where}.{index}" if where else str(index), item)
                for index, item in enumerate(value)
            )
    return sorted(set(found))


def json_depth(data: Any) -> int:
    depth = 0
    pending: list[tuple[int, Any]] = [(1, data)]
    while pending:
        level, value = pending.pop()
        if isinstance(value, dict):
            depth = max(depth, level)
            pending.extend((level + 1, item) for item in value.values())
        elif isinstance(value, list):
            depth = max(depth, level)
            pending.extend((level + 1, item) for item in value)
    return depth


def is_date_in_range(value: date | datetime) -> bool:
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return False
        return DATETIME_MIN <= value <= DATETIME_MAX
    return DATE_MIN <= value <= DATE_MAX


def clamp_moment(value: datetime) -> datetime:
    """A provider's instant (a busy time, an edit stamp) moved into the range.

    Providers are not students to show an error to: a busy time that lasts until 9999 is, for
    a planner, busy until the end of the range, and a stamp is only compared with others.
    A naive value is read as UTC, which is what these APIs send without an offset.
    """
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return min(max(value, DATETIME_MIN), DATETIME_MAX)


def query_date(text: str | None) -> date | None:
    """A date from a query string (?week=2026-09-07), or None when it is absent, malformed or
    out of range: a page then shows its default rather than fail on a hand-edited link."""
    from django.utils.dateparse import parse_date

    try:
        value = parse_date(text or "")
    except ValueError:
        return None
    return value if value is not None and is_date_in_range(value) else None


def query_uuid(text: str | None) -> uuid.UUID | None:
    """An id from a query string (?course=...), or None when it is absent or malformed."""
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


def integer_range(model_field=None) -> tuple[int, int]:
    """The range of the column behind `model_field` (an integer model field), else `integer`."""
    if model_field is None:
        return DEFAULT_INTEGER_RANGE
    return BaseDatabaseOperations.integer_field_ranges.get(
        model_field.get_internal_type(), DEFAULT_INTEGER_RANGE
    )


@deconstructible
class CleanTextValidator:
    message = TEXT_REFUSED
    code = CODE_TEXT

    def __call__(self, value):
        if isinstance(value, str):
            if not is_clean_text(value):
                raise ValidationError(self.message, code=self.code)
        elif bad_text_paths(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, CleanTextValidator)


@deconstructible
class DateRangeValidator:
    """1970-01-01 to 2100-12-31; a datetime must also be aware."""

    code = CODE_DATE

    def __call__(self, value):
        if value is None:
            return
        if isinstance(value, datetime) and timezone.is_naive(value):
            raise ValidationError(DATETIME_NAIVE_REFUSED, code=self.code)
        if not is_date_in_range(value):
            raise ValidationError(DATE_REFUSED, code=self.code)

    def __eq__(self, other):
        return isinstance(other, DateRangeValidator)


@deconstructible
class IntegerRangeValidator:
    code = CODE_RANGE

    def __init__(self, lowest: int, highest: int):
        self.lowest = lowest
        self.highest = highest

    def __call__(self, value):
        if value is None or isinstance(value, bool):
            return
        if not self.lowest <= value <= self.highest:
            raise ValidationError(
                f"Give a whole number between {self.lowest} and {self.highest}.", code=self.code
            )

    def __eq__(self, other):
        return isinstance(other, IntegerRangeValidator) and (self.lowest, self.highest) == (
            other.lowest,
            other.highest,
        )


CLEAN_TEXT = CleanTextValidator()
DATE_RANGE = DateRangeValidator()


def _add_validator(field, validator) -> None:
    if validator not in field.validators:
        # A copy: a class-level list may be shared between declared fields.
        field.validators = [*field.validators, validator]


# --- Refusal logging -------------------------------------------------------------------------


def log_refusal(where: str, fields: list[str] | set[str]) -> None:
    """One line per refused request: which entry point and which fields, never their values."""
    logger.info(
        "input refused at %s: %s",
        where,
        ", ".join(sorted(fields)) or "(body)",
        extra={"refused_at": where, "refused_fields": sorted(fields)},
    )


def _hygiene_fields(errors: Any, path: str = "") -> set[str]:
    """Field paths whose DRF errors carry one of this layer's codes."""
    found: set[str] = set()
    if isinstance(errors, dict):
        for key, value in errors.items():
            found |= _hygiene_fields(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list):
                found |= _hygiene_fields(value, f"{path}.{index}" if path else str(index))
            elif getattr(value, "code", None) in HYGIENE_CODES:
                found.add(path or "non_field_errors")
    elif getattr(errors, "code", None) in HYGIENE_CODES:
        found.add(path or "non_field_errors")
    return found


# --- Imports: rows ---------------------------------------------------------------------------


def row_problems(
    row: Any,
    *,
    integers: dict[str, tuple[int, int]] | None = None,
    dates: tuple[str, ...] = (),
) -> list[tuple[str, str]]:
    """(field, message) for each hostile value of one imported row (a mapping of name to value).

    Text anywhere in the row; the named integers against their bounds; the named dates (already
    parsed to date or aware datetime) against the date range.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(row, dict):
        return problems
    for path in bad_text_paths(row):
        problems.append((path.split(".")[0], TEXT_REFUSED))
    for name, (lowest, highest) in (integers or {}).items():
        value = row.get(name)
        is_integer = isinstance(value, int) and not isinstance(value, bool)
        if is_integer and not lowest <= value <= highest:
            problems.append((name, f"Give a whole number between {lowest} and {highest}."))
    for name in dates:
        value = row.get(name)
        if isinstance(value, date) and not is_date_in_range(value):
            problems.append((name, DATE_REFUSED))
    return problems


# --- API: serializers ------------------------------------------------------------------------


def harden_serializer_field(field, model_field=None) -> None:
    """Adds this layer's validators to one DRF field (and to the child of a list or dict)."""
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListField | serializers.DictField):
        harden_serializer_field(field.child)
        return
    if isinstance(field, serializers.IntegerField):
        lowest, highest = integer_range(model_field)
        _add_validator(field, IntegerRangeValidator(lowest, highest))
    elif isinstance(field, serializers.DateField | serializers.DateTimeField):
        _add_validator(field, DATE_RANGE)
    elif isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.JSONField
        | serializers.HStoreField,
    ):
        _add_validator(field, CLEAN_TEXT)


class HygieneSerializerMixin:
    """Bounds every writable field of a serializer; see the module docstring for the rules.

    A serializer may name `hygiene_model` (a ModelSerializer uses its Meta.model) so integer
    fields take the range of the column they are written to.

    Input shape (accounts.seed_names): a field the serializer does not know is a 400 naming it,
    never silently dropped (`reject_unknown_fields = False` only where the data is a query
    string, which also carries paging parameters); `seed_aliases` maps the specification's name
    of a field to ours; `accepts_seed_user_id` takes the seed's `user_id`, which must be the
    caller's own.
    """

    hygiene_model = None
    reject_unknown_fields = True
    seed_aliases: dict[str, str] = {}
    accepts_seed_user_id = False

    def get_fields(self):
        from accounts.seed_names import add_seed_fields

        fields = add_seed_fields(self, super().get_fields())
        model = self.hygiene_model or getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            model_field = None
            if model is not None:
                try:
                    model_field = model._meta.get_field(field.source or name)
                except Exception:  # not a column (a computed or renamed field): the default
                    model_field = None
                if not hasattr(model_field, "get_internal_type"):
                    model_field = None
            harden_serializer_field(field, model_field)
        return fields

    def to_internal_value(self, data):
        # Choice fields echo a bad choice in their error, which a lone surrogate would break
        # when rendered; multipart bodies skip the JSON parser. So refuse bad text first.
        if isinstance(data, dict):
            bad = {path.split(".")[0] for path in bad_text_paths(dict(data))}
            if bad:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail(TEXT_REFUSED, code=CODE_TEXT)] for name in bad}
                )
            from accounts.seed_names import normalise_input

            data = normalise_input(self, data)
        return super().to_internal_value(data)

    def is_valid(self, *, raise_exception=False):
        try:
            is_valid = super().is_valid(raise_exception=raise_exception)
        except Exception:
            self._log_hygiene_errors()
            raise
        if not is_valid:
            self._log_hygiene_errors()
        return is_valid

    def _log_hygiene_errors(self) -> None:
        fields = _hygiene_fields(getattr(self, "_errors", None))
        if fields:
            log_refusal(type(self).__name__, fields)


class HygieneSerializer(HygieneSerializerMixin, serializers.Serializer):
    pass


class HygieneModelSerializer(HygieneSerializerMixin, serializers.ModelSerializer):
    pass


class HygieneJSONParser(JSONParser):
    """The API's JSON parser, bounded in size and depth, refusing hostile text by field name.

    Size: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes are read, as Django bounds form bodies.
    Depth: Python's parser recurses, so a very deep body raises RecursionError inside it.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            log_refusal("json", [])
            raise exceptions.ParseError(f"The body is larger than {limit} bytes.")
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
            is_too_deep = json_depth(data) > json_max_depth()
        except RecursionError:
            is_too_deep = True
        if is_too_deep:
            log_refusal("json", [])
            raise exceptions.ParseError(f"JSON nested deeper than {json_max_depth()} levels.")
        bad = bad_text_paths(data)
        if bad:
            top = sorted({path.split(".")[0] for path in bad})
            log_refusal("json", top)
            raise exceptions.ValidationError(
                {name: [exceptions.ErrorDetail(TEXT_REFUSED, code=CODE_TEXT)] for name in top}
            )
        return data


def refused_query_parameters(query) -> list[str]:
    """Names of the query parameters (a QueryDict) holding a NUL; "query" for a hostile name."""
    return sorted(
        {
            key if is_clean_text(key) else "query"
            for key, values in query.lists()
            if not is_clean_text(key) or not all(is_clean_text(value) for value in values)
        }
    )


class CleanQueryString:
    """API: a DRF permission, listed after IsAuthenticated so an anonymous caller still gets
    its 401 first. A NUL in the query string answers 400 naming the parameters.

    Query parameters reach filters and lookups outside any serializer; this is their gate.
    Lone surrogates cannot arrive in a query: percent-decoding turns bad UTF-8 into U+FFFD.
    """

    def has_permission(self, request, view) -> bool:
        bad = refused_query_parameters(request.query_params)
        if bad:
            log_refusal("query string", bad)
            raise exceptions.ValidationError(
                {name: [exceptions.ErrorDetail(TEXT_REFUSED, code=CODE_TEXT)] for name in bad}
            )
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return True


class QueryStringHygieneMiddleware:
    """Pages: the same gate for a signed-in student's query string (400, plain text).

    After authentication, so an anonymous visitor is sent to the login page as before; the
    API has its own gate (CleanQueryString), which runs after token authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path_info.startswith("/api/") or not (user and user.is_authenticated):
            return self.get_response(request)
        bad = refused_query_parameters(request.GET)
        if bad:
            from django.http import HttpResponseBadRequest

            log_refusal("query string", bad)
            return HttpResponseBadRequest(TEXT_REFUSED, content_type="text/plain")
        return self.get_response(request)


# --- Pages: forms ----------------------------------------------------------------------------


def harden_form_field(field) -> None:
    if isinstance(field, forms.IntegerField):
        _add_validator(field, IntegerRangeValidator(*DEFAULT_INTEGER_RANGE))
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        _add_validator(field, DATE_RANGE)
    elif isinstance(field, forms.CharField | forms.ChoiceField | forms.JSONField):
        _add_validator(field, CLEAN_TEXT)


class HygieneFormMixin:
    """The same bounds for forms: the errors appear on the fields, as any other form error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            harden_form_field(field)

    def full_clean(self):
        super().full_clean()
        errors = getattr(self, "_errors", None) or {}
        refused = {
            name
            for name, error_list in errors.items()
            if any(
                getattr(error, "code", None) in HYGIENE_CODES
                for error in getattr(error_list, "as_data", lambda: [])()
            )
        }
        if refused:
            log_refusal(type(self).__name__, refused)


class HygieneForm(HygieneFormMixin, forms.Form):
    pass


# --- Stored rows from before these bounds ----------------------------------------------------


def repair_out_of_range_dates(*, user, owned: Iterable[tuple[Any, str]]) -> int:
    """Clamps this user's stored dates that lie outside the bounds; returns the rows changed.

    Rows written before these bounds (a year-10000 deadline from a floating iCalendar time, a
    1 BC due date) make every read of them fail in the database driver, which would lock the
    student out of their export and their account deletion. The comparison runs in SQL, so the
    bad values are never loaded. Only this user's rows are touched: `owned` gives each model
    with its lookup to the owning user's id (the export's own list of owned models).
    """
    from django.db import DatabaseError, models, transaction

    changed = 0
    for model, path in owned:
        date_fields = [
            field for field in model._meta.concrete_fields if isinstance(field, models.DateField)
        ]
        rows = model._base_manager.filter(**{path: user.pk})
        for field in date_fields:
            is_datetime = isinstance(field, models.DateTimeField)
            lowest = DATETIME_MIN if is_datetime else DATE_MIN
            highest = DATETIME_MAX if is_datetime else DATE_MAX
            for lookup, bound in (("lt", lowest), ("gt", highest)):
                try:
                    # A savepoint: a clamp that breaks a constraint (an end now before its
                    # start) leaves that row as it was instead of failing the caller.
                    with transaction.atomic():
                        changed += rows.filter(**{f"{field.name}__{lookup}": bound}).update(
                            **{field.name: bound}
                        )
                except DatabaseError:
                    logger.warning("could not clamp %s.%s", model._meta.label, field.name)
    if changed:
        logger.warning("clamped %d out-of-range stored dates", changed)
    return changed
