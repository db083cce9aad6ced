"""Events the accounts layer publishes, always sent from transaction.on_commit."""

import django.dispatch

# Sent with user_id when a student's preferences or availability change, and, for a change of
# preferences, changed_fields: the names of the fields that changed.
preferences_changed = django.dispatch.Signal()
