"""Filter fields shared by every app's API."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, normalised to UTC before it reaches the database.

    ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59, and an instant near year 1
    can fall outside the calendar once moved to UTC. Either would be a database error; both
    are the caller's mistake and answer 400.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("This instant is outside the supported range.") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
