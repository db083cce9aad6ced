"""The demo student scaled up for the load benchmark: 8 courses, 200 topics, 10,000
performance records and 500 study tasks. Prints the credentials and ids as one JSON line.

Courses, topics and assessments go through the real services. Performance records and study
tasks are bulk-inserted (through the services they would take many minutes), and then mastery
is rebuilt once with the real recompute service, so every topic's estimate is the fold over
its ~50 records. Running it again on a seeded database only issues fresh credentials.

Run by bench/loadkit.py in a child process with the bench database's environment.
"""

from __future__ import annotations

import json
import random
import sys
import time as clock

from bench import scaled

SEED = 8_200_500


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import api_token_create
    from courses.models import Course, Topic
    from journey.demo import DEMO_EMAIL
    from mastery.models import PerformanceRecord
    from mastery.services import mastery_recompute_user
    from scheduling.models import StudyTask
    from scheduling.streaks import study_days_rebuild

    recompute_seconds = None
    user = User.objects.filter(email=DEMO_EMAIL).first()
    is_seeded = (
        user is not None
        and PerformanceRecord.objects.for_user(user).count() >= scaled.BENCH.records
        and StudyTask.objects.for_user(user).count() >= scaled.BENCH.tasks
    )
    if not is_seeded:
        started = clock.perf_counter()
        call_command("seed_demo", stdout=sys.stderr)
        user = User.objects.get(email=DEMO_EMAIL)
        now = timezone.now()
        rng = random.Random(SEED)
        courses = scaled.scale_courses(user, rng, scaled.BENCH)
        scaled.bulk_records(user, courses, rng, now, scaled.BENCH)
        scaled.bulk_tasks(user, courses, rng, now, scaled.BENCH)
        fold_started = clock.perf_counter()
        mastery_recompute_user(user=user)
        recompute_seconds = round(clock.perf_counter() - fold_started, 2)
        # Bulk inserts send no row signals: the streak's days are recounted once.
        study_days_rebuild(user=user)
        # Fresh statistics, as autovacuum would soon have them on a live database: without
        # them the planner estimates one row where there are ten thousand.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"seeded in {clock.perf_counter() - started:.1f} s "
            f"(mastery recompute {recompute_seconds} s)",
            file=sys.stderr,
        )

    _, raw_key = api_token_create(user=user, name="load bench", expires_in_days=7)
    browser = Client()
    # Under allauth's own backend name, as a login before accounts/backends.py stored it: every
    # revision since reads that session (BENCH_COMPARE_ROOT serves an older one beside).
    browser.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    course = Course.objects.for_user(user).order_by("code").first()
    topic_ids = [str(pk) for pk in course.topics.values_list("pk", flat=True)[:3]]
    print(
        json.dumps(
            {
                "token": raw_key,
                "session_cookie": f"{settings.SESSION_COOKIE_NAME}="
                f"{browser.cookies[settings.SESSION_COOKIE_NAME].value}",
                "course_id": str(course.pk),
                "topic_ids": topic_ids,
                "counts": {
                    "courses": Course.objects.for_user(user).count(),
                    "topics": Topic.objects.for_user(user).count(),
                    "records": PerformanceRecord.objects.for_user(user).count(),
                    "tasks": StudyTask.objects.for_user(user).count(),
                },
                "recompute_seconds": recompute_seconds,
                "has_dashboard_cache_setting": hasattr(settings, "DASHBOARD_CACHE_ENABLED"),
            }
        )
    )


if __name__ == "__main__":
    main()
