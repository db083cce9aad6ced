"""Sending a notification by email and Web Push, each at most once.

Why at most once: neither SMTP nor a push service lets a retry say "this is the message you
already have", so a retry after a worker died mid-send could show the student the same email
twice, and nothing in the protocol could undo it. So, per channel:

1. in one transaction the row is locked and its state moves from `pending` to `sending` (the
   claim) and that commits BEFORE anything is sent;
2. the message is sent;
3. the state becomes `sent`.

A worker that dies between 1 and 3 leaves `sending`: no sweep ever resends it (the delivery
sweep takes `pending` rows only), and the notification is still in the in-app list, so the
student loses at most an email, never the information. The one failure known to have sent
nothing, the mail server refusing the connection, puts the row back to `pending` for the
sweep; any failure after the connection opened is `unknown`. The Message-ID is derived from the
notification, so should a copy ever arrive twice, mail clients can tell it is the same message.
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import email_is_deliverable
from accounts.services import notification_settings_get
from journey.notifications.kinds import SETTING_FOR_KIND, DeliveryState
from journey.notifications.models import Notification, PushSubscription
from journey.notifications.services import push_endpoint_is_allowed
from journey.notifications.unsubscribe import unsubscribe_token

logger = logging.getLogger(__name__)

# A push service that answers in more than this is down for our purpose; the reminder would
# be late anyway.
WEBPUSH_TIMEOUT_SECONDS = 10
# How long a push service keeps a message for an offline browser: a reminder older than an
# hour is of no use.
WEBPUSH_TTL_SECONDS = 3600
# A push service answering these has forgotten the subscription (the browser unsubscribed).
GONE_STATUSES = frozenset({404, 410})


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(notification: Notification) -> str:
    token = unsubscribe_token(user_id=notification.user_id, kind=notification.kind)
    return absolute(reverse("journey:unsubscribe", args=[token]))


def email_for(notification: Notification) -> EmailMessage:
    one_click = unsubscribe_url(notification)
    body = (
        f"{notification.body}\n\n"
        f"Open: {absolute(notification.link or '/')}\n\n"
        f"--\nYou get this because it is on in your notification settings: "
        f"{absolute(reverse('accounts:notification_settings'))}\n"
        f"Stop these emails ({notification.get_kind_display().lower()}): {one_click}\n"
    )
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return EmailMessage(
        subject=notification.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
        headers={
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<notification-{notification.pk}@{domain or 'localhost'}>",
            "Auto-Submitted": "auto-generated",
        },
    )


def _claim(notification_id, now: datetime) -> tuple[Notification | None, bool, bool]:
    """Lock the row and move each pending channel that may go now to `sending`."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if row is None or row.deliver_after > now:
            return row, False, False
        claim_email = row.email_state == DeliveryState.PENDING
        claim_push = row.push_state == DeliveryState.PENDING
        if not (claim_email or claim_push):
            return row, False, False
        prefs = notification_settings_get(user=row.user)
        is_on = getattr(prefs, SETTING_FOR_KIND[row.kind])
        is_stale = row.stale_after is not None and row.stale_after <= now
        fields = []
        if claim_email:
            # Settings and the address are read again here: the student may have switched the
            # kind off, or unsubscribed, since the row was made.
            skip = (
                "stale"
                if is_stale
                else "switched off"
                if not (is_on and prefs.email_notifications)
                else "address not verified"
                if not email_is_deliverable(row.user)
                else ""
            )
            if skip:
                row.email_state, claim_email = DeliveryState.SKIPPED, False
                row.skip_reason = (row.skip_reason + f"; email {skip}").strip("; ")[:200]
            else:
                row.email_state, row.email_claimed_at = DeliveryState.SENDING, now
            fields += ["email_state", "email_claimed_at", "skip_reason"]
        if claim_push:
            if is_stale or not is_on:
                row.push_state, claim_push = DeliveryState.SKIPPED, False
            else:
                row.push_state, row.push_claimed_at = DeliveryState.SENDING, now
            fields += ["push_state", "push_claimed_at"]
        row.save(update_fields=sorted(set(fields)))
    return row, claim_email, claim_push


def _send_email(row: Notification) -> DeliveryState:
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        # Nothing left this process: safe to try again.
        logger.warning("mail server unreachable for %s (%s)", row.pk, exc.__class__.__name__)
        return DeliveryState.PENDING
    try:
        connection.send_messages([email_for(row)])
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("email of %s may not have arrived (%s)", row.pk, exc.__class__.__name__)
        return DeliveryState.UNKNOWN
    finally:
        connection.close()
    return DeliveryState.SENT


def push_payload(row: Notification) -> str:
    return json.dumps(
        {"title": row.subject, "body": row.body, "url": row.link or "/", "tag": str(row.pk)}
    )


def _send_push(row: Notification) -> DeliveryState:
    from pywebpush import WebPushException, webpush

    if not settings.WEBPUSH_VAPID_PRIVATE_KEY:
        return DeliveryState.SKIPPED
    delivered = False
    for subscription in PushSubscription.objects.for_user(row.user_id):
        if not push_endpoint_is_allowed(subscription.endpoint):
            continue
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=push_payload(row),
                vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                ttl=WEBPUSH_TTL_SECONDS,
                timeout=WEBPUSH_TIMEOUT_SECONDS,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in GONE_STATUSES:
                subscription.delete()
            logger.warning("push of %s refused (%s)", row.pk, status)
            continue
        except OSError as exc:
            logger.warning("push service unreachable for %s (%s)", row.pk, exc.__class__.__name__)
            continue
        delivered = True
        subscription.last_success_at = timezone.now()
        subscription.save(update_fields=["last_success_at"])
    return DeliveryState.SENT if delivered else DeliveryState.UNKNOWN


def notification_deliver(*, notification_id, now: datetime | None = None) -> Notification | None:
    """Deliver what is due of one notification (see the module text); idempotent."""
    now = now or timezone.now()
    row, claim_email, claim_push = _claim(notification_id, now)
    if row is None:
        return None
    if claim_email:
        state = _send_email(row)
        Notification.objects.filter(pk=row.pk).update(
            email_state=state,
            email_sent_at=timezone.now() if state == DeliveryState.SENT else None,
        )
    if claim_push:
        state = _send_push(row)
        Notification.objects.filter(pk=row.pk).update(
            push_state=state,
            push_sent_at=timezone.now() if state == DeliveryState.SENT else None,
        )
    return Notification.objects.filter(pk=row.pk).first()
