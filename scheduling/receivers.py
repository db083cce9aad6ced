"""How scheduling reacts to events from the layers below: each receiver only enqueues."""

from django.dispatch import receiver

from accounts.signals import preferences_changed
from courses.signals import assessment_changed
from mastery.signals import mastery_changed
from scheduling.services import plan_replan_enqueue
from scheduling.services.gains import study_task_gains_refresh_enqueue


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
    # Durable like the replan: a lost publish is resent by the gain refresh sweep.
    study_task_gains_refresh_enqueue(user_id=user_id, topic_ids=topic_ids)
