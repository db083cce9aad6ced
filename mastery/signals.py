"""Events the mastery layer publishes, always sent from transaction.on_commit."""

import django.dispatch

# Sent with user_id and topic_ids whose mastery moved.
mastery_changed = django.dispatch.Signal()
