"""StudyTask.actual_mastery_gain (seed 000: "measured after completion"), from the mastery history.

Definition, per completed block and per topic of the block:
- before: the topic's mastery just before the block started (`actual_start`), that is the
  `mastery_before` of the first evidence observed at or after the start;
- after: the mastery after that first evidence (its `mastery_after`).
The first evidence at or after the start is the block's own self-rating when it has one, else
the next quiz or grade on the topic: the first measurement that can reflect the block.
The block's gain is the mean over its topics that have both values, clamped to 0-100 (the
seed's range; a decline is recorded as 0, since a study block is not what lowered mastery).
It stays null while no topic of the block has evidence from before and after it.

It is refreshed whenever mastery of one of the block's topics moves, from the same history
the recompute writes: the fold is deterministic, so a grade imported late and dated before
the block changes the "before" value and the gain with it, the same way every time.

The refresh is a durable intent (accounts/tasking.py): a `GainRefreshRequest` per topic is
written before the task is published and deleted by the refresh that answers it, so a publish
lost while the broker was down is resent by `scheduling.tasks.gain_refresh_pending_sweep`
instead of waiting for the topic's next mastery change, which may never come.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean

from django.db import transaction

from accounts.page_cache import student_pages_invalidate
from accounts.tasking import intent_enqueue
from courses.models import Topic
from mastery.models import MasteryObservation
from scheduling.models import GainRefreshRequest, StudyTask, TaskStatus

GAIN_MIN = 0.0
GAIN_MAX = 100.0


def _topic_gain(history: list[MasteryObservation], started_at) -> float | None:
    following = next((obs for obs in history if obs.observed_at >= started_at), None)
    if following is None or following.mastery_before is None:
        return None
    return following.mastery_after - following.mastery_before


def study_task_gains_refresh_enqueue(*, user_id, topic_ids: Iterable[str]) -> None:
    """Refresh the gains of the user's blocks on these topics in the planning queue, durably:
    the request rows commit (in the caller's transaction, or their own) before the publish."""
    from scheduling.tasks import refresh_mastery_gains  # the task module imports this one

    ids = sorted({str(topic_id) for topic_id in topic_ids})
    if not ids:
        return
    # A topic deleted since its mastery moved has no blocks left to measure, and a request
    # row naming it would break the foreign key.
    existing = Topic.objects.filter(pk__in=ids, course__user_id=user_id).values_list(
        "pk", flat=True
    )
    intent_enqueue(
        rows=(GainRefreshRequest(user_id=user_id, topic_id=topic_id) for topic_id in existing),
        task=refresh_mastery_gains,
        args=(str(user_id), ids),
    )


def study_task_gains_refresh(*, user, topic_ids: Iterable[str]) -> list[str]:
    """Recomputes the gain of the user's completed blocks on these topics; returns the ids of
    the blocks whose gain changed. Answers (deletes) the pending requests for these topics
    that were written before it started reading."""
    wanted = {str(topic_id) for topic_id in topic_ids}
    if not wanted:
        return []
    # Taken before the history is read: a request written after this point asks about
    # evidence this run may not see, so it stays for its own task.
    answered = list(
        GainRefreshRequest.objects.filter(user=user, topic_id__in=wanted).values_list(
            "pk", flat=True
        )
    )
    tasks = [
        task
        for task in StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.COMPLETED, actual_start__isnull=False)
        .only("id", "topic_ids", "actual_start", "actual_mastery_gain")
        if wanted.intersection(str(topic_id) for topic_id in task.topic_ids or [])
    ]
    if not tasks:
        GainRefreshRequest.objects.filter(pk__in=answered).delete()
        return []
    topics = {str(topic_id) for task in tasks for topic_id in task.topic_ids}
    histories: dict[str, list[MasteryObservation]] = {topic_id: [] for topic_id in topics}
    observations = (
        MasteryObservation.objects.filter(user=user, topic_id__in=topics)
        .only("topic_id", "sequence", "observed_at", "mastery_before", "mastery_after")
        .order_by("topic_id", "sequence")
    )
    for observation in observations:
        histories[str(observation.topic_id)].append(observation)
    changed: list[StudyTask] = []
    for task in tasks:
        gains = [
            gain
            for topic_id in task.topic_ids
            if (gain := _topic_gain(histories.get(str(topic_id), []), task.actual_start))
            is not None
        ]
        value = round(min(GAIN_MAX, max(GAIN_MIN, fmean(gains))), 4) if gains else None
        if value != task.actual_mastery_gain:
            task.actual_mastery_gain = value
            changed.append(task)
    with transaction.atomic():
        for task in changed:
            # A plain column update: no plan change, so no history row or push to follow.
            StudyTask.objects.filter(pk=task.pk).update(
                actual_mastery_gain=task.actual_mastery_gain
            )
        GainRefreshRequest.objects.filter(pk__in=answered).delete()
    if changed:
        # Column updates send no row signals: retire the cached pages that show the gains.
        student_pages_invalidate(user_id=user.pk)
        transaction.on_commit(lambda: student_pages_invalidate(user_id=user.pk))
    return [str(task.pk) for task in changed]
