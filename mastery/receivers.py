"""How mastery reacts to events from the courses layer: each receiver only enqueues."""

from django.dispatch import receiver

from courses.signals import assessment_changed
from mastery.services import enqueue_recompute_for_assessments


@receiver(assessment_changed, dispatch_uid="mastery.recompute_on_assessment_changed")
def recompute_on_assessment_changed(sender, *, user_id, assessment_ids, **kwargs):
    """An assessment's type or topic map shapes how its grades become evidence."""
    enqueue_recompute_for_assessments(user_id=user_id, assessment_ids=assessment_ids)
