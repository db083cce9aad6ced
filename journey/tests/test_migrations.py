"""The journey's two models moved here from `planner` without touching a row: a database
migrated before the move keeps its wizard progress and resource ticks after it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from courses.tests.factories import CourseFactory, TopicFactory
from journey.models import OnboardingProgress, ResourceCompletion
from planner.testing.migrations import migrate_to

BEFORE_THE_MOVE = ("planner", "0002_delete_gradetarget")


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_back_after_it():
    user = UserFactory()
    topic = TopicFactory(course=CourseFactory(user=user))
    old_apps = migrate_to([BEFORE_THE_MOVE])
    assert not old_apps.is_installed("journey")
    OldProgress = old_apps.get_model("planner", "OnboardingProgress")
    OldCompletion = old_apps.get_model("planner", "ResourceCompletion")
    OldProgress.objects.create(
        user_id=user.pk, current_step="evidence", completed_steps=["profile", "courses"]
    )
    OldCompletion.objects.create(user_id=user.pk, topic_id=topic.pk, resource_key="k" * 64)

    executor = MigrationExecutor(connection)
    migrate_to(executor.loader.graph.leaf_nodes())

    progress = OnboardingProgress.objects.for_user(user).get()
    assert (progress.current_step, progress.completed_steps) == ("evidence", ["profile", "courses"])
    completion = ResourceCompletion.objects.for_user(user).get()
    assert (completion.topic_id, completion.resource_key) == (topic.pk, "k" * 64)
