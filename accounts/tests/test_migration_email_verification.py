"""The move of `is_verified` into allauth's EmailAddress keeps every student's state."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0006_preferences_time_format"),
    ("account", "0009_emailaddress_unique_primary_email"),
]
AFTER = [("accounts", "0007_email_verification_in_allauth")]


@pytest.mark.django_db(transaction=True)
def test_verified_and_unverified_students_keep_their_state():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("accounts", "User")
    User.objects.create(email="verified@example.org", password="!", is_verified=True)
    User.objects.create(email="pending@example.org", password="!", is_verified=False)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    EmailAddress = new_apps.get_model("account", "EmailAddress")
    rows = {
        row.email: (row.primary, row.verified, row.user.email)
        for row in EmailAddress.objects.select_related("user")
    }
    assert rows == {
        "verified@example.org": (True, True, "verified@example.org"),
        "pending@example.org": (True, False, "pending@example.org"),
    }

    # Back again: the column is refilled from the addresses.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    User = executor.loader.project_state(BEFORE).apps.get_model("accounts", "User")
    assert dict(User.objects.values_list("email", "is_verified")) == {
        "verified@example.org": True,
        "pending@example.org": False,
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
