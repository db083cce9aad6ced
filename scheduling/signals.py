"""Events the scheduling layer publishes, always sent from transaction.on_commit."""

import django.dispatch

# Sent with user_id and the diff: created, moved and deleted task ids.
plan_changed = django.dispatch.Signal()
