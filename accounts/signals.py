"""Events the accounts layer publishes, always sent from transaction.on_commit."""

import django.dispatch

# Sent with user_id when a student's preferences or availability change.
preferences_changed = django.dispatch.Signal()
