"""What connecting a Canvas or Moodle account would import, read from the LMS, nothing written.

The integrations page shows this before the student confirms; the confirm reads the LMS again
(`lms_import`), so what is written is what the LMS says at that moment. The weights and the
course matching here are the ones the import uses (`assessment_weights`, match by code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from accounts import limits
from accounts.errors import ApplicationError
from courses import feeds
from courses.models import Course
from integrations.lms import sources
from integrations.lms.snapshot import LmsSnapshot, assessment_weights

# Where a read failure belongs on the connect form: a refused token next to the token, an
# unreachable or refused (private) address next to the address; the rest is about the LMS.
FIELD_FOR_READ_ERROR = {"auth": "token", "unreachable": "base_url"}


@dataclass(frozen=True)
class LmsPreviewItem:
    name: str
    type: str
    due_at: datetime | None
    weight_percent: float
    points_possible: float
    score: float | None = None


@dataclass
class LmsPreviewCourse:
    code: str
    name: str
    term: str
    # An existing course of the student with this code is updated instead of created.
    existing_course_id: str | None
    items: list[LmsPreviewItem] = field(default_factory=list)
    # No due date: not imported (nothing to plan towards).
    undated: list[str] = field(default_factory=list)

    @property
    def graded(self) -> list[LmsPreviewItem]:
        return [item for item in self.items if item.score is not None]


@dataclass
class LmsPreview:
    lms_type: str
    label: str
    base_url: str
    courses: list[LmsPreviewCourse]

    @property
    def assessment_count(self) -> int:
        return sum(len(course.items) for course in self.courses)

    @property
    def grade_count(self) -> int:
        return sum(len(course.graded) for course in self.courses)


def _normalised(code: str) -> str:
    return " ".join(code.split()).casefold()


def _courses_by_code(user) -> dict[str, str]:
    """The student's active courses by normalised code, newest first wins (as the import)."""
    by_code: dict[str, str] = {}
    for course_id, code in (
        Course.objects.for_user(user)
        .active()
        .order_by("-start_date", "-created_at")
        .values_list("pk", "code")
    ):
        by_code.setdefault(_normalised(code), str(course_id))
    return by_code


def _preview_of(*, user, source, base_url: str, snapshot: LmsSnapshot) -> LmsPreview:
    by_code = _courses_by_code(user)
    courses = []
    for lms_course in snapshot.courses:
        dated = [a for a in lms_course.assignments if a.due_at is not None]
        weights = assessment_weights(lms_course, dated)
        courses.append(
            LmsPreviewCourse(
                code=lms_course.code,
                name=lms_course.name,
                term=lms_course.term,
                existing_course_id=by_code.get(_normalised(lms_course.code)),
                items=[
                    LmsPreviewItem(
                        name=a.name,
                        type=a.type,
                        due_at=a.due_at,
                        weight_percent=round(weights.get(a.external_id, 0.0), 2),
                        points_possible=a.points_possible,
                        score=(
                            a.grade.score * a.points_possible / a.grade.max_score
                            if a.grade is not None and a.grade.max_score > 0
                            else None
                        ),
                    )
                    for a in sorted(dated, key=lambda a: (a.due_at, a.name))
                ],
                undated=[a.name for a in lms_course.assignments if a.due_at is None],
            )
        )
    return LmsPreview(lms_type=source.key, label=source.label, base_url=base_url, courses=courses)


def lms_preview(*, user, lms_type: str, base_url: str, token: str) -> LmsPreview:
    """Reads the student's LMS with these credentials and says what an import would write.

    ApplicationError with field errors (`token`, `base_url`, or none) when the LMS cannot be
    read: a refused token, an unreachable or private host, a throttled or failing LMS."""
    source = sources.get(lms_type)
    if source is None:
        raise ApplicationError("Unknown LMS.", field_errors={"lms_type": ["Not a supported LMS."]})
    # Each read holds a web thread for seconds: it shares the import's hourly allowance.
    limits.enforce(
        "lms-feed-fetch",
        str(user.pk),
        limit=feeds.feed_fetches_per_hour(),
        window_seconds=feeds.FETCH_WINDOW_SECONDS,
        message="Too many LMS imports in the last hour; try again later.",
        field="base_url",
    )
    try:
        snapshot = source.read(base_url=base_url, token=token)
    except sources.LmsReadError as exc:
        where = FIELD_FOR_READ_ERROR.get(exc.kind)
        raise ApplicationError(
            exc.message, field_errors={where: [exc.message]} if where else {}
        ) from exc
    return _preview_of(user=user, source=source, base_url=base_url, snapshot=snapshot)
