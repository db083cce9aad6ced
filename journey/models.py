"""State of the student's journey that belongs to no domain app: the onboarding wizard and the
resource checklist of the course overview.

Both models were born in the `planner` app; they keep its table names (`db_table`) so moving
them here changed no row of an existing database (see migrations/0001_initial.py)."""

import uuid

from django.conf import settings
from django.db import models

from courses.models import Topic


class OnboardingStep(models.TextChoices):
    PROFILE = "profile", "Profile"
    COURSES = "courses", "Courses and assessments"
    AVAILABILITY = "availability", "Availability and preferences"
    INTEGRATIONS = "integrations", "Integrations"
    EVIDENCE = "evidence", "Diagnostic quizzes or grade history"
    FINISH = "finish", "Your first plan"


class OnboardingProgressQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class OnboardingProgress(models.Model):
    """Where a student is in the setup wizard, so it can be left and resumed at any point."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding"
    )
    current_step = models.CharField(
        max_length=16, choices=OnboardingStep.choices, default=OnboardingStep.PROFILE
    )
    # Step values done (or deliberately skipped, listed in skipped_steps as well).
    completed_steps = models.JSONField(default=list, blank=True)
    skipped_steps = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OnboardingProgressQuerySet.as_manager()

    class Meta:
        db_table = "planner_onboardingprogress"
        verbose_name_plural = "onboarding progress"

    def __str__(self) -> str:
        return f"Onboarding of {self.user_id} at {self.current_step}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class ResourceCompletionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class ResourceCompletion(models.Model):
    """One ticked resource of a topic. Resources are JSON on the topic, so a tick is keyed by
    the digest of the resource's URL; a resource removed from the topic just stops counting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_completions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="resource_completions")
    resource_key = models.CharField(max_length=64)
    completed_at = models.DateTimeField(auto_now_add=True)

    objects = ResourceCompletionQuerySet.as_manager()

    class Meta:
        db_table = "planner_resourcecompletion"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "resource_key"], name="resource_completion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.resource_key[:8]}"


from journey.notifications.models import Notification, PushSubscription  # noqa: E402,F401
