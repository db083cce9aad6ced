"""How the journey reacts to changes below it: it retires the student's cached dashboard
panels and the cached parts of their other pages (see accounts.page_cache). Each receiver only
increments a counter in the cache.

The four domain events cover replans, mastery recomputes, assessment edits and preference
changes. Row saves and deletes cover the writes that send no event: starting, completing or
skipping a block, a check-in, a grade or quiz that extends the streak, course and topic edits,
and a replan that only marks blocks missed (its plan snapshot is saved every time).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.coalesce import call_once
from accounts.models import User, UserPreferences
from accounts.signals import preferences_changed
from courses.models import Assessment, Course, Topic
from courses.signals import assessment_changed
from journey.dashboard import dashboard_invalidate
from journey.models import OnboardingProgress
from mastery.models import CourseMasteryDay, MasteryObservation, MasteryRecord, PerformanceRecord
from mastery.quiz_models import QuizAttempt
from mastery.signals import mastery_changed
from scheduling.models import BusyInterval, DailyCheckIn, PlanNotice, PlanSnapshot, StudyTask
from scheduling.signals import plan_changed

# Rows that carry their student directly.
USER_OWNED_MODELS = (
    StudyTask,
    DailyCheckIn,
    PlanSnapshot,
    MasteryRecord,
    PerformanceRecord,
    Course,
    # What the week, stats and mastery pages show besides: busy time, availability and clock,
    # quizzes taken, the mastery history and its daily rollup.
    BusyInterval,
    UserPreferences,
    QuizAttempt,
    MasteryObservation,
    CourseMasteryDay,
    # The dashboard's live part: plan notices (dismissed or new) and the setup banner.
    PlanNotice,
    OnboardingProgress,
)
# Rows that belong to a student through their course.
COURSE_OWNED_MODELS = (Assessment, Topic)


@receiver(mastery_changed, dispatch_uid="journey.dashboard_on_mastery_changed")
@receiver(plan_changed, dispatch_uid="journey.dashboard_on_plan_changed")
@receiver(assessment_changed, dispatch_uid="journey.dashboard_on_assessment_changed")
@receiver(preferences_changed, dispatch_uid="journey.dashboard_on_preferences_changed")
def dashboard_on_event(sender, *, user_id, **kwargs) -> None:
    # Sent on commit: this retires panels cached from the old rows while the write was open.
    _invalidate(user_id)


def _invalidate(user_id) -> None:
    # Once per student per unit of work (a replan saving hundreds of blocks, a request).
    call_once(("dashboard_invalidate", str(user_id)), dashboard_invalidate, user_id=user_id)


def dashboard_on_user_row(sender, instance, **kwargs) -> None:
    _invalidate(instance.user_id)


def dashboard_on_course_row(sender, instance, **kwargs) -> None:
    # The course is usually loaded already (services and forms pass it in); else one query.
    if sender.course.is_cached(instance):
        user_id = instance.course.user_id
    else:
        user_id = (
            Course.objects.filter(pk=instance.course_id).values_list("user_id", flat=True).first()
        )
    _invalidate(user_id)


def dashboard_on_user(sender, instance, **kwargs) -> None:
    # A new timezone moves "today"; a new account must never meet panels left under its id.
    _invalidate(instance.pk)


for model in USER_OWNED_MODELS:
    for signal in (post_save, post_delete):
        signal.connect(
            dashboard_on_user_row,
            sender=model,
            dispatch_uid=f"journey.dashboard_{signal is post_save}_{model._meta.label_lower}",
        )
for model in COURSE_OWNED_MODELS:
    for signal in (post_save, post_delete):
        signal.connect(
            dashboard_on_course_row,
            sender=model,
            dispatch_uid=f"journey.dashboard_{signal is post_save}_{model._meta.label_lower}",
        )
post_save.connect(dashboard_on_user, sender=User, dispatch_uid="journey.dashboard_user_saved")


def notify_on_replan(sender, instance, **kwargs) -> None:
    # Every replan saves its snapshot (and any plan notice) in its transaction: after commit,
    # look for a plan change to tell about or an assessment newly at risk. Robust: a failure
    # here must not fail the replan; the notify sweep finds the snapshot again.
    from accounts.tasking import enqueue_on_commit
    from journey.tasks import plan_events

    enqueue_on_commit(plan_events, str(instance.user_id), robust=True)


post_save.connect(notify_on_replan, sender=PlanSnapshot, dispatch_uid="journey.notify_on_replan")
