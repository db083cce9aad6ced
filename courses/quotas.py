"""Per-student quotas: how much one account may hold, and how often it may import.

Without them one CSV import created 1,000 courses and one LMS confirm 2,000 assessments, each
of which the planner and the mastery fold then carry on every run. The limits sit far above
what a real student needs (a degree is about 40 courses of about 10 graded pieces each), so only
a script or a hostile feed ever meets them.

- Over a count (courses, assessments): ApplicationError, a 400 in the API and a form error on
  pages, naming the limit. Checked before writing; two requests racing can overshoot by their
  own size, which is acceptable for a limit that guards capacity, not correctness.
- Over a rate (imports a day): RateLimitedError, a 429 with Retry-After.
"""

from __future__ import annotations

from django.conf import settings

from accounts import limits
from accounts.errors import ApplicationError
from courses.models import Assessment, Course

DEFAULT_COURSES_PER_STUDENT = 100
DEFAULT_ASSESSMENTS_PER_STUDENT = 1000
DEFAULT_IMPORTS_PER_STUDENT_PER_DAY = 50
DAY_SECONDS = 24 * 3600


def courses_limit() -> int:
    return int(getattr(settings, "QUOTA_COURSES_PER_STUDENT", DEFAULT_COURSES_PER_STUDENT))


def assessments_limit() -> int:
    return int(getattr(settings, "QUOTA_ASSESSMENTS_PER_STUDENT", DEFAULT_ASSESSMENTS_PER_STUDENT))


def imports_per_day_limit() -> int:
    return int(
        getattr(settings, "QUOTA_IMPORTS_PER_STUDENT_PER_DAY", DEFAULT_IMPORTS_PER_STUDENT_PER_DAY)
    )


def _check(*, what: str, have: int, adding: int, limit: int, field: str) -> None:
    if adding > 0 and have + adding > limit:
        message = (
            f"An account can hold at most {limit} {what}; you have {have} and this would add "
            f"{adding}. Archive or delete some first."
        )
        raise ApplicationError(message, field_errors={field: [message]})


def check_course_quota(*, user, adding: int = 1, field: str = "non_field_errors") -> None:
    have = Course.objects.for_user(user).count()
    _check(what="courses", have=have, adding=adding, limit=courses_limit(), field=field)


def check_assessment_quota(*, user, adding: int = 1, field: str = "non_field_errors") -> None:
    have = Assessment.objects.filter(course__user=user).count()
    _check(what="assessments", have=have, adding=adding, limit=assessments_limit(), field=field)


def check_import_allowance(*, user) -> None:
    """Count one applied import (CSV, grades, LMS confirm) against the student's day."""
    limits.enforce(
        "student-imports",
        str(user.pk),
        limit=imports_per_day_limit(),
        window_seconds=DAY_SECONDS,
        message=(
            f"You have reached today's limit of {imports_per_day_limit()} imports; "
            "try again tomorrow."
        ),
        field="non_field_errors",
    )
