"""The notification rows: each is the in-app item, and the durable intent of its email and push.

`(user, kind, event_key)` is unique: the key names the event (a block's start, a local date, an
ISO week, a plan notice's state), so a second attempt to notify of the same event finds the
first row instead of adding another, whichever worker or sweep gets there."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.history import HistoricalRecords
from journey.notifications.kinds import DeliveryState, NotificationKind


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def visible(self, now):
        # A notification deferred by quiet hours shows in the list once it is delivered, so
        # the list and the inbox agree.
        return self.filter(deliver_after__lte=now)

    def awaiting_delivery(self, now):
        return self.filter(
            Q(email_state=DeliveryState.PENDING) | Q(push_state=DeliveryState.PENDING),
            deliver_after__lte=now,
        )


class Notification(models.Model):
    """No history table: the row is its own timeline (created, deliver_after, claimed and sent
    per channel, read), and most of its writes are bulk inserts and single-field updates that a
    history table would not see anyway."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # A path on this site (the page to act on); emails make it absolute.
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not before this instant: the end of the student's quiet hours, or the creation time.
    deliver_after = models.DateTimeField()
    # A reminder is worthless once its block has started; past this it is not sent.
    stale_after = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    push_state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.SKIPPED
    )
    push_claimed_at = models.DateTimeField(null=True, blank=True)
    push_sent_at = models.DateTimeField(null=True, blank=True)
    # Why a channel was skipped (switched off, quiet hours, unverified address), for support.
    skip_reason = models.CharField(max_length=200, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-deliver_after", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "event_key"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-deliver_after"], name="idx_notification_list"),
            models.Index(fields=["email_state", "deliver_after"], name="idx_notification_email"),
            models.Index(fields=["push_state", "deliver_after"], name="idx_notification_push"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_key} for {self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class PushSubscriptionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class PushSubscription(models.Model):
    """One browser that asked for Web Push: its push service endpoint and its public keys."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # Checked against the allowed push services by the service, not by URL shape alone.
    endpoint = models.CharField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = PushSubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint"], name="push_subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"Push to {self.endpoint[:40]}… for {self.user_id}"
