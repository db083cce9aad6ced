"""Every write of the accounts layer: users, preferences and personal API tokens."""

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone

from accounts.audit import audit_record
from accounts.authentication import hash_token_key
from accounts.errors import ApplicationError
from accounts.models import AcademicLevel, ApiToken, AuditAction, User, UserPreferences
from accounts.signals import preferences_changed
from accounts.timeformat import forget_time_format
from accounts.validators import validate_study_mode_preferences

PROFILE_FIELDS = frozenset(
    {"full_name", "school_name", "academic_level", "major", "timezone", "language"}
)
PREFERENCE_FIELDS = frozenset(
    {
        "max_hours_per_day",
        "preferred_block_length_min",
        "break_length_min",
        "earliest_start_time",
        "latest_end_time",
        "weekly_availability",
        "difficulty_curve",
        "study_mode_preferences",
        "enable_spaced_repetition",
        "min_review_interval_days",
        "max_block_length_min",
        "min_break_between_courses_min",
        "calendar_buffer_min",
        "max_blocks_per_day",
        "time_format",
    }
)
# Preferences that only change how pages look; editing them alone does not replan.
DISPLAY_ONLY_PREFERENCE_FIELDS = frozenset({"time_format"})

# A token lives at least a day and at most a year, so a leaked one cannot work forever.
API_TOKEN_MIN_DAYS = 1
API_TOKEN_MAX_DAYS = 365
# 32 random bytes (43 URL-safe characters) is the strength `secrets` recommends for tokens.
API_TOKEN_KEY_BYTES = 32
# Enough of the key to tell tokens apart in a list, far too little to guess the rest.
API_TOKEN_PREFIX_LENGTH = 8


def _application_error(exc: ValidationError, message: str) -> ApplicationError:
    """A model ValidationError as the one error type services raise, keeping field messages."""
    if hasattr(exc, "error_dict"):
        field_errors = {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        field_errors = {"non_field_errors": exc.messages}
    return ApplicationError(message, field_errors=field_errors)


def _reject_unknown_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ApplicationError(
            "Unknown fields.",
            field_errors={name: ["This field cannot be set."] for name in unknown},
        )


def user_signup(
    *,
    email: str,
    password: str,
    full_name: str,
    timezone: str,
    school_name: str = "",
    academic_level: str = AcademicLevel.UNDERGRADUATE,
    major: str = "",
    language: str = "en",
) -> User:
    """Create a student with default preferences; the password must pass the site's policy."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        full_name=full_name,
        timezone=timezone,
        school_name=school_name,
        academic_level=academic_level,
        major=major,
        language=language,
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise _application_error(exc, "The account could not be created.") from exc
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            "The password is too weak.", field_errors={"password": exc.messages}
        ) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            preferences_get_current(user=user)
    except IntegrityError as exc:
        # Two sign-ups with one address can both pass full_clean; the unique index decides.
        raise ApplicationError(
            "The account could not be created.",
            field_errors={"email": ["An account with this email already exists."]},
        ) from exc
    return user


def user_email_mark_verified(*, user: User) -> None:
    """Record the student's login address as theirs, verified and primary. For accounts whose
    address is known to be theirs without a mail round trip: the demo student, operators."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(
            primary=False
        )
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": True}
        )


def user_profile_update(*, user: User, **fields: Any) -> User:
    """Change profile fields (never the email, which is the login)."""
    _reject_unknown_fields(fields, PROFILE_FIELDS)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        try:
            locked.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise _application_error(exc, "The profile is not valid.") from exc
        locked.save(update_fields=[*fields, "updated_at"])
    for name in fields:
        setattr(user, name, getattr(locked, name))
    user.updated_at = locked.updated_at
    return user


def preferences_get_current(*, user: User) -> UserPreferences:
    """The preferences in force: the newest row, created with the seed's defaults if none."""
    current = UserPreferences.objects.for_user(user).order_by("-created_at").first()
    if current is None:
        current = UserPreferences.objects.create(user=user)
    return current


def preferences_update(*, user: User, **fields: Any) -> UserPreferences:
    """Edit the preferences in force in place (history keeps the old values) and tell the
    layers above once the change is committed. An edit that changes nothing sends nothing."""
    _reject_unknown_fields(fields, PREFERENCE_FIELDS)
    if "study_mode_preferences" in fields:
        try:
            validate_study_mode_preferences(fields["study_mode_preferences"])
        except ValidationError as exc:
            raise ApplicationError(
                "The preferences are not valid.",
                field_errors={"study_mode_preferences": exc.messages},
            ) from exc
    with transaction.atomic():
        preferences_get_current(user=user)
        # Locking the row serialises two concurrent edits so neither silently undoes the other.
        prefs = (
            UserPreferences.objects.for_user(user)
            .select_for_update()
            .order_by("-created_at")
            .first()
        )
        changed = [name for name, value in fields.items() if getattr(prefs, name) != value]
        if not changed:
            return prefs
        for name in changed:
            setattr(prefs, name, fields[name])
        try:
            prefs.full_clean(exclude=["user"])
        except ValidationError as exc:
            raise _application_error(exc, "The preferences are not valid.") from exc
        prefs.save()
        forget_time_format(user)
        if set(changed) <= DISPLAY_ONLY_PREFERENCE_FIELDS:
            return prefs
        user_id = user.pk
        changed_fields = tuple(changed)
        transaction.on_commit(
            lambda: preferences_changed.send(
                sender=UserPreferences, user_id=user_id, changed_fields=changed_fields
            )
        )
    return prefs


def api_token_create(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new personal token. Returns the raw key, which is never stored and never shown again."""
    if expires_in_days is None:
        expires_in_days = settings.API_TOKEN_DEFAULT_DAYS
    field_errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    name_limit = ApiToken._meta.get_field("name").max_length
    if not name:
        field_errors["name"] = ["Give the token a name."]
    elif len(name) > name_limit:
        field_errors["name"] = [f"Use at most {name_limit} characters."]
    if not API_TOKEN_MIN_DAYS <= expires_in_days <= API_TOKEN_MAX_DAYS:
        field_errors["expires_in_days"] = [
            f"A token must expire in {API_TOKEN_MIN_DAYS} to {API_TOKEN_MAX_DAYS} days."
        ]
    if field_errors:
        raise ApplicationError("The token could not be created.", field_errors=field_errors)
    raw_key = secrets.token_urlsafe(API_TOKEN_KEY_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw_key[:API_TOKEN_PREFIX_LENGTH],
        key_hash=hash_token_key(raw_key),
        expires_at=dj_timezone.now() + timedelta(days=expires_in_days),
    )
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        user=user,
        detail={"token_id": str(token.pk), "name": token.name},
    )
    return token, raw_key


def api_token_revoke(*, user: User, token_id: UUID | str) -> ApiToken:
    """Revoke one of the user's tokens; revoking twice keeps the first time.

    Raises ApiToken.DoesNotExist for a token that is not the user's, so it looks missing.
    """
    try:
        token_uuid = UUID(str(token_id))
    except ValueError:
        raise ApiToken.DoesNotExist(f"No token {token_id!r}.") from None
    with transaction.atomic():
        token = ApiToken.objects.for_user(user).select_for_update().get(pk=token_uuid)
        if token.revoked_at is None:
            token.revoked_at = dj_timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                action=AuditAction.TOKEN_REVOKED,
                user=user,
                detail={"token_id": str(token.pk), "name": token.name},
            )
    return token
