"""How scheduling reacts to events from the layers below: each receiver only enqueues."""

from django.dispatch import receiver

from accounts.signals import preferences_changed
from accounts.tasking import publish
from courses.signals import assessment_changed
from mastery.signals import mastery_changed
from scheduling.services import plan_replan_enqueue


@receiver(mastery_changed, dispatch_uid="scheduling.replan_on_mastery_changed")
def replan_on_mastery_changed(sender, user_id, topic_ids=(), **kwargs):
    plan_replan_enqueue(user_id=user_id, reason="mastery_changed")


@receiver(assessment_changed, dispatch_uid="scheduling.replan_on_assessment_changed")
def replan_on_assessment_changed(sender, user_id, assessment_ids=(), **kwargs):
    plan_replan_enqueue(user_id=user_id, reason="assessment_changed")


@receiver(preferences_changed, dispatch_uid="scheduling.replan_on_preferences_changed")
def replan_on_preferences_changed(sender, user_id, **kwargs):
    plan_replan_enqueue(user_id=user_id, reason="preferences_changed")


@receiver(mastery_changed, dispatch_uid="scheduling.refresh_gains_on_mastery_changed")
def refresh_gains_on_mastery_changed(sender, user_id, topic_ids=(), **kwargs):
    from scheduling.tasks import refresh_mastery_gains  # tasks import the services

    # Sent on commit already. Not an intent row: the gain is recomputed from the history on
    # the topic's next mastery change, so a lost publish only delays it.
    if topic_ids:
        publish(refresh_mastery_gains, str(user_id), [str(topic_id) for topic_id in topic_ids])
