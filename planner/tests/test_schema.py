"""PostgreSQL carries every named index and check constraint of the seed."""

from django.db import connection

SEED_INDEXES = {
    "idx_user_email",
    "idx_course_user_id",
    "idx_course_active",
    "idx_topic_course_id",
    "idx_assessment_due_date",
    "idx_perf_user_course",
    "idx_perf_assessment",
    "idx_perf_completed",
    "idx_mastery_user_topic",
    "idx_mastery_review",
    "idx_task_user_status",
    "idx_task_scheduled",
    "idx_task_priority",
    "idx_calendar_user_time",
    "idx_calendar_event",
}

SEED_CHECKS = {
    "user_email_has_at",
    "prefs_max_hours_1_16",
    "prefs_block_length_15_180",
    "prefs_break_length_5_60",
    "course_end_after_start",
    "perf_score_0_max",
    "perf_percentage_0_100",
    "perf_time_spent_gt_0",
    "mastery_score_0_100",
    "mastery_confidence_0_50",
    "mastery_review_interval_1_365",
    "assessment_weight_0_100",
}


def test_every_seed_index_and_check_exists_in_postgres(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c'"
        )
        checks = dict(cursor.fetchall())
    assert SEED_INDEXES - set(indexes) == set()
    assert SEED_CHECKS - set(checks) == set()
    assert "priority_score DESC" in indexes["idx_task_priority"]
    assert indexes["idx_mastery_user_topic"].startswith("CREATE UNIQUE INDEX")
    assert "is_archived" in indexes["idx_course_active"]


def test_seed_indexes_declared_for_every_backend(db):
    names = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            names |= set(connection.introspection.get_constraints(cursor, table))
    assert SEED_INDEXES - names == set()
    assert SEED_CHECKS - names == set()
