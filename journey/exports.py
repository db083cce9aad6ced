"""Data ownership: export everything a student owns as JSON, and delete the account.

"Owns" is found, not listed: every installed model (history tables included) that reaches the
user through its foreign keys, such as `user`, `course__user` or `attempt__user`. A model added
later is covered without touching this module.
"""

from __future__ import annotations

import base64
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ApplicationError
from accounts.hygiene import repair_out_of_range_dates
from accounts.models import AuditAction, AuditEvent
from integrations import services as integration_services
from integrations.fields import EncryptedTextField
from journey.classes.selectors import memberships_for_export

logger = logging.getLogger(__name__)

# Foreign keys deeper than this are not followed; the deepest owner path today is
# AttemptQuestion -> QuizAttempt -> user and historical topic maps -> course -> user.
MAX_OWNER_DEPTH = 4
# Who made a history entry is not who owns the row; following it would export (and delete)
# another student's history that this user happened to edit, for example as an admin.
NOT_OWNERSHIP_FIELDS = frozenset({"history_user"})
# Secrets never leave the server, not even to their owner: hashes of keys and tokens, OAuth
# state and every encrypted field (provider tokens).
SECRET_FIELD_NAMES = frozenset(
    {"password", "key_hash", "token_hash", "code_verifier", "state", "google_sync_token"}
)
# Kept when the account goes: the security trail must outlive the account it describes (who
# deleted it, from where). Deleting the user clears the row's FK (SET_NULL) and the row keeps
# only the id snapshot, action, time, IP and user agent; it is still in the owner's export.
RETAINED_ON_DELETE: frozenset[type[models.Model]] = frozenset({AuditEvent})
# Login attempts are kept by the username typed, not by a key, so they are removed by it.
LOGIN_ATTEMPT_MODELS = (AccessAttempt, AccessFailureLog, AccessLog)
DELETE_CHUNK = 500
EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class OwnedModel:
    model: type[models.Model]
    path: str

    @property
    def label(self) -> str:
        return self.model._meta.label

    def rows(self, user) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.path: user.pk})


def owner_path(model: type[models.Model]) -> str | None:
    """The shortest chain of forward foreign keys from `model` to the user, as a lookup."""
    user_model = get_user_model()
    if model is user_model:
        return "pk"
    queue: deque[tuple[type[models.Model], str, int]] = deque([(model, "", 0)])
    while queue:
        current, prefix, depth = queue.popleft()
        if depth >= MAX_OWNER_DEPTH:
            continue
        for field in current._meta.get_fields():
            is_forward_key = field.concrete and (field.many_to_one or field.one_to_one)
            if not is_forward_key or field.name in NOT_OWNERSHIP_FIELDS:
                continue
            lookup = f"{prefix}{field.name}"
            if field.related_model is user_model:
                return lookup
            queue.append((field.related_model, f"{lookup}__", depth + 1))
    return None


def owned_models() -> list[OwnedModel]:
    found = []
    for model in apps.get_models():
        path = owner_path(model)
        if path is not None:
            found.append(OwnedModel(model=model, path=path))
    return found


# Secrets under a generic field name, per model: a second factor's data holds the TOTP secret
# and the recovery codes' seed; an export holding them would be a way round the second factor.
SECRET_FIELDS_BY_MODEL = {"mfa.Authenticator": frozenset({"data"})}


def _is_secret(field: models.Field) -> bool:
    return (
        field.name in SECRET_FIELD_NAMES
        or isinstance(field, EncryptedTextField)
        or field.name in SECRET_FIELDS_BY_MODEL.get(field.model._meta.label, ())
    )


def _export_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not _is_secret(field)]


def _value(instance: models.Model, field: models.Field):
    value = field.value_from_object(instance)
    # Bytes (a flashcard's image) have no JSON form; base64 keeps them whole and readable back.
    if isinstance(field, models.BinaryField) and value is not None:
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _row(instance: models.Model, fields: list[models.Field]) -> dict:
    return {field.attname: _value(instance, field) for field in fields}


def user_data_export(*, user) -> dict:
    """Every row the user owns, grouped by model, without secrets. JSON-ready with
    `EXPORT_ENCODER`."""
    tables = {}
    repair_out_of_range_dates(user=user, owned=[(o.model, o.path) for o in owned_models()])
    for owned in owned_models():
        fields = _export_fields(owned.model)
        rows = [_row(instance, fields) for instance in owned.rows(user).order_by("pk")]
        if rows:
            tables[owned.label] = rows
    audit_record(action=AuditAction.DATA_EXPORTED, user=user)
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
        "user_id": str(user.pk),
        "tables": tables,
        # The rows above hold ids; this says in words which classes the student is or was
        # in, who teaches them and what the student agreed to share, and when.
        "class_memberships": memberships_for_export(user=user),
    }


EXPORT_ENCODER = DjangoJSONEncoder


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _history_base(model: type[models.Model]) -> type[models.Model] | None:
    """The tracked model of a simple-history table, or None for an ordinary model."""
    return getattr(model, "instance_type", None)


def integrations_revoke(*, user) -> list[str]:
    """Remove what the providers hold of the student (the dedicated calendar, the Notion rows)
    and disconnect them (revoking Google's grant at Google); returns what stays there, in the
    student's words."""
    return integration_services.integrations_account_remove(user=user)


@dataclass(frozen=True)
class AccountDeletion:
    removed: dict[str, int]
    # What the providers still hold because they could not be cleaned up in time.
    left_at_providers: list[str]


def account_delete(*, user, password: str) -> AccountDeletion:
    """Delete the account and every row it owns, after checking the password again.

    History rows are copies that keep the owner's ids without foreign-key constraints, and
    deleting the live rows writes one more history row each; so the owned primary keys are
    collected first and the history of those objects is removed after the cascade.
    Returns how many rows were removed per model, and what stays at the providers.
    """
    if not password or not user.check_password(password):
        raise ApplicationError(
            "That is not your password; nothing was deleted.",
            field_errors={"password": ["The password is not correct."]},
        )
    repair_out_of_range_dates(user=user, owned=[(o.model, o.path) for o in owned_models()])
    left_at_providers = integrations_revoke(user=user)
    owned = [entry for entry in owned_models() if entry.model not in RETAINED_ON_DELETE]
    removed: dict[str, int] = {}
    with transaction.atomic():
        user_model = get_user_model()
        locked = user_model.objects.select_for_update().get(pk=user.pk)
        audit_record(action=AuditAction.ACCOUNT_DELETED, user=locked)
        object_ids: dict[type[models.Model], list] = {}
        history_ids: dict[type[models.Model], list] = {}
        for entry in owned:
            ids = list(entry.rows(locked).values_list("pk", flat=True))
            if _history_base(entry.model) is None:
                object_ids[entry.model] = ids
            else:
                history_ids[entry.model] = ids
        locked.delete()
        for entry in owned:
            base = _history_base(entry.model)
            if base is None:
                continue
            manager = entry.model._default_manager
            count = 0
            for chunk in _chunks(history_ids[entry.model], DELETE_CHUNK):
                count += manager.filter(pk__in=chunk).delete()[0]
            base_ids = object_ids.get(base, [])
            id_field = base._meta.pk.attname
            for chunk in _chunks(base_ids, DELETE_CHUNK):
                count += manager.filter(**{f"{id_field}__in": chunk}).delete()[0]
            removed[entry.label] = count
        for model, ids in object_ids.items():
            removed[model._meta.label] = len(ids)
        for model in LOGIN_ATTEMPT_MODELS:
            removed[model._meta.label] = (
                model.objects.filter(username__iexact=locked.email)
                .delete()[1]
                .get(model._meta.label, 0)
            )
    logger.info("deleted account %s; left at providers: %s", user.pk, left_at_providers)
    return AccountDeletion(removed=removed, left_at_providers=left_at_providers)
