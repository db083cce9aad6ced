"""How scheduling reacts to events from the layers below: each event receiver only enqueues.

The row receivers at the end keep the streak's rollup of study days (scheduling.streaks) in
step with the rows it is counted from: the next page must show the new streak, and a rebuild
is one indexed read of a few hundred dates, so it runs in the writing request, once per
student per request (accounts.coalesce), not in a queue.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.coalesce import call_once
from accounts.signals import preferences_changed
from courses.signals import assessment_changed
from mastery.models import PerformanceRecord
from mastery.signals import mastery_changed
from scheduling import streaks
from scheduling.models import StudyTask
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


def study_days_on_save(sender, instance, **kwargs) -> None:
    if streaks.counts_toward_streak(instance):
        call_once(
            ("study_days_refresh", str(instance.user_id)),
            streaks.study_days_refresh,
            user_id=instance.user_id,
        )


def study_days_on_delete(sender, instance, **kwargs) -> None:
    if streaks.counts_toward_streak(instance):
        call_once(
            ("study_days_forget", str(instance.user_id)),
            streaks.study_days_forget,
            user_id=instance.user_id,
        )


for model in (StudyTask, PerformanceRecord):
    label = model._meta.label_lower
    post_save.connect(
        study_days_on_save, sender=model, dispatch_uid=f"scheduling.study_days_saved_{label}"
    )
    post_delete.connect(
        study_days_on_delete, sender=model, dispatch_uid=f"scheduling.study_days_deleted_{label}"
    )
