"""Every write of the notifications: creating them (the durable intent of their delivery),
reading them, push subscriptions and one-click unsubscribes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import NotificationSettings, User
from accounts.services import notification_settings_get, notification_settings_update
from accounts.tasking import enqueue_on_commit
from accounts.timezones import user_zone
from journey.notifications.builders import Message
from journey.notifications.kinds import PUSH_KINDS, SETTING_FOR_KIND, DeliveryState
from journey.notifications.models import Notification, PushSubscription
from journey.notifications.timing import quiet_until
from journey.notifications.unsubscribe import unsubscribe_read

# A page of the in-app list, and the most a single "mark all read" touches in one statement.
NOTIFICATION_PAGE_SIZE = 50


@dataclass(frozen=True)
class Recipient:
    """What deciding a notification's channels needs to know of its student, loaded in bulk
    by the sweeps (one query for a batch) or one by one."""

    user: User
    settings: NotificationSettings
    has_push: bool


def recipient_for(user: User) -> Recipient:
    return Recipient(
        user=user,
        settings=notification_settings_get(user=user),
        has_push=PushSubscription.objects.for_user(user).exists(),
    )


def notification_draft(
    *,
    recipient: Recipient,
    kind: str,
    event_key: str,
    message: Message,
    now: datetime,
    stale_after: datetime | None = None,
) -> Notification | None:
    """The unsaved row for this event, its channels decided; None when its kind is off.

    Whether the address may be mailed is decided when it is sent (delivery), from the
    account's verified address at that moment; a batch then needs no query per student here.

    Quiet hours: a notification made during them is delivered when they end, except one that
    would be stale by then (a reminder of a block starting before they end), which is not sent
    at all: it still shows in the in-app list.
    """
    prefs = recipient.settings
    if not getattr(prefs, SETTING_FOR_KIND[kind]):
        return None
    deliver_after, reasons = now, []
    quiet_end = quiet_until(
        now,
        start=prefs.quiet_hours_start,
        end=prefs.quiet_hours_end,
        zone=user_zone(recipient.user),
    )
    is_dropped_by_quiet = False
    if quiet_end is not None:
        if stale_after is not None and stale_after <= quiet_end:
            is_dropped_by_quiet = True
            reasons.append("quiet hours")
        else:
            deliver_after = quiet_end
    email_state = DeliveryState.PENDING
    if is_dropped_by_quiet:
        email_state = DeliveryState.SKIPPED
    elif not prefs.email_notifications:
        email_state = DeliveryState.SKIPPED
        reasons.append("email off")
    push_state = DeliveryState.SKIPPED
    if kind in PUSH_KINDS and recipient.has_push and not is_dropped_by_quiet:
        push_state = DeliveryState.PENDING
    return Notification(
        user=recipient.user,
        kind=kind,
        event_key=event_key[:200],
        subject=message.subject[:200],
        body=message.body,
        link=message.link,
        deliver_after=deliver_after,
        stale_after=stale_after,
        email_state=email_state,
        push_state=push_state,
        skip_reason=", ".join(reasons),
    )


def notifications_save(drafts: list[Notification]) -> list[str]:
    """Save the drafts, each at most once per event, and ask for their delivery after commit.

    An event already notified (another worker, an earlier sweep) is left as it is: the unique
    (user, kind, event_key) makes the insert a no-op. The delivery task is sent for every id;
    for a row that was not inserted it finds nothing to do. Returns the ids.
    """
    from journey.tasks import notifications_deliver

    drafts = [draft for draft in drafts if draft is not None]
    if not drafts:
        return []
    with transaction.atomic():
        Notification.objects.bulk_create(drafts, ignore_conflicts=True)
        ids = [str(draft.pk) for draft in drafts]
        # The rows are the intent: a lost publish is made good by the delivery sweep.
        enqueue_on_commit(notifications_deliver, ids, robust=True)
    return ids


def notification_create(
    *,
    user: User,
    kind: str,
    event_key: str,
    message: Message,
    now: datetime | None = None,
    stale_after: datetime | None = None,
) -> Notification | None:
    """One notification of one event (see notification_draft); the existing row if the event
    was notified already, None when the student switched the kind off."""
    now = now or timezone.now()
    existing = Notification.objects.for_user(user).filter(kind=kind, event_key=event_key).first()
    if existing is not None:
        return existing
    draft = notification_draft(
        recipient=recipient_for(user),
        kind=kind,
        event_key=event_key,
        message=message,
        now=now,
        stale_after=stale_after,
    )
    if draft is None:
        return None
    notifications_save([draft])
    return Notification.objects.for_user(user).filter(kind=kind, event_key=event_key).first()


def notification_mark_read(*, user: User, notification_id) -> Notification:
    notification = Notification.objects.for_user(user).filter(pk=notification_id).first()
    if notification is None:
        raise Notification.DoesNotExist("No such notification of yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Notification.objects.for_user(user).unread().visible(now).update(read_at=now)


def push_endpoint_is_allowed(endpoint: str) -> bool:
    """Only the browsers' push services (settings.WEBPUSH_ENDPOINT_HOSTS), over https unless
    settings allow http (tests): the endpoint is a URL the worker will POST to, so it must
    never point the server at an internal address."""
    parts = urlsplit(endpoint)
    schemes = {"https"} | ({"http"} if settings.WEBPUSH_ALLOW_HTTP else set())
    host = (parts.hostname or "").lower()
    if parts.scheme not in schemes or not host:
        return False
    return any(
        host == allowed or host.endswith("." + allowed)
        for allowed in settings.WEBPUSH_ENDPOINT_HOSTS
    )


def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    if not push_endpoint_is_allowed(endpoint):
        raise ApplicationError(
            "This push service is not accepted.",
            field_errors={"endpoint": ["Use the endpoint your browser's push service gave."]},
        )
    subscription, _ = PushSubscription.objects.update_or_create(
        user=user, endpoint=endpoint, defaults={"p256dh": p256dh, "auth": auth}
    )
    return subscription


def push_subscription_delete(*, user: User, endpoint: str) -> int:
    deleted, _ = PushSubscription.objects.for_user(user).filter(endpoint=endpoint).delete()
    return deleted


def unsubscribe_apply(*, token: str) -> str | None:
    """Switch off the kind a signed token names, for its student; the kind's label, or None
    for a bad token or a deleted account. Applying it twice changes nothing more."""
    request = unsubscribe_read(token)
    if request is None:
        return None
    user = User.objects.filter(pk=request.user_id).first() if _is_uuid(request.user_id) else None
    if user is None:
        return None
    notification_settings_update(user=user, **{SETTING_FOR_KIND[request.kind]: False})
    return request.kind.label


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
