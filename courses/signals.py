"""Events the courses layer publishes, always sent from transaction.on_commit."""

import django.dispatch

# Sent with user_id and assessment_ids when due dates, weights or topic maps change.
assessment_changed = django.dispatch.Signal()
