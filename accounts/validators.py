import re
import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError

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
