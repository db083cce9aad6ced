"""The kinds of notification, their delivery states, and which setting switches each off."""

from django.db import models


class NotificationKind(models.TextChoices):
    DAILY_PLAN = "daily_plan", "Daily plan"
    BLOCK_REMINDER = "block_reminder", "Block reminder"
    PLAN_CHANGE = "plan_change", "Plan change"
    AT_RISK = "at_risk", "Assessment at risk"
    WEEKLY_SUMMARY = "weekly_summary", "Weekly summary"


class DeliveryState(models.TextChoices):
    """One channel's state. `sending` is the claim taken before the attempt (see delivery)."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    # The worker died or the server failed after the claim: it may or may not have arrived,
    # and it is not tried again (at most once).
    UNKNOWN = "unknown", "Outcome unknown"


# The NotificationSettings field that turns each kind off (also what its unsubscribe link
# turns off).
SETTING_FOR_KIND = {
    NotificationKind.DAILY_PLAN: "daily_plan_email",
    NotificationKind.BLOCK_REMINDER: "study_reminders",
    NotificationKind.PLAN_CHANGE: "plan_change_notices",
    NotificationKind.AT_RISK: "at_risk_alerts",
    NotificationKind.WEEKLY_SUMMARY: "progress_updates",
}

# Kinds also sent by Web Push to the browsers that subscribed: only the reminder is urgent
# enough to interrupt; the rest wait in the inbox and the in-app list.
PUSH_KINDS = frozenset({NotificationKind.BLOCK_REMINDER})
