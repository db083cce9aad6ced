"""How mastery reacts to events from the layers below: each receiver only enqueues."""

from django.dispatch import receiver

from accounts.signals import preferences_changed
from courses.signals import assessment_changed
from mastery.services import enqueue_recompute_for_assessments, enqueue_recompute_for_user

# Preferences the fold reads: a change to one re-derives every stored review date.
FOLD_PREFERENCES = frozenset({"min_review_interval_days"})


@receiver(assessment_changed, dispatch_uid="mastery.recompute_on_assessment_changed")
def recompute_on_assessment_changed(sender, *, user_id, assessment_ids, **kwargs):
    """An assessment's type or topic map shapes how its grades become evidence."""
    enqueue_recompute_for_assessments(user_id=user_id, assessment_ids=assessment_ids)


@receiver(preferences_changed, dispatch_uid="mastery.recompute_on_preferences_changed")
def recompute_on_preferences_changed(sender, *, user_id, changed_fields=(), **kwargs):
    if FOLD_PREFERENCES.intersection(changed_fields):
        enqueue_recompute_for_user(user_id=user_id)
